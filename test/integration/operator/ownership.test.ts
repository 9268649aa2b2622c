/**
 * "A resource may touch only the cloud service it owns", on a real apiserver with the simulator and the
 * operator binary. Two teams share one cluster and the operator's default credentials (one cloud
 * account): team-a tries to take over team-b's service by adoption and by observe-then-manage; a pass
 * for a deleted object must not write into its same-name successor; and a hostile `Retry-After` must
 * not freeze the workers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWNERSHIP_TAG_KEY } from '../../../src/api/constants.js';
import type { VpcEndpointService } from '../../../src/api/types.js';
import type { Simulator } from '../../../src/simulator/index.js';
import { eventually, testKube, type TestKube } from '../support/kube.js';
import {
  cond,
  createCR,
  deleteCR,
  getCR,
  isReady,
  patchCR,
  specFor,
  startOperator,
  startTestSimulator,
  uuid,
  waitForCR,
  type OperatorProcess,
} from '../support/operator.js';

const SERVICE_ID = 'vpcep.huaweicloud.io/service-id';
const POLICY = 'vpcep.huaweicloud.io/management-policy';

const total = (sim: Simulator): number => Object.values(sim.controls.counters()).reduce((a, b) => a + b, 0);

const gone = (k: TestKube, ns: string, name: string) =>
  eventually(
    async () => ((await getCR(k.custom, ns, name)) === undefined ? true : undefined),
    `${ns}/${name} to be gone`,
    60_000,
    100,
  );

/** The cloud service as the simulator holds it (a JSON snapshot, for "untouched" comparisons). */
const snapshot = (sim: Simulator, id: string): string =>
  JSON.stringify(sim.controls.services().find((s) => s.id === id));

const ownedBy = (sim: Simulator, uid: string | undefined) =>
  sim.controls.services().filter((s) => s.tags?.some((t) => t.key === OWNERSHIP_TAG_KEY && t.value === uid));

/** team-b's resource, Ready, with what its cloud service looks like now. */
async function teamB(k: TestKube, ns: string, name: string, sim: Simulator) {
  await createCR(k.custom, ns, name, specFor({ portId: uuid(), vpcId: uuid(), description: 'orders' }));
  const cr = await waitForCR(k.custom, ns, name, isReady, `${name} Ready`);
  const id = cr!.status!.id!;
  return { cr: cr!, id, before: snapshot(sim, id) };
}

/** Deletes team-a's refused resource and returns the cloud calls made until it was gone. */
async function deleteRefused(k: TestKube, ns: string, name: string, sim: Simulator): Promise<number> {
  const before = total(sim);
  await deleteCR(k.custom, ns, name);
  await gone(k, ns, name);
  return total(sim) - before;
}

describe('two teams, one cloud account: no cross-namespace takeover', () => {
  let k: TestKube;
  let nsA: string;
  let nsB: string;
  let sim: Simulator;
  let op: OperatorProcess;

  beforeAll(async () => {
    k = testKube();
    nsA = await k.freshNamespace('team-a');
    nsB = await k.freshNamespace('team-b');
    sim = await startTestSimulator({ createDelayMs: 500 });
    op = startOperator({ kubeconfig: k.kubeconfig, simUrl: sim.url, namespaces: [nsA, nsB] });
  });
  afterAll(async () => {
    const code = await op?.stop();
    await sim?.close();
    expect(code).toBe(0);
  });

  it('adopting another team service: OwnedByAnother, deleting makes no cloud call, theirs untouched', async () => {
    const b = await teamB(k, nsB, 'orders', sim);
    await createCR(k.custom, nsA, 'thief', specFor({ portId: uuid(), vpcId: uuid(), description: 'mine' }), {
      [SERVICE_ID]: b.id,
    });
    const refused = await waitForCR(
      k.custom,
      nsA,
      'thief',
      (c) => cond(c, 'Ready')?.reason === 'OwnedByAnother',
      'OwnedByAnother',
    );
    // Nothing was created or claimed for it, so it holds no finalizer of ours.
    expect(refused?.metadata.finalizers ?? []).not.toContain('vpcep.huaweicloud.io/finalizer');
    expect(refused?.status?.id).toBeUndefined();
    const told =
      JSON.stringify(refused?.status) + (await k.kubectl('get', 'events', '-n', nsA, '-o', 'json'));
    expect(told).not.toContain(b.cr.metadata.uid);
    expect(told).not.toContain(nsB);

    expect(await deleteRefused(k, nsA, 'thief', sim)).toBe(0);
    expect(snapshot(sim, b.id)).toBe(b.before);

    // team-b's next syncs (resync shortened to 1 s) find its own service, same id, nothing re-created.
    const creates = sim.controls.counters().create;
    await patchCR(k.custom, nsB, 'orders', {
      metadata: { annotations: { 'vpcep.huaweicloud.io/resync-period': '1s' } },
    });
    await new Promise((r) => setTimeout(r, 2_500));
    const after = await getCR(k.custom, nsB, 'orders');
    expect(isReady(after)).toBe(true);
    expect(after?.status?.id).toBe(b.id);
    expect(sim.controls.counters().create).toBe(creates);
    expect(snapshot(sim, b.id)).toBe(b.before);
    // Back to the default period, and quiet again, so later tests can count calls.
    await patchCR(k.custom, nsB, 'orders', {
      metadata: { annotations: { 'vpcep.huaweicloud.io/resync-period': null } },
    });
    await new Promise((r) => setTimeout(r, 1_500));
  });

  it('observe-only of another team service is refused; switching to managed never writes it', async () => {
    const b = await teamB(k, nsB, 'payments', sim);
    await createCR(k.custom, nsA, 'watcher', specFor({ portId: uuid(), vpcId: uuid() }), {
      [SERVICE_ID]: b.id,
      [POLICY]: 'observe',
    });
    const refused = await waitForCR(
      k.custom,
      nsA,
      'watcher',
      (c) => cond(c, 'Ready')?.reason === 'OwnedByAnother',
      'OwnedByAnother',
    );
    // Nothing of team-b's service is shown: not its id in status, nor its name, pool or timestamps.
    expect(refused?.status?.id).toBeUndefined();
    expect(refused?.status?.poolId).toBeUndefined();
    expect(cond(refused, 'Ready')?.message).toContain('--allow-observe-owned');

    const writes = (): number[] => {
      const c = sim.controls.counters();
      return [c.update ?? 0, c.tags ?? 0, c.delete ?? 0];
    };
    const w0 = writes();
    await patchCR(k.custom, nsA, 'watcher', {
      metadata: { annotations: { [POLICY]: null } },
      spec: { description: 'taken over', ports: [{ clientPort: 9999, serverPort: 99 }] },
    });
    await waitForCR(
      k.custom,
      nsA,
      'watcher',
      (c) => c?.metadata.generation === 2 && cond(c, 'Ready')?.observedGeneration === 2,
      'generation 2 handled',
    );
    expect(cond(await getCR(k.custom, nsA, 'watcher'), 'Ready')?.reason).toBe('OwnedByAnother');
    expect(writes()).toEqual(w0);
    expect(snapshot(sim, b.id)).toBe(b.before);
    expect(await deleteRefused(k, nsA, 'watcher', sim)).toBe(0);
    expect(snapshot(sim, b.id)).toBe(b.before);
  });

  it('a pass for a deleted object never writes its status.id into the same-name successor', async () => {
    // The create is held 3 s in the simulator; meanwhile the user forces the finalizer off, deletes
    // the object and applies a new one of the same name.
    sim.controls.setFaults({
      operations: ['create'],
      match: 'held-create',
      latencyMs: { min: 3_000, max: 3_000 },
    });
    try {
      const first = await createCR(
        k.custom,
        nsA,
        'phoenix',
        specFor({ portId: uuid(), vpcId: uuid(), description: 'held-create' }),
      );
      await waitForCR(
        k.custom,
        nsA,
        'phoenix',
        (c) => c?.metadata.annotations?.['vpcep.huaweicloud.io/create-requested-at'] !== undefined,
        'the create to be in flight',
      );
      await patchCR(k.custom, nsA, 'phoenix', { metadata: { finalizers: null } });
      await deleteCR(k.custom, nsA, 'phoenix').catch(() => undefined);
      await gone(k, nsA, 'phoenix');
      const second = await createCR(
        k.custom,
        nsA,
        'phoenix',
        specFor({ portId: uuid(), vpcId: uuid(), description: 'reborn' }),
      );
      expect(second.metadata.uid).not.toBe(first.metadata.uid);

      const seenIds = new Set<string>();
      const ready = await eventually(
        async () => {
          const c = await getCR(k.custom, nsA, 'phoenix');
          if (c?.status?.id) seenIds.add(c.status.id);
          return isReady(c) ? c : undefined;
        },
        'the successor Ready',
        60_000,
        50,
      );
      const oldIds = sim.controls
        .services()
        .filter((s) => s.description === 'held-create')
        .map((s) => s.id);
      for (const id of oldIds) expect(seenIds.has(id)).toBe(false);
      expect(ownedBy(sim, ready.metadata.uid).map((s) => s.id)).toEqual([ready.status?.id]);
      // The old UID's service is deleted by the pass that created it; it is never re-tagged.
      await eventually(
        async () => (ownedBy(sim, first.metadata.uid).length === 0 ? true : undefined),
        "the old object's service to be deleted",
        30_000,
        200,
      );
      expect(op.lines.some((l) => l.includes('orphan-deleted'))).toBe(true);
    } finally {
      sim.controls.clearFaults();
    }
  });
});

describe('observe-only of another team service, when the operator allows it', () => {
  let k: TestKube;
  let ns: string;
  let sim: Simulator;
  let op: OperatorProcess;

  beforeAll(async () => {
    k = testKube();
    ns = await k.freshNamespace('observe-ok');
    sim = await startTestSimulator({ createDelayMs: 300 });
    op = startOperator({
      kubeconfig: k.kubeconfig,
      simUrl: sim.url,
      namespaces: [ns],
      args: ['--allow-observe-owned'],
    });
  });
  afterAll(async () => {
    const code = await op?.stop();
    await sim?.close();
    expect(code).toBe(0);
  });

  it('observes it; a switch to managed is refused with no write, and deleting makes no cloud call', async () => {
    const b = await teamB(k, ns, 'owner', sim);
    await createCR(k.custom, ns, 'watcher', specFor({ portId: uuid(), vpcId: uuid() }), {
      [SERVICE_ID]: b.id,
      [POLICY]: 'observe',
    });
    const observed = await waitForCR(k.custom, ns, 'watcher', isReady, 'observing Ready');
    expect(observed?.status?.id).toBe(b.id);

    const before = sim.controls.counters();
    await patchCR(k.custom, ns, 'watcher', {
      metadata: { annotations: { [POLICY]: null } },
      spec: { description: 'taken over' },
    });
    await waitForCR(
      k.custom,
      ns,
      'watcher',
      (c) => cond(c, 'Ready')?.reason === 'OwnedByAnother',
      'OwnedByAnother after the switch',
    );
    const after = sim.controls.counters();
    expect([after.update ?? 0, after.tags ?? 0]).toEqual([before.update ?? 0, before.tags ?? 0]);
    expect(snapshot(sim, b.id)).toBe(b.before);
    expect(await deleteRefused(k, ns, 'watcher', sim)).toBe(0);
    expect(snapshot(sim, b.id)).toBe(b.before);
    expect(isReady(await getCR(k.custom, ns, 'owner'))).toBe(true);
  });
});

describe('a hostile Retry-After cannot freeze the operator', () => {
  it('8 throttled resources on 4 workers each show Throttled, a 9th reaches Ready, SIGTERM exits in 5 s', async () => {
    const k = testKube();
    const ns = await k.freshNamespace('throttle');
    const sim = await startTestSimulator({
      createDelayMs: 300,
      faults: {
        operations: ['create'],
        match: 'throttle-me',
        errorRate: 1,
        errorKind: '429',
        retryAfter: '999999',
      },
    });
    const op = startOperator({
      kubeconfig: k.kubeconfig,
      simUrl: sim.url,
      namespaces: [ns],
      args: ['--max-concurrent-reconciles=4'],
    });
    try {
      const names = Array.from({ length: 8 }, (_, i) => `hostile-${i}`);
      for (const name of names)
        await createCR(
          k.custom,
          ns,
          name,
          specFor({ portId: uuid(), vpcId: uuid(), description: 'throttle-me' }),
        );
      await createCR(
        k.custom,
        ns,
        'healthy',
        specFor({ portId: uuid(), vpcId: uuid(), description: 'fine' }),
      );
      const started = Date.now();
      for (const name of names) {
        const cr = await waitForCR(
          k.custom,
          ns,
          name,
          (c: VpcEndpointService | undefined) => cond(c, 'Synced')?.reason === 'Throttled',
          'Throttled',
          60_000,
        );
        expect(cond(cr, 'Synced')?.message).toMatch(/trying again in 30 s/);
      }
      await waitForCR(k.custom, ns, 'healthy', isReady, 'the healthy resource Ready', 60_000);
      console.log(`8 throttled + 1 healthy: all seen within ${Date.now() - started} ms`);
    } finally {
      const t0 = Date.now();
      const code = await op.stop();
      const took = Date.now() - t0;
      await sim.close();
      console.log(`SIGTERM to exit: ${took} ms`);
      expect(code).toBe(0);
      expect(took).toBeLessThan(5_000);
    }
  });
});
