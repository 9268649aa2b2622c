import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { ManualClock, flush } from '../../../src/util/clock.js';
import { LeaderElector, type StoppedLeadingReason } from '../../../src/runtime/leader-election.js';
import { RuntimeMetrics } from '../../../src/runtime/metrics.js';
import { FakeLeaseStore, apiError, memoryLogger, metricValue } from './fakes.js';

/** Puts a 15 s lease held by pod-b, renewed now by `clock`, with `leaseTransitions` if given. */
function heldByB(store: FakeLeaseStore, clock: ManualClock, leaseTransitions?: number): void {
  store.put({
    holderIdentity: 'pod-b',
    leaseDurationSeconds: 15,
    renewTime: new Date(clock.now()).toISOString() as never,
    ...(leaseTransitions === undefined ? {} : { leaseTransitions }),
  });
}

function candidate(store: FakeLeaseStore, clock: ManualClock, identity: string, registry = new Registry()) {
  const events: string[] = [];
  const stopped: StoppedLeadingReason[] = [];
  const ac = new AbortController();
  const le = new LeaderElector({
    coordination: store.client(),
    namespace: 'ns',
    name: 'lease',
    identity,
    clock,
    log: memoryLogger().log,
    random: () => 0,
    metrics: new RuntimeMetrics(registry, 'c'),
    onStartedLeading: () => events.push('started'),
    onStoppedLeading: ({ reason }) => {
      events.push(`stopped:${reason}`);
      stopped.push(reason);
    },
  });
  let finished = false;
  const run = le.run(ac.signal).then(() => (finished = true));
  return { le, events, stopped, ac, run, finished: () => finished, registry };
}

describe('LeaderElector', () => {
  it('rejects timings that violate leaseDuration > renewDeadline > 1.2 × retryPeriod', () => {
    const base = {
      coordination: new FakeLeaseStore().client(),
      namespace: 'ns',
      name: 'l',
      identity: 'me',
      clock: new ManualClock(),
      log: memoryLogger().log,
      onStartedLeading: () => undefined,
      onStoppedLeading: () => undefined,
    };
    expect(() => new LeaderElector({ ...base, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 })).toThrow();
    expect(() => new LeaderElector({ ...base, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 })).toThrow();
    expect(() => new LeaderElector(base)).not.toThrow();
  });

  it('acquires a missing lease by creating it, with MicroTime timestamps and the gauge at 1', async () => {
    const clock = new ManualClock();
    const store = new FakeLeaseStore();
    const c = candidate(store, clock, 'pod-a');
    await flush();
    expect(c.le.isLeader()).toBe(true);
    expect(c.events).toEqual(['started']);
    const spec = store.lease!.spec!;
    expect(spec.holderIdentity).toBe('pod-a');
    expect(spec.leaseDurationSeconds).toBe(15);
    expect(spec.leaseTransitions).toBe(0);
    expect(String(spec.renewTime)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(String(spec.acquireTime)).toMatch(/\.\d{6}Z$/);
    expect(await metricValue(c.registry, 'leader_election_master_status', { name: 'lease' })).toBe(1);
    c.ac.abort();
    await c.run;
  });

  it('renews every retry period with the current resourceVersion and keeps acquireTime', async () => {
    const clock = new ManualClock();
    const store = new FakeLeaseStore();
    const c = candidate(store, clock, 'pod-a');
    await flush();
    const acquired = store.lease!.spec!.acquireTime;
    await clock.advance(10_000);
    expect(store.writes.length).toBe(6); // create + 5 renewals at 2 s
    expect(store.lease!.spec!.acquireTime).toBe(acquired);
    expect(Date.parse(String(store.lease!.spec!.renewTime))).toBe(clock.now());
    expect(c.le.isLeader()).toBe(true);
    c.ac.abort();
    await c.run;
  });

  it('does not take a lease another candidate renews, however old its renewTime claims to be (skew)', async () => {
    const clock = new ManualClock();
    const store = new FakeLeaseStore();
    // The other holder's clock is an hour behind: its renewTime looks ancient to us.
    const renew = (): void =>
      store.put({
        holderIdentity: 'pod-b',
        leaseDurationSeconds: 15,
        renewTime: new Date(clock.now() - 3_600_000 + store.rv).toISOString() as never,
        leaseTransitions: 3,
      });
    renew();
    const c = candidate(store, clock, 'pod-a');
    for (let i = 0; i < 30; i++) {
      await clock.advance(2_000);
      renew();
    }
    expect(c.le.isLeader()).toBe(false);
    expect(c.le.observedHolder()).toBe('pod-b');
    c.ac.abort();
    await c.run;
    expect(c.events).toEqual([]);
  });

  it('takes over one lease duration after the holder stopped renewing, counting a transition', async () => {
    const clock = new ManualClock();
    const store = new FakeLeaseStore();
    heldByB(store, clock, 3);
    const t0 = clock.now();
    const c = candidate(store, clock, 'pod-a');
    await clock.advance(14_000);
    expect(c.le.isLeader()).toBe(false);
    await clock.advance(4_000);
    expect(c.le.isLeader()).toBe(true);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(15_000);
    expect(store.lease!.spec!.holderIdentity).toBe('pod-a');
    expect(store.lease!.spec!.leaseTransitions).toBe(4);
    expect(Date.parse(String(store.lease!.spec!.acquireTime))).toBeGreaterThanOrEqual(t0 + 15_000);
    c.ac.abort();
    await c.run;
  });

  it('a waiting candidate tries again right when the holder’s lease runs out, not a jittered retry later', async () => {
    const clock = new ManualClock();
    const store = new FakeLeaseStore();
    heldByB(store, clock);
    const t0 = clock.now();
    let started: number | undefined;
    const ac = new AbortController();
    const le = new LeaderElector({
      coordination: store.client(),
      namespace: 'ns',
      name: 'lease',
      identity: 'pod-a',
      clock,
      log: memoryLogger().log,
      // The longest jitter: retries 4.4 s apart would try at 0, 4.4, 8.8, 13.2 and 17.6 s.
      random: () => 0.999,
      onStartedLeading: () => (started = clock.now()),
      onStoppedLeading: () => undefined,
    });
    const run = le.run(ac.signal);
    while (started === undefined && clock.now() - t0 < 30_000) await clock.advance(50);
    expect(started! - t0).toBeGreaterThanOrEqual(15_000);
    expect(started! - t0).toBeLessThanOrEqual(15_000 + 100);
    ac.abort();
    await run;
  });

  it('loses a 409 race without error, and only one of two candidates leads', async () => {
    const clock = new ManualClock();
    const store = new FakeLeaseStore();
    store.put({ holderIdentity: '', leaseDurationSeconds: 15, leaseTransitions: 1 });
    let raced = false;
    store.beforeReplace = () => {
      // pod-b writes between our read and our replace: our resourceVersion is now stale.
      if (raced) return;
      raced = true;
      heldByB(store, clock, 2);
    };
    const c = candidate(store, clock, 'pod-a');
    await flush();
    expect(c.le.isLeader()).toBe(false);
    expect(store.lease!.spec!.holderIdentity).toBe('pod-b');
    const b = candidate(store, clock, 'pod-b');
    await flush();
    expect(b.le.isLeader()).toBe(true); // pod-b renews its own lease
    await clock.advance(30_000);
    expect([c.le.isLeader(), b.le.isLeader()]).toEqual([false, true]);
    c.ac.abort();
    b.ac.abort();
    await Promise.all([c.run, b.run]);
  });

  it('with two candidates on one store, exactly one leads and the other takes over after release', async () => {
    const clock = new ManualClock();
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, 'pod-a');
    const b = candidate(store, clock, 'pod-b');
    await clock.advance(20_000);
    expect([a.le.isLeader(), b.le.isLeader()]).toEqual([true, false]);
    a.ac.abort();
    await a.run;
    expect(a.events).toEqual(['started', 'stopped:released']);
    expect(store.lease!.spec!.holderIdentity).toBe('');
    await clock.advance(5_000); // well before the 15 s expiry
    expect(b.le.isLeader()).toBe(true);
    b.ac.abort();
    await b.run;
  });

  it('loses leadership when renewals keep failing past the renew deadline, and says so once', async () => {
    const clock = new ManualClock();
    const store = new FakeLeaseStore();
    const c = candidate(store, clock, 'pod-a');
    await flush();
    expect(c.le.isLeader()).toBe(true);
    store.fail = apiError(500, 'InternalError');
    const failedAt = clock.now();
    await clock.advance(11_000);
    expect(c.le.isLeader()).toBe(true); // within the 2 s sleep + 10 s deadline window
    await clock.advance(2_000);
    expect(c.le.isLeader()).toBe(false);
    expect(c.finished()).toBe(true);
    expect(c.stopped).toEqual(['lost']);
    expect(clock.now() - failedAt).toBeLessThanOrEqual(13_000);
    expect(await metricValue(c.registry, 'leader_election_master_status', { name: 'lease' })).toBe(0);
  });

  it('counts a renewal call that hangs as failed when the deadline passes', async () => {
    const clock = new ManualClock();
    const store = new FakeLeaseStore();
    const c = candidate(store, clock, 'pod-a');
    await flush();
    store.fail = 'hang';
    await clock.advance(2_000 + 10_000);
    expect(c.stopped).toEqual(['lost']);
    expect(c.le.isLeader()).toBe(false);
  });

  it('survives a transient renewal failure inside the deadline', async () => {
    const clock = new ManualClock();
    const store = new FakeLeaseStore();
    const c = candidate(store, clock, 'pod-a');
    await flush();
    store.fail = apiError(503, 'ServiceUnavailable');
    await clock.advance(6_000);
    store.fail = undefined;
    await clock.advance(30_000);
    expect(c.le.isLeader()).toBe(true);
    expect(c.stopped).toEqual([]);
    c.ac.abort();
    await c.run;
  });

  it('loses leadership if another candidate stole the lease (renewals then 409/held)', async () => {
    const clock = new ManualClock();
    const store = new FakeLeaseStore();
    const c = candidate(store, clock, 'pod-a');
    await flush();
    // An operator forcibly hands the lease to pod-b, which keeps renewing.
    const steal = (): void => heldByB(store, clock, 9);
    steal();
    for (let i = 0; i < 8; i++) {
      await clock.advance(2_000);
      steal();
    }
    expect(c.stopped).toEqual(['lost']);
    expect(store.lease!.spec!.holderIdentity).toBe('pod-b');
  });
});
