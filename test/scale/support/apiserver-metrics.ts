/**
 * The apiserver's own count of the requests it served (`apiserver_request_total` on its `/metrics`),
 * for one resource: what the scale benchmark diffs to count the Kubernetes writes the operator made.
 */
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/** Verbs of `apiserver_request_total` that do not write (everything else is counted as a write). */
const READ_VERBS = new Set(['GET', 'LIST', 'WATCH', 'WATCHLIST', 'CONNECT']);

/** Requests to one resource, summed over response codes: key `VERB` (main resource) or `VERB status`. */
export interface RequestSample {
  /** Write requests by key (all response codes). */
  writes: Map<string, number>;
  /** Write requests answered with a non-2xx code, by key. */
  failed: Map<string, number>;
}

/** GETs `/metrics` of the apiserver in `kc`'s current context, authenticated as the kubeconfig's user. */
export async function scrapeApiserver(kc: KubeConfig): Promise<string> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('the kubeconfig has no current cluster');
  const url = new URL('/metrics', server);
  const opts: https.RequestOptions = {
    method: 'GET',
    hostname: url.hostname,
    port: url.port,
    path: url.pathname,
    headers: { Accept: 'text/plain' },
  };
  await kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = https.request(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === 200) resolve(body);
        else reject(new Error(`GET /metrics: HTTP ${res.statusCode ?? '?'}: ${body.slice(0, 200)}`));
      });
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error('GET /metrics timed out')));
    req.end();
  });
}

const SERIES = /^apiserver_request_total\{([^}]*)\}\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The write requests to `group`/`resource` in a `/metrics` text. */
export function parseWrites(text: string, group: string, resource: string): RequestSample {
  const writes = new Map<string, number>();
  const failed = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = SERIES.exec(line);
    if (!m) continue;
    const labels = new Map<string, string>();
    for (const l of (m[1] ?? '').matchAll(LABEL)) labels.set(l[1] ?? '', l[2] ?? '');
    if (labels.get('resource') !== resource || labels.get('group') !== group) continue;
    const verb = labels.get('verb') ?? '';
    if (READ_VERBS.has(verb)) continue;
    const sub = labels.get('subresource') ?? '';
    const key = sub ? `${verb} ${sub}` : verb;
    const n = Number(m[2]);
    if (!Number.isFinite(n)) continue;
    writes.set(key, (writes.get(key) ?? 0) + n);
    if (!/^2\d\d$/.test(labels.get('code') ?? '')) failed.set(key, (failed.get(key) ?? 0) + n);
  }
  return { writes, failed };
}

/** Scrapes and parses in one step. */
export async function sampleWrites(kc: KubeConfig, group: string, resource: string): Promise<RequestSample> {
  return parseWrites(await scrapeApiserver(kc), group, resource);
}

/** `after - before`, key by key (keys absent before count from 0; zero differences are dropped). */
export function diffWrites(before: RequestSample, after: RequestSample): RequestSample {
  const diff = (a: Map<string, number>, b: Map<string, number>): Map<string, number> => {
    const out = new Map<string, number>();
    for (const [k, v] of b) {
      const d = v - (a.get(k) ?? 0);
      if (d !== 0) out.set(k, d);
    }
    return out;
  };
  return { writes: diff(before.writes, after.writes), failed: diff(before.failed, after.failed) };
}

/** Writes to the main resource (metadata: finalizers, annotations) vs to a subresource (`status`). */
export function splitWrites(writes: Map<string, number>): {
  metadata: number;
  status: number;
  other: number;
} {
  let metadata = 0;
  let status = 0;
  let other = 0;
  for (const [k, v] of writes) {
    const sub = k.split(' ')[1];
    if (sub === undefined) metadata += v;
    else if (sub === 'status') status += v;
    else other += v;
  }
  return { metadata, status, other };
}
