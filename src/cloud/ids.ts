/**
 * Identifier checks at the cloud edge. Every id the client puts in a URL path (or reads back from the
 * cloud to put in a path later) is checked here first: the WHATWG URL parser collapses `..` and
 * `%2e%2e` path segments, so percent-encoding alone cannot keep a hostile id inside the project path.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PROJECT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Human-readable form of {@link isSafeProjectId}'s rule, for error messages. */
export const PROJECT_ID_RULE = '1-64 characters of A-Z, a-z, 0-9, _ or -';

/**
 * True only for a string in the canonical 8-4-4-4-12 hexadecimal UUID form (either case), the form of
 * every VPCEP resource id. Such a string has no `/`, `.`, `%` or other character that could change the
 * meaning of a URL path.
 */
export function isCloudId(v: unknown): v is string {
  return typeof v === 'string' && UUID.test(v);
}

/**
 * True only for a string of 1–64 characters of `[A-Za-z0-9_-]`: a project id that can be put in the
 * URL path and the `X-Project-Id` header verbatim.
 */
export function isSafeProjectId(v: unknown): v is string {
  return typeof v === 'string' && PROJECT_ID.test(v);
}

/**
 * A value quoted for an error message: JSON-escaped (so control characters, CR/LF and quotes show as
 * escapes and cannot forge log lines) and cut to at most `max` characters of the original (whole code
 * points), with `…` after the closing quote when cut. Never throws, whatever `v` is.
 */
export function quoteForMessage(v: unknown, max = 80): string {
  const s = typeof v === 'string' ? v : v === undefined ? 'undefined' : safeString(v);
  const points = Array.from(s);
  const cut = points.length > max;
  return `${JSON.stringify(cut ? points.slice(0, max).join('') : s)}${cut ? '…' : ''}`;
}

function safeString(v: unknown): string {
  try {
    return typeof v === 'object' && v !== null ? (JSON.stringify(v) ?? String(v)) : String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}
