/**
 * The call engine under the VPCEP client: builds the URL, signs each attempt, takes a limiter token,
 * sends through the transport, classifies the outcome and retries what may be retried.
 */
import type { Clock } from '../runtime/clock.js';
import type { TokenBucket } from '../runtime/token-bucket.js';
import type { CloudTarget, Credentials } from './credentials.js';
import { normaliseEndpoint } from './credentials.js';
import { DecodeError, parseJson } from './decode.js';
import {
  classifyHttpError,
  CloudError,
  isMaybeAppliedCode,
  isThrottleCode,
  parseErrorBody,
} from './errors.js';
import type { CloudErrorKind } from './errors.js';
import { parseRetryAfter, retryDelay } from './retry.js';
import { canonicalQueryString, encodePath, signRequest } from './signer.js';
import type { QueryParams } from './signer.js';
import { HttpTransport, TransportError } from './transport.js';
import type { HttpResponse } from './transport.js';
import { API_VERSION_PREFIX } from './wire.js';

/**
 * One HTTP attempt, reported to `onCall` after it ends (so a call retried twice reports three events;
 * `final` marks the last one). `code` is the cloud's error code, `kind` the classification on error.
 */
export interface CallEvent {
  operation: string;
  method: string;
  httpStatus?: number;
  code?: string;
  durationMs: number;
  attempt: number;
  requestId?: string;
  outcome: 'ok' | 'error';
  kind?: CloudErrorKind;
  /** True on the attempt that ends the call (success, or the error the caller receives). */
  final: boolean;
}

/** One typed operation: where it goes, what it sends, whether it may be repeated, how to decode. */
export interface CallSpec<T> {
  operation: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Decoded path below `/v1/{project_id}`. */
  path: string;
  query?: QueryParams;
  body?: unknown;
  /** Safe to send again whatever happened to a previous attempt. */
  idempotent: boolean;
  okStatuses?: readonly number[];
  decode: (body: unknown) => T;
}

/** An attempt's error plus whether repeating the request is safe even for a non-idempotent call. */
interface AttemptFailure {
  error: CloudError;
  certainlyNotActed: boolean;
}

type AttemptResult<T> =
  | { ok: true; value: T; httpStatus: number; requestId: string | undefined }
  | ({ ok: false } & AttemptFailure);

/** Code given to a 2xx response whose body does not decode. */
export const INVALID_RESPONSE_CODE = 'Client.InvalidResponse';
const UNKNOWN_NOTE = ' (the create may have been applied: look it up before creating again)';

const header = (res: HttpResponse, name: string): string | undefined => {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Resolved settings of a {@link Caller} (the client fills in the defaults). */
export interface CallerSettings {
  target: CloudTarget;
  credentials: Credentials;
  clock: Clock;
  random: () => number;
  limiter: TokenBucket;
  timeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  signingTime: () => number;
  onCall: ((e: CallEvent) => void) | undefined;
  userAgent: string;
}

/**
 * Executes {@link CallSpec}s. Guarantees per call: every attempt takes one limiter token first and is
 * signed afresh over the same body bytes; a `retryable` failure is retried (full jitter, at least
 * `Retry-After`, at least 2 s after `APIGW.0308`) up to `maxRetries` times when the spec is idempotent
 * or the cloud certainly did not act; a non-idempotent request that may have been applied fails with
 * `unknownOutcome` and is never re-sent; exactly one `onCall` event per attempt.
 */
export class Caller {
  private readonly s: CallerSettings;
  private readonly transport = new HttpTransport();
  private readonly base: URL;

  constructor(settings: CallerSettings) {
    if (!settings.target.projectId) throw new Error('VPCEP client needs a project id');
    this.s = settings;
    this.base = new URL(normaliseEndpoint(settings.target.endpoint));
  }

  /** Destroys the keep-alive agents; in-flight calls fail. */
  close(): void {
    this.transport.close();
  }

  private url(path: string, query: QueryParams | undefined): { signPath: string; url: URL } {
    const prefix = this.base.pathname === '/' ? '' : decodeURIComponent(this.base.pathname);
    const signPath = `${prefix}${API_VERSION_PREFIX}/${this.s.target.projectId}${path}`;
    const qs = canonicalQueryString(query);
    const url = new URL(
      `${this.base.protocol}//${this.base.host}${encodePath(signPath)}${qs ? `?${qs}` : ''}`,
    );
    return { signPath, url };
  }

  /** Runs one call to completion: the decoded value, or a {@link CloudError} (with `attempts`). */
  async call<T>(spec: CallSpec<T>): Promise<T> {
    const { signPath, url } = this.url(spec.path, spec.query);
    // Serialised once: every attempt sends (and hashes) exactly these bytes.
    const body = spec.body === undefined ? undefined : Buffer.from(JSON.stringify(spec.body), 'utf8');
    for (let attempt = 1; ; attempt++) {
      await this.s.limiter.take();
      const started = this.s.clock.now();
      let result: AttemptResult<T>;
      try {
        const res = await this.transport.send({
          method: spec.method,
          url,
          headers: {
            ...this.sign(spec.method, signPath, spec.query, url, body),
            'User-Agent': this.s.userAgent,
          },
          body,
          timeoutMs: this.s.timeoutMs,
          freshConnection: !spec.idempotent,
        });
        result = this.interpret(spec, res);
      } catch (e) {
        result = { ok: false, ...this.transportFailure(spec, e) };
      }
      if (result.ok) {
        this.emit(spec, {
          httpStatus: result.httpStatus,
          requestId: result.requestId,
          started,
          attempt,
          final: true,
        });
        return result.value;
      }
      const err = result.error;
      const canRetry =
        err.kind === 'retryable' &&
        attempt <= this.s.maxRetries &&
        (spec.idempotent || result.certainlyNotActed);
      this.emit(spec, {
        httpStatus: err.httpStatus,
        requestId: err.requestId,
        started,
        attempt,
        final: !canRetry,
        error: err,
      });
      if (!canRetry) throw err.with({ attempts: attempt });
      const delay = retryDelay(err, attempt - 1, {
        baseMs: this.s.retryBaseMs,
        maxMs: this.s.retryMaxMs,
        random: this.s.random,
      });
      if (delay > 0) await this.s.clock.sleep(delay);
    }
  }

  private sign(
    method: string,
    signPath: string,
    query: QueryParams | undefined,
    url: URL,
    body: Buffer | undefined,
  ): Record<string, string> {
    const headers: Record<string, string> = { Host: url.host };
    if (body) headers['Content-Type'] = 'application/json';
    return signRequest({
      method,
      path: signPath,
      query,
      headers,
      body: body ?? '',
      accessKey: this.s.credentials.accessKey,
      secretKey: this.s.credentials.secretKey,
      securityToken: this.s.credentials.securityToken,
      projectId: this.s.target.projectId,
      date: new Date(this.s.signingTime()),
    }).headers;
  }

  /** Interprets a complete response as a decoded success or a classified failure. */
  private interpret<T>(spec: CallSpec<T>, res: HttpResponse): AttemptResult<T> {
    const requestIdHeader = header(res, 'x-request-id');
    const ok = spec.okStatuses ? spec.okStatuses.includes(res.status) : res.status >= 200 && res.status < 300;
    if (ok) {
      try {
        const value = spec.decode(parseJson(res.body, spec.operation));
        return { ok: true, value, httpStatus: res.status, requestId: requestIdHeader };
      } catch (e) {
        const message = e instanceof DecodeError ? e.message : String(e);
        return {
          ok: false,
          error: new CloudError({
            // A write answered 2xx did happen; only what it said was lost.
            kind: spec.idempotent ? 'retryable' : 'unknownOutcome',
            operation: spec.operation,
            message: `${spec.operation}: HTTP ${res.status} with an unreadable body: ${message}`,
            httpStatus: res.status,
            code: INVALID_RESPONSE_CODE,
            requestId: requestIdHeader,
            cause: e,
          }),
          certainlyNotActed: false,
        };
      }
    }
    const parsed = parseErrorBody(res.body);
    const requestId = requestIdHeader ?? parsed.requestId;
    const throttled = res.status === 429 || isThrottleCode(parsed.code);
    let kind = throttled ? 'retryable' : classifyHttpError(res.status, parsed.code);
    let note = '';
    if (!spec.idempotent && !throttled && (res.status >= 500 || isMaybeAppliedCode(parsed.code))) {
      kind = 'unknownOutcome';
      note = UNKNOWN_NOTE;
    }
    const retryAfterMs = parseRetryAfter(header(res, 'retry-after'), this.s.clock.now());
    const codeText = parsed.code ? ` ${parsed.code}` : '';
    return {
      ok: false,
      error: new CloudError({
        kind,
        operation: spec.operation,
        message: `${spec.operation}: HTTP ${res.status}${codeText}: ${parsed.message ?? 'no error message'}${note}`,
        httpStatus: res.status,
        code: parsed.code,
        requestId,
        retryAfterMs,
        encodedAuthorizationMessage: parsed.encodedAuthorizationMessage,
      }),
      certainlyNotActed: throttled,
    };
  }

  private transportFailure<T>(spec: CallSpec<T>, e: unknown): AttemptFailure {
    const te = e instanceof TransportError ? e : undefined;
    const sent = te ? te.mayHaveBeenSent : true;
    const kind: CloudErrorKind = !spec.idempotent && sent ? 'unknownOutcome' : 'retryable';
    const reason = e instanceof Error ? e.message : String(e);
    const note = kind === 'unknownOutcome' ? UNKNOWN_NOTE : '';
    return {
      error: new CloudError({
        kind,
        operation: spec.operation,
        message: `${spec.operation}: ${reason}${note}`,
        code: te?.code,
        cause: e,
      }),
      certainlyNotActed: !sent,
    };
  }

  private emit<T>(
    spec: CallSpec<T>,
    a: {
      httpStatus: number | undefined;
      requestId: string | undefined;
      started: number;
      attempt: number;
      final: boolean;
      error?: CloudError;
    },
  ): void {
    if (!this.s.onCall) return;
    const event: CallEvent = {
      operation: spec.operation,
      method: spec.method,
      durationMs: Math.max(0, this.s.clock.now() - a.started),
      attempt: a.attempt,
      outcome: a.error ? 'error' : 'ok',
      final: a.final,
    };
    if (a.httpStatus !== undefined) event.httpStatus = a.httpStatus;
    if (a.requestId !== undefined) event.requestId = a.requestId;
    if (a.error?.code !== undefined) event.code = a.error.code;
    if (a.error) event.kind = a.error.kind;
    try {
      this.s.onCall(event);
    } catch {
      // Observability must never break a call.
    }
  }
}
