/**
 * Jittered exponential backoff for reconnects (client-go reflector / kube-rs watcher defaults:
 * 0.8 s → 30 s, reset after 2 minutes healthy; the reset is the caller's decision).
 */

/** Options of {@link JitteredBackoff}. */
export interface BackoffOptions {
  /** First delay before jitter. Default 800 ms. */
  initialMs?: number;
  /** Cap of every delay, jitter included. Default 30 000 ms. */
  maxMs?: number;
  /** Jitter factor: a delay `d` becomes `d·(1 + jitter·random())`, then capped. Default 1. */
  jitter?: number;
  /** Source of randomness in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/**
 * Guarantees: the n-th delay since the last {@link reset} is in
 * `[min(max, initial·2^n), min(max, initial·2^n·(1 + jitter))]`; it never exceeds `maxMs`.
 */
export class JitteredBackoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 800;
    this.maxMs = opts.maxMs ?? 30_000;
    this.jitter = opts.jitter ?? 1;
    this.random = opts.random ?? Math.random;
  }

  /** The next delay (ms); advances the sequence. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 60);
    return Math.min(this.maxMs, Math.round(base * (1 + this.jitter * this.random())));
  }

  /** Restarts the sequence at the initial delay. */
  reset(): void {
    this.attempt = 0;
  }

  /** Delays handed out since the last reset. */
  get attempts(): number {
    return this.attempt;
  }
}
