/**
 * A tiny local HTTP server for the cloud client's unit tests (loopback, port 0; not the simulator).
 * It records every request it sees (with an independent SDK-HMAC-SHA256 check) and answers with
 * handlers scripted per test.
 */
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  rawQuery: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json: unknown;
  /** The independent signature check passed. */
  signatureOk: boolean;
  /** Virtual time at arrival, when the test gives the server a clock. */
  at?: number;
}

export type Handler = (seen: Seen, res: ServerResponse, req: IncomingMessage) => void;

export interface FakeCloud {
  url: string;
  port: number;
  seen: Seen[];
  /** Handlers used in order, one per request; after they run out, `fallback` answers. */
  script: Handler[];
  fallback: Handler;
  close(): Promise<void>;
}

/** Verifies SDK-HMAC-SHA256 the way a server would, from what arrived on the wire. */
function verify(
  req: IncomingMessage,
  rawPath: string,
  rawQuery: string,
  body: Buffer,
  secretKey: string,
): boolean {
  const auth = req.headers['authorization'];
  const m = /^SDK-HMAC-SHA256 Access=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
    auth ?? '',
  );
  if (!m) return false;
  const signedHeaders = (m[2] ?? '').split(';');
  const canonicalHeaders = signedHeaders
    .map((h) => {
      const v = req.headers[h];
      return `${h}:${(Array.isArray(v) ? v.join(',') : (v ?? '')).trim()}\n`;
    })
    .join('');
  const pairs = rawQuery === '' ? [] : rawQuery.split('&');
  pairs.sort();
  const uri = rawPath.endsWith('/') ? rawPath : `${rawPath}/`;
  const canonical = [
    req.method,
    uri,
    pairs.join('&'),
    canonicalHeaders,
    signedHeaders.join(';'),
    createHash('sha256').update(body).digest('hex'),
  ].join('\n');
  const sts = `SDK-HMAC-SHA256\n${String(req.headers['x-sdk-date'])}\n${createHash('sha256').update(canonical).digest('hex')}`;
  return createHmac('sha256', secretKey).update(sts).digest('hex') === m[3];
}

export const SECRET_KEY = 'test-secret-key';

export async function startFakeCloud(opts: { now?: () => number; port?: number } = {}): Promise<FakeCloud> {
  const fake: Omit<FakeCloud, 'url' | 'port' | 'close'> = {
    seen: [],
    script: [],
    fallback: (_s, res) => json(res, 500, { error_code: 'Test.NoHandler', error_msg: 'no handler' }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const [rawPath = '', rawQuery = ''] = (req.url ?? '').split('?');
      let parsed: unknown;
      try {
        parsed = body.length ? (JSON.parse(body.toString('utf8')) as unknown) : undefined;
      } catch {
        parsed = undefined;
      }
      const seen: Seen = {
        method: req.method ?? '',
        path: rawPath,
        rawQuery,
        query: new URLSearchParams(rawQuery),
        headers: req.headers,
        body,
        json: parsed,
        signatureOk: verify(req, rawPath, rawQuery, body, SECRET_KEY),
      };
      if (opts.now) seen.at = opts.now();
      fake.seen.push(seen);
      const handler = fake.script.shift() ?? fake.fallback;
      handler(seen, res, req);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const result = fake as FakeCloud;
  result.url = `http://127.0.0.1:${port}`;
  result.port = port;
  result.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return result;
}

/** Answers with a JSON body and optional headers. */
export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': bytes.length, ...headers });
  res.end(bytes);
}

/** A handler answering with a JSON body. */
export const reply =
  (status: number, body?: unknown, headers: Record<string, string> = {}): Handler =>
  (_s, res) => {
    if (body === undefined) {
      res.writeHead(status, headers);
      res.end();
    } else json(res, status, body, headers);
  };

/** A handler that drops the connection after the whole request arrived (no response). */
export const dropConnection: Handler = (_s, _res, req) => {
  req.socket.destroy();
};

/** A handler that never answers. */
export const hang: Handler = () => undefined;

/** Waits (real time, for loopback I/O only) until `cond` holds; fails after `ms`. */
export async function waitFor(cond: () => boolean, what: string, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Observes a promise's settlement without awaiting it. */
export function track<T>(p: Promise<T>): { settled: () => boolean; result: Promise<T> } {
  let done = false;
  const result = p.finally(() => {
    done = true;
  });
  result.catch(() => undefined);
  return { settled: () => done, result };
}

import { ManualClock } from '../../../src/util/clock.js';
import { VpcepClient } from '../../../src/cloud/client.js';
import { CloudError } from '../../../src/cloud/errors.js';
import { expect } from 'vitest';
import type { CallEvent, VpcepClientOptions } from '../../../src/cloud/client.js';

export const PROJECT = 'proj-1';
export const SVC_ID = '4189d3c2-8882-4871-a3c2-d380272eed83';

/** A distinct, valid cloud id (UUID) per `n`, for list fixtures. */
export const uuidFor = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/** A client on virtual time pointing at `fake`; jitter 0 unless overridden; generous limiter. */
export function makeClient(
  fake: FakeCloud,
  over: Partial<VpcepClientOptions> = {},
): { client: VpcepClient; clock: ManualClock; events: CallEvent[] } {
  const clock = over.clock instanceof ManualClock ? over.clock : new ManualClock();
  const events: CallEvent[] = [];
  const client = new VpcepClient({
    target: { endpoint: fake.url, projectId: PROJECT },
    credentials: { accessKey: 'test-ak', secretKey: SECRET_KEY },
    clock,
    random: () => 0,
    qps: 1000,
    burst: 1000,
    maxRetries: 3,
    timeoutMs: 3_000,
    onCall: (e) => events.push(e),
    ...over,
  });
  return { client, clock, events };
}

/** Awaits `p`, expects it to reject with a {@link CloudError}, and returns that error. */
export async function rejection(p: Promise<unknown>): Promise<CloudError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CloudError);
    return e as CloudError;
  }
  throw new Error('expected a rejection');
}
