import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWNERSHIP_TAG_KEY } from '../../../src/api/constants.js';
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

const gone = (k: TestKube, ns: string, name: string) =>
  eventually(
    async () => ((await getCR(k.custom, ns, name)) === undefined ? true : undefined),
    `${name} to be gone`,
    60_000,
    200,
  );

describe('VpcEndpointService behaviours', () => {
  let k: TestKube;
  let ns: string;
  let sim: Simulator;
  let op: OperatorProcess;

  beforeAll(async () => {
    k = testKube();
    ns = await k.freshNamespace('behave');
    sim = await startTestSimulator({ createDelayMs: 4_000, deleteDelayMs: 1_000 });
    op = startOperator({ kubeconfig: k.kubeconfig, simUrl: sim.url, namespaces: [ns] });
  });
  afterAll(async () => {
    expect(await op?.stop()).toBe(0);
    await sim?.close();
  });

  it('deletes a resource while the cloud is still creating it', async () => {
    await createCR(k.custom, ns, 'early', specFor({ portId: uuid(), vpcId: uuid() }));
    const creating = await waitForCR(
      k.custom,
      ns,
      'early',
      (c) => c?.status?.status === 'creating',
      'creating',
    );
    expect(cond(creating, 'Ready')?.reason).toBe('Creating');
    await deleteCR(k.custom, ns, 'early');
    await gone(k, ns, 'early');
    expect(sim.controls.services().find((s) => s.id === creating?.status?.id)).toBeUndefined();
  });

  it('applies a spec change made while creating once the service is available', async () => {
    await createCR(k.custom, ns, 'change', specFor({ portId: uuid(), vpcId: uuid(), description: 'first' }));
    await waitForCR(k.custom, ns, 'change', (c) => c?.status?.status === 'creating', 'creating');
    await patchCR(k.custom, ns, 'change', { spec: { description: 'second' } });
    const cr = await waitForCR(
      k.custom,
      ns,
      'change',
      (c) => c?.metadata.generation === 2 && isReady(c),
      'Ready at generation 2',
    );
    expect(sim.controls.services().find((s) => s.id === cr?.status?.id)?.description).toBe('second');
  });

  it('Retain leaves the cloud service in place', async () => {
    await createCR(
      k.custom,
      ns,
      'keep',
      specFor({ portId: uuid(), vpcId: uuid(), deletionPolicy: 'Retain' }),
    );
    const cr = await waitForCR(k.custom, ns, 'keep', isReady, 'Ready');
    await deleteCR(k.custom, ns, 'keep');
    await gone(k, ns, 'keep');
    expect(sim.controls.services().find((s) => s.id === cr?.status?.id)?.status).toBe('available');
  });

  it('adopts an existing service by id, tags it, and deletes it with the resource', async () => {
    const donor = await createCR(
      k.custom,
      ns,
      'donor',
      specFor({ portId: uuid(), vpcId: uuid(), deletionPolicy: 'Retain' }),
    );
    const ready = await waitForCR(k.custom, ns, 'donor', isReady, 'donor Ready');
    const id = ready!.status!.id!;
    await deleteCR(k.custom, ns, 'donor');
    await gone(k, ns, 'donor');
    // Free the service from the donor's ownership tag, as an unmanaged service would be.
    const svc = sim.controls.services().find((s) => s.id === id)!;
    sim.controls.mutateService(id, { tags: (svc.tags ?? []).filter((t) => t.key !== OWNERSHIP_TAG_KEY) });
    expect(donor.metadata.uid).toBeDefined();
    await createCR(k.custom, ns, 'adopter', specFor({ portId: svc.port_id!, vpcId: svc.vpc_id! }), {
      'vpcep.huaweicloud.io/service-id': id,
    });
    const adopted = await waitForCR(k.custom, ns, 'adopter', isReady, 'adopter Ready');
    expect(adopted?.status?.id).toBe(id);
    expect(sim.controls.services().find((s) => s.id === id)?.tags).toContainEqual({
      key: OWNERSHIP_TAG_KEY,
      value: adopted?.metadata.uid,
    });
    await deleteCR(k.custom, ns, 'adopter');
    await gone(k, ns, 'adopter');
    expect(sim.controls.services().find((s) => s.id === id)).toBeUndefined();
  });

  it('observe-only reads the service and never writes or deletes it', async () => {
    await createCR(
      k.custom,
      ns,
      'source',
      specFor({ portId: uuid(), vpcId: uuid(), description: 'cloud truth', deletionPolicy: 'Retain' }),
    );
    const source = await waitForCR(k.custom, ns, 'source', isReady, 'source Ready');
    const id = source!.status!.id!;
    await deleteCR(k.custom, ns, 'source');
    await gone(k, ns, 'source');
    const c0 = sim.controls.counters();
    await createCR(
      k.custom,
      ns,
      'watcher',
      specFor({ portId: uuid(), vpcId: source!.spec.vpcId, description: 'different' }),
      {
        'vpcep.huaweicloud.io/service-id': id,
        'vpcep.huaweicloud.io/management-policy': 'observe',
      },
    );
    const w = await waitForCR(k.custom, ns, 'watcher', isReady, 'watcher Ready');
    expect(w?.status?.id).toBe(id);
    expect(w?.metadata.finalizers ?? []).not.toContain('vpcep.huaweicloud.io/finalizer');
    await deleteCR(k.custom, ns, 'watcher');
    await gone(k, ns, 'watcher');
    const c1 = sim.controls.counters();
    for (const write of ['create', 'update', 'delete', 'tags'])
      expect(c1[write] ?? 0, write).toBe(c0[write] ?? 0);
    expect(sim.controls.services().find((s) => s.id === id)?.description).toBe('cloud truth');
  });

  it('paused: no cloud calls, a condition says so; unpausing resumes', async () => {
    const c0 = sim.controls.counters();
    await createCR(k.custom, ns, 'paused', specFor({ portId: uuid(), vpcId: uuid() }), {
      'vpcep.huaweicloud.io/paused': 'true',
    });
    const cr = await waitForCR(
      k.custom,
      ns,
      'paused',
      (c) => cond(c, 'Synced')?.reason === 'Paused',
      'Synced=False Paused',
    );
    expect(cond(cr, 'Synced')?.status).toBe('False');
    const c1 = sim.controls.counters();
    expect(c1.create ?? 0).toBe(c0.create ?? 0);
    expect(c1.queryTags ?? 0).toBe(c0.queryTags ?? 0);
    await patchCR(k.custom, ns, 'paused', {
      metadata: { annotations: { 'vpcep.huaweicloud.io/paused': null } },
    });
    await waitForCR(k.custom, ns, 'paused', isReady, 'Ready after unpausing');
  });

  it('corrects drift made behind its back within one resync period', async () => {
    await createCR(
      k.custom,
      ns,
      'drift',
      specFor({ portId: uuid(), vpcId: uuid(), description: 'desired' }),
      {
        'vpcep.huaweicloud.io/resync-period': '3s',
      },
    );
    const cr = await waitForCR(k.custom, ns, 'drift', isReady, 'Ready');
    const id = cr!.status!.id!;
    sim.controls.mutateService(id, { description: 'changed by hand', approval_enabled: true });
    await eventually(
      async () => {
        const s = sim.controls.services().find((x) => x.id === id);
        return s?.description === 'desired' && s.approval_enabled === false ? true : undefined;
      },
      'drift to be corrected',
      15_000,
      200,
    );
    const events = await k.kubectl(
      'get',
      'events.events.k8s.io',
      '-n',
      ns,
      '--field-selector',
      'reason=DriftCorrected',
      '-o',
      'name',
    );
    expect(events.trim()).not.toBe('');
  });

  it('re-creates a service that vanished behind its back', async () => {
    await createCR(k.custom, ns, 'vanish', specFor({ portId: uuid(), vpcId: uuid() }), {
      'vpcep.huaweicloud.io/resync-period': '3s',
    });
    const cr = await waitForCR(k.custom, ns, 'vanish', isReady, 'Ready');
    const oldId = cr!.status!.id!;
    sim.controls.removeService(oldId);
    const again = await waitForCR(
      k.custom,
      ns,
      'vanish',
      (c) => isReady(c) && c?.status?.id !== oldId,
      'Ready with a new id',
      60_000,
    );
    expect(
      sim.controls.services().filter((s) => s.tags?.some((t) => t.value === cr?.metadata.uid)),
    ).toHaveLength(1);
    expect(again?.status?.id).toBeDefined();
    const events = await k.kubectl('get', 'events.events.k8s.io', '-n', ns, '-o', 'json');
    expect(events).toMatch(/"reason": "ServiceVanished"/);
    expect(events).toMatch(/"reason": "Recreated"/);
  });
});
