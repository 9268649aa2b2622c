/**
 * The HTTP front of the simulator: request ids, routing, authentication, the project check,
 * throttling and faults, then the operation.
 *
 * Per request: every response carries `X-Request-Id`; `/_sim/` goes to the test controls (loopback
 * peers only); the IAM token routes go to `iam.ts` (no signature, not counted as VPCEP operations);
 * an unknown method/path is 404 `APIGW.0101` (before authentication, as at the gateway);
 * the call is counted; AK/SK or token authentication (401 `APIGW.0301`); a path project id other
 * than the caller's is 400 `EndPoint.0014`; then throttle and faults (see `faults.ts`); then the handler.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../util/clock.js';
import type { ApiConfig } from './api.js';
import {
  authenticate,
  headerValue,
  type SignedRequestParts,
  type SimCredential,
  type SimToken,
} from './auth.js';
import { handleControl, isLoopback, type SimulatorControls } from './controls.js';
import { errorBody, paramError, SimError, vpcepError, type ErrorShape } from './errors.js';
import type { FaultEngine } from './faults.js';
import { SimIam } from './iam.js';
import { matchRoute } from './routes.js';
import type { SimState } from './state.js';

/** Largest accepted request body. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Everything the request listener works with. */
export interface ServerDeps {
  state: SimState;
  faults: FaultEngine;
  config: ApiConfig;
  credentials: readonly SimCredential[];
  tokens: readonly SimToken[];
  clock: Clock;
  counters: Map<string, number>;
  controls: SimulatorControls;
  /** The IAM token routes (`POST /v3/auth/tokens`, `POST /v3.0/OS-AUTH/id-token/tokens`). */
  iam: SimIam;
  /** Where unexpected failures are reported (stderr by default). */
  logError: (msg: string) => void;
}

function send(res: ServerResponse, status: number, body: unknown, requestId: string): void {
  if (res.writableEnded || res.destroyed) return;
  const headers: Record<string, string | number> = { 'X-Request-Id': requestId };
  if (status === 204 || body === undefined) {
    if (status !== 204) headers['Content-Length'] = 0;
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const payload = JSON.stringify(body);
  headers['Content-Type'] = 'application/json;charset=UTF-8';
  headers['Content-Length'] = Buffer.byteLength(payload);
  res.writeHead(status, headers);
  res.end(payload);
}

function sendError(
  res: ServerResponse,
  err: SimError,
  requestId: string,
  shape: ErrorShape,
  retryAfter?: string,
): void {
  if (retryAfter !== undefined) res.setHeader('Retry-After', retryAfter);
  send(res, err.status, errorBody(err, requestId, shape), requestId);
}

function drop(req: IncomingMessage): void {
  const s = req.socket;
  if (typeof s.resetAndDestroy === 'function') s.resetAndDestroy();
  else s.destroy();
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(tooBig ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw paramError('The body is not valid JSON.');
  }
}

/** Builds the `node:http` request listener. Never throws; unexpected failures answer 500 `EndPoint.0001`. */
export function createRequestListener(d: ServerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const requestId = randomUUID().replace(/-/g, '');
    handle(d, req, res, requestId).catch((e: unknown) => {
      d.logError(`vpcep-simulator: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      sendError(res, vpcepError('EndPoint.0001'), requestId, 'flat');
    });
  };
}

async function handle(
  d: ServerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
): Promise<void> {
  const rawUrl = req.url ?? '/';
  const method = (req.method ?? 'GET').toUpperCase();
  const q = rawUrl.indexOf('?');
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));
  const body = await readBody(req);
  if (body === undefined) {
    sendError(res, new SimError(413, 'APIGW.0201', 'Request entity too large.'), requestId, 'flat');
    return;
  }

  if (path === '/_sim' || path.startsWith('/_sim/')) {
    if (!isLoopback(req.socket.remoteAddress)) {
      sendError(
        res,
        new SimError(403, 'APIGW.0302', 'Test controls answer loopback clients only.'),
        requestId,
        'flat',
      );
      return;
    }
    try {
      const r = handleControl(d.controls, method, path, query, parseJson(body));
      send(res, r.status, r.body, requestId);
    } catch (e) {
      if (!(e instanceof SimError)) throw e;
      sendError(res, e, requestId, 'flat');
    }
    return;
  }

  if (SimIam.handles(method, path)) {
    const headers: Array<[string, string]> = [];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
      headers.push([req.rawHeaders[i] ?? '', req.rawHeaders[i + 1] ?? '']);
    const r = d.iam.handle(path, headers, body);
    for (const [k, v] of Object.entries(r.headers)) res.setHeader(k, v);
    send(res, r.status, r.body, requestId);
    return;
  }

  const route = matchRoute(method, path);
  if (!route) {
    sendError(
      res,
      new SimError(404, 'APIGW.0101', 'The API does not exist or has not been published in the environment.'),
      requestId,
      'flat',
    );
    return;
  }
  d.counters.set(route.op, (d.counters.get(route.op) ?? 0) + 1);
  const shape = (): ErrorShape => d.faults.shape();
  try {
    const headers: Array<[string, string]> = [];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
      headers.push([req.rawHeaders[i] ?? '', req.rawHeaders[i + 1] ?? '']);
    const parts: SignedRequestParts = { method, rawUrl, headers, body };
    const caller = authenticate(parts, d.credentials, d.tokens, d.clock.now());
    const headerProject = headerValue(headers, 'x-project-id');
    if (
      route.projectId !== caller.projectId ||
      (headerProject !== undefined && headerProject !== caller.projectId)
    )
      throw vpcepError('EndPoint.0014', 'The project id does not match the credentials.');

    const pre = d.faults.before(route.op, `${path} ${body?.toString('utf8') ?? ''}`);
    if (pre.kind === 'reset') return drop(req);
    if (pre.kind === 'error') return sendError(res, pre.error, requestId, pre.shape, pre.retryAfter);
    if (pre.latencyMs > 0) await d.clock.sleep(pre.latencyMs);

    const result = route.handler({
      state: d.state,
      config: d.config,
      caller,
      projectId: route.projectId,
      params: route.params,
      query,
      body: parseJson(body),
    });
    const post = d.faults.after(route.op);
    if (post.holdMs > 0) await d.clock.sleep(post.holdMs);
    if (post.action === 'reset') return drop(req);
    if (post.action === '504') return sendError(res, vpcepError('EndPoint.0013'), requestId, shape());
    send(res, result.status, result.body, requestId);
  } catch (e) {
    if (!(e instanceof SimError)) throw e;
    sendError(res, e, requestId, shape());
  }
}
