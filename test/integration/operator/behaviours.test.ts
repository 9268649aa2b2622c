import { describe, expect, it } from 'vitest';
import { OWNERSHIP_TAG_KEY } from '../../../src/api/constants.js';
import { eventually, type TestKube } from '../support/kube.js';
import {
  cond,
  createCR,
  deleteCR,
  getCR,
  isReady,
  patchCR,
  specFor,
  uuid,
  waitForCR,
  useOperatorFixture,
} from '../support/operator.js';

const gone = (k: TestKube, ns: string, name: string) =>
  eventually(
    async () => ((await getCR(k.custom, ns, name)) === undefined ? true : undefined),
    `${name} to be gone`,
    60_000,
    200,
  );

describe('VpcEndpointService behaviours', () => {
  const f = useOperatorFixture('behave', { sim: { createDelayMs: 4_000, deleteDelayMs: 1_000 } });

  it('deletes a resource while the cloud is still creating it', async () => {
    await createCR(f.k.custom, f.ns, 'early', specFor({ portId: uuid(), vpcId: uuid() }));
    const creating = await waitForCR(
      f.k.custom,
      f.ns,
      'early',
      (c) => c?.status?.status === 'creating',
      'creating',
    );
    expect(cond(creating, 'Ready')?.reason).toBe('Creating');
    await deleteCR(f.k.custom, f.ns, 'early');
    await gone(f.k, f.ns, 'early');
    expect(f.sim.controls.services().find((s) => s.id === creating?.status?.id)).toBeUndefined();
  });

  it('applies a spec change made while creating once the service is available', async () => {
    await createCR(
      f.k.custom,
      f.ns,
      'change',
      specFor({ portId: uuid(), vpcId: uuid(), description: 'first' }),
    );
    await waitForCR(f.k.custom, f.ns, 'change', (c) => c?.status?.status === 'creating', 'creating');
    await patchCR(f.k.custom, f.ns, 'change', { spec: { description: 'second' } });
    const cr = await waitForCR(
      f.k.custom,
      f.ns,
      'change',
      (c) => c?.metadata.generation === 2 && isReady(c),
      'Ready at generation 2',
    );
    expect(f.sim.controls.services().find((s) => s.id === cr?.status?.id)?.description).toBe('second');
  });

  it('Retain leaves the cloud service in place', async () => {
    await createCR(
      f.k.custom,
      f.ns,
      'keep',
      specFor({ portId: uuid(), vpcId: uuid(), deletionPolicy: 'Retain' }),
    );
    const cr = await waitForCR(f.k.custom, f.ns, 'keep', isReady, 'Ready');
    await deleteCR(f.k.custom, f.ns, 'keep');
    await gone(f.k, f.ns, 'keep');
    expect(f.sim.controls.services().find((s) => s.id === cr?.status?.id)?.status).toBe('available');
  });

  it('adopts an existing service by id, tags it, and deletes it with the resource', async () => {
    const donor = await createCR(
      f.k.custom,
      f.ns,
      'donor',
      specFor({ portId: uuid(), vpcId: uuid(), deletionPolicy: 'Retain' }),
    );
    const ready = await waitForCR(f.k.custom, f.ns, 'donor', isReady, 'donor Ready');
    const id = ready!.status!.id!;
    await deleteCR(f.k.custom, f.ns, 'donor');
    await gone(f.k, f.ns, 'donor');
    // Free the service from the donor's ownership tag, as an unmanaged service would be.
    const svc = f.sim.controls.services().find((s) => s.id === id)!;
    f.sim.controls.mutateService(id, { tags: (svc.tags ?? []).filter((t) => t.key !== OWNERSHIP_TAG_KEY) });
    expect(donor.metadata.uid).toBeDefined();
    await createCR(f.k.custom, f.ns, 'adopter', specFor({ portId: svc.port_id!, vpcId: svc.vpc_id! }), {
      'vpcep.huaweicloud.io/service-id': id,
    });
    const adopted = await waitForCR(f.k.custom, f.ns, 'adopter', isReady, 'adopter Ready');
    expect(adopted?.status?.id).toBe(id);
    expect(f.sim.controls.services().find((s) => s.id === id)?.tags).toContainEqual({
      key: OWNERSHIP_TAG_KEY,
      value: adopted?.metadata.uid,
    });
    await deleteCR(f.k.custom, f.ns, 'adopter');
    await gone(f.k, f.ns, 'adopter');
    expect(f.sim.controls.services().find((s) => s.id === id)).toBeUndefined();
  });

  it('observe-only reads the service and never writes or deletes it', async () => {
    await createCR(
      f.k.custom,
      f.ns,
      'source',
      specFor({ portId: uuid(), vpcId: uuid(), description: 'cloud truth', deletionPolicy: 'Retain' }),
    );
    const source = await waitForCR(f.k.custom, f.ns, 'source', isReady, 'source Ready');
    const id = source!.status!.id!;
    await deleteCR(f.k.custom, f.ns, 'source');
    await gone(f.k, f.ns, 'source');
    // An unmanaged service (no ownership tag): observing a service another resource owns is refused.
    const untagged = f.sim.controls.services().find((s) => s.id === id)!;
    f.sim.controls.mutateService(id, {
      tags: (untagged.tags ?? []).filter((t) => t.key !== OWNERSHIP_TAG_KEY),
    });
    const c0 = f.sim.controls.counters();
    await createCR(
      f.k.custom,
      f.ns,
      'watcher',
      specFor({ portId: uuid(), vpcId: source!.spec.vpcId, description: 'different' }),
      {
        'vpcep.huaweicloud.io/service-id': id,
        'vpcep.huaweicloud.io/management-policy': 'observe',
      },
    );
    const w = await waitForCR(f.k.custom, f.ns, 'watcher', isReady, 'watcher Ready');
    expect(w?.status?.id).toBe(id);
    expect(w?.metadata.finalizers ?? []).not.toContain('vpcep.huaweicloud.io/finalizer');
    await deleteCR(f.k.custom, f.ns, 'watcher');
    await gone(f.k, f.ns, 'watcher');
    const c1 = f.sim.controls.counters();
    for (const write of ['create', 'update', 'delete', 'tags'])
      expect(c1[write] ?? 0, write).toBe(c0[write] ?? 0);
    expect(f.sim.controls.services().find((s) => s.id === id)?.description).toBe('cloud truth');
  });

  it('paused: no cloud calls, a condition says so; unpausing resumes', async () => {
    const c0 = f.sim.controls.counters();
    await createCR(f.k.custom, f.ns, 'paused', specFor({ portId: uuid(), vpcId: uuid() }), {
      'vpcep.huaweicloud.io/paused': 'true',
    });
    const cr = await waitForCR(
      f.k.custom,
      f.ns,
      'paused',
      (c) => cond(c, 'Synced')?.reason === 'Paused',
      'Synced=False Paused',
    );
    expect(cond(cr, 'Synced')?.status).toBe('False');
    const c1 = f.sim.controls.counters();
    expect(c1.create ?? 0).toBe(c0.create ?? 0);
    expect(c1.queryTags ?? 0).toBe(c0.queryTags ?? 0);
    await patchCR(f.k.custom, f.ns, 'paused', {
      metadata: { annotations: { 'vpcep.huaweicloud.io/paused': null } },
    });
    await waitForCR(f.k.custom, f.ns, 'paused', isReady, 'Ready after unpausing');
  });

  it('corrects drift made behind its back within one resync period', async () => {
    await createCR(
      f.k.custom,
      f.ns,
      'drift',
      specFor({ portId: uuid(), vpcId: uuid(), description: 'desired' }),
      {
        'vpcep.huaweicloud.io/resync-period': '3s',
      },
    );
    const cr = await waitForCR(f.k.custom, f.ns, 'drift', isReady, 'Ready');
    const id = cr!.status!.id!;
    f.sim.controls.mutateService(id, { description: 'changed by hand', approval_enabled: true });
    await eventually(
      async () => {
        const s = f.sim.controls.services().find((x) => x.id === id);
        return s?.description === 'desired' && s.approval_enabled === false ? true : undefined;
      },
      'drift to be corrected',
      15_000,
      200,
    );
    const events = await f.k.kubectl(
      'get',
      'events.events.k8s.io',
      '-n',
      f.ns,
      '--field-selector',
      'reason=DriftCorrected',
      '-o',
      'name',
    );
    expect(events.trim()).not.toBe('');
  });

  it('re-creates a service that vanished behind its back', async () => {
    await createCR(f.k.custom, f.ns, 'vanish', specFor({ portId: uuid(), vpcId: uuid() }), {
      'vpcep.huaweicloud.io/resync-period': '3s',
    });
    const cr = await waitForCR(f.k.custom, f.ns, 'vanish', isReady, 'Ready');
    const oldId = cr!.status!.id!;
    f.sim.controls.removeService(oldId);
    const again = await waitForCR(
      f.k.custom,
      f.ns,
      'vanish',
      (c) => isReady(c) && c?.status?.id !== undefined && c.status.id !== oldId,
      'Ready with a new id',
      60_000,
    );
    expect(
      f.sim.controls.services().filter((s) => s.tags?.some((t) => t.value === cr?.metadata.uid)),
    ).toHaveLength(1);
    expect(again?.status?.id).toBeDefined();
    const events = await f.k.kubectl('get', 'events.events.k8s.io', '-n', f.ns, '-o', 'json');
    expect(events).toMatch(/"reason": "ServiceVanished"/);
    expect(events).toMatch(/"reason": "Recreated"/);
  });
});
