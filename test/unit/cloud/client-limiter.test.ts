import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import { ManualClock, flush } from '../../../src/util/clock.js';
import { SLOW_DOWN_RECOVERY_MS, TokenBucket } from '../../../src/util/token-bucket.js';
import { SVC_ID, makeClient, reply, startFakeCloud, waitFor } from './fake-cloud.js';
import type { FakeCloud } from './fake-cloud.js';

const service = { id: SVC_ID, status: 'available' };

let fake: FakeCloud;
let clock: ManualClock;

beforeEach(async () => {
  clock = new ManualClock();
  fake = await startFakeCloud({ now: () => clock.now() });
  fake.fallback = reply(200, service);
});
afterEach(async () => {
  await fake.close();
});

/** Arrival times relative to the start, as seen by the server. */
const arrivals = (t0: number): number[] => fake.seen.map((s) => (s.at ?? NaN) - t0);

describe('client-side token bucket', () => {
  it('holds the set QPS after a burst (virtual time)', async () => {
    const { client } = makeClient(fake, { clock, qps: 5, burst: 2 });
    const t0 = clock.now();
    const calls = Array.from({ length: 12 }, () => client.getService(SVC_ID));
    // The burst goes out at once, then one request per 200 ms.
    for (let step = 0; step <= 10; step++) {
      if (step > 0) await clock.advance(200);
      const expected = 2 + step;
      await waitFor(() => fake.seen.length >= expected, `${expected} requests`);
      await flush(10);
      expect(fake.seen).toHaveLength(expected);
    }
    await Promise.all(calls);
    client.close();
    const at = arrivals(t0);
    expect(at).toEqual([0, 0, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800, 2000]);
    // Over any window of t ms, at most burst + qps·t requests.
    for (let i = 0; i < at.length; i++)
      for (let j = i; j < at.length; j++)
        expect(j - i + 1).toBeLessThanOrEqual(2 + (5 * ((at[j] ?? 0) - (at[i] ?? 0))) / 1000);
  });

  it('started empty, grants at most qps in the first second and earns its burst by waiting', async () => {
    const bucket = new TokenBucket(10, 20, clock, 0);
    // Reserved at t=0: the k-th token is due at k·100 ms, so the first second holds exactly 10.
    const due = Array.from({ length: 25 }, () => bucket.reserve());
    expect(due.slice(0, 3)).toEqual([100, 200, 300]);
    expect(due.filter((ms) => ms <= 1_000)).toHaveLength(10);
    // A full bucket (the default) would have granted 20 at once and 30 within the first second.
    const full = new TokenBucket(10, 20, clock);
    const fullDue = Array.from({ length: 35 }, () => full.reserve());
    expect(fullDue.filter((ms) => ms === 0)).toHaveLength(20);
    expect(fullDue.filter((ms) => ms <= 1_000)).toHaveLength(30);
    // Quiet time refills the empty-started bucket up to its burst, never beyond.
    const later = new TokenBucket(10, 20, clock, 0);
    await clock.advance(60_000);
    const laterDue = Array.from({ length: 25 }, () => later.reserve());
    expect(laterDue.filter((ms) => ms === 0)).toHaveLength(20);
  });

  it('is shared by clients of one credential via the limiter option', async () => {
    const bucket = new TokenBucket(1, 1, clock);
    const a = makeClient(fake, { clock, limiter: bucket });
    const b = makeClient(fake, { clock, limiter: bucket });
    const t0 = clock.now();
    const p = Promise.all([
      a.client.getService(SVC_ID),
      b.client.getService(SVC_ID),
      a.client.getService(SVC_ID),
    ]);
    await waitFor(() => fake.seen.length === 1, 'the first request');
    await flush(10);
    expect(fake.seen).toHaveLength(1);
    await clock.advance(1_000);
    await waitFor(() => fake.seen.length === 2, 'the second request');
    await clock.advance(1_000);
    await p;
    a.client.close();
    b.client.close();
    expect(arrivals(t0)).toEqual([0, 1000, 2000]);
  });

  it('every retry attempt takes a token too', async () => {
    const { client } = makeClient(fake, { clock, qps: 1, burst: 1 });
    fake.script.push(reply(500, { error_code: 'EndPoint.0001', error_msg: 'x' }));
    const t0 = clock.now();
    const p = client.getService(SVC_ID);
    await waitFor(() => fake.seen.length === 1 && clock.pendingTimers() === 1, 'the limiter wait');
    await clock.advance(999);
    await flush(10);
    expect(fake.seen).toHaveLength(1);
    await clock.advance(1);
    await p;
    client.close();
    expect(arrivals(t0)).toEqual([0, 1000]);
  });
});

describe('slowing down on throttling', () => {
  it('drops to 0.7 of the rate, then climbs back to qps linearly', async () => {
    const bucket = new TokenBucket(10, 1, clock);
    expect(bucket.reserve()).toBe(0);
    bucket.slowDown();
    expect(bucket.rate()).toBeCloseTo(7);
    // The next token is due at the slowed rate (1/7 s), not at 1/10 s.
    expect(bucket.reserve()).toBe(143);
    await clock.advance(SLOW_DOWN_RECOVERY_MS / 2);
    expect(bucket.rate()).toBeCloseTo(8.5);
    await clock.advance(SLOW_DOWN_RECOVERY_MS / 2);
    expect(bucket.rate()).toBe(10);
    // Refusals in a row compound, but never below a twentieth of qps.
    for (let i = 0; i < 20; i++) bucket.slowDown();
    expect(bucket.rate()).toBeCloseTo(0.5);
  });

  it("a 429 slows the identity's shared limiter down; a 500 does not", async () => {
    const limiter = new TokenBucket(10, 10, clock);
    const { client } = makeClient(fake, { clock, limiter });
    fake.script.push(reply(500, { error_code: 'EndPoint.0001', error_msg: 'x' }));
    await client.getService(SVC_ID); // the 500, then its retry (no backoff: the fake's random is 0)
    expect(fake.seen).toHaveLength(2);
    expect(limiter.rate()).toBe(10);
    fake.script.push(reply(429, { error_code: 'APIGW.0308', error_msg: 'throttled' }));
    const second = client.getService(SVC_ID);
    await waitFor(() => fake.seen.length === 3 && clock.pendingTimers() === 1, 'the throttle backoff');
    expect(limiter.rate()).toBeCloseTo(7);
    await clock.advance(2_000);
    await second;
    client.close();
    expect(fake.seen).toHaveLength(4);
    expect(limiter.rate()).toBeLessThan(10);
  });
});
