/**
 * The ownership invariant on virtual time (real client, simulator, in-memory Kubernetes): a resource
 * changes or deletes only the cloud service whose ownership tag names its UID, checked on the service
 * just read; refusals never reveal the owner; writes for a replaced object never reach its successor;
 * and a hostile `Retry-After` goes back to the queue instead of being slept on.
 */
import { describe, expect, it } from 'vitest';
import { OWNERSHIP_TAG_KEY } from '../../../src/api/constants.js';
import type { VpcEndpointService } from '../../../src/api/types.js';
import { memoryLogger } from '../runtime/fakes.js';
import { isReady, NS, PROJECT, ready, readyResource, rig, spec, synced, type Rig } from './rig.js';

const SERVICE_ID = 'vpcep.huaweicloud.io/service-id';
const POLICY = 'vpcep.huaweicloud.io/management-policy';

/** The other team's resource, Ready, and a snapshot of its cloud service. */
async function otherTeam(r: Rig): Promise<{ id: string; uid: string; before: string }> {
  const id = await readyResource(r, 'team-b', { description: 'team-b service' });
  const uid = r.ops.peek(NS, 'team-b')?.metadata.uid ?? '';
  return { id, uid, before: JSON.stringify(r.sim.controls.services(PROJECT).find((s) => s.id === id)) };
}

const svcJson = (r: Rig, id: string): string =>
  JSON.stringify(r.sim.controls.services(PROJECT).find((s) => s.id === id));

const writes = (r: Rig): number => r.count('update') + r.count('tags') + r.count('delete');

/** Creates `name` with annotations, like `kubectl apply` of an annotated manifest. */
function annotated(r: Rig, name: string, annotations: Record<string, string>): VpcEndpointService {
  r.ops.create(NS, name, spec({ portId: '2f8e3c1a-9b7d-4e6f-8a5c-3d2e1f0a9b8c', description: 'team-a' }));
  r.ops.annotate(NS, name, annotations);
  return r.ops.peek(NS, name)!;
}

describe('a resource naming another resource service', () => {
  it('is refused (OwnedByAnother) with no write; deleting it makes no cloud call', async () => {
    const r = await rig();
    const b = await otherTeam(r);
    const w0 = writes(r);
    annotated(r, 'team-a', { [SERVICE_ID]: b.id });
    const mem = memoryLogger('debug');
    const s = await r.pass('team-a', mem.log);

    expect(ready(s.cr)).toMatchObject({ status: 'False', reason: 'OwnedByAnother' });
    expect(synced(s.cr)?.reason).toBe('OwnedByAnother');
    expect(s.cr?.status?.id).toBeUndefined();
    const shown = JSON.stringify([s.cr?.status, r.ops.events.filter((e) => e.key === `${NS}/team-a`)]);
    expect(shown).not.toContain(b.uid);
    expect(shown).not.toContain('team-b');
    // The operator's log names the owner, for administrators.
    expect(mem.text()).toContain(b.uid);
    expect(writes(r)).toBe(w0);
    expect(svcJson(r, b.id)).toBe(b.before);

    // Nothing was created or claimed, so it holds no finalizer: deleting it touches nothing.
    expect(s.cr?.metadata.finalizers ?? []).toEqual([]);
    r.ops.markDeleted(NS, 'team-a', new Date(r.clock.now()));
    const calls = r.cloudCalls();
    expect(r.ops.peek(NS, 'team-a')).toBeUndefined();
    expect(r.cloudCalls()).toBe(calls);
    expect(svcJson(r, b.id)).toBe(b.before);

    // team-b's resource is untouched and stays Ready on its next sync, with the same service.
    await r.clock.advance(11 * 60_000);
    const again = await r.pass('team-b');
    expect(ready(again.cr)?.status).toBe('True');
    expect(again.cr?.status?.id).toBe(b.id);
    expect(r.count('create')).toBe(1);
  });

  it('observe-only of it is refused by default; allowed, a later switch to managed never writes it', async () => {
    const refused = await rig();
    const b0 = await otherTeam(refused);
    annotated(refused, 'team-a', { [SERVICE_ID]: b0.id, [POLICY]: 'observe' });
    const s0 = await refused.pass('team-a');
    expect(ready(s0.cr)?.reason).toBe('OwnedByAnother');
    expect(ready(s0.cr)?.message).toContain('--allow-observe-owned');
    expect(s0.cr?.status?.id).toBeUndefined();

    const r = await rig({}, () => ({ allowObserveOwned: true }));
    const b = await otherTeam(r);
    annotated(r, 'team-a', { [SERVICE_ID]: b.id, [POLICY]: 'observe' });
    const observed = await r.pass('team-a');
    expect(ready(observed.cr)?.status).toBe('True');
    expect(observed.cr?.status?.id).toBe(b.id);
    const w0 = writes(r);

    // Managed now, with a spec change: the service's tag names team-b, so nothing is written.
    r.ops.annotate(NS, 'team-a', { [POLICY]: null });
    r.ops.updateSpec(NS, 'team-a', (sp) => (sp.description = 'taken over'));
    const s = await r.pass('team-a');
    expect(ready(s.cr)).toMatchObject({ status: 'False', reason: 'OwnedByAnother' });
    expect(writes(r)).toBe(w0);
    expect(svcJson(r, b.id)).toBe(b.before);
    const tag = r.sim.controls.services(PROJECT).find((x) => x.id === b.id)?.tags;
    expect(tag).toContainEqual({ key: OWNERSHIP_TAG_KEY, value: b.uid });

    r.ops.markDeleted(NS, 'team-a', new Date(r.clock.now()));
    const calls = r.cloudCalls();
    expect((await r.pass('team-a')).cr).toBeUndefined();
    expect(r.cloudCalls()).toBe(calls);
    expect(svcJson(r, b.id)).toBe(b.before);
  });

  it('a changed adoption annotation lifts the refusal at once, without waiting for the recheck', async () => {
    const r = await rig();
    const b = await otherTeam(r);
    annotated(r, 'team-a', { [SERVICE_ID]: b.id });
    expect(ready((await r.pass('team-a')).cr)?.reason).toBe('OwnedByAnother');
    // Gated: a pass right after makes no cloud call.
    const calls = r.cloudCalls();
    await r.pass('team-a');
    expect(r.cloudCalls()).toBe(calls);
    r.ops.annotate(NS, 'team-a', { [SERVICE_ID]: null });
    const steps = await r.drive('team-a', isReady);
    expect(steps.at(-1)?.cr?.status?.id).not.toBe(b.id);
    expect(r.count('create')).toBe(2);
  });

  it('an adoption annotation that is not a service id is InvalidSpec with no cloud call', async () => {
    const r = await rig();
    annotated(r, 'team-a', { [SERVICE_ID]: '../../other-project/vpc-endpoint-services/x' });
    const s = await r.pass('team-a');
    expect(ready(s.cr)).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(r.cloudCalls()).toBe(0);
  });
});

describe('adopting an untagged service', () => {
  it('tags it before any other cloud write, then manages and deletes it', async () => {
    const order: string[] = [];
    const r = await rig({}, () => ({}), {
      onCall: (e) => {
        if (e.final) order.push(e.operation);
      },
    });
    const id = await readyResource(r, 'donor', { deletionPolicy: 'Retain' });
    r.ops.markDeleted(NS, 'donor', new Date(r.clock.now()));
    await r.pass('donor');
    const svc = r.sim.controls.services(PROJECT).find((s) => s.id === id)!;
    r.sim.controls.mutateService(id, { tags: (svc.tags ?? []).filter((t) => t.key !== OWNERSHIP_TAG_KEY) });

    order.length = 0;
    const cr = annotated(r, 'adopter', { [SERVICE_ID]: id });
    const steps = await r.drive('adopter', isReady);
    expect(steps.at(-1)?.cr?.status?.id).toBe(id);
    const writes = order.filter((o) => !['getService', 'queryByTags'].includes(o));
    expect(writes[0]).toBe('tagAction');
    expect(writes).toContain('updateService');
    // Read back after the tag, before the update: only the claim that stuck goes on.
    expect(order.slice(0, 3)).toEqual(['getService', 'tagAction', 'getService']);
    expect(r.sim.controls.services(PROJECT).find((s) => s.id === id)?.tags).toContainEqual({
      key: OWNERSHIP_TAG_KEY,
      value: cr.metadata.uid,
    });
    r.ops.markDeleted(NS, 'adopter', new Date(r.clock.now()));
    await r.drive('adopter', (s) => s.cr === undefined);
    expect(r.sim.controls.services(PROJECT).find((s) => s.id === id)).toBeUndefined();
  });

  it('never deletes a service named only by the annotation whose adoption never tagged it', async () => {
    const r = await rig();
    const id = await readyResource(r, 'donor', { deletionPolicy: 'Retain' });
    r.ops.markDeleted(NS, 'donor', new Date(r.clock.now()));
    await r.pass('donor');
    const svc = r.sim.controls.services(PROJECT).find((s) => s.id === id)!;
    r.sim.controls.mutateService(id, { tags: (svc.tags ?? []).filter((t) => t.key !== OWNERSHIP_TAG_KEY) });
    // The adopter got its finalizer, but the cloud refused everything else (paused mid-way, say).
    annotated(r, 'adopter', { [SERVICE_ID]: id, 'vpcep.huaweicloud.io/paused': 'true' });
    await r.ops.addFinalizer(r.ops.peek(NS, 'adopter')!);
    r.ops.annotate(NS, 'adopter', { 'vpcep.huaweicloud.io/paused': null });
    r.ops.markDeleted(NS, 'adopter', new Date(r.clock.now()));
    await r.drive('adopter', (s) => s.cr === undefined);
    expect(r.count('delete')).toBe(0);
    expect(r.sim.controls.services(PROJECT).find((s) => s.id === id)?.status).toBe('available');
  });
});

describe('a pass for a replaced object', () => {
  it('never writes the old status.id into the same-name successor, and deletes the orphan', async () => {
    const r = await rig();
    const old = r.ops.create(NS, 'web', spec({ description: 'old' }));
    let replaced: VpcEndpointService | undefined;
    r.ops.beforeWrite = (op) => {
      // The create has returned and its status.id is about to be written: meanwhile the user forced
      // the finalizer off, deleted the object and applied a new one of the same name.
      if (op === 'writeStatus' && r.count('create') === 1 && !replaced)
        // (Another backend port: the old service holds its ports until its deletion completes.)
        replaced = r.ops.replace(
          NS,
          'web',
          spec({ description: 'new', portId: '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a' }),
        );
    };
    const s = await r.pass('web');
    expect(s.outcome).toEqual({ kind: 'done' });
    const oldSvc = r.sim.controls
      .services(PROJECT)
      .find((x) => x.tags?.some((t) => t.key === OWNERSHIP_TAG_KEY && t.value === old.metadata.uid));
    expect(s.cr?.metadata.uid).toBe(replaced?.metadata.uid);
    expect(s.cr?.status?.id).toBeUndefined();
    expect(oldSvc === undefined || oldSvc.status === 'deleting').toBe(true);

    r.ops.beforeWrite = undefined;
    const steps = await r.drive('web', isReady);
    const now = steps.at(-1)?.cr;
    const all = r.sim.controls.services(PROJECT);
    const mine = all.filter((x) =>
      x.tags?.some((t) => t.key === OWNERSHIP_TAG_KEY && t.value === replaced?.metadata.uid),
    );
    expect(mine.map((x) => x.id)).toEqual([now?.status?.id]);
    expect(mine[0]?.description).toBe('new');
    expect(r.count('create')).toBe(2);
  });
});

describe('a hostile Retry-After', () => {
  it('is not slept on: Synced=False Throttled with the capped wait, requeued for it', async () => {
    const r = await rig({
      faults: { errorRate: 1, errorKind: '429', retryAfter: '999999', operations: ['create'] },
    });
    r.ops.create(NS, 'web', spec());
    const t0 = r.clock.now();
    const s = await r.pass('web');
    expect(r.clock.now() - t0).toBeLessThan(5_000);
    expect(s.outcome).toEqual({ kind: 'requeue', ms: 30_000 });
    expect(synced(s.cr)).toMatchObject({ status: 'False', reason: 'Throttled' });
    expect(synced(s.cr)?.message).toContain('30 s');
    expect(r.count('create')).toBe(1);

    r.sim.controls.clearFaults();
    await r.clock.advance(30_000);
    const steps = await r.drive('web', isReady);
    expect(steps.at(-1)?.cr?.status?.id).toBeDefined();
    expect(r.count('create')).toBe(2);
  });
});
