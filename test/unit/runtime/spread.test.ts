/**
 * Users' changes first, routine rechecks spread: the controller's `enqueueSpread` and the queue's
 * priorities, on virtual time, in the situation of a restart. The cloud budget is modelled by a token
 * bucket at the operator's default `--cloud-qps 10` (burst 20): a routine recheck costs one call, a
 * new resource three (tag lookup, create, GET).
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { flush, ManualClock } from '../../../src/util/clock.js';
import { Controller, spreadOffset } from '../../../src/runtime/controller.js';
import { silentLogger } from '../../../src/runtime/logging.js';
import { RuntimeMetrics } from '../../../src/runtime/metrics.js';
import { DEFAULT_PRIORITY, LOW_PRIORITY } from '../../../src/runtime/queue.js';
import { requeueAfter, type Reconciler } from '../../../src/runtime/reconcile.js';
import { TokenBucket } from '../../../src/util/token-bucket.js';

const PERIOD = 600_000;
const keys = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => `scale/res-${String(i).padStart(5, '0')}`);

function controller(reconciler: Reconciler, clock: ManualClock, spreadMs?: number): Controller {
  return new Controller({
    name: 'spread',
    reconciler,
    workers: 4,
    clock,
    log: silentLogger(),
    metrics: new RuntimeMetrics(new Registry(), 'spread'),
    ...(spreadMs ? { spreadMs } : {}),
  });
}

/**
 * A restart: `n` settled keys from the initial list (spread, or the old way: all queued at once at the
 * default priority), the controller starts, and a new resource is applied `newAtMs` later. Returns how
 * long the new resource's pass took from its enqueue to its end, and the routine passes per second.
 */
async function restart(opts: {
  n: number;
  mode: 'spread' | 'old';
  newAtMs: number;
  untilMs: number;
}): Promise<{ newMs: number | undefined; routinePerSecond: number[]; routineRuns: Map<string, number> }> {
  const clock = new ManualClock();
  const bucket = new TokenBucket(10, 20, clock);
  const start = clock.now();
  let newDoneAt: number | undefined;
  const routinePerSecond: number[] = [];
  const routineRuns = new Map<string, number>();
  const c = controller(
    async (req) => {
      const isNew = req.name === 'new';
      for (let i = 0; i < (isNew ? 3 : 1); i++) await bucket.take();
      if (isNew) newDoneAt = clock.now();
      else {
        const s = Math.floor((clock.now() - start) / 1000);
        routinePerSecond[s] = (routinePerSecond[s] ?? 0) + 1;
        routineRuns.set(req.key, (routineRuns.get(req.key) ?? 0) + 1);
      }
      return undefined;
    },
    clock,
    opts.mode === 'spread' ? PERIOD : undefined,
  );
  for (const k of keys(opts.n)) {
    if (opts.mode === 'spread') c.enqueueSpread(k);
    else c.enqueue(k);
  }
  c.start();
  await clock.advance(opts.newAtMs);
  const appliedAt = clock.now();
  c.enqueue('scale/new');
  // Step in 100 ms so the workers' token waits interleave as in real time.
  while (clock.now() - start < opts.untilMs) await clock.advance(100);
  await c.stop(0);
  for (let i = 0; i < routinePerSecond.length; i++) routinePerSecond[i] ??= 0;
  return {
    newMs: newDoneAt === undefined ? undefined : newDoneAt - appliedAt,
    routinePerSecond,
    routineRuns,
  };
}

describe('spreadOffset', () => {
  it('places 10,000 keys close to uniformly over the period, the same place every time', () => {
    const deciles = new Array<number>(10).fill(0);
    const perSecond = new Map<number, number>();
    for (const k of keys(10_000)) {
      const o = spreadOffset(k, PERIOD);
      expect(o).toBeGreaterThanOrEqual(0);
      expect(o).toBeLessThan(PERIOD);
      deciles[Math.floor(o / (PERIOD / 10))]! += 1;
      perSecond.set(Math.floor(o / 1000), (perSecond.get(Math.floor(o / 1000)) ?? 0) + 1);
    }
    for (const d of deciles) expect(Math.abs(d - 1_000)).toBeLessThan(150);
    // 16.7 a second on average; a burst would put hundreds in one second.
    expect(Math.max(...perSecond.values())).toBeLessThan(45);
    expect(spreadOffset('ns/a', PERIOD)).toBe(spreadOffset('ns/a', PERIOD));
    expect(spreadOffset('ns/a', 0)).toBe(0);
  });
});

describe('Controller.enqueueSpread', () => {
  it('holds routine keys until the start, then queues each at low priority after its offset', async () => {
    const clock = new ManualClock();
    const seen: string[] = [];
    const c = controller(async (req) => void seen.push(req.key), clock, PERIOD);
    c.enqueueSpread('ns/a');
    c.enqueueSpread('ns/b');
    c.enqueueSpread('ns/changed');
    c.enqueue('ns/changed'); // a change supersedes its held recheck
    await clock.advance(PERIOD); // not started: nothing is scheduled yet
    expect(c.queue.waitingLen()).toBe(0);
    expect(c.queue.len()).toBe(1);
    const startedAt = clock.now();
    c.start();
    await flush();
    expect(seen).toEqual(['ns/changed']);
    expect(c.queue.readyTimeOf('ns/a')).toBe(startedAt + spreadOffset('ns/a', PERIOD));
    expect(c.queue.waitingPriorityOf('ns/a')).toBe(LOW_PRIORITY);
    expect(c.queue.readyTimeOf('ns/changed')).toBeUndefined();
    await clock.advance(PERIOD);
    expect(seen.sort()).toEqual(['ns/a', 'ns/b', 'ns/changed']);
    // Once started, a routine key is spread from now.
    const now = clock.now();
    c.enqueueSpread('ns/late');
    expect(c.queue.readyTimeOf('ns/late')).toBe(now + spreadOffset('ns/late', PERIOD));
    await c.stop(0);
  });

  it('spreads a key over its own period when it names one, kept over a later call without', async () => {
    const clock = new ManualClock();
    const c = controller(async () => undefined, clock, PERIOD);
    c.enqueueSpread('ns/poll', 30_000);
    c.enqueueSpread('ns/poll'); // e.g. a Secret's initial list mapping to it: the own period stays
    c.enqueueSpread('ns/plain');
    c.enqueueSpread('ns/plain', 0); // 0 names none
    const startedAt = clock.now();
    c.start();
    expect(c.queue.readyTimeOf('ns/poll')).toBe(startedAt + spreadOffset('ns/poll', 30_000));
    expect(c.queue.readyTimeOf('ns/plain')).toBe(startedAt + spreadOffset('ns/plain', PERIOD));
    // Without an operator-wide period, an own period still spreads.
    const bare = controller(async () => undefined, clock);
    bare.enqueueSpread('ns/own', 30_000);
    bare.enqueueSpread('ns/own');
    const at = clock.now();
    bare.start();
    expect(bare.queue.readyTimeOf('ns/own')).toBe(at + spreadOffset('ns/own', 30_000));
    expect(bare.queue.len()).toBe(0);
    await c.stop(0);
    await bare.stop(0);
  });

  it('without a spread period queues routine keys at once, behind changes', async () => {
    const clock = new ManualClock();
    const seen: string[] = [];
    const c = controller(async (req) => void seen.push(req.key), clock);
    c.enqueueSpread('ns/r1');
    c.enqueueSpread('ns/r2');
    c.enqueue('ns/u');
    expect(c.queue.queuedPriority('ns/r1')).toBe(LOW_PRIORITY);
    c.start();
    await flush(20);
    expect(seen[0]).toBe('ns/u');
    await c.stop(0);
  });
});

describe('a restart with many settled resources (virtual time, 10 cloud calls a second)', () => {
  it('a new resource is reconciled about as fast as on an idle controller, not behind the rechecks', async () => {
    const idle = await restart({ n: 0, mode: 'spread', newAtMs: 3_000, untilMs: 10_000 });
    const within = await restart({ n: 3_000, mode: 'spread', newAtMs: 3_000, untilMs: 10_000 });
    const over = await restart({ n: 10_000, mode: 'spread', newAtMs: 3_000, untilMs: 10_000 });
    const old = await restart({ n: 1_000, mode: 'old', newAtMs: 3_000, untilMs: 150_000 });
    expect(idle.newMs).toBe(0); // three calls from a full bucket
    // 3,000 rechecks a period need 5 calls a second of the 10: the bucket stays nearly full.
    expect(within.newMs!).toBeLessThanOrEqual(idle.newMs! + 300);
    // 10,000 need 16.7 a second, more than allowed, so every call waits its turn: the new resource
    // waits for a free worker (the 4 workers' reserved calls, 0.4 s) and each of its 3 calls waits behind
    // at most the 3 other workers' (0.9 s); never behind the backlog of rechecks (100 ms steps).
    expect(over.newMs!).toBeLessThanOrEqual(idle.newMs! + 1_300 + 100);
    // The old way (every key of the list queued at once at one priority) waits behind the backlog:
    // 1,000 rechecks at 10 a second.
    expect(old.newMs ?? Infinity).toBeGreaterThan(60_000);
  });

  it('the rechecks of 3,000 resources arrive spread over the resync period, each once', async () => {
    const n = 3_000;
    const r = await restart({ n, mode: 'spread', newAtMs: 1_000, untilMs: PERIOD + 5_000 });
    const perMinute = Array.from({ length: 10 }, (_, m) =>
      r.routinePerSecond.slice(m * 60, (m + 1) * 60).reduce((s, x) => s + x, 0),
    );
    // n / 10 a minute expected; the old way did all of them in the first 5 minutes (at 10 a second).
    for (const m of perMinute) expect(Math.abs(m - n / 10)).toBeLessThan(n / 10 / 4);
    expect(Math.max(...r.routinePerSecond)).toBeLessThanOrEqual(10 + 20); // qps + burst, never more
    expect(r.routineRuns.size).toBe(n);
    expect(Math.max(...r.routineRuns.values())).toBe(1);
  });
});

describe('Controller requeue priorities', () => {
  it('a requeue keeps the priority its key was handed out with, unless the result names one', async () => {
    const clock = new ManualClock();
    const c = new Controller({
      name: 'prio',
      workers: 1,
      clock,
      log: silentLogger(),
      metrics: new RuntimeMetrics(new Registry(), 'prio'),
      reconciler: async (req) => {
        if (req.name === 'poll') return requeueAfter(2_000); // a change still converging
        if (req.name === 'ready') return requeueAfter(PERIOD, LOW_PRIORITY); // routine from now on
        throw new Error('transient');
      },
    });
    c.enqueue('ns/poll');
    c.enqueue('ns/ready');
    c.enqueue('ns/fails');
    c.enqueueSpread('ns/fails-low'); // no spread period: low at once
    c.start();
    await flush(20);
    expect(c.queue.waitingPriorityOf('ns/poll')).toBe(DEFAULT_PRIORITY);
    expect(c.queue.waitingPriorityOf('ns/ready')).toBe(LOW_PRIORITY);
    expect(c.queue.waitingPriorityOf('ns/fails')).toBe(DEFAULT_PRIORITY);
    expect(c.queue.waitingPriorityOf('ns/fails-low')).toBe(LOW_PRIORITY);
    await c.stop(0);
  });
});
