// Small in-memory fakes of the Kubernetes APIs and helpers shared by the runtime unit tests.
import { Writable } from 'node:stream';
import { ApiException, type V1Lease } from '@kubernetes/client-node';
import { createLogger, type Logger } from '../../../src/runtime/logging.js';
import type { LeaseClient } from '../../../src/runtime/leader-election.js';

/** An `ApiException` as client-node 1.4 throws it: `.code`, and `.body` as the raw Status JSON text. */
export function apiError(code: number, reason = 'Error', message = `HTTP ${code}`): ApiException<string> {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code });
  return new ApiException<string>(code, `HTTP-Code: ${code}`, body, {});
}

/** A logger writing JSON lines into memory. */
export function memoryLogger(level = 'debug'): {
  log: Logger;
  lines: () => Record<string, unknown>[];
  text: () => string;
} {
  const chunks: string[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const log = createLogger({ level, destination: dest });
  const text = (): string => chunks.join('');
  const lines = (): Record<string, unknown>[] =>
    text()
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, lines, text };
}

/** A deferred promise. */
export function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
} {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * A Lease store with apiserver semantics: create → 409 if it exists; replace → 409 on a stale
 * resourceVersion; read → 404 if absent. Bodies are JSON round-tripped like the wire does.
 */
export class FakeLeaseStore {
  lease: V1Lease | undefined;
  rv = 0;
  writes: V1Lease[] = [];
  /** Set to make every call fail with this (or hang forever with 'hang'). */
  fail: Error | 'hang' | undefined;
  /** Called before a replace is applied (to simulate a racing writer). */
  beforeReplace: (() => void) | undefined;

  private check(): Promise<void> | undefined {
    if (this.fail === 'hang') return new Promise<void>(() => undefined);
    if (this.fail) return Promise.reject(this.fail);
    return undefined;
  }

  /** Writes as another candidate would (bumps the resourceVersion). */
  put(spec: NonNullable<V1Lease['spec']>): void {
    this.rv++;
    this.lease = JSON.parse(
      JSON.stringify({
        metadata: { name: 'lease', namespace: 'ns', resourceVersion: String(this.rv) },
        spec,
      }),
    ) as V1Lease;
  }

  client(): LeaseClient {
    return {
      readNamespacedLease: async () => {
        await (this.check() ?? Promise.resolve());
        if (!this.lease) throw apiError(404, 'NotFound');
        return JSON.parse(JSON.stringify(this.lease)) as V1Lease;
      },
      createNamespacedLease: async ({ body }) => {
        await (this.check() ?? Promise.resolve());
        if (this.lease) throw apiError(409, 'AlreadyExists');
        this.rv++;
        const wire = JSON.parse(JSON.stringify(body)) as V1Lease;
        wire.metadata = { ...wire.metadata, resourceVersion: String(this.rv) };
        this.lease = wire;
        this.writes.push(wire);
        return JSON.parse(JSON.stringify(wire)) as V1Lease;
      },
      replaceNamespacedLease: async ({ body }) => {
        await (this.check() ?? Promise.resolve());
        this.beforeReplace?.();
        if (!this.lease) throw apiError(404, 'NotFound');
        if (body.metadata?.resourceVersion !== this.lease.metadata?.resourceVersion)
          throw apiError(409, 'Conflict');
        this.rv++;
        const wire = JSON.parse(JSON.stringify(body)) as V1Lease;
        wire.metadata = { ...wire.metadata, resourceVersion: String(this.rv) };
        this.lease = wire;
        this.writes.push(wire);
        return JSON.parse(JSON.stringify(wire)) as V1Lease;
      },
    };
  }
}

/** The summed value of matching series (histograms: their `_count`) in a registry; 0 if absent. */
export async function metricValue(
  registry: import('prom-client').Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const all = await registry.getMetricsAsJSON();
  const m = all.find((x) => x.name === name);
  if (!m) return 0;
  const series = m.values.filter((v) => {
    const mn = (v as { metricName?: string }).metricName;
    if (mn !== undefined && mn !== name && mn !== `${name}_count`) return false;
    return Object.entries(labels).every(
      ([k, val]) => String((v.labels as Record<string, unknown>)[k]) === val,
    );
  });
  return series.reduce((s, v) => s + v.value, 0);
}
