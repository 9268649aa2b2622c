/**
 * The call engine under the VPCEP client: builds the URL, takes a limiter token, has the credential
 * provider authenticate each attempt (AK/SK signature or IAM token), sends through the transport,
 * classifies the outcome and retries what may be retried.
 */
import type { Clock } from '../util/clock.js';
import type { TokenBucket } from '../util/token-bucket.js';
import type { CredentialProvider } from './auth/provider.js';
import type { CloudTarget } from './credentials.js';
import { normaliseEndpoint } from './credentials.js';
import { CloudError } from './errors.js';
import type { CloudErrorKind } from './errors.js';
import { PROJECT_ID_RULE, isSafeProjectId, quoteForMessage } from './ids.js';
import { retryDelay } from './retry.js';
import { canonicalQueryString, encodePath } from './signer.js';
import type { QueryParams } from './signer.js';
import {
  ABORTED_CODE,
  abortReason,
  INVALID_ID_CODE,
  interpretResponse,
  transportFailure,
  type AttemptFailure,
  type AttemptResult,
} from './outcome.js';
import { HttpTransport } from './transport.js';
import { API_VERSION_PREFIX } from './wire.js';

export {
  ABORTED_CODE,
  HEADER_TOO_LARGE_CODE,
  INVALID_HEADER_CODE,
  INVALID_ID_CODE,
  INVALID_RESPONSE_CODE,
  REDIRECT_CODE,
} from './outcome.js';

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
 * - a throttled answer (`APIGW.0308`, `EndPoint.0022`) slows the shared limiter down (TokenBucket
 *   `slowDown`: every client of the identity, not only this call);
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
      // Refused as over the quota: every call of this identity slows down, not only this one's retry.
      if (err.throttled) this.s.limiter.slowDown();
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
      return { result: interpretResponse(spec, res, this.s.clock.now(), this.s.retryMaxMs), sentHeaders };
    } catch (e) {
      return { result: { ok: false, ...transportFailure(spec, e, signal) }, sentHeaders };
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
