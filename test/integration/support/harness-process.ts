import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../../..');
const harnessScript = path.join(import.meta.dirname, 'runtime-harness.mjs');
const compiledRuntime = path.join(root, 'dist/src/runtime/index.js');

/** One JSON line printed by `runtime-harness.mjs` (see its header for the events). */
export interface HarnessEvent {
  event: string;
  identity: string;
  /** Epoch ms, taken in the harness process (same machine clock as the test). */
  at: number;
  [field: string]: unknown;
}

/** How a harness process ended. */
export interface HarnessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running `runtime-harness.mjs` child process. */
export interface HarnessProcess {
  readonly identity: string;
  readonly proc: ChildProcess;
  /** Every event it printed so far, in order. */
  readonly events: HarnessEvent[];
  /** Its log lines (stderr), for diagnostics. */
  readonly logs: string[];
  /** Resolves when the process has exited. */
  readonly exited: Promise<HarnessExit>;
  /** True while the last leadership event it printed is `leading` and it is still running. */
  isLeading(): boolean;
  /** Resolves with the first event named `event` (after `since`, epoch ms) matching `pred`. */
  waitFor(
    event: string,
    opts?: { pred?: (e: HarnessEvent) => boolean; since?: number; timeoutMs?: number },
  ): Promise<HarnessEvent>;
  /** Sends `signal` (no-op if it has exited). */
  signal(signal: NodeJS.Signals): void;
}

const running = new Set<HarnessProcess>();

/**
 * Throws unless `dist/src/runtime` exists and is at least as new as `src/runtime` (the harness runs
 * the compiled runtime; `make integration` builds it, or run `npm run build`).
 */
export function assertRuntimeBuilt(): void {
  if (!existsSync(compiledRuntime))
    throw new Error(`${path.relative(root, compiledRuntime)} is missing: run \`npm run build\` first`);
  const built = statSync(compiledRuntime).mtimeMs;
  const srcDir = path.join(root, 'src/runtime');
  const stale = readdirSync(srcDir).filter(
    (f) => f.endsWith('.ts') && statSync(path.join(srcDir, f)).mtimeMs > built,
  );
  if (stale.length > 0)
    throw new Error(`dist/ is older than src/runtime (${stale.join(', ')}): run \`npm run build\` first`);
}

/** Options of {@link startHarness}. */
export interface HarnessOptions {
  kubeconfig: string;
  namespace: string;
  lease: string;
  identity: string;
  leaseMs?: number;
  renewMs?: number;
  retryMs?: number;
}

/** Spawns `runtime-harness.mjs`; every process started here is killed by {@link killAllHarnesses}. */
export function startHarness(o: HarnessOptions): HarnessProcess {
  const proc = spawn(
    process.execPath,
    [
      harnessScript,
      `--namespace=${o.namespace}`,
      `--lease=${o.lease}`,
      `--identity=${o.identity}`,
      `--lease-ms=${o.leaseMs ?? 4_000}`,
      `--renew-ms=${o.renewMs ?? 3_000}`,
      `--retry-ms=${o.retryMs ?? 500}`,
    ],
    { cwd: root, env: { ...process.env, KUBECONFIG: o.kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const events: HarnessEvent[] = [];
  const logs: string[] = [];
  const waiters = new Set<() => void>();
  const lines = (stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void => {
    let buf = '';
    stream?.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      for (const p of parts) if (p.trim()) onLine(p);
    });
  };
  lines(proc.stdout, (line) => {
    try {
      events.push(JSON.parse(line) as HarnessEvent);
    } catch {
      logs.push(`[stdout, not an event] ${line}`);
    }
    for (const w of waiters) w();
  });
  lines(proc.stderr, (line) => {
    logs.push(line);
    if (process.env.VPCEP_IT_HARNESS_LOGS) process.stderr.write(`[${o.identity}] ${line}\n`);
  });
  let hasExited = false;
  const exited = new Promise<HarnessExit>((resolve) =>
    proc.on('exit', (code, signal) => {
      hasExited = true;
      running.delete(h);
      resolve({ code, signal });
      for (const w of waiters) w();
    }),
  );
  const h: HarnessProcess = {
    identity: o.identity,
    proc,
    events,
    logs,
    exited,
    isLeading() {
      if (hasExited) return false;
      const last = events.filter((e) => e.event === 'leading' || e.event === 'stopped-leading').pop();
      return last?.event === 'leading';
    },
    waitFor(event, { pred = () => true, since = 0, timeoutMs = 30_000 } = {}) {
      const find = (): HarnessEvent | undefined =>
        events.find((e) => e.event === event && e.at >= since && pred(e));
      return new Promise<HarnessEvent>((resolve, reject) => {
        const check = (): void => {
          const e = find();
          if (e) {
            done();
            resolve(e);
          } else if (hasExited) {
            done();
            reject(new Error(`${o.identity} exited before "${event}"; last logs:\n${tail(logs)}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${o.identity}: no "${event}" within ${timeoutMs} ms; last logs:\n${tail(logs)}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    signal(signal) {
      if (!hasExited) proc.kill(signal);
    },
  };
  running.add(h);
  return h;
}

function tail(logs: string[], n = 15): string {
  return logs.slice(-n).join('\n');
}

/** SIGKILLs every harness still running and waits for them to exit. Safe to call any time. */
export async function killAllHarnesses(): Promise<void> {
  const all = [...running];
  for (const h of all) h.signal('SIGKILL');
  await Promise.all(all.map((h) => h.exited));
}
