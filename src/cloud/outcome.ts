/**
 * What one attempt's outcome means: a complete response interpreted as a decoded success or a
 * classified failure (2xx that does not decode or answers for another resource, 3xx never followed,
 * 431, the cloud's error codes, throttling, Retry-After), and a transport failure classified by whether
 * the request may have been sent. Pure functions over the attempt; the caller does the retrying.
 */
import { DecodeError, parseJson } from './decode.js';
import {
  classifyHttpError,
  CloudError,
  isMaybeAppliedCode,
  isThrottleCode,
  parseErrorBody,
} from './errors.js';
import type { CloudErrorKind } from './errors.js';
import type { CallSpec } from './caller.js';
import { quoteForMessage } from './ids.js';
import { capRetryAfter, parseRetryAfter } from './retry.js';
import { TransportError } from './transport.js';
import type { HttpResponse } from './transport.js';

/** An attempt's error plus whether repeating the request is safe even for a non-idempotent call. */
export interface AttemptFailure {
  error: CloudError;
  certainlyNotActed: boolean;
}

export type AttemptResult<T> =
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

const header = (res: HttpResponse, name: string): string | undefined => {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** ` (reason)` from an aborted signal's reason, when it says something; never throws. */
export function abortReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  const text = r instanceof Error ? r.message : typeof r === 'string' ? r : '';
  return text && text !== 'This operation was aborted' ? ` (${quoteForMessage(text, 200)})` : '';
}

/** Interprets a complete response as a decoded success or a classified failure. */
export function interpretResponse<T>(
  spec: CallSpec<T>,
  res: HttpResponse,
  nowMs: number,
  retryMaxMs: number,
): AttemptResult<T> {
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
  const retryAfterMs = capRetryAfter(parseRetryAfter(header(res, 'retry-after'), nowMs), retryMaxMs);
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

export function transportFailure<T>(
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
