import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import {
  BucketRateLimiter,
  ItemExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
} from '../../../src/runtime/rate-limiters.js';
import { TokenBucket } from '../../../src/util/token-bucket.js';
import { WorkQueue } from '../../../src/runtime/workqueue.js';

describe('ItemExponentialFailureRateLimiter', () => {
  it('doubles per failure up to the cap, per key, and forget resets it', () => {
    const l = new ItemExponentialFailureRateLimiter(5, 1000);
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map(() => l.when('a'))).toEqual([
      5, 10, 20, 40, 80, 160, 320, 640, 1000,
    ]);
    expect(l.when('a')).toBe(1000);
    expect(l.numRequeues('a')).toBe(10);
    expect(l.when('b')).toBe(5); // independent keys
    l.forget('a');
    expect(l.numRequeues('a')).toBe(0);
    expect(l.when('a')).toBe(5);
  });

  it('survives huge failure counts without overflowing past the cap', () => {
    const l = new ItemExponentialFailureRateLimiter(5, 1_000_000);
    let last = 0;
    for (let i = 0; i < 2000; i++) last = l.when('a');
    expect(last).toBe(1_000_000);
  });
});

describe('token bucket limiter', () => {
  it('lets a burst through, then spaces retries at qps', () => {
    const clock = new ManualClock();
    const l = new BucketRateLimiter(new TokenBucket(10, 100, clock));
    const delays = Array.from({ length: 103 }, (_, i) => l.when(`k${i}`));
    expect(delays.slice(0, 100).every((d) => d === 0)).toBe(true);
    expect(delays.slice(100)).toEqual([100, 200, 300]);
  });

  it('refills with time', async () => {
    const clock = new ManualClock();
    const l = new BucketRateLimiter(new TokenBucket(10, 100, clock));
    for (let i = 0; i < 100; i++) l.when('x');
    await clock.advance(1000); // 10 tokens back
    const delays = Array.from({ length: 11 }, () => l.when('x'));
    expect(delays.slice(0, 10).every((d) => d === 0)).toBe(true);
    expect(delays[10]).toBe(100);
  });
});

describe('defaultControllerRateLimiter', () => {
  it('is the larger of per-key exponential and the global bucket', () => {
    const clock = new ManualClock();
    const l = defaultControllerRateLimiter(clock, { maxDelayMs: 60_000 });
    expect(l.when('a')).toBe(5);
    expect(l.when('a')).toBe(10);
    // Exhaust the bucket from many keys: a fresh key then waits for the bucket, not 5 ms.
    for (let i = 0; i < 98; i++) l.when(`k${i}`);
    expect(l.when('fresh')).toBe(100);
    // The per-key cap is configurable.
    for (let i = 0; i < 30; i++) l.when('b');
    expect(l.when('b')).toBeGreaterThanOrEqual(60_000);
  });

  it('MaxOf reports the largest requeue count and forgets in all limiters', () => {
    const a = new ItemExponentialFailureRateLimiter(1, 100);
    const b = new ItemExponentialFailureRateLimiter(2, 100);
    const m = new MaxOfRateLimiter(a, b);
    m.when('k');
    m.when('k');
    expect(m.when('k')).toBe(8);
    expect(m.numRequeues('k')).toBe(3);
    m.forget('k');
    expect(a.numRequeues('k') + b.numRequeues('k')).toBe(0);
  });
});

describe('WorkQueue (rate-limited)', () => {
  it('backs a failing key off exponentially and forget restarts at the base delay', async () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(100, 10_000) });
    const readyAfter = async (): Promise<number> => {
      const start = clock.now();
      while (q.len() === 0) await clock.advance(10);
      const k = await q.get();
      q.done(k!);
      return clock.now() - start;
    };
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      q.addRateLimited('a');
      seen.push(await readyAfter());
    }
    expect(seen).toEqual([100, 200, 400, 800]);
    expect(q.numRequeues('a')).toBe(4);
    q.forget('a');
    q.addRateLimited('a');
    expect(await readyAfter()).toBe(100);
  });

  it('honours a minimum delay (e.g. Retry-After) above the limiter', () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock });
    expect(q.addRateLimited('a', 30_000)).toBe(30_000);
    expect(q.readyTimeOf('a')).toBe(clock.now() + 30_000);
  });
});
