import { randomBytes } from 'node:crypto';
import { CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  assertRuntimeBuilt,
  killAllHarnesses,
  startHarness,
  type HarnessEvent,
  type HarnessProcess,
} from '../support/harness-process.js';
import { eventually, testKube, type TestKube } from '../support/kube.js';
import { createTestCR, getTestCR } from '../support/test-cr.js';

// Two operator-like processes (test/integration/support/runtime-harness.mjs: Manager + LeaderElector +
// SupervisedInformer + Controller from the compiled runtime) compete for one real Lease. Durations are
// short for the test: lease 4 s, renew deadline 3 s, retry period 0.5 s (jittered up to ×2.2).
const LEASE_MS = 4_000;
const RETRY_MS = 500;

describe('leader election between two operator processes on a real Lease', () => {
  let k: TestKube;
  let leases: CoordinationV1Api;
  let ns: string;

  beforeAll(async () => {
    assertRuntimeBuilt();
    k = testKube();
    leases = k.kc.makeApiClient(CoordinationV1Api);
    ns = await k.freshNamespace('rt-le');
  });
  afterEach(killAllHarnesses);
  afterAll(killAllHarnesses);

  const lease = (name: string): Promise<V1Lease> => leases.readNamespacedLease({ name, namespace: ns });

  /** Starts two candidates on `leaseName` and waits until both serve their probes. */
  async function twoCandidates(leaseName: string): Promise<[HarnessProcess, HarnessProcess]> {
    const tag = randomBytes(2).toString('hex');
    const pair = (['a', 'b'] as const).map((n) =>
      startHarness({
        kubeconfig: k.kubeconfig,
        namespace: ns,
        lease: leaseName,
        identity: `${leaseName}-${n}-${tag}`,
        leaseMs: LEASE_MS,
        retryMs: RETRY_MS,
      }),
    ) as [HarnessProcess, HarnessProcess];
    await Promise.all(pair.map((h) => h.waitFor('ports')));
    return pair;
  }

  /** Waits until exactly one of `pair` leads and the Lease names it; returns [leader, follower]. */
  async function electedLeader(
    pair: [HarnessProcess, HarnessProcess],
    leaseName: string,
  ): Promise<[HarnessProcess, HarnessProcess]> {
    const leader = await eventually(
      async () => {
        const leading = pair.filter((h) => h.isLeading());
        if (leading.length !== 1) return undefined;
        const holder = (await lease(leaseName)).spec?.holderIdentity;
        return holder === leading[0]!.identity ? leading[0] : undefined;
      },
      'exactly one leader, named by the Lease',
      20_000,
      50,
    );
    return leader === pair[0] ? [pair[0], pair[1]] : [pair[1], pair[0]];
  }

  /**
   * Asserts that the leadership intervals the processes reported never overlap. Each harness reports
   * `leading`/`stopped-leading` at the instant its elector flips; a killed process's interval ends at
   * its death (`endOf`), which is before the survivor could have acquired. Returns a summary to print.
   */
  function expectNoOverlap(all: HarnessProcess[], endOf: Map<HarnessProcess, number>): string {
    const intervals: Array<{ who: string; from: number; to: number }> = [];
    for (const h of all) {
      let from: number | undefined;
      for (const e of h.events) {
        if (e.event === 'leading') from = e.at;
        if (e.event === 'stopped-leading' && from !== undefined) {
          intervals.push({ who: h.identity, from, to: e.at });
          from = undefined;
        }
      }
      if (from !== undefined) intervals.push({ who: h.identity, from, to: endOf.get(h) ?? Infinity });
    }
    intervals.sort((x, y) => x.from - y.from);
    for (let i = 1; i < intervals.length; i++)
      expect(intervals[i]!.from, `leadership overlap: ${JSON.stringify(intervals)}`).toBeGreaterThanOrEqual(
        intervals[i - 1]!.to,
      );
    const t0 = intervals[0]?.from ?? 0;
    return intervals.map((x) => `${x.who} [${x.from - t0}, ${x.to - t0}] ms`).join('; ');
  }

  /** Probes a harness's endpoint. */
  async function probe(h: HarnessProcess, which: 'metricsPort' | 'healthPort', p: string): Promise<Response> {
    const ports = h.events.find((e) => e.event === 'ports') as HarnessEvent;
    return fetch(`http://127.0.0.1:${String(ports[which])}${p}`);
  }

  it('two instances elect exactly one leader; only it reconciles; SIGTERM hands over within ~2 s and exits 0', async () => {
    const leaseName = 'rt-graceful';
    await createTestCR(k.custom, ns, 'le-graceful');
    const pair = await twoCandidates(leaseName);
    const [leader, follower] = await electedLeader(pair, leaseName);

    // Over several renew periods: one leader, the Lease names it, the other stays a follower.
    const watchUntil = Date.now() + 3_000;
    while (Date.now() < watchUntil) {
      expect(pair.filter((h) => h.isLeading())).toEqual([leader]);
      expect((await lease(leaseName)).spec?.holderIdentity).toBe(leader.identity);
      await new Promise((r) => setTimeout(r, 200));
    }

    // Only the leader reconciles (its identity lands in the status); both are ready (standbys too).
    await leader.waitFor('reconciled', { pred: (e) => e.key === `${ns}/le-graceful` && e.wrote === true });
    expect((await getTestCR(k.custom, ns, 'le-graceful')).status?.id).toBe(leader.identity);
    expect(follower.events.filter((e) => e.event === 'reconciled')).toEqual([]);
    for (const h of pair) {
      await h.waitFor('synced');
      expect((await probe(h, 'healthPort', '/readyz')).status).toBe(200);
      const text = await (await probe(h, 'metricsPort', '/metrics')).text();
      expect(text).toContain(`leader_election_master_status{name="${leaseName}"} ${h === leader ? 1 : 0}`);
    }
    const transitionsBefore = (await lease(leaseName)).spec?.leaseTransitions ?? 0;

    // Graceful stop: the leader releases the lease; the follower takes over at its next retry.
    const stopAt = Date.now();
    leader.signal('SIGTERM');
    const took = await follower.waitFor('leading', { since: stopAt, timeoutMs: 15_000 });
    const exit = await leader.exited;
    const handoverMs = took.at - stopAt;
    console.log(`graceful handover (SIGTERM → other leads): ${handoverMs} ms; old leader exit ${exit.code}`);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(leader.events.map((e) => e.event)).toContain('stopped-leading');
    expect(leader.events.find((e) => e.event === 'exit')?.code).toBe(0);
    // The issue asks for ~2 s; the bound (a timeout, not a benchmark) leaves room for a loaded machine.
    expect(handoverMs).toBeLessThan(5_000);
    console.log(`leadership intervals: ${expectNoOverlap(pair, new Map())}`);

    const after = await lease(leaseName);
    expect(after.spec?.holderIdentity).toBe(follower.identity);
    expect(after.spec?.leaseTransitions).toBe(transitionsBefore + 1);
    // The new leader's controller starts and reconciles the existing object.
    await eventually(
      async () =>
        (await getTestCR(k.custom, ns, 'le-graceful')).status?.id === follower.identity ? true : undefined,
      'the new leader reconciles',
      15_000,
    );

    // The remaining instance also stops gracefully with exit code 0.
    follower.signal('SIGTERM');
    expect(await follower.exited).toEqual({ code: 0, signal: null });
  });

  it('SIGKILL of the leader: the other takes over once the lease expires, within the lease duration', async () => {
    const leaseName = 'rt-kill';
    const pair = await twoCandidates(leaseName);
    const [leader, follower] = await electedLeader(pair, leaseName);
    // Steady state first: let the follower observe a few renewals.
    await new Promise((r) => setTimeout(r, 3 * RETRY_MS));
    expect(pair.filter((h) => h.isLeading())).toEqual([leader]);

    const killAt = Date.now();
    leader.signal('SIGKILL');
    const exit = await leader.exited;
    const diedAt = Date.now();
    expect(exit.signal).toBe('SIGKILL');
    // The Lease still names the dead leader: nobody released it.
    expect((await lease(leaseName)).spec?.holderIdentity).toBe(leader.identity);

    const took = await follower.waitFor('leading', { since: killAt, timeoutMs: LEASE_MS + 10_000 });
    const handoverMs = took.at - killAt;
    console.log(`SIGKILL handover (kill → other leads): ${handoverMs} ms (lease duration ${LEASE_MS} ms)`);
    expect(handoverMs).toBeLessThan(LEASE_MS + 3_000);
    // Safety: the survivor waited for the lease to expire. It counts the lease from when it saw the
    // dead leader's last renewal (at most one retry period plus two calls before the kill), so it
    // takes over about LEASE_MS after the kill; half of that leaves room for a slow, loaded machine.
    expect(handoverMs).toBeGreaterThan(LEASE_MS / 2);
    console.log(`leadership intervals: ${expectNoOverlap(pair, new Map([[leader, diedAt]]))}`);

    const after = await lease(leaseName);
    expect(after.spec?.holderIdentity).toBe(follower.identity);
    expect(follower.isLeading()).toBe(true);
  });
});
