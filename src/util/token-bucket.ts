import type { Clock } from './clock.js';

/**
 * A token bucket: `qps` tokens a second, holding at most `burst`. Starts full, or with
 * `initialTokens` (0: empty).
 *
 * Guarantees: over any window of `t` seconds at most `burst + qps·t` tokens are granted, and in the
 * first `t` seconds at most `initialTokens + qps·t` (with 0, at most `qps` in the first second);
 * callers of {@link take} are served in call order (each reserves its token at call time, like
 * golang.org/x/time/rate `Reserve`), so no caller starves.
 *
 * {@link slowDown} (the server said "too many requests") is multiplicative decrease with a linear
 * recovery: the rate drops to `SLOW_DOWN_FACTOR` of what it was (never below `qps / 20`) and climbs
 * back to `qps` over `SLOW_DOWN_RECOVERY_MS` unless refused again. Against a server quota below `qps`,
 * the rate settles between 0.7 and 1 times that quota instead of overshooting it by the difference.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  /** The rate right after the last slow-down, and when it was; undefined when at `qps`. */
  private slowed: { rate: number; at: number } | undefined;

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

  /** The rate now (tokens a second): `qps`, or less while recovering from a {@link slowDown}. */
  rate(): number {
    if (!this.slowed) return this.qps;
    const f = (this.clock.now() - this.slowed.at) / SLOW_DOWN_RECOVERY_MS;
    if (f >= 1) {
      this.slowed = undefined;
      return this.qps;
    }
    return this.slowed.rate + (this.qps - this.slowed.rate) * Math.max(0, f);
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate());
    this.last = now;
  }

  /** Reserves one token and returns how long (ms) the caller must wait before using it (0 = now). */
  reserve(): number {
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.rate()) * 1000);
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

  /** The server refused a request as over its rate: slow down (see the class doc). */
  slowDown(): void {
    this.refill();
    const rate = Math.max(this.qps / 20, this.rate() * SLOW_DOWN_FACTOR);
    this.slowed = { rate, at: this.clock.now() };
  }
}

/** What a slow-down keeps of the rate. */
export const SLOW_DOWN_FACTOR = 0.7;
/** How long the rate takes to climb back to `qps` after a slow-down, when nothing is refused meanwhile. */
export const SLOW_DOWN_RECOVERY_MS = 20_000;
