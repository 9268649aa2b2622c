/**
 * Reading errors thrown by `@kubernetes/client-node` 1.4: API calls throw `ApiException` with `.code`
 * (HTTP status) and `.body` (the raw response text, a `Status` JSON string, or undefined); watches
 * fail with a plain `Error` carrying `.statusCode`; network failures carry a string `.code`
 * (`ECONNRESET`); aborts are named `AbortError`.
 */

/** The HTTP status of a client-node error (`ApiException.code` or watch `statusCode`), if any. */
export function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === 'number') return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}

/** The `Status` object's `reason` and `message` from an `ApiException` body, when it parses. */
export function apiStatusOf(err: unknown): { reason?: string; message?: string } {
  if (typeof err !== 'object' || err === null) return {};
  const body = (err as { body?: unknown }).body;
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return { message: body };
    }
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  const s = parsed as { reason?: unknown; message?: unknown };
  return {
    reason: typeof s.reason === 'string' ? s.reason : undefined,
    message: typeof s.message === 'string' ? s.message : undefined,
  };
}

/** True if `err` is the `AbortError` produced by aborting a request (ours). */
export function isAbortError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError';
}

/** True for HTTP 404. */
export function isNotFound(err: unknown): boolean {
  return httpStatusOf(err) === 404;
}

/** True for HTTP 409 (resourceVersion conflict or AlreadyExists). */
export function isConflict(err: unknown): boolean {
  return httpStatusOf(err) === 409;
}

/** A short, secret-free summary of an error for logs: status, reason, message. */
export function describeError(err: unknown): { status?: number; reason?: string; message: string } {
  const status = httpStatusOf(err);
  const s = apiStatusOf(err);
  const message = s.message ?? (err instanceof Error ? err.message : String(err));
  return { status, reason: s.reason, message };
}
