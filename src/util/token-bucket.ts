import type { Clock } from './clock.js';

/**
 * A token bucket: `qps` tokens a second, holding at most `burst`. Starts full, or with
 * `initialTokens` (0: empty).
 *
 * Guarantees: over any window of `t` seconds at most `burst + qps·t` tokens are granted, and in the
 * first `t` seconds at most `initialTokens + qps·t` (with 0, at most `qps` in the first second); callers of
 * {@link take} are served in call order (each reserves its token at call time, like golang.org/x/time/rate
 * `Reserve`), so no caller starves.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly qps: number,
    readonly burst: number,
    private readonly clock: Clock,
    initialTokens: number = burst,
  ) {
    if (!(qps > 0) || !(burst >= 1))
      throw new Error(`token bucket needs qps > 0 and burst >= 1 (got ${qps}, ${burst})`);
    this.tokens = Math.min(burst, Math.max(0, initialTokens));
    this.last = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
  }

  /** Reserves one token and returns how long (ms) the caller must wait before using it (0 = now). */
  reserve(): number {
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }

  /** Waits for a token. Rejects (and gives the token back) if `signal` aborts first. */
  async take(signal?: AbortSignal): Promise<void> {
    const wait = this.reserve();
    if (wait <= 0) return;
    try {
      await this.clock.sleep(wait, signal);
    } catch (e) {
      this.tokens += 1;
      throw e;
    }
  }
}
