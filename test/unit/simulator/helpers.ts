/**
 * Test helpers: a tiny independent SDK-HMAC-SHA256 signer (written from vpcep-api.md §6.1, sharing no
 * code with the simulator's verifier or the client's signer) and a raw `node:http` caller.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { ManualClock } from '../../../src/util/clock.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../../src/simulator/index.js';

export const AK = 'TESTAK0123456789';
export const SK = 'test-secret-key-0123456789';
export const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
export const VPC = '4189d3c2-8882-4871-a3c2-d380272eed80';
export const PORT = '4189d3c2-8882-4871-a3c2-d380272eed88';

/** A fresh v4-looking UUID for ports and VPCs. */
export function uuid(): string {
  return randomUUID();
}

function enc(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** Options of one raw call. */
export interface CallOptions {
  method: string;
  /** Path below the host, decoded, e.g. `/v1/p/vpc-endpoint-services`. */
  path: string;
  query?: Record<string, string | number>;
  body?: unknown;
  /** Raw bytes to send instead of JSON.stringify(body). */
  rawBody?: string;
  /** Sign these bytes but send `rawBody`/body (to simulate tampering). */
  signedBody?: string;
  ak?: string;
  sk?: string;
  /** Epoch ms written to X-Sdk-Date (default: now). */
  now?: number;
  headers?: Record<string, string>;
  /** Do not add an Authorization header. */
  unsigned?: boolean;
  /** Override the signature hex. */
  signature?: string;
}

/** The outcome of a call: status, headers and parsed JSON (or the transport error code). */
export interface CallResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: Record<string, unknown>;
  errorCode?: string;
}

/** Sends one signed request to the simulator at `base`. */
export function call(base: string, o: CallOptions): Promise<CallResult> {
  const url = new URL(base);
  const host = url.host;
  const pathEnc = o.path.split('/').map(enc).join('/');
  const pairs = Object.entries(o.query ?? {}).map(([k, v]) => [enc(k), enc(String(v))] as const);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1));
  const qs = pairs.map(([k, v]) => `${k}=${v}`).join('&');
  const bodyText = o.rawBody ?? (o.body === undefined ? '' : JSON.stringify(o.body));
  const date = new Date(o.now ?? Date.now())
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const headers: Record<string, string> = { Host: host, 'X-Sdk-Date': date, ...(o.headers ?? {}) };
  if (bodyText !== '') headers['Content-Type'] = 'application/json';
  if (!o.unsigned) {
    const signed = Object.keys(headers)
      .map((h) => h.toLowerCase())
      .sort();
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v.trim()]));
    const canonical = [
      o.method,
      pathEnc.endsWith('/') ? pathEnc : pathEnc + '/',
      qs,
      signed.map((h) => `${h}:${lower[h]}\n`).join(''),
      signed.join(';'),
      createHash('sha256')
        .update(o.signedBody ?? bodyText)
        .digest('hex'),
    ].join('\n');
    const sts = `SDK-HMAC-SHA256\n${date}\n${createHash('sha256').update(canonical).digest('hex')}`;
    const sig =
      o.signature ??
      createHmac('sha256', o.sk ?? SK)
        .update(sts)
        .digest('hex');
    headers.Authorization = `SDK-HMAC-SHA256 Access=${o.ak ?? AK}, SignedHeaders=${signed.join(';')}, Signature=${sig}`;
  }
  return new Promise((resolve) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: o.method,
        path: pathEnc + (qs ? `?${qs}` : ''),
        headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e: NodeJS.ErrnoException) =>
          resolve({ status: 0, headers: {}, text: '', json: {}, errorCode: e.code ?? 'ERR' }),
        );
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> = {};
          try {
            json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
          } catch {
            json = {};
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) =>
      resolve({ status: 0, headers: {}, text: '', json: {}, errorCode: e.code ?? 'ERR' }),
    );
    req.end(bodyText);
  });
}

/** Sends an unsigned request to a `/_sim/` control route. */
export function control(base: string, method: string, path: string, body?: unknown): Promise<CallResult> {
  return call(base, { method, path, body, unsigned: true });
}

/** A simulator on a ManualClock set to real time (so signatures made with Date.now() verify). */
export interface Harness {
  sim: Simulator;
  clock: ManualClock;
  /** Signed call with the harness clock's time in X-Sdk-Date. */
  api(o: CallOptions): Promise<CallResult>;
  /** Path below `/v1/{PROJECT}`. */
  p(rest: string): string;
}

/** Starts a simulator for a test; the caller closes `sim`. */
export async function harness(extra: Partial<SimulatorOptions> = {}): Promise<Harness> {
  const clock = new ManualClock(Date.now());
  const sim = await startSimulator({
    accessKey: AK,
    secretKey: SK,
    projectId: PROJECT,
    createDelayMs: 1000,
    deleteDelayMs: 1000,
    clock,
    ...extra,
  });
  return {
    sim,
    clock,
    api: (o) => call(sim.url, { now: clock.now(), ...o }),
    p: (rest) => `/v1/${PROJECT}${rest}`,
  };
}

/** A valid create body; `over` replaces fields (undefined removes one). */
export function createBody(over: Record<string, unknown> = {}): Record<string, unknown> {
  const b: Record<string, unknown> = {
    port_id: PORT,
    vpc_id: VPC,
    server_type: 'VM',
    approval_enabled: false,
    service_type: 'interface',
    service_name: 'svc1',
    ports: [{ client_port: 8080, server_port: 90, protocol: 'TCP' }],
    ...over,
  };
  for (const [k, v] of Object.entries(b)) if (v === undefined) delete b[k];
  return b;
}

/** Creates a service and lets it become `available`; returns its wire form. */
export async function createAvailable(
  h: Harness,
  over: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const r = await h.api({ method: 'POST', path: h.p('/vpc-endpoint-services'), body: createBody(over) });
  if (r.status !== 200) throw new Error(`create failed: ${r.text}`);
  await h.clock.advance(1000);
  const g = await h.api({ method: 'GET', path: h.p(`/vpc-endpoint-services/${String(r.json.id)}`) });
  if (g.json.status !== 'available') throw new Error(`not available: ${g.text}`);
  return g.json;
}
