import { beforeAll, describe, expect, it } from 'vitest';
import { setCondition } from '../../src/api/conditions.js';
import { GROUP, PLURAL, VERSION } from '../../src/api/constants.js';
import { toStatusFields } from '../../src/controller/endpoint-service/mapping.js';
import { EXAMPLES, loadExample } from '../fixtures/crd.js';
import { invalidSpecs, validObject, type Manifest } from '../fixtures/invalid-specs.js';
import { expectRefusedFor, refusal } from './support/admission.js';
import { eventually, testKube, type TestKube } from './support/kube.js';

// The global setup has applied crds/ and waited for Established; this file checks the CRD on a real
// kube-apiserver: examples admitted and defaulted, every catalogue case refused for its own reason
// (schema, CEL and transition rules alike), mutable updates allowed, status schema, printer columns.

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; generation?: number };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
}

describe('the VpcEndpointService CRD on a real apiserver', () => {
  let k: TestKube;
  let ns: string;
  const ref = (): { group: string; version: string; namespace: string; plural: string } => ({
    group: GROUP,
    version: VERSION,
    namespace: ns,
    plural: PLURAL,
  });
  const create = (body: Manifest | Obj): Promise<Obj> =>
    k.custom.createNamespacedCustomObject({ ...ref(), body }) as Promise<Obj>;
  const get = (name: string): Promise<Obj> =>
    k.custom.getNamespacedCustomObject({ ...ref(), name }) as Promise<Obj>;
  /** Replaces the spec of `name` with `spec` (PUT with the current resourceVersion). */
  const replaceSpec = async (name: string, spec: Record<string, unknown> | undefined): Promise<Obj> => {
    const cur = await get(name);
    return (await k.custom.replaceNamespacedCustomObject({
      ...ref(),
      name,
      body: { ...cur, spec },
    })) as Obj;
  };

  beforeAll(async () => {
    k = testKube();
    ns = await k.freshNamespace('crd');
  });

  describe('examples', () => {
    it.each(EXAMPLES)('admits examples/%s', async (file) => {
      const created = await create(loadExample(file) as unknown as Obj);
      expect(created.metadata.generation).toBe(1);
    });

    it('defaults what the example leaves out', async () => {
      const vm = await get('vm-service');
      expect(vm.spec).toMatchObject({
        approvalEnabled: false,
        serviceType: 'interface',
        tcpProxy: 'close',
        enablePolicy: false,
        deletionPolicy: 'Delete',
      });
      const lb = await get('lb-service');
      expect(lb.spec).toMatchObject({
        enablePolicy: false,
        serviceType: 'interface',
        tcpProxy: 'proxy_open',
      });
    });

    it('defaults a port protocol and approvalEnabled when absent', async () => {
      const o = validObject('defaults');
      const s = o.spec!;
      delete s.approvalEnabled;
      delete s.tcpProxy;
      s.ports = [{ clientPort: 80, serverPort: 8080 }];
      const created = await create(o);
      expect(created.spec).toMatchObject({
        approvalEnabled: true,
        tcpProxy: 'close',
        ports: [{ clientPort: 80, serverPort: 8080, protocol: 'TCP' }],
      });
    });

    it('accepts the status the operator writes (cloud fields and conditions)', async () => {
      const vm = await get('vm-service');
      let conditions = setCondition(
        [],
        { type: 'Ready', status: 'True', observedGeneration: 1, reason: 'Available', message: '' },
        Date.now(),
      );
      conditions = setCondition(
        conditions,
        { type: 'Synced', status: 'True', observedGeneration: 1, reason: 'ReconcileSuccess', message: '' },
        Date.now(),
      );
      const status = {
        ...toStatusFields({
          id: '4189d3c2-8882-4871-a3c2-d380272eed83',
          pool_id: '5289d3c2-8882-4871-a3c2-d380272eed80',
          status: 'available',
          service_name: 'cn-north-4.vm-service.4189d3c2-8882-4871-a3c2-d380272eed83',
          created_at: '2022-04-14T09:35:47Z',
        }),
        observedGeneration: 1,
        connections: [
          {
            endpointId: '11111111-1111-4111-8111-111111111111',
            domainId: '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
            markerId: 16777217,
            status: 'accepted',
            createdAt: '2022-04-14T09:40:00Z',
          },
        ],
        connectionCounts: { accepted: 1, pending: 0, rejected: 0 },
        conditions,
      };
      const written = (await k.custom.replaceNamespacedCustomObjectStatus({
        ...ref(),
        name: 'vm-service',
        body: { ...vm, status },
      })) as Obj;
      expect(written.status).toStrictEqual(status);

      const table = await k.kubectl('get', 'vpces', '-n', ns, 'vm-service');
      expect(table).toMatch(/^NAME\s+ID\s+STATUS\s+POOL\s+READY\s+SYNCED\s+CONNECTED\s+PENDING\s+AGE\s*$/m);
      expect(table).toMatch(
        /vm-service\s+4189d3c2-8882-4871-a3c2-d380272eed83\s+available\s+5289d3c2-\S+\s+True\s+True\s+1\s+0/,
      );
      const wide = await k.kubectl('get', 'vpcepsvc', '-n', ns, 'vm-service', '-o', 'wide');
      expect(wide).toMatch(/SERVICE NAME/);
      expect(wide).toContain('cn-north-4.vm-service.4189d3c2-8882-4871-a3c2-d380272eed83');
    });

    it('is listed under its categories', async () => {
      expect(await k.kubectl('get', 'huaweicloud', '-n', ns, '-o', 'name')).toContain('vm-service');
      expect(await k.kubectl('get', 'vpcep', '-n', ns, '-o', 'name')).toContain('lb-service');
    });

    it('explains its fields', async () => {
      // The OpenAPI document may lag the CRD's establishment by a moment.
      const serverType = await eventually(
        async () => (await k.kubectl('explain', 'vpces.spec.serverType')) || undefined,
        'kubectl explain',
      );
      expect(serverType).toMatch(/deprecated/);
      expect(await k.kubectl('explain', 'vpces.spec.tags.key')).toMatch(/reserved/);
      expect(await k.kubectl('explain', 'vpces.status.conditions')).toMatch(/Ready/);
    });

    it('allows changing every mutable field at once', async () => {
      const lb = await get('lb-service');
      const updated = await replaceSpec('lb-service', {
        ...lb.spec,
        portId: '7d3f1c2a-5b6e-4f80-9a1b-2c3d4e5f6a7f',
        serviceName: 'lb-demo-2',
        approvalEnabled: false,
        ports: [
          { clientPort: 443, serverPort: 8443, protocol: 'TCP' },
          { clientPort: 80, serverPort: 8080, protocol: 'TCP' },
        ],
        tcpProxy: 'open',
        tags: [{ key: 'env', value: 'prod' }],
        description: 'changed',
        deletionPolicy: 'Retain',
      });
      expect(updated.metadata.generation).toBe(2);
      expect(updated.spec).toMatchObject({
        serviceName: 'lb-demo-2',
        tcpProxy: 'open',
        deletionPolicy: 'Retain',
      });
    });

    it('allows an update that leaves immutable fields as they are, even when they were defaulted', async () => {
      const vm = await get('vm-service');
      const spec: Record<string, unknown> = { ...vm.spec, description: 'touched' };
      delete spec.enablePolicy; // re-defaulted to false: unchanged
      delete spec.serviceType; // re-defaulted to interface: unchanged
      const updated = await replaceSpec('vm-service', spec);
      expect(updated.spec).toMatchObject({
        description: 'touched',
        enablePolicy: false,
        serviceType: 'interface',
      });
    });
  });

  describe('refuses every case of the invalid-spec catalogue for its own reason', () => {
    const creates = invalidSpecs.filter((c) => !c.transition);
    it.each(creates.map((c) => [c.cel ? 'CEL' : 'schema', c.name, c] as const))(
      '%s: %s',
      async (_kind, _name, c) => {
        expectRefusedFor(await refusal(create(c.object)), c);
      },
    );

    const updates = invalidSpecs.filter((c) => c.transition);
    it.each(updates.map((c) => [c.name, c] as const))('update: %s', async (_name, c) => {
      const from = c.transition!.from;
      await create(from);
      expectRefusedFor(await refusal(replaceSpec(from.metadata.name, c.object.spec)), c);
      // Nothing changed.
      expect((await get(from.metadata.name)).metadata.generation).toBe(1);
    });
  });
});
