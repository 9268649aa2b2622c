/**
 * The cloud error model: every failed call becomes a {@link CloudError} with a kind the reconciler
 * switches on. Classification follows docs/vpcep-api.md §5, by code first (compared case-insensitively)
 * and by HTTP status only when the code is unknown or absent.
 */

/**
 * - `retryable`: back off and try again (throttling, 5xx, transient states, transport failures).
 * - `terminal`: the spec, quota or request must change (parameter errors, conflicts, quota, wrong URL).
 * - `notFound`: the resource is gone (`EndPoint.0005` only; never a gateway or networking 404).
 * - `inUse`: the service still has connections (`EndPoint.3006`); retry slowly, surface a condition.
 * - `auth`: credentials, signature, clock skew or permissions; retrying cannot help.
 * - `unknownOutcome`: a create may or may not have happened; look the service up before creating again.
 * - `aborted`: the caller gave up (its signal aborted); nothing to decide: the next pass reads the world
 *   afresh. Never retried by the client. (A create aborted after its request may have been sent is
 *   `unknownOutcome` instead, never `aborted`.)
 */
export type CloudErrorKind =
  'retryable' | 'terminal' | 'notFound' | 'inUse' | 'auth' | 'unknownOutcome' | 'aborted';

/** Fields of a {@link CloudError} besides its kind and message. */
export interface CloudErrorInit {
  kind: CloudErrorKind;
  operation: string;
  message: string;
  httpStatus?: number;
  code?: string;
  requestId?: string;
  retryAfterMs?: number;
  attempts?: number;
  encodedAuthorizationMessage?: string;
  cause?: unknown;
}

/**
 * A failed cloud call, as a value. Guarantees: `kind` is always set; `code` is the cloud's code as sent
 * (compare with {@link isCode}, never `===`), or one of the client's own `Client.*` codes; `requestId`
 * is the `X-Request-Id` header (or the gateway body's `request_id`) when the cloud answered; `attempts`
 * counts the HTTP attempts made for the call; `retryAfterMs`, when set, is the wait the cloud or the
 * client asks for before the call is tried again (never above the client's `retryMaxMs`, or the 2 s
 * gateway-throttling floor when that is higher).
 */
export class CloudError extends Error {
  readonly kind: CloudErrorKind;
  readonly httpStatus?: number;
  readonly code?: string;
  readonly requestId?: string;
  readonly operation: string;
  readonly retryAfterMs?: number;
  readonly attempts?: number;
  readonly encodedAuthorizationMessage?: string;

  constructor(init: CloudErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'CloudError';
    this.kind = init.kind;
    this.operation = init.operation;
    if (init.httpStatus !== undefined) this.httpStatus = init.httpStatus;
    if (init.code !== undefined) this.code = init.code;
    if (init.requestId !== undefined) this.requestId = init.requestId;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    if (init.attempts !== undefined) this.attempts = init.attempts;
    if (init.encodedAuthorizationMessage !== undefined)
      this.encodedAuthorizationMessage = init.encodedAuthorizationMessage;
  }

  /**
   * True when the cloud refused the call for rate reasons: HTTP 429, or code `APIGW.0308` /
   * `EndPoint.0022` (any case). Derived from `httpStatus` and `code`, so copies made by {@link with}
   * agree with their fields. A throttled request was certainly not acted on.
   */
  get throttled(): boolean {
    return this.httpStatus === 429 || isThrottleCode(this.code);
  }

  /** A copy with some fields replaced (used to stamp attempts or downgrade a kind). */
  with(patch: Partial<CloudErrorInit>): CloudError {
    return new CloudError({
      kind: this.kind,
      operation: this.operation,
      message: this.message,
      httpStatus: this.httpStatus,
      code: this.code,
      requestId: this.requestId,
      retryAfterMs: this.retryAfterMs,
      attempts: this.attempts,
      encodedAuthorizationMessage: this.encodedAuthorizationMessage,
      cause: this.cause,
      ...patch,
    });
  }
}

/** True when `err` is a {@link CloudError}. */
export function isCloudError(err: unknown): err is CloudError {
  return err instanceof CloudError;
}

/** True when `err` is a {@link CloudError} whose code equals `code` ignoring case (`Endpoint.1018`!). */
export function isCode(err: unknown, code: string): boolean {
  return isCloudError(err) && err.code !== undefined && err.code.toLowerCase() === code.toLowerCase();
}

/** True when `err` is a {@link CloudError} of the given kind. */
export function isKind(err: unknown, kind: CloudErrorKind): boolean {
  return isCloudError(err) && err.kind === kind;
}

/** An error body normalised from any of the three shapes of §5. */
export interface ParsedErrorBody {
  code?: string;
  message?: string;
  requestId?: string;
  encodedAuthorizationMessage?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Normalises `{"error_code","error_msg"}`, `{"error":{"code","message"}}` and the gateway's
 * `{"error_code","error_msg","request_id"}`: `code = error.code ?? error_code`, `message = error.message
 * ?? error_msg`. Never throws: a body that is not JSON or not an object yields `{}`.
 */
export function parseErrorBody(body: string | Uint8Array | undefined): ParsedErrorBody {
  if (body === undefined || body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
  } catch {
    return {};
  }
  if (!isRecord(parsed)) return {};
  const nested = isRecord(parsed['error']) ? parsed['error'] : undefined;
  const out: ParsedErrorBody = {};
  const code = str(nested?.['code']) ?? str(parsed['error_code']);
  const message = str(nested?.['message']) ?? str(parsed['error_msg']) ?? str(parsed['message']);
  const requestId = str(parsed['request_id']);
  const encoded = str(parsed['encoded_authorization_message']);
  if (code !== undefined) out.code = code;
  if (message !== undefined) out.message = message;
  if (requestId !== undefined) out.requestId = requestId;
  if (encoded !== undefined) out.encodedAuthorizationMessage = encoded;
  return out;
}

/** Codes with a fixed kind whatever the HTTP status (lower-cased). Codes not listed fall back to status. */
const CODE_KINDS: ReadonlyMap<string, CloudErrorKind> = new Map<string, CloudErrorKind>([
  // retry
  ['endpoint.0001', 'retryable'], // system error (500)
  ['endpoint.0011', 'retryable'], // body null (504)
  ['endpoint.0012', 'retryable'], // header null (504)
  ['endpoint.0013', 'retryable'], // timeout (504)
  ['endpoint.0022', 'retryable'], // request-rate limit, on HTTP 400
  ['endpoint.2004', 'retryable'], // service unavailable (still creating)
  ['endpoint.2018', 'retryable'], // endpoint being deleted
  ['endpoint.2019', 'retryable'], // endpoint being created
  ['endpoint.3001', 'retryable'], // port creation failed
  ['endpoint.3005', 'retryable'], // service deletion failed
  ['endpoint.3045', 'retryable'], // not modifiable in the current state
  ['apigw.0308', 'retryable'], // gateway throttling (429)
  // special kinds
  ['endpoint.0005', 'notFound'],
  ['endpoint.3006', 'inUse'],
  // auth
  ['endpoint.0003', 'auth'],
  ['endpoint.0004', 'auth'],
  ['apigw.0301', 'auth'],
  ['apigw.0302', 'auth'],
  ['apigw.0303', 'auth'],
  ['apigw.0306', 'auth'],
]);

/** Codes that mean "throttled": the request was certainly refused before anything happened. */
const THROTTLE_CODES: ReadonlySet<string> = new Set(['apigw.0308', 'endpoint.0022']);
/** Codes on HTTP 504 meaning the backend may have applied the write. */
const MAYBE_APPLIED_CODES: ReadonlySet<string> = new Set(['endpoint.0011', 'endpoint.0012', 'endpoint.0013']);

/** True for throttling codes (`APIGW.0308`, `EndPoint.0022`), case-insensitively. */
export function isThrottleCode(code: string | undefined): boolean {
  return code !== undefined && THROTTLE_CODES.has(code.toLowerCase());
}

/** True for the 504 codes after which a write may have happened (`EndPoint.0011`–`0013`). */
export function isMaybeAppliedCode(code: string | undefined): boolean {
  return code !== undefined && MAYBE_APPLIED_CODES.has(code.toLowerCase());
}

/**
 * Kind of an HTTP error answer, per §5: a known code decides (so 400 `EndPoint.0022` is retryable and
 * only `EndPoint.0005` is `notFound`); otherwise 408, 429 and 5xx are retryable, 401/403 are `auth`, and any
 * other status (including a 404 with `APIGW.0101` or `EndPoint.4012`) is `terminal`.
 */
export function classifyHttpError(httpStatus: number, code: string | undefined): CloudErrorKind {
  const byCode = code === undefined ? undefined : CODE_KINDS.get(code.toLowerCase());
  if (byCode !== undefined) return byCode;
  if (httpStatus === 408 || httpStatus === 429 || httpStatus >= 500) return 'retryable';
  if (httpStatus === 401 || httpStatus === 403) return 'auth';
  return 'terminal';
}
