import { describe, expect, it } from 'vitest';
import { OWNERSHIP_TAG_KEY } from '../../../src/api/constants.js';
import { eventually } from '../support/kube.js';
import {
  cond,
  createCR,
  deleteCR,
  getCR,
  isReady,
  patchCR,
  specFor,
  TEST_CREDS,
  uuid,
  waitForCR,
  useOperatorFixture,
} from '../support/operator.js';

describe('VpcEndpointService lifecycle against the simulator', () => {
  const f = useOperatorFixture('life');
  const portId = uuid();
  const vpcId = uuid();

  it('creates the cloud service and reports id, status, poolId and Ready=True', async () => {
    await createCR(
      f.k.custom,
      f.ns,
      'svc',
      specFor({ portId, vpcId, serviceName: 'life', description: 'v1' }),
    );
    const out = await f.k.kubectl('wait', '-n', f.ns, '--for=condition=Ready', '--timeout=60s', 'vpces/svc');
    expect(out).toMatch(/condition met/);
    const cr = (await getCR(f.k.custom, f.ns, 'svc'))!;
    expect(isReady(cr)).toBe(true);
    const cloud = f.sim.controls.services();
    expect(cloud).toHaveLength(1);
    const svc = cloud[0]!;
    expect(cr.status).toMatchObject({
      id: svc.id,
      status: 'available',
      poolId: svc.pool_id,
      serviceName: `cn-north-4.life.${svc.id}`,
      observedGeneration: 1,
      projectId: TEST_CREDS.projectId,
    });
    expect(cond(cr, 'Synced')?.status).toBe('True');
    expect(svc.tags).toContainEqual({ key: OWNERSHIP_TAG_KEY, value: cr.metadata.uid });
    expect(cr.metadata.finalizers).toContain('vpcep.huaweicloud.io/finalizer');
    expect(f.sim.controls.counters().create).toBe(1);
    const table = await f.k.kubectl('get', 'vpces', '-n', f.ns);
    expect(table).toMatch(new RegExp(`svc\\s+${svc.id}\\s+available\\s+${svc.pool_id}\\s+True`));
  });

  it('sends one PUT when a mutable field changes, and status follows', async () => {
    const before = f.sim.controls.counters().update ?? 0;
    await patchCR(f.k.custom, f.ns, 'svc', {
      spec: {
        description: 'v2',
        ports: [
          { clientPort: 8080, serverPort: 90 },
          { clientPort: 9443, serverPort: 443 },
        ],
      },
    });
    const cr = await waitForCR(
      f.k.custom,
      f.ns,
      'svc',
      (c) => c?.metadata.generation === 2 && isReady(c),
      'Ready at generation 2',
    );
    expect((f.sim.controls.counters().update ?? 0) - before).toBe(1);
    const svc = f.sim.controls.services()[0]!;
    expect(svc.description).toBe('v2');
    expect(svc.ports).toHaveLength(2);
    expect(cr?.status?.observedGeneration).toBe(2);
  });

  it('applies tag changes key by key and never touches the ownership tag', async () => {
    await patchCR(f.k.custom, f.ns, 'svc', {
      spec: {
        tags: [
          { key: 'env', value: 'test' },
          { key: 'team', value: 'a' },
        ],
      },
    });
    const cr = await waitForCR(
      f.k.custom,
      f.ns,
      'svc',
      (c) => c?.metadata.generation === 3 && isReady(c),
      'Ready at generation 3',
    );
    await patchCR(f.k.custom, f.ns, 'svc', { spec: { tags: [{ key: 'env', value: 'prod' }] } });
    await waitForCR(
      f.k.custom,
      f.ns,
      'svc',
      (c) => c?.metadata.generation === 4 && isReady(c),
      'Ready at generation 4',
    );
    const tags = f.sim.controls.services()[0]!.tags ?? [];
    expect(tags).toHaveLength(2);
    expect(tags).toContainEqual({ key: 'env', value: 'prod' });
    expect(tags).toContainEqual({ key: OWNERSHIP_TAG_KEY, value: cr?.metadata.uid });
  });

  it('deletes the cloud service when the resource is deleted, then drops the finalizer', async () => {
    const id = (await getCR(f.k.custom, f.ns, 'svc'))!.status!.id!;
    await deleteCR(f.k.custom, f.ns, 'svc');
    await eventually(
      async () => ((await getCR(f.k.custom, f.ns, 'svc')) === undefined ? true : undefined),
      'the resource to be gone',
      60_000,
      200,
    );
    expect(f.sim.controls.services().find((s) => s.id === id)).toBeUndefined();
    expect(f.sim.controls.counters().delete).toBe(1);
  });

  it('never writes the secret key to logs, events or status', async () => {
    const events = await f.k.kubectl('get', 'events.events.k8s.io', '-n', f.ns, '-o', 'json');
    const crs = await f.k.kubectl('get', 'vpces', '-n', f.ns, '-o', 'json');
    expect(f.op.lines.length).toBeGreaterThan(5);
    for (const text of [f.op.lines.join('\n'), events, crs]) expect(text).not.toContain(TEST_CREDS.secretKey);
    expect(events).toMatch(/"reason": "Created"/);
    expect(events).toMatch(/"reason": "Updated"/);
    expect(events).toMatch(/"reason": "Deleted"/);
  });
});
