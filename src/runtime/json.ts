/**
 * JSON value helpers: semantic equality and RFC 7386 merge-patch diffs. Pure functions.
 */

/** A JSON value as parsed from the API (the JSON edge of our code). */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Normalises through JSON (Dates become strings, `undefined` fields vanish). */
export function toJson(v: unknown): Json {
  return v === undefined ? null : (JSON.parse(JSON.stringify(v)) as Json);
}

/**
 * Deep equality of two values as the API server would store them: key order is ignored, fields that
 * are `undefined` count as absent, Dates compare by their JSON form.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return eq(toJson(a), toJson(b));
}

function eq(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => eq(x, b[i]!));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => k in b && eq(a[k] as Json, b[k] as Json));
  }
  return false;
}

/** Removes object fields whose value is `null`, recursively (not inside arrays). */
function stripNulls(v: Json): Json {
  if (!isPlainObject(v)) return v;
  const out: { [k: string]: Json } = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = stripNulls(x as Json);
  return out;
}

/**
 * The RFC 7386 merge patch turning `from` into `to`: changed and new fields as in `to`, removed fields
 * as `null`, arrays replaced whole. `undefined` when nothing differs. A merge patch cannot store a
 * `null` field, so `null` fields of `to` count as absent (otherwise the diff would never be empty).
 */
export function createMergePatch(from: unknown, to: unknown): Json | undefined {
  const a = stripNulls(toJson(from));
  const b = stripNulls(toJson(to));
  if (eq(a, b)) return undefined;
  if (!isPlainObject(a) || !isPlainObject(b)) return b;
  const patch: { [k: string]: Json } = {};
  for (const k of Object.keys(a)) if (!(k in b)) patch[k] = null;
  for (const [k, v] of Object.entries(b)) {
    if (!(k in a)) {
      patch[k] = v;
      continue;
    }
    const sub = createMergePatch(a[k], v);
    if (sub !== undefined) patch[k] = sub;
  }
  return patch;
}
