/**
 * The call engine under the VPCEP client: builds the URL, takes a limiter token, has the credential
 * provider authenticate each attempt (AK/SK signature or IAM token), sends through the transport,
 * classifies the outcome and retries what may be retried.
 */
import type { Clock } from '../runtime/clock.js';
import type { TokenBucket } from '../runtime/token-bucket.js';
import type { CredentialProvider } from './auth/provider.js';
import type { CloudTarget } from './credentials.js';
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
import { PROJECT_ID_RULE, isSafeProjectId, quoteForMessage } from './ids.js';
import { capRetryAfter, parseRetryAfter, retryDelay } from './retry.js';
import { canonicalQueryString, encodePath } from './signer.js';
import type { QueryParams } from './signer.js';
import { HttpTransport, TransportError } from './transport.js';
import type { HttpResponse } from './transport.js';
import { API_VERSION_PREFIX } from './wire.js';

/**
 * One HTTP attempt, reported to `onCall` after it ends (so a call retried twice reports three events;
 * `final` marks the last one). `code` is the cloud's error code, `kind` the classification on error.
 * An attempt begins when it starts waiting (for its limiter token, or in the backoff sleep before it);
 * one aborted during such a wait is reported too (code {@link ABORTED_CODE}, kind `aborted`, no
 * `httpStatus`, `final`) although no request was sent for it.
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

/**
 * Per-call options, accepted as the last argument of every public client method and of
 * {@link Caller.call}. `signal`: when it aborts, the call stops wherever it is waiting (limiter token,
 * HTTP exchange, backoff sleep), is never retried, and rejects with kind `aborted`, code
 * {@link ABORTED_CODE}, or with kind `unknownOutcome` for a non-idempotent call (the create) whose
 * request may already have been sent.
 */
export interface CallOptions {
  signal?: AbortSignal;
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
  /**
   * Checks a decoded value against the request (e.g. that a GET answered for the id asked for).
   * Returns `undefined` when it fits, else what is wrong; the call then fails like an unreadable body.
   */
  check?: (value: T) => string | undefined;
}

/** An attempt's error plus whether repeating the request is safe even for a non-idempotent call. */
interface AttemptFailure {
  error: CloudError;
  certainlyNotActed: boolean;
}

type AttemptResult<T> =
  | { ok: true; value: T; httpStatus: number; requestId: string | undefined }
  | ({ ok: false } & AttemptFailure);

/** Code given to a 2xx response whose body does not decode, or answers for another resource. */
export const INVALID_RESPONSE_CODE = 'Client.InvalidResponse';
/** Code of a call refused before sending because an id for the URL path is not a valid cloud id. */
export const INVALID_ID_CODE = 'Client.InvalidId';
/** Code of an HTTP 431 answer (request headers too large: usually a malformed key or token). */
export const HEADER_TOO_LARGE_CODE = 'Client.HeaderTooLarge';
/** Code of any 3xx answer (never followed: the endpoint is probably wrong). */
export const REDIRECT_CODE = 'Client.Redirect';
/**
 * Code of a call ended by its caller's `signal` (kind `aborted`, or `unknownOutcome` for a create whose
 * request may have been sent).
 */
export const ABORTED_CODE = 'Client.Aborted';
/** Code of a request Node refused to build because a header value holds forbidden characters. */
export const INVALID_HEADER_CODE = 'Client.InvalidHeader';

/** Node's codes for a header name or value it refuses to put on the wire. */
const INVALID_HEADER_NODE_CODES: ReadonlySet<string> = new Set([
  'ERR_INVALID_CHAR',
  'ERR_HTTP_INVALID_HEADER_VALUE',
  'ERR_INVALID_HTTP_TOKEN',
]);
const UNKNOWN_NOTE = ' (the create may have been applied: look it up before creating again)';

const errorCode = (e: unknown): string | undefined => {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
};

/** ` (reason)` from an aborted signal's reason, when it says something; never throws. */
function abortReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  const text = r instanceof Error ? r.message : typeof r === 'string' ? r : '';
  return text && text !== 'This operation was aborted' ? ` (${quoteForMessage(text, 200)})` : '';
}

const header = (res: HttpResponse, name: string): string | undefined => {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Resolved settings of a {@link Caller} (the client fills in the defaults). */
export interface CallerSettings {
  target: CloudTarget;
  /** Authenticates every attempt (AK/SK signing, IAM token). */
  provider: CredentialProvider;
  clock: Clock;
  random: () => number;
  limiter: TokenBucket;
  timeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Longest backoff slept inside a call; a longer one ends the call with `retryAfterMs` set. */
  maxInlineWaitMs: number;
  signingTime: () => number;
  onCall: ((e: CallEvent) => void) | undefined;
  userAgent: string;
}

/**
 * Executes {@link CallSpec}s. Guarantees per call:
 * - every attempt takes one limiter token first and is then authenticated afresh by the provider over
 *   the same body bytes; a provider refusal (expired temporary credentials, IAM refusing the password
 *   or ID token) ends the call with that error (operation renamed, attempts stamped) and nothing is
 *   sent for that attempt; a `retryable` one (IAM unreachable) is retried like any failure that
 *   certainly did not act;
 * - an HTTP 401 answer with a `refreshable` provider (IAM token) invalidates that token and retries once
 *   at once, whatever the spec's idempotency (the gateway refused before anything was acted on);
 * - the request goes to exactly the path built under `/v1/{project_id}`: a path the URL parser would
 *   rewrite (a `.` or `..` segment) is refused with kind `terminal`, code {@link INVALID_ID_CODE},
 *   before any token is taken or byte sent; the project id is checked at construction;
 * - a `retryable` failure is retried (full jitter, at least `Retry-After` capped at `retryMaxMs`, at
 *   least 2 s after `APIGW.0308`) up to `maxRetries` times when the spec is idempotent or the cloud
 *   certainly did not act; a wait longer than `maxInlineWaitMs` is not slept: the error is returned at
 *   once (kind `retryable`, `attempts` stamped, `retryAfterMs` = that wait) for the caller to requeue;
 * - a non-idempotent request that may have been applied fails with `unknownOutcome` and is never re-sent;
 * - a 2xx is the only success; a 3xx is `terminal` {@link REDIRECT_CODE} (never followed), a 431 is
 *   `auth` {@link HEADER_TOO_LARGE_CODE}, a header Node refuses is `auth` {@link INVALID_HEADER_CODE};
 * - exactly one `onCall` event per attempt;
 * - `opts.signal` is honoured everywhere the call can wait. Already aborted at the start: rejects at
 *   once (kind `aborted`, code {@link ABORTED_CODE}, `attempts: 0`), no token taken, nothing sent, no
 *   event. Aborted while waiting for a limiter token (the token is given back) or in a backoff sleep:
 *   rejects `aborted`, nothing more sent. Aborted during an HTTP exchange: the request and its socket
 *   are destroyed and the call rejects `aborted`, or `unknownOutcome` (same code) when the call is not
 *   idempotent and the request may have been sent. An aborted call is never retried, and its last
 *   attempt is reported with `final: true` and that kind. A response that completed before the abort
 *   is used as usual (a success stays a success; an error answer ends the call as that error).
 */
export class Caller {
  private readonly s: CallerSettings;
  private readonly transport = new HttpTransport();
  private readonly base: URL;

  /** Throws an `Error` when the project id is not 1–64 of `[A-Za-z0-9_-]` or the endpoint is invalid. */
  constructor(settings: CallerSettings) {
    if (!settings.target.projectId) throw new Error('VPCEP client needs a project id');
    if (!isSafeProjectId(settings.target.projectId))
      throw new Error(
        `VPCEP client: the project id ${quoteForMessage(settings.target.projectId)} is invalid (expected ${PROJECT_ID_RULE})`,
      );
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
  async call<T>(spec: CallSpec<T>, opts: CallOptions = {}): Promise<T> {
    const signal = opts.signal;
    const { signPath, url } = this.url(spec.path, spec.query);
    // Second line behind the client's id checks: the WHATWG parser collapses `.`/`..` segments (also
    // `%2e%2e`), which would send the request somewhere other than the path that was built and signed.
    if (url.pathname !== encodePath(signPath) || spec.path.split('/').some((seg) => /^\.\.?$/.test(seg)))
      throw new CloudError({
        kind: 'terminal',
        operation: spec.operation,
        message: `${spec.operation}: refused to send: the path ${quoteForMessage(spec.path)} is not a valid resource path`,
        code: INVALID_ID_CODE,
        attempts: 0,
      });
    if (signal?.aborted) throw this.abortError(spec, signal, 'before it was sent', 0);
    // Serialised once: every attempt sends (and hashes) exactly these bytes.
    const body = spec.body === undefined ? undefined : Buffer.from(JSON.stringify(spec.body), 'utf8');
    // When the attempt (including the backoff sleep before it) began waiting.
    let waitStarted = this.s.clock.now();
    let authRefreshed = false;
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw this.abortedWaiting(spec, signal, 'before a retry', attempt, waitStarted);
      try {
        await this.s.limiter.take(signal);
      } catch (e) {
        if (signal?.aborted)
          throw this.abortedWaiting(
            spec,
            signal,
            'while waiting for a rate-limit token',
            attempt,
            waitStarted,
          );
        throw e;
      }
      const started = this.s.clock.now();
      const { result, sentHeaders } = await this.attempt(spec, signPath, url, body, signal);
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
      // A refused IAM token: drop it and retry once, at once (the gateway acted on nothing).
      if (
        !authRefreshed &&
        sentHeaders !== undefined &&
        err.httpStatus === 401 &&
        this.s.provider.refreshable
      ) {
        authRefreshed = true;
        this.s.provider.invalidate(sentHeaders);
        this.emit(spec, {
          httpStatus: err.httpStatus,
          requestId: err.requestId,
          started,
          attempt,
          final: false,
          error: err,
        });
        waitStarted = this.s.clock.now();
        continue;
      }
      const mayRepeat =
        err.kind === 'retryable' &&
        attempt <= this.s.maxRetries &&
        (spec.idempotent || result.certainlyNotActed);
      const delay = mayRepeat
        ? retryDelay(err, attempt - 1, {
            baseMs: this.s.retryBaseMs,
            maxMs: this.s.retryMaxMs,
            random: this.s.random,
          })
        : 0;
      // A long wait is not slept here (it would hold a worker): the caller requeues after it instead.
      const handBack = mayRepeat && delay > this.s.maxInlineWaitMs;
      const canRetry = mayRepeat && !handBack;
      this.emit(spec, {
        httpStatus: err.httpStatus,
        requestId: err.requestId,
        started,
        attempt,
        final: !canRetry,
        error: err,
      });
      if (handBack)
        throw err.with({
          attempts: attempt,
          retryAfterMs: delay,
          message: `${err.message} (next attempt due in ${Math.ceil(delay / 1000)} s; not waited for inline)`,
        });
      if (!canRetry) throw err.with({ attempts: attempt });
      waitStarted = this.s.clock.now();
      if (delay > 0) {
        try {
          await this.s.clock.sleep(delay, signal);
        } catch (e) {
          if (signal?.aborted)
            throw this.abortedWaiting(
              spec,
              signal,
              'during the backoff before a retry',
              attempt + 1,
              waitStarted,
            );
          throw e;
        }
      }
    }
  }

  /**
   * The error of a call its signal ended while nothing of it was in flight (so kind `aborted`, even
   * for a create: any earlier attempt of a create was certainly not acted on, or it would not retry).
   */
  private abortError<T>(spec: CallSpec<T>, signal: AbortSignal, when: string, attempts: number): CloudError {
    return new CloudError({
      kind: 'aborted',
      operation: spec.operation,
      message: `${spec.operation}: aborted by the caller ${when}${abortReason(signal)}`,
      code: ABORTED_CODE,
      attempts,
      cause: signal.reason,
    });
  }

  /** {@link abortError} for attempt `attempt`, aborted while waiting: reported as that attempt's final event. */
  private abortedWaiting<T>(
    spec: CallSpec<T>,
    signal: AbortSignal,
    when: string,
    attempt: number,
    started: number,
  ): CloudError {
    const err = this.abortError(spec, signal, when, attempt - 1);
    this.emit(spec, {
      httpStatus: undefined,
      requestId: undefined,
      started,
      attempt,
      final: true,
      error: err,
    });
    return err;
  }

  /**
   * One attempt: authenticate, then send. `sentHeaders` is what the provider produced (absent when it
   * refused, in which case nothing was sent).
   */
  private async attempt<T>(
    spec: CallSpec<T>,
    signPath: string,
    url: URL,
    body: Buffer | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ result: AttemptResult<T>; sentHeaders?: Record<string, string> }> {
    const base: Record<string, string> = { Host: url.host };
    if (body) base['Content-Type'] = 'application/json';
    let sentHeaders: Record<string, string>;
    try {
      sentHeaders = await this.s.provider.authenticate({
        method: spec.method,
        url,
        path: signPath,
        query: spec.query,
        headers: base,
        body,
        projectId: this.s.target.projectId,
        date: new Date(this.s.signingTime()),
        signal,
      });
    } catch (e) {
      return { result: { ok: false, ...this.authFailure(spec, e, signal) } };
    }
    try {
      const res = await this.transport.send({
        method: spec.method,
        url,
        headers: { ...sentHeaders, 'User-Agent': this.s.userAgent },
        body,
        timeoutMs: this.s.timeoutMs,
        freshConnection: !spec.idempotent,
        signal,
      });
      return { result: this.interpret(spec, res), sentHeaders };
    } catch (e) {
      return { result: { ok: false, ...this.transportFailure(spec, e, signal) }, sentHeaders };
    }
  }

  /**
   * A provider's refusal as this call's error: nothing was sent, so it certainly did not act. Its
   * HTTP status and request id (IAM's, not VPCEP's) move into the message; an error that is not a
   * `CloudError` (a faulty provider) becomes kind `auth` without its text, which might hold a secret.
   */
  private authFailure<T>(spec: CallSpec<T>, e: unknown, signal: AbortSignal | undefined): AttemptFailure {
    if (signal?.aborted || (e instanceof CloudError && e.kind === 'aborted'))
      return {
        error: new CloudError({
          kind: 'aborted',
          operation: spec.operation,
          message: `${spec.operation}: aborted by the caller while authenticating the request${signal ? abortReason(signal) : ''}`,
          code: ABORTED_CODE,
          cause: signal?.reason,
        }),
        certainlyNotActed: true,
      };
    if (!(e instanceof CloudError))
      return {
        error: new CloudError({
          kind: 'auth',
          operation: spec.operation,
          message: `${spec.operation}: the credential provider failed (${e instanceof Error ? e.name : typeof e}); nothing was sent`,
        }),
        certainlyNotActed: true,
      };
    const rid = e.requestId !== undefined ? ` (IAM request id ${e.requestId})` : '';
    return {
      error: new CloudError({
        kind: e.kind,
        operation: spec.operation,
        message: `${spec.operation}: ${e.message}${rid}`,
        code: e.code,
        retryAfterMs: e.retryAfterMs,
      }),
      certainlyNotActed: true,
    };
  }

  /** Interprets a complete response as a decoded success or a classified failure. */
  private interpret<T>(spec: CallSpec<T>, res: HttpResponse): AttemptResult<T> {
    const requestIdHeader = header(res, 'x-request-id');
    const is2xx = res.status >= 200 && res.status < 300;
    const ok = is2xx && (spec.okStatuses ? spec.okStatuses.includes(res.status) : true);
    if (ok) {
      const invalid = (what: string, cause?: unknown): AttemptResult<T> => ({
        ok: false,
        error: new CloudError({
          // A write answered 2xx did happen; only what it said was lost.
          kind: spec.idempotent ? 'retryable' : 'unknownOutcome',
          operation: spec.operation,
          message: `${spec.operation}: HTTP ${res.status} ${what}`,
          httpStatus: res.status,
          code: INVALID_RESPONSE_CODE,
          requestId: requestIdHeader,
          cause,
        }),
        certainlyNotActed: false,
      });
      let value: T;
      try {
        value = spec.decode(parseJson(res.body, spec.operation));
      } catch (e) {
        const message = e instanceof DecodeError ? e.message : String(e);
        return invalid(`with an unreadable body: ${message}`, e);
      }
      const problem = spec.check?.(value);
      if (problem !== undefined) return invalid(`with a mismatched answer: ${problem}`);
      return { ok: true, value, httpStatus: res.status, requestId: requestIdHeader };
    }
    if (res.status >= 300 && res.status < 400) {
      const location = header(res, 'location');
      const where =
        location === undefined ? 'without a Location header' : `to ${quoteForMessage(location, 200)}`;
      return {
        ok: false,
        error: new CloudError({
          kind: 'terminal',
          operation: spec.operation,
          message: `${spec.operation}: HTTP ${res.status} redirect ${where} (not followed): the VPCEP endpoint is probably wrong (check the region or VPCEP_ENDPOINT)`,
          httpStatus: res.status,
          code: REDIRECT_CODE,
          requestId: requestIdHeader,
        }),
        certainlyNotActed: false,
      };
    }
    if (res.status === 431) {
      return {
        ok: false,
        error: new CloudError({
          kind: 'auth',
          operation: spec.operation,
          message: `${spec.operation}: HTTP 431: the request headers were too large, which usually means a malformed access key or security token`,
          httpStatus: res.status,
          code: HEADER_TOO_LARGE_CODE,
          requestId: requestIdHeader ?? parseErrorBody(res.body).requestId,
        }),
        certainlyNotActed: false,
      };
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
    const retryAfterMs = capRetryAfter(
      parseRetryAfter(header(res, 'retry-after'), this.s.clock.now()),
      this.s.retryMaxMs,
    );
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

  private transportFailure<T>(
    spec: CallSpec<T>,
    e: unknown,
    signal: AbortSignal | undefined,
  ): AttemptFailure {
    const te = e instanceof TransportError ? e : undefined;
    if (te?.aborted) {
      const sent = te.mayHaveBeenSent;
      const unknown = !spec.idempotent && sent;
      const where = sent ? 'while the request was in flight' : 'before the request was sent';
      return {
        error: new CloudError({
          kind: unknown ? 'unknownOutcome' : 'aborted',
          operation: spec.operation,
          message: `${spec.operation}: aborted by the caller ${where}${signal ? abortReason(signal) : ''}${unknown ? UNKNOWN_NOTE : ''}`,
          code: ABORTED_CODE,
          cause: signal?.reason ?? e,
        }),
        certainlyNotActed: !sent,
      };
    }
    const nodeCode = te ? te.code : errorCode(e);
    if (nodeCode !== undefined && INVALID_HEADER_NODE_CODES.has(nodeCode)) {
      // Node refused a header before sending: bad credential bytes. Retrying cannot help, and the
      // value (possibly a secret) is kept out of the message and the error chain.
      return {
        error: new CloudError({
          kind: 'auth',
          operation: spec.operation,
          message: `${spec.operation}: the request was not sent: a header holds characters not allowed in HTTP (${nodeCode}), which usually means a malformed access key or security token`,
          code: INVALID_HEADER_CODE,
        }),
        certainlyNotActed: true,
      };
    }
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
