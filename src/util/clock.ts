/**
 * Time, injected. Everything that waits, backs off, polls or measures takes a `Clock`, so tests drive
 * it with {@link ManualClock} (virtual time, no sleeps) and production uses {@link systemClock}.
 */

/** Opaque handle of a scheduled callback. */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. Monotonic enough for durations within one process. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds (0 or less: on the next turn). */
  setTimer(fn: () => void, ms: number): TimerHandle;
  /** Resolves after `ms` milliseconds; rejects with the signal's reason when aborted first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function sleepWith(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      timer.cancel();
      reject(signal?.reason);
    };
    const timer = clock.setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The real clock. Timers are unref'd so a pending timer never keeps the process alive by itself. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
  sleep(ms, signal) {
    return sleepWith(systemClock, ms, signal);
  },
};

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * Virtual time for tests. Time moves only through {@link advance} / {@link advanceTo}; due timers fire
 * in order of due time, then of scheduling, and microtasks queued by a callback settle (several
 * macrotask turns) before the next timer fires, so `await`-chains behave as they would in real time.
 */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: Pending[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const p: Pending = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(p);
    return { cancel: () => void (p.cancelled = true) };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  /**
   * A view of this clock for a caller that is the only thing moving time (a client under test whose
   * limiter and backoff waits must pass): its `sleep` advances the clock, firing due timers on the way.
   */
  driving(): Clock {
    return {
      now: () => this.now(),
      setTimer: (fn, ms) => this.setTimer(fn, ms),
      sleep: (ms) => this.advance(ms),
    };
  }

  /** Number of timers scheduled and not yet fired or cancelled. */
  pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.current + ms);
  }

  /** Moves time to `target`, firing due timers in order and letting promise chains settle between them. */
  async advanceTo(target: number): Promise<void> {
    await flush();
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      const next = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.timers.splice(this.timers.indexOf(next), 1);
      this.current = Math.max(this.current, next.at);
      next.fn();
      await flush();
    }
    this.current = Math.max(this.current, target);
    await flush();
  }
}

/** Lets pending promise callbacks run: a few macrotask turns, enough for chained awaits and I/O-free work. */
export async function flush(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}
