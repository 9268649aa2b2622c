import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import { ManualClock, flush } from '../../../src/util/clock.js';
import { TokenBucket } from '../../../src/util/token-bucket.js';
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
