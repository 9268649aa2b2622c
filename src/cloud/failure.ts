/**
 * Why an endpoint service is `failed`, as one line for a condition message. The cloud's `error[]`
 * arrives in two shapes (the official SDKs' `{code, message}` and the notes' `{error_code,
 * error_message}`, see `ServiceErrorItem` in wire.ts); this reads both, and anything else without
 * throwing, since what the cloud sends is untrusted.
 */
import type { EndpointService } from './wire.js';

/** What {@link describeServiceFailure} returns when the service carries no usable error detail. */
export const NO_FAILURE_DETAIL = 'no error detail';

/** Entries described at most; more are summarised as `… (N more)`. */
const MAX_ITEMS = 10;
/** Characters (code points) kept of one code or message; longer ones are cut and end in `…`. */
const MAX_TEXT = 300;

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A string (or finite number) as one tidy line: control characters and runs of whitespace become one
 * space, trimmed, cut to {@link MAX_TEXT}; `undefined` when nothing is left or `v` is anything else.
 */
function text(v: unknown): string | undefined {
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' && Number.isFinite(v)) s = String(v);
  else return undefined;
  // eslint-disable-next-line no-control-regex
  s = s.replace(/[\s\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  if (s === '') return undefined;
  const points = Array.from(s);
  return points.length > MAX_TEXT ? `${points.slice(0, MAX_TEXT).join('')}…` : s;
}

/** One entry as `CODE: message`, `CODE` or `message`; the SDK field wins over the legacy one. */
function describeItem(item: unknown): string | undefined {
  if (typeof item === 'string') return text(item);
  if (!isObj(item)) return undefined;
  const code = text(item['code']) ?? text(item['error_code']);
  const message = text(item['message']) ?? text(item['error_message']);
  if (code !== undefined && message !== undefined) return `${code}: ${message}`;
  return code ?? message;
}

/**
 * The failure detail of `svc` as `"CODE: message; CODE2: message2"`, in the order the cloud sent.
 * Guarantees:
 * - each entry of `error[]` may be `{code, message}` (the official SDKs' shape), `{error_code,
 *   error_message}` (the notes' shape) or a mix; per field, `code`/`message` win over
 *   `error_code`/`error_message` when one entry carries both, and an empty or non-string field falls
 *   back to the other shape's;
 * - an entry with only a code or only a message shows just that; entries with neither are skipped;
 *   a lone object or string in place of the array counts as one entry;
 * - the result is one line: control characters and whitespace runs collapse to a space, each code or
 *   message is cut at 300 characters and at most 10 entries are shown (then `… (N more)`);
 * - returns {@link NO_FAILURE_DETAIL} (`'no error detail'`) when nothing usable is there, and never
 *   throws, whatever `svc` holds.
 */
export function describeServiceFailure(svc: EndpointService): string {
  try {
    const raw: unknown = isObj(svc) ? (svc as unknown as Obj)['error'] : undefined;
    const items: unknown[] = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
    const parts: string[] = [];
    for (const item of items) {
      const d = describeItem(item);
      if (d !== undefined) parts.push(d);
    }
    if (parts.length === 0) return NO_FAILURE_DETAIL;
    const shown = parts.slice(0, MAX_ITEMS);
    const more = parts.length - shown.length;
    return more > 0 ? `${shown.join('; ')}; … (${more} more)` : shown.join('; ');
  } catch {
    return NO_FAILURE_DETAIL;
  }
}
