/**
 * Retry timing for cloud calls: full-jitter exponential backoff, `Retry-After`, and the gateway
 * throttling floor. Pure functions; the client does the waiting on its injected clock.
 */
import { isCode } from './errors.js';
import type { CloudError } from './errors.js';

/** Default first backoff ceiling (ms). */
export const DEFAULT_RETRY_BASE_MS = 500;
/** Default cap of one backoff (ms). */
export const DEFAULT_RETRY_MAX_MS = 30_000;
/** `APIGW.0308` (gateway throttling) waits at least this long before the next attempt. */
export const GATEWAY_THROTTLE_MIN_MS = 2_000;
/** Default longest wait the client sleeps inside a call before giving the error back instead (ms). */
export const DEFAULT_MAX_INLINE_WAIT_MS = 5_000;

/**
 * Full jitter: `random() * min(maxMs, baseMs * 2^retry)`, where `retry` counts from 0 for the first
 * retry. `random` must return a number in [0, 1). Never negative, never above `maxMs`.
 */
export function fullJitterDelay(retry: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, retry));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.max(0, Math.floor(r * ceiling));
}

/**
 * Parses a `Retry-After` header: delta-seconds (`"7"`, fractional accepted) or an HTTP date, measured
 * against `nowMs`. Returns milliseconds (≥ 0), or `undefined` when absent or unparseable.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * A server-requested wait bounded to `[0, maxMs]`, so no `Retry-After` (say `999999`, 11.6 days) can
 * park a caller for longer than its own backoff cap. `undefined` (no request) stays `undefined`.
 */
export function capRetryAfter(ms: number | undefined, maxMs: number): number | undefined {
  if (ms === undefined) return undefined;
  if (!Number.isFinite(ms)) return Math.max(0, maxMs);
  return Math.min(Math.max(0, ms), Math.max(0, maxMs));
}

/**
 * The wait before retry number `retry` (0-based) after `err`: the full-jitter delay, but at least the
 * server's `Retry-After` capped at `maxMs` (see {@link capRetryAfter}), and at least
 * {@link GATEWAY_THROTTLE_MIN_MS} after `APIGW.0308`. Never above `max(maxMs, GATEWAY_THROTTLE_MIN_MS)`.
 */
export function retryDelay(
  err: CloudError,
  retry: number,
  opts: { baseMs: number; maxMs: number; random: () => number },
): number {
  let delay = fullJitterDelay(retry, opts.baseMs, opts.maxMs, opts.random);
  const asked = capRetryAfter(err.retryAfterMs, opts.maxMs);
  if (asked !== undefined) delay = Math.max(delay, asked);
  if (isCode(err, 'APIGW.0308')) delay = Math.max(delay, GATEWAY_THROTTLE_MIN_MS);
  return delay;
}
