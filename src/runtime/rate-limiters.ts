/**
 * Per-key retry delays, ported from client-go `util/workqueue/default_rate_limiters.go`.
 *
 * A {@link RateLimiter} answers "how long should this key wait before its next attempt?". `when(key)`
 * is called once per failure and counts it; `forget(key)` clears the key's history (call it when the
 * key succeeds); `numRequeues(key)` reads the count.
 */
import type { Clock } from '../util/clock.js';
import { TokenBucket } from '../util/token-bucket.js';

/** Decides per-key retry delays. Implementations are synchronous and never throw. */
export interface RateLimiter {
  /** Delay (ms) before the next attempt of `key`; counts one failure. */
  when(key: string): number;
  /** Clears the failure history of `key`. */
  forget(key: string): void;
  /** Failures counted for `key` since the last {@link forget}. */
  numRequeues(key: string): number;
}

/**
 * `min(maxMs, baseMs·2^failures)` per key, then `failures++`.
 *
 * Guarantees: the first failure waits `baseMs`, each next one doubles, capped at `maxMs`; keys are
 * independent; {@link forget} restarts the sequence at `baseMs`.
 */
export class ItemExponentialFailureRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();

  constructor(
    readonly baseMs: number,
    readonly maxMs: number,
  ) {
    if (!(baseMs > 0) || !(maxMs >= baseMs))
      throw new Error(`need 0 < baseMs <= maxMs (got ${baseMs}, ${maxMs})`);
  }

  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity for large n, which Math.min handles.
    return Math.min(this.maxMs, this.baseMs * 2 ** n);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

/**
 * An overall rate (not per key): each `when` reserves a token of `bucket` and returns the wait for it.
 * Guarantees: across all keys, at most `burst + qps·t` attempts are released in any `t` seconds.
 */
export class BucketRateLimiter implements RateLimiter {
  constructor(readonly bucket: TokenBucket) {}

  when(_key: string): number {
    return this.bucket.reserve();
  }

  forget(_key: string): void {}

  numRequeues(_key: string): number {
    return 0;
  }
}

/** The largest delay of several limiters; `numRequeues` is the largest count. All of them count each `when`. */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    if (limiters.length === 0) throw new Error('MaxOfRateLimiter needs at least one limiter');
    this.limiters = limiters;
  }

  when(key: string): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.when(key));
    return max;
  }

  forget(key: string): void {
    for (const l of this.limiters) l.forget(key);
  }

  numRequeues(key: string): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.numRequeues(key));
    return max;
  }
}

/** Options of {@link defaultControllerRateLimiter}; defaults are client-go's. */
export interface ControllerRateLimiterOptions {
  /** First retry delay. Default 5 ms. */
  baseDelayMs?: number;
  /** Cap of the per-key exponential delay. Default 1000 s. */
  maxDelayMs?: number;
  /** Overall retry rate. Default 10 per second. */
  qps?: number;
  /** Overall retry burst. Default 100. */
  burst?: number;
}

/**
 * client-go's `DefaultControllerRateLimiter`: the larger of a per-key exponential backoff
 * (5 ms → 1000 s) and a global token bucket (10 qps, burst 100), so one failing key backs off on its
 * own and a mass failure cannot retry faster than the bucket allows.
 */
export function defaultControllerRateLimiter(
  clock: Clock,
  opts: ControllerRateLimiterOptions = {},
): RateLimiter {
  return new MaxOfRateLimiter(
    new ItemExponentialFailureRateLimiter(opts.baseDelayMs ?? 5, opts.maxDelayMs ?? 1_000_000),
    new BucketRateLimiter(new TokenBucket(opts.qps ?? 10, opts.burst ?? 100, clock)),
  );
}
