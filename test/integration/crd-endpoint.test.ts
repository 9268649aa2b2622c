import { beforeAll, describe, expect, it } from 'vitest';
import { setCondition } from '../../src/api/conditions.js';
import { ENDPOINT_KIND, ENDPOINT_PLURAL, GROUP, PLURAL, VERSION } from '../../src/api/constants.js';
import { ENDPOINT_EXAMPLES, loadExampleDocs, type ExampleDoc } from '../fixtures/crd.js';
import { invalidEndpointSpecs, validEndpointObject } from '../fixtures/invalid-endpoint-specs.js';
import type { Manifest } from '../fixtures/invalid-specs.js';
import { expectRefusedFor, refusal } from './support/admission.js';
import { eventually, testKube, type TestKube } from './support/kube.js';

// Issue 13: the VpcEndpoint CRD on a real kube-apiserver (the global setup applied crds/): the
// examples admitted and defaulted, every case of the endpoint catalogue refused for its own reason
// (schema, CEL and transition rules alike), the mutable fields mutable, the status schema, the printer
// columns; and the service side's new acceptInCluster field.

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; generation?: number };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
}

describe('the VpcEndpoint CRD on a real apiserver', () => {
  let k: TestKube;
  let ns: string;
  const ref = (namespace = ns, plural = ENDPOINT_PLURAL) => ({
    group: GROUP,
    version: VERSION,
    namespace,
    plural,
  });
  const create = (body: Manifest | Obj | ExampleDoc, namespace = ns): Promise<Obj> =>
    k.custom.createNamespacedCustomObject({
      ...ref(namespace, body.kind === ENDPOINT_KIND ? ENDPOINT_PLURAL : PLURAL),
      body: { ...body, metadata: { ...body.metadata, namespace } },
    }) as Promise<Obj>;
  const get = (name: string): Promise<Obj> =>
    k.custom.getNamespacedCustomObject({ ...ref(), name }) as Promise<Obj>;
  const replaceSpec = async (name: string, spec: Record<string, unknown> | undefined): Promise<Obj> => {
    const cur = await get(name);
    return (await k.custom.replaceNamespacedCustomObject({ ...ref(), name, body: { ...cur, spec } })) as Obj;
  };

  beforeAll(async () => {
    k = testKube();
    ns = await k.freshNamespace('crd-ep');
  });

  describe('examples and defaults', () => {
    it('admits examples/endpoint-in-cluster.yaml: the service in one namespace, the endpoint in another', async () => {
      const owner = await k.freshNamespace('team-a');
      const [svc, ep] = ['VpcEndpointService', ENDPOINT_KIND].map((kind) =>
        loadExampleDocs('endpoint-in-cluster.yaml').find((d) => d.kind === kind)!,
      );
      // The example's namespaces, made unique for this run.
      (
        svc!.spec.connectionApproval as { acceptInCluster: { namespaces: string[] } }
      ).acceptInCluster.namespaces = [ns];
      (ep!.spec.serviceRef as { namespace: string }).namespace = owner;
      const createdSvc = await create(svc!, owner);
      expect(createdSvc.spec.connectionApproval).toEqual({
        acceptInCluster: { namespaces: [ns] },
        reconcileConnections: false,
      });
      const created = await create(ep!);
      expect(created.metadata.generation).toBe(1);
      expect(created.spec).toMatchObject({ enableDns: true, deletionPolicy: 'Delete' });
    });

    it('admits examples/endpoint-cross-account.yaml', async () => {
      const ep = loadExampleDocs('endpoint-cross-account.yaml').find((d) => d.kind === ENDPOINT_KIND)!;
      const created = await create(ep);
      expect(created.spec).toMatchObject({ enableDns: true, deletionPolicy: 'Retain' });
    });

    it('lists the examples it knows', () => {
      expect([...ENDPOINT_EXAMPLES].sort()).toEqual([
        'endpoint-cross-account.yaml',
        'endpoint-in-cluster.yaml',
      ]);
    });

    it('admits the catalogue base by each of serviceRef, serviceId and serviceName, keeping policyDocument whole', async () => {
      for (const choice of ['serviceRef', 'serviceId', 'serviceName'] as const) {
        const created = await create(validEndpointObject(`base-${choice.toLowerCase()}`, choice));
        expect(created.spec[choice]).toBeDefined();
        expect(created.spec.policyDocument).toEqual(validEndpointObject('x').spec!.policyDocument);
      }
    });

    it('accepts the status the operator writes, and prints ID, SERVICE, STATUS, IP, READY, AGE', async () => {
      const cur = await get('partner-api');
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
        id: '11111111-1111-4111-8111-111111111111',
        status: 'accepted',
        projectId: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
        ip: '10.2.0.20',
        dnsNames: ['11111111-1111-4111-8111-111111111111.partner-api.cn-north-4.vpcep.example'],
        markerId: 16777217,
        serviceId: '5c2b7e14-9d3a-4f61-8e0b-7a6c5d4e3f21',
        serviceName: 'cn-north-4.partner-api.5c2b7e14-9d3a-4f61-8e0b-7a6c5d4e3f21',
        createdAt: '2022-04-14T09:35:47Z',
        updatedAt: '2022-04-14T09:36:47Z',
        observedGeneration: 1,
        conditions,
      };
      const written = (await k.custom.replaceNamespacedCustomObjectStatus({
        ...ref(),
        name: 'partner-api',
        body: { ...cur, status },
      })) as Obj;
      expect(written.status).toStrictEqual(status);
      const table = await k.kubectl('get', 'vpce', '-n', ns, 'partner-api');
      expect(table).toMatch(/^NAME\s+ID\s+SERVICE\s+STATUS\s+IP\s+READY\s+AGE\s*$/m);
      expect(table).toMatch(
        /partner-api\s+11111111-1111-4111-8111-111111111111\s+cn-north-4\.partner-api\.5c2b7e14-\S+\s+accepted\s+10\.2\.0\.20\s+True\s/,
      );
    });

    it('is listed under its categories and explains its fields', async () => {
      expect(await k.kubectl('get', 'huaweicloud', '-n', ns, '-o', 'name')).toContain(
        'vpcendpoint.vpcep.huaweicloud.io/partner-api',
      );
      expect(await k.kubectl('get', 'vpcendpoints', '-n', ns, '-o', 'name')).toContain('partner-api');
      const text = await eventually(
        async () => (await k.kubectl('explain', 'vpce.spec.description')) || undefined,
        'kubectl explain',
      );
      expect(text).toMatch(/Immutable/);
      expect(await k.kubectl('explain', 'vpce.spec.serviceRef')).toMatch(/acceptInCluster/);
    });

    it('allows changing every mutable field at once', async () => {
      const base = await create(validEndpointObject('mutable'));
      const updated = await replaceSpec('mutable', {
        ...base.spec,
        whitelist: ['10.9.0.0/16'],
        enableWhitelist: false,
        routeTables: ['0b7c2a44-6f1d-4c59-9e2a-3d5f7a9b0077'],
        policyDocument: { Version: '5.0', Statement: [] },
        tags: [{ key: 'env', value: 'prod' }],
        deletionPolicy: 'Retain',
        credentialsSecretRef: { name: 'other-credentials' },
        publish: { serviceName: 'renamed' },
      });
      expect(updated.metadata.generation).toBe(2);
      expect(updated.spec).toMatchObject({ enableWhitelist: false, deletionPolicy: 'Retain' });
      // Removing the optional mutable fields is allowed too.
      const spec = { ...updated.spec };
      for (const f of ['whitelist', 'enableWhitelist', 'routeTables', 'policyDocument', 'tags', 'publish'])
        delete spec[f];
      expect((await replaceSpec('mutable', spec)).metadata.generation).toBe(3);
    });

    it('allows an update that leaves immutable fields as they are, even when enableDns was defaulted', async () => {
      const o = validEndpointObject('defaulted');
      delete o.spec!.enableDns;
      const created = await create(o);
      expect(created.spec.enableDns).toBe(true);
      const spec: Record<string, unknown> = { ...created.spec, whitelist: ['10.0.0.0/8'] };
      delete spec.enableDns; // re-defaulted to true: unchanged
      const updated = await replaceSpec('defaulted', spec);
      expect(updated.spec).toMatchObject({ enableDns: true, whitelist: ['10.0.0.0/8'] });
    });
  });

  describe('refuses every case of the endpoint catalogue for its own reason', () => {
    const creates = invalidEndpointSpecs.filter((c) => !c.transition);
    it.each(creates.map((c) => [c.cel ? 'CEL' : 'schema', c.name, c] as const))(
      '%s: %s',
      async (_kind, _name, c) => {
        expectRefusedFor(await refusal(create(c.object)), c);
      },
    );

    const updates = invalidEndpointSpecs.filter((c) => c.transition);
    it.each(updates.map((c) => [c.name, c] as const))('update: %s', async (_name, c) => {
      const from = c.transition!.from;
      await create(from);
      expectRefusedFor(await refusal(replaceSpec(from.metadata.name, c.object.spec)), c);
      expect((await get(from.metadata.name)).metadata.generation).toBe(1);
    });
  });
});
