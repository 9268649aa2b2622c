/**
 * Memory of the Secret watch (issue 14): the operator's RSS with 1,000 Secrets in the cluster, without
 * the Secret watch (`--watch-secrets=false`) and with it (metadata only: PartialObjectMetadata), plus,
 * for comparison, what a full-object Secret informer (client-node's `makeInformer`, data included)
 * would hold, measured in a bare Node process against the same metadata informer.
 *
 * Part of `make bench-scale` (the `scale` project: the integration control plane, never `make test`).
 * Prints figures; fails only on wrong behaviour (an informer that does not sync, an unclean exit).
 * Knobs: VPCEP_RSS_SECRETS (default 1000), VPCEP_RSS_SECRET_BYTES (data per Secret, default 4096),
 * VPCEP_RSS_SAMPLES (RSS samples after sync, 500 ms apart, default 20).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { machine, median, printTable, type Cell } from '../bench/harness.js';
import { intEnv } from '../chaos/support/chaos.js';
import { eventually, testKube, type TestKube } from '../integration/support/kube.js';
import { startOperator, startTestSimulator } from '../integration/support/operator.js';
import type { Simulator } from '../../src/simulator/index.js';

const SECRETS = Math.max(1, intEnv('VPCEP_RSS_SECRETS', 1000));
const BYTES = Math.max(16, intEnv('VPCEP_RSS_SECRET_BYTES', 4096));
const SAMPLES = Math.max(1, intEnv('VPCEP_RSS_SAMPLES', 20));
const root = path.resolve(import.meta.dirname, '../..');

/** VmRSS and VmHWM of a process, in MiB. */
function rssOf(pid: number | undefined): { rss: number; hwm: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

async function sampleRss(pid: number | undefined): Promise<{ rss: number; hwm: number }> {
  const xs: number[] = [];
  let hwm = 0;
  for (let i = 0; i < SAMPLES; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const r = rssOf(pid);
    if (r) {
      xs.push(r.rss);
      hwm = Math.max(hwm, r.hwm);
    }
  }
  return { rss: median(xs), hwm };
}

/** A bare Node process holding one Secret informer (full or metadata), printing its RSS once synced. */
function informerProcess(
  kubeconfig: string,
  mode: 'full' | 'metadata' | 'none',
): Promise<{ rss: number; hwm: number; objects: number }> {
  const script = `
    import { CoreV1Api, KubeConfig, makeInformer } from '@kubernetes/client-node';
    import { metadataSource } from '${path.join(root, 'dist/src/runtime/metadata-source.js')}';
    const kc = new KubeConfig(); kc.loadFromFile(${JSON.stringify(kubeconfig)});
    const mode = ${JSON.stringify(mode)};
    let informer;
    if (mode === 'full') {
      const core = kc.makeApiClient(CoreV1Api);
      informer = makeInformer(kc, '/api/v1/secrets', () => core.listSecretForAllNamespaces());
    } else if (mode === 'metadata') {
      const s = metadataSource({ kc, group: '', version: 'v1', plural: 'secrets' });
      informer = s.makeInformer('/api/v1/secrets', () => s.list(undefined));
    }
    if (informer) await informer.start();
    await new Promise((r) => setTimeout(r, 2000));
    const objects = informer ? informer.list().length : 0;
    const samples = [];
    let hwm = 0;
    for (let i = 0; i < ${SAMPLES}; i++) {
      await new Promise((r) => setTimeout(r, 500));
      const st = (await import('node:fs')).readFileSync('/proc/self/status', 'utf8');
      samples.push(Number(/^VmRSS:\\s+(\\d+)/m.exec(st)[1]) / 1024);
      hwm = Math.max(hwm, Number(/^VmHWM:\\s+(\\d+)/m.exec(st)[1]) / 1024);
    }
    samples.sort((a, b) => a - b);
    process.stdout.write(JSON.stringify({ rss: samples[samples.length >> 1], hwm, objects }) + '\\n');
    if (informer) await informer.stop();
    process.exit(0);
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.on('exit', (code) => {
      try {
        if (code !== 0) throw new Error(`informer process exited ${code}`);
        resolve(
          JSON.parse(out.trim().split('\n').pop() ?? '') as { rss: number; hwm: number; objects: number },
        );
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}

describe(`operator RSS with ${SECRETS} Secrets in the cluster`, () => {
  let k: TestKube;
  let ns: string;
  let sim: Simulator;

  beforeAll(async () => {
    k = testKube();
    ns = await k.freshNamespace('rss-secrets');
    sim = await startTestSimulator();
    const names = Array.from({ length: SECRETS }, (_, i) => `s-${String(i).padStart(5, '0')}`);
    const queue = [...names];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let name = queue.shift(); name !== undefined; name = queue.shift())
          await k.core.createNamespacedSecret({
            namespace: ns,
            body: {
              metadata: { name, labels: { app: 'rss-bench' } },
              data: {
                'tls.crt': randomBytes(Math.floor((BYTES * 3) / 4) - 64).toString('base64'),
                'tls.key': randomBytes(32).toString('base64'),
              },
            },
          });
      }),
    );
  }, 600_000);

  afterAll(async () => {
    await k.core.deleteNamespace({ name: ns }).catch(() => undefined);
    await sim?.close();
  });

  it('prints the RSS without the Secret watch, with it (metadata only), and a full-object informer for comparison', async () => {
    const rows: Cell[][] = [];
    const operator: Record<string, number> = {};
    for (const watch of ['false', 'true'] as const) {
      const op = startOperator({
        kubeconfig: k.kubeconfig,
        simUrl: sim.url,
        namespaces: [],
        args: [`--watch-secrets=${watch}`, '--log-level=info'],
      });
      try {
        await eventually(
          async () => (op.lines.some((l) => l.includes('all caches synced')) ? true : undefined),
          'caches synced',
          120_000,
          200,
        );
        const synced = op.lines.find((l) => l.includes('"informer":"secrets"') && l.includes('cache synced'));
        if (watch === 'true') expect(synced, 'the Secret informer synced').toBeDefined();
        const objects = synced ? ((JSON.parse(synced) as { objects?: number }).objects ?? 0) : 0;
        const r = await sampleRss(op.proc.pid);
        operator[watch] = r.rss;
        rows.push([`operator, --watch-secrets=${watch}`, objects, r.rss, r.hwm]);
      } finally {
        expect(await op.stop()).toBe(0);
      }
    }
    const bare: Record<string, number> = {};
    for (const mode of ['none', 'metadata', 'full'] as const) {
      const r = await informerProcess(k.kubeconfig, mode);
      bare[mode] = r.rss;
      rows.push([
        `bare Node, ${mode === 'none' ? 'no informer' : `${mode} Secret informer`}`,
        r.objects,
        r.rss,
        r.hwm,
      ]);
    }
    printTable(
      `RSS with ${SECRETS} Secrets of ~${BYTES} B of data (${machine()})`,
      ['process', 'Secrets cached', 'RSS MiB (median)', 'peak MiB'],
      rows,
      [
        `the Secret watch costs the operator ${((operator.true ?? 0) - (operator.false ?? 0)).toFixed(1)} MiB`,
        `a metadata informer holds ${((bare.metadata ?? 0) - (bare.none ?? 0)).toFixed(1)} MiB over a bare process; ` +
          `a full-object one ${((bare.full ?? 0) - (bare.none ?? 0)).toFixed(1)} MiB`,
      ],
    );
  }, 600_000);
});
