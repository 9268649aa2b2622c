/**
 * The reconciler's decisions on virtual time: a real VpcepClient against the simulator on loopback
 * (real signatures, real error codes), an in-memory ResourceOps, and one ManualClock shared by the
 * reconciler, the client and the simulator. A small driver plays the workqueue: it runs one pass,
 * then moves virtual time by the requeue the pass asked for, and repeats.
 *
 * Determinism: time moves only through the driver (between passes) and through the client's own
 * sleeps (limiter waits, retry backoff), which advance the shared clock (as the simulator's contract
 * tests do), so no pass ever waits on a timer nobody fires. Signatures are dated on the same virtual
 * clock, so the simulator's 15-minute skew check holds however far a test moves time.
 */
import { describe, expect, it } from 'vitest';
import { FINALIZER } from '../../../src/api/constants.js';
import { VpcepClient } from '../../../src/cloud/client.js';
import { CredentialResolver } from '../../../src/controller/credentials.js';
import { ManualClock } from '../../../src/util/clock.js';
import { defaultDomainId } from '../../../src/simulator/index.js';
import { memoryLogger } from '../runtime/fakes.js';
import {
  AK,
  cleanups,
  CREATE_DELAY_MS,
  DELETE_DELAY_MS,
  isReady,
  NS,
  PROJECT,
  ready,
  readyResource,
  RESYNC_MS,
  rig,
  spec,
  synced,
  type Rig,
} from './rig.js';

describe('creating on virtual time', () => {
  it('notices a 90-second create within 0.1 x 90 s + 2 s, with at most 20 GETs', async () => {
    const r = await rig();
    r.ops.create(NS, 'web', spec());
    const steps = await r.drive('web', (s) => s.cr?.status?.status === 'available');

    const createStep = steps.findIndex((s) => s.cr?.status?.id !== undefined);
    expect(createStep).toBe(0);
    const createdAt = steps[createStep]?.at ?? NaN;
    const seen = steps.at(-1);
    const availableAt = createdAt + CREATE_DELAY_MS;
    const noticeDelay = (seen?.at ?? NaN) - availableAt;
    // Every pass after the create pass is one GET (no other call is needed while `creating`).
    const gets = r.count('get');
    console.log(
      `90 s create: ${gets} GETs (Terraform's 3 s poll: 30), seen ${noticeDelay} ms after it became available`,
    );
    expect(noticeDelay).toBeGreaterThanOrEqual(0);
    expect(noticeDelay).toBeLessThanOrEqual(0.1 * CREATE_DELAY_MS + 2_000);
    expect(gets).toBeLessThanOrEqual(20);
    expect(gets).toBe(steps.length - 1);
    expect(r.count('create')).toBe(1);
    expect(ready(seen?.cr)).toMatchObject({ status: 'True', reason: 'Available' });
  });

  it('adds the finalizer before the create, writes status.id right after it, then Ready and a resync', async () => {
    const r = await rig();
    const order: Array<{ op: string; creates: number; id?: string; written?: boolean }> = [];
    r.ops.onCall = (c) =>
      order.push({
        op: c.op,
        creates: r.count('create'),
        ...(c.status?.id !== undefined ? { id: c.status.id } : {}),
        ...(c.written !== undefined ? { written: c.written } : {}),
      });
    const cr = r.ops.create(NS, 'web', spec());
    const steps = await r.drive('web', isReady);

    const [svc, ...others] = r.sim.controls.services(PROJECT);
    expect(others).toEqual([]);
    expect(svc?.tags).toContainEqual({ key: 'k8s-vpcep-owner-uid', value: cr.metadata.uid });
    const finalizerAt = order.findIndex((o) => o.op === 'addFinalizer');
    const afterCreate = order.findIndex((o) => o.creates > 0);
    expect(finalizerAt).toBeGreaterThanOrEqual(0);
    expect(order[finalizerAt]?.creates).toBe(0);
    expect(finalizerAt).toBeLessThan(afterCreate);
    // The first thing the operator does once the create returned: record the id.
    expect(order[afterCreate]).toEqual({ op: 'writeStatus', creates: 1, id: svc?.id, written: true });
    expect(r.ops.calls[afterCreate]?.status?.status).toBe('creating');

    const last = steps.at(-1);
    expect(last?.cr?.metadata.finalizers).toEqual([FINALIZER]);
    expect(last?.cr?.status).toMatchObject({ id: svc?.id, status: 'available', observedGeneration: 1 });
    expect(ready(last?.cr)).toMatchObject({ status: 'True', reason: 'Available', observedGeneration: 1 });
    expect(synced(last?.cr)).toMatchObject({ status: 'True', observedGeneration: 1 });
    const o = last?.outcome;
    expect(o?.kind).toBe('requeue');
    const ms = o?.kind === 'requeue' ? o.ms : NaN;
    expect(ms).toBeGreaterThanOrEqual(RESYNC_MS * 0.9);
    expect(ms).toBeLessThanOrEqual(RESYNC_MS * 1.1);
    expect(r.ops.events.map((e) => e.reason)).toEqual(['Created']);
    // Two status writes to reach Ready: the id (with Creating) at once, then Available.
    expect(r.ops.statusWrites()).toBe(2);
  });

  it('writes no status when nothing changed, and makes no cloud call within the resync period', async () => {
    const r = await rig();
    await readyResource(r, 'web');
    const writes = r.ops.statusWrites();
    let calls = r.cloudCalls();

    // The informer's periodic requeue, inside the resync period: gated, no cloud call, no write.
    for (const advance of [0, 60_000]) {
      await r.clock.advance(advance);
      const s = await r.pass('web');
      expect(s.outcome.kind).toBe('requeue');
      expect(r.cloudCalls()).toBe(calls);
    }
    expect(r.ops.statusWrites()).toBe(writes);

    // Once the period is over: one GET and one connection list, still no write; the next pass is gated.
    const gets = r.count('get');
    await r.clock.advance(RESYNC_MS);
    await r.pass('web');
    expect(r.cloudCalls()).toBe(calls + 2);
    expect(r.count('get')).toBe(gets + 1);
    expect(r.count('listConnections')).toBeGreaterThan(0);
    calls = r.cloudCalls();
    await r.pass('web');
    expect(r.cloudCalls()).toBe(calls);
    expect(r.ops.statusWrites()).toBe(writes);

    // After a restart (memory lost) two passes: one sync (GET + connections) for the first, nothing for
    // the second, no write.
    r.restart();
    await r.pass('web');
    await r.pass('web');
    expect(r.cloudCalls()).toBe(calls + 2);
    expect(r.ops.statusWrites()).toBe(writes);
  });

  it('resolves a create whose response was lost by the ownership tag, never creating twice', async () => {
    const r = await rig({ faults: { commitThenDrop: { operation: 'create', count: 1, mode: '504' } } });
    r.ops.create(NS, 'web', spec());
    const steps = await r.drive('web', isReady);

    const first = steps[0];
    expect(first?.outcome).toEqual({ kind: 'requeue', ms: 1_000 });
    expect(synced(first?.cr)).toMatchObject({ status: 'False', reason: 'CreateOutcomeUnknown' });
    expect(synced(first?.cr)?.message).toContain('EndPoint.0013');
    expect(r.count('create')).toBe(1);
    const services = r.sim.controls.services(PROJECT);
    expect(services).toHaveLength(1);
    expect(steps.at(-1)?.cr?.status?.id).toBe(services[0]?.id);
    expect(r.ops.events.map((e) => e.reason)).toEqual(['Adopted']);
  });
});

describe('terminal verdicts', () => {
  it('stops on a port conflict until the spec changes, then reaches Ready', async () => {
    const r = await rig();
    await readyResource(r, 'a');
    r.ops.create(NS, 'b', spec({ ports: [{ clientPort: 9090, serverPort: 80, protocol: 'TCP' }] }));
    const failed = await r.pass('b');

    expect(failed.outcome.kind).toBe('terminal');
    const cond = ready(failed.cr);
    expect(cond).toMatchObject({ status: 'False', reason: 'PortConflict', observedGeneration: 1 });
    expect(cond?.message).toContain('EndPoint.3044');
    expect(cond?.message).toMatch(/request id [0-9a-f]+/);
    expect(failed.cr?.status?.observedGeneration).toBe(1);
    expect(r.ops.events.filter((e) => e.key === `${NS}/b`).map((e) => [e.type, e.reason])).toEqual([
      ['Warning', 'CreateFailed'],
    ]);

    // The same generation again (a resync, a restart of the watch): nothing reaches the cloud.
    const calls = r.cloudCalls();
    const writes = r.ops.statusWrites();
    for (const advance of [0, 5_000]) {
      await r.clock.advance(advance);
      expect((await r.pass('b')).outcome.kind).toBe('done');
    }
    expect(r.cloudCalls()).toBe(calls);
    expect(r.ops.statusWrites()).toBe(writes);

    // The user moves the backend port: generation 2 retries and converges.
    r.ops.updateSpec(NS, 'b', (s) => {
      s.ports = [{ clientPort: 9090, serverPort: 81, protocol: 'TCP' }];
    });
    const fixedAt = r.clock.now();
    const steps = await r.drive('b', isReady);
    const last = steps.at(-1)?.cr;
    expect(ready(last)).toMatchObject({ status: 'True', reason: 'Available', observedGeneration: 2 });
    expect(last?.status?.observedGeneration).toBe(2);
    expect(r.count('create')).toBe(3);
    expect(r.sim.controls.services(PROJECT)).toHaveLength(2);
    // A refused create leaves nothing to wait for: the new create goes out on the first pass.
    const took = r.clock.now() - fixedAt;
    console.log(`port conflict fixed 5 s after the refusal: Ready ${took} ms after the spec change`);
    expect(took).toBeLessThanOrEqual(1.1 * CREATE_DELAY_MS + 2_000);
  });

  it('reports a failed create with the cloud code, and replaces it on a spec change', async () => {
    const r = await rig({ faults: { failCreates: 1 } });
    r.ops.create(NS, 'web', spec());
    const steps = await r.drive('web', (s) => s.outcome.kind === 'terminal');
    const failed = steps.at(-1)?.cr;
    const failedId = failed?.status?.id;
    expect(failed?.status?.status).toBe('failed');
    expect(ready(failed)).toMatchObject({ status: 'False', reason: 'CreateFailed', observedGeneration: 1 });
    expect(ready(failed)?.message).toContain('EndPoint.3001');
    expect(r.ops.events.map((e) => [e.type, e.reason])).toEqual([
      ['Normal', 'Created'],
      ['Warning', 'CreateFailed'],
    ]);

    const calls = r.cloudCalls();
    expect((await r.pass('web')).outcome.kind).toBe('done');
    expect(r.cloudCalls()).toBe(calls);

    r.ops.updateSpec(NS, 'web', (s) => {
      s.description = 'second attempt';
    });
    const after = await r.drive('web', isReady);
    const last = after.at(-1)?.cr;
    expect(r.count('delete')).toBe(1);
    expect(r.count('create')).toBe(2);
    const services = r.sim.controls.services(PROJECT);
    expect(services.map((s) => s.status)).toEqual(['available']);
    expect(services[0]?.id).not.toBe(failedId);
    expect(last?.status).toMatchObject({ id: services[0]?.id, status: 'available', observedGeneration: 2 });
    expect(ready(last)).toMatchObject({ status: 'True', reason: 'Available', observedGeneration: 2 });
    // The replacement waits for the failed service to be gone, and says so: no adoption, no vanishing.
    expect(after.some((st) => ready(st.cr)?.reason === 'Replacing')).toBe(true);
    expect(r.ops.events.map((e) => [e.type, e.reason])).toEqual([
      ['Normal', 'Created'],
      ['Warning', 'CreateFailed'],
      ['Normal', 'Deleted'],
      ['Normal', 'Recreated'],
    ]);
  });

  it('re-creates a service that vanished, never reporting Ready without a service', async () => {
    const r = await rig();
    r.ops.create(NS, 'web', spec());
    const first = (await r.drive('web', (st) => ready(st.cr)?.status === 'True')).at(-1)?.cr;
    const oldId = first?.status?.id ?? '';
    r.sim.controls.removeService(oldId);
    await r.clock.advance(RESYNC_MS);
    const steps = await r.drive('web', (st) => ready(st.cr)?.status === 'True');
    // Every status ever written (not only the end of each pass): Ready=True always comes with an id.
    for (const c of r.ops.calls.filter((x) => x.op === 'writeStatus' && x.written)) {
      const readyNow = c.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'True';
      if (readyNow) expect(c.status?.id, JSON.stringify(c.status)).toBeDefined();
    }
    // One pass notices the loss and sends the new create; Ready is False until the new one is available.
    expect(steps[0]?.cr?.status?.id).not.toBe(oldId);
    expect(ready(steps[0]?.cr)).toMatchObject({ status: 'False', reason: 'Creating' });
    const now = steps.at(-1)?.cr;
    expect(now?.status?.id).not.toBe(oldId);
    expect(r.sim.controls.services(PROJECT).map((x) => x.id)).toEqual([now?.status?.id]);
    expect(r.ops.events.map((e) => e.reason)).toEqual(['Created', 'ServiceVanished', 'Recreated']);
  });

  it('stops instead of creating a second service when the credentials move to another project', async () => {
    const OTHER = '0e1d2c3b4a5968778695a4b3c2d1e0f9';
    const who: { project: 'recorded' | 'other'; other?: VpcepClient; rig?: Rig } = { project: 'recorded' };
    const r = await rig(
      { credentials: [{ accessKey: 'OTHERAK', secretKey: 'other-sk', projectId: OTHER }] },
      () => ({
        credentials: {
          resolve: async () =>
            who.project === 'recorded'
              ? { client: who.rig!.client, source: 'Secret default/old', projectId: PROJECT }
              : { client: who.other!, source: 'Secret default/new', projectId: OTHER },
        },
      }),
    );
    who.rig = r;
    who.other = new VpcepClient({
      target: { endpoint: r.sim.url, projectId: OTHER },
      credentials: { accessKey: 'OTHERAK', secretKey: 'other-sk' },
      clock: r.clock.driving(),
      random: () => 0.5,
      signingTime: () => r.clock.now(),
    });
    cleanups.push(async () => who.other?.close());
    r.ops.create(NS, 'web', spec());
    const readyCr = (await r.drive('web', isReady)).at(-1)?.cr;
    expect(readyCr?.status?.projectId).toBe(PROJECT);

    who.project = 'other';
    await r.clock.advance(RESYNC_MS);
    const step = await r.pass('web');
    expect(ready(step.cr)).toMatchObject({ status: 'False', reason: 'ProjectChanged' });
    expect(ready(step.cr)?.message).toContain(`lives in project ${PROJECT}`);
    expect(r.count('create')).toBe(1);
    expect(r.sim.controls.services(OTHER)).toEqual([]);

    // Deleting meanwhile would look in the wrong project and let the service leak: it waits.
    r.ops.markDeleted(NS, 'web', new Date(r.clock.now()));
    const blocked = await r.pass('web');
    expect(synced(blocked.cr)?.reason).toBe('ProjectChanged');
    expect(r.count('delete')).toBe(0);

    who.project = 'recorded';
    await r.drive('web', (st) => st.cr === undefined);
    expect(r.count('delete')).toBe(1);
    expect(r.sim.controls.services(PROJECT)).toEqual([]);
  });

  it('rechecks an exceeded quota every 5 minutes without rewriting status or repeating the event', async () => {
    const r = await rig({ quota: 0 });
    r.ops.create(NS, 'web', spec());
    const first = await r.pass('web');
    expect(first.outcome).toEqual({ kind: 'requeue', ms: 5 * 60_000 });
    expect(ready(first.cr)).toMatchObject({ status: 'False', reason: 'QuotaExceeded' });
    expect(ready(first.cr)?.message).toContain('Endpoint.1018');
    const writes = r.ops.statusWrites();

    // Within the recheck period: gated. After it: one more create, refused the same way, nothing rewritten.
    expect((await r.pass('web')).outcome).toEqual({ kind: 'requeue', ms: 5 * 60_000 });
    expect(r.count('create')).toBe(1);
    await r.clock.advance(5 * 60_000);
    const again = await r.pass('web');
    expect(again.outcome).toEqual({ kind: 'requeue', ms: 5 * 60_000 });
    expect(r.count('create')).toBe(2);
    expect(r.ops.statusWrites()).toBe(writes);
    expect(r.ops.events.map((e) => e.reason)).toEqual(['CreateFailed']);
  });
});

describe('deletion', () => {
  it('deletes the cloud service, polls until it is gone, then releases the resource', async () => {
    const r = await rig();
    const id = await readyResource(r, 'web');
    r.ops.markDeleted(NS, 'web', new Date(r.clock.now()));
    const start = r.clock.now();
    const steps = await r.drive('web', (s) => s.cr === undefined);

    expect(r.count('delete')).toBe(1);
    expect(ready(steps[0]?.cr)).toMatchObject({ status: 'False', reason: 'Deleting' });
    expect(steps[0]?.cr?.status).toMatchObject({ id, status: 'deleting' });
    expect(r.sim.controls.services(PROJECT)).toEqual([]);
    expect(r.ops.calls.filter((c) => c.op === 'removeFinalizer')).toHaveLength(1);
    expect(r.ops.events.at(-1)).toMatchObject({
      reason: 'Deleted',
      note: `deleted cloud endpoint service ${id}`,
    });
    expect(r.clock.now() - start).toBeLessThanOrEqual(1.1 * DELETE_DELAY_MS + 2_000);
    // Gone is gone: a late requeue finds nothing and does nothing.
    const calls = r.cloudCalls();
    expect((await r.pass('web')).outcome.kind).toBe('done');
    expect(r.cloudCalls()).toBe(calls);
  });

  it('reports DeleteBlocked while an endpoint is connected, and finishes once it goes', async () => {
    const r = await rig();
    const id = await readyResource(r, 'web', { approvalEnabled: false });
    const conn = r.sim.controls.addConnection(id, { domainId: defaultDomainId(PROJECT) });
    expect(conn.status).toBe('accepted');
    r.ops.markDeleted(NS, 'web', new Date(r.clock.now()));

    const blocked = await r.pass('web');
    expect(blocked.outcome).toEqual({ kind: 'requeue', ms: 30_000 });
    expect(ready(blocked.cr)).toMatchObject({ status: 'False', reason: 'DeleteBlocked' });
    expect(ready(blocked.cr)?.message).toContain('EndPoint.3006');
    expect(blocked.cr?.metadata.finalizers).toEqual([FINALIZER]);
    await r.clock.advance(30_000);
    const writes = r.ops.statusWrites();
    const again = await r.pass('web');
    expect(again.outcome.kind).toBe('requeue');
    expect(r.ops.statusWrites()).toBe(writes);
    expect(r.ops.events.filter((e) => e.reason === 'DeleteBlocked')).toHaveLength(1);

    r.sim.controls.removeConnection(id, conn.id);
    await r.clock.advance(30_000);
    await r.drive('web', (s) => s.cr === undefined);
    expect(r.sim.controls.services(PROJECT)).toEqual([]);
    expect(r.ops.events.at(-1)?.reason).toBe('Deleted');
  });

  it('abandons the cloud service when the CRD itself is being deleted', async () => {
    const r = await rig();
    const id = await readyResource(r, 'web');
    r.ops.crdDeleting = true;
    r.ops.markDeleted(NS, 'web', new Date(r.clock.now()));
    const s = await r.pass('web');

    expect(s.cr).toBeUndefined();
    expect(r.count('delete')).toBe(0);
    expect(r.sim.controls.services(PROJECT).map((x) => x.id)).toEqual([id]);
    expect(r.ops.events.at(-1)?.reason).toBe('Abandoned');
  });

  it('leaves the cloud service in place with deletionPolicy Retain', async () => {
    const r = await rig();
    const id = await readyResource(r, 'web', { deletionPolicy: 'Retain' });
    r.ops.markDeleted(NS, 'web', new Date(r.clock.now()));
    const s = await r.pass('web');

    expect(s.cr).toBeUndefined();
    expect(r.count('delete')).toBe(0);
    expect(r.sim.controls.services(PROJECT).map((x) => x.id)).toEqual([id]);
    expect(r.ops.events.at(-1)?.reason).toBe('Retained');
  });
});

describe('credentials', () => {
  it('reports CredentialsMissing, rechecks in a minute, and never leaks the secret', async () => {
    const planted = 'Planted+Secret/Value0123456789abcdefXYZ';
    // The real resolver reading a Secret whose secret key is misnamed (a typo users make).
    const resolver = (clock: ManualClock): CredentialResolver =>
      new CredentialResolver({
        core: {
          readNamespacedSecret: async () => ({
            data: {
              accessKey: Buffer.from(AK).toString('base64'),
              secretkey: Buffer.from(planted).toString('base64'),
            },
          }),
        },
        defaults: { projectId: PROJECT, region: 'cn-north-4' },
        qps: 10,
        burst: 20,
        clock,
      });
    const r = await rig({}, (clock) => ({ credentials: resolver(clock) }));
    r.ops.create(NS, 'web', spec({ credentialsSecretRef: { name: 'vpcep-creds' } }));
    const mem = memoryLogger('debug');
    const s = await r.pass('web', mem.log);

    expect(s.outcome).toEqual({ kind: 'requeue', ms: 60_000 });
    expect(ready(s.cr)).toMatchObject({ status: 'False', reason: 'CredentialsMissing' });
    expect(ready(s.cr)?.message).toBe('Secret default/vpcep-creds has no key secretKey');
    expect(r.cloudCalls()).toBe(0);
    const everything = JSON.stringify([s.cr, r.ops.events, r.ops.calls]) + mem.text();
    for (const leak of [planted, Buffer.from(planted).toString('base64'), AK])
      expect(everything).not.toContain(leak);
  });
});
