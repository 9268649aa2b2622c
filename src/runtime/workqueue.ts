/**
 * The controller's work queue: client-go's rate-limiting delaying queue
 * (`rate_limiting_queue.go` over `delaying_queue.go` over `queue.go`).
 *
 * Guarantees (in addition to {@link Queue} and {@link DelayingQueue}):
 * - `addRateLimited(key)` waits `limiter.when(key)` (counting a failure), or longer if asked.
 * - `forget(key)` resets the key's failure history, so its next failure waits the base delay again.
 * - `numRequeues(key)` reports the failures counted since the last `forget`.
 */
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import { DelayingQueue } from './delaying-queue.js';
import type { AddOptions, WorkQueueMetrics } from './queue.js';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiters.js';

/** Options of {@link WorkQueue}. */
export interface WorkQueueOptions {
  clock?: Clock;
  /** Default: {@link defaultControllerRateLimiter} on the same clock. */
  rateLimiter?: RateLimiter;
  metrics?: WorkQueueMetrics;
}

/** See the module doc for the guarantees. */
export class WorkQueue extends DelayingQueue {
  readonly rateLimiter: RateLimiter;

  constructor(opts: WorkQueueOptions = {}) {
    const clock = opts.clock ?? systemClock;
    super({ clock, metrics: opts.metrics });
    this.rateLimiter = opts.rateLimiter ?? defaultControllerRateLimiter(clock);
  }

  /**
   * Adds `key` after the rate limiter's delay (a counted failure). `minDelayMs` raises the delay, e.g.
   * to honour a server's `Retry-After`; `opts.priority` is the priority it is added with. Returns the
   * delay used (ms).
   */
  addRateLimited(key: string, minDelayMs = 0, opts: AddOptions = {}): number {
    if (this.shuttingDown()) return 0;
    const delay = Math.max(this.rateLimiter.when(key), minDelayMs);
    this.metrics?.retry();
    this.addAfter(key, delay, opts);
    return delay;
  }

  /** Clears the failure history of `key` (call after a success). Does not remove it from the queue. */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  /** Failures counted for `key` since the last {@link forget}. */
  numRequeues(key: string): number {
    return this.rateLimiter.numRequeues(key);
  }
}
