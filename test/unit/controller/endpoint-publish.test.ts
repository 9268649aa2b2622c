/**
 * Publishing a `VpcEndpoint` as a Service of its namespace, against in-memory CoreV1 and DiscoveryV1
 * fakes with apiserver-like answers (404 on a missing object, 409 on a duplicate create): the shape
 * per mode, no write when in line, never touching a foreign Service, the refusals as waits, a rename,
 * and a switch of mode.
 */
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { API_VERSION, ENDPOINT_KIND } from '../../../src/api/constants.js';
import type { VpcEndpoint as VpcEndpointResource, VpcEndpointStatus } from '../../../src/api/types.js';
import type { VpcEndpoint } from '../../../src/cloud/wire.js';
import {
  LABEL_ENDPOINT_UID,
  Publisher,
  type PublisherOptions,
} from '../../../src/controller/endpoint/publish.js';
import type { Observation } from '../../../src/managed/adapter.js';
import { apiError } from '../runtime/fakes.js';

const UID = 'f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9';
const SVC = '3c1b2a90-7d6e-4f5a-9b8c-1d2e3f4a5b6c';
const NS = 'team-b';

type Meta = { name?: string; namespace?: string };

/** Services and EndpointSlices of one apiserver, every write recorded as `verb kind/name`. */
class FakeApi {
  readonly services = new Map<string, V1Service>();
  readonly slices = new Map<string, V1EndpointSlice>();
  readonly writes: string[] = [];
  readonly reads: string[] = [];
  /** Every call fails with this (e.g. a 403 without RBAC). */
  fail: Error | undefined;
  /** Writes fail with this (e.g. a 422 Invalid). */
  failWrites: Error | undefined;
  private rv = 0;

  private gate(write: boolean): void {
    if (this.fail) throw this.fail;
    if (write && this.failWrites) throw this.failWrites;
  }
  private get<T>(m: Map<string, T>, name: string): T {
    const o = m.get(name);
    if (!o) throw apiError(404, 'NotFound');
    return structuredClone(o);
  }
  private put<T extends { metadata?: Meta & { resourceVersion?: string } }>(
    m: Map<string, T>,
    body: T,
    create: boolean,
  ): T {
    const name = body.metadata?.name ?? '';
    if (create && m.has(name)) throw apiError(409, 'AlreadyExists');
    if (!create && !m.has(name)) throw apiError(404, 'NotFound');
    const stored = structuredClone(body);
    stored.metadata = { ...stored.metadata, resourceVersion: String(++this.rv) };
    m.set(name, stored);
    return structuredClone(stored);
  }

  options(enabled = true): PublisherOptions {
    const core = {
      readNamespacedService: async ({ name }: Meta) => {
        this.gate(false);
        this.reads.push(`read Service/${name}`);
        return this.get(this.services, name ?? '');
      },
      createNamespacedService: async ({ body }: { body: V1Service }) => {
        this.gate(true);
        this.writes.push(`create Service/${body.metadata?.name}`);
        return this.put(this.services, body, true);
      },
      replaceNamespacedService: async ({ body }: { body: V1Service }) => {
        this.gate(true);
        this.writes.push(`replace Service/${body.metadata?.name}`);
        return this.put(this.services, body, false);
      },
      deleteNamespacedService: async ({ name }: Meta) => {
        this.gate(true);
        this.writes.push(`delete Service/${name}`);
        const o = this.get(this.services, name ?? '');
        this.services.delete(name ?? '');
        return o;
      },
      listNamespacedService: async ({ labelSelector }: { labelSelector?: string }) => {
        this.gate(false);
        this.reads.push('list Service');
        const [k, v] = (labelSelector ?? '').split('=');
        return {
          items: [...this.services.values()]
            .filter((s) => !k || s.metadata?.labels?.[k] === v)
            .map((s) => structuredClone(s)),
        };
      },
    };
    const discovery = {
      readNamespacedEndpointSlice: async ({ name }: Meta) => {
        this.gate(false);
        return this.get(this.slices, name ?? '');
      },
      createNamespacedEndpointSlice: async ({ body }: { body: V1EndpointSlice }) => {
        this.gate(true);
        this.writes.push(`create EndpointSlice/${body.metadata?.name}`);
        return this.put(this.slices, body, true);
      },
      replaceNamespacedEndpointSlice: async ({ body }: { body: V1EndpointSlice }) => {
        this.gate(true);
        this.writes.push(`replace EndpointSlice/${body.metadata?.name}`);
        return this.put(this.slices, body, false);
      },
      deleteNamespacedEndpointSlice: async ({ name }: Meta) => {
        this.gate(true);
        this.writes.push(`delete EndpointSlice/${name}`);
        const o = this.get(this.slices, name ?? '');
        this.slices.delete(name ?? '');
        return o;
      },
    };
    return {
      core: core as unknown as PublisherOptions['core'],
      discovery: discovery as unknown as PublisherOptions['discovery'],
      enabled,
    };
  }
}

const resource = (publish: string | undefined, generation = 1, observed = 1): VpcEndpointResource => ({
  apiVersion: API_VERSION,
  kind: ENDPOINT_KIND,
  metadata: { namespace: NS, name: 'orders-db', uid: UID, generation },
  spec: { vpcId: 'v', serviceId: SVC, ...(publish ? { publish: { serviceName: publish } } : {}) },
  status: { observedGeneration: observed },
});
const seen = (ep: Partial<VpcEndpoint>): Observation<VpcEndpointStatus, VpcEndpoint> => ({
  id: 'e',
  raw: { id: 'e', status: 'accepted', ...ep },
  phase: 'ready',
  owner: UID,
  fields: {},
});
const ctx = { signal: new AbortController().signal };
const ports = { id: SVC, ports: [{ clientPort: 5432, serverPort: 5432 }] };
const DNS = { dns_names: ['orders.vpcep.example.com.'] };
const IP = { ip: '10.0.0.12' };

describe('the published Service', () => {
  it('a DNS name: an ExternalName Service to it, owned by the VpcEndpoint, with the client ports', async () => {
    const api = new FakeApi();
    const p = new Publisher(api.options());
    expect(await p.sync(resource('orders'), seen({ ...DNS, ...IP }), ports, ctx)).toBeUndefined();
    expect(api.writes).toEqual(['create Service/orders']);
    const svc = api.services.get('orders')!;
    expect(svc.spec).toMatchObject({ type: 'ExternalName', externalName: 'orders.vpcep.example.com' });
    expect(svc.spec?.ports).toEqual([{ name: 'tcp-5432', port: 5432, protocol: 'TCP' }]);
    expect(svc.metadata?.labels?.[LABEL_ENDPOINT_UID]).toBe(UID);
    expect(svc.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: ENDPOINT_KIND, uid: UID, controller: true, name: 'orders-db' }),
    ]);
    expect(api.slices.size).toBe(0);
  });

  it('only an IP: a headless selectorless Service and an EndpointSlice with the IP', async () => {
    const api = new FakeApi();
    const p = new Publisher(api.options());
    expect(await p.sync(resource('orders'), seen(IP), ports, ctx)).toBeUndefined();
    expect(api.writes).toEqual(['create Service/orders', 'create EndpointSlice/orders-vpce']);
    const svc = api.services.get('orders')!;
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', clusterIP: 'None' });
    expect(svc.spec?.selector).toBeUndefined();
    const slice = api.slices.get('orders-vpce')!;
    expect(slice.endpoints).toEqual([{ addresses: ['10.0.0.12'], conditions: { ready: true } }]);
    expect(slice.metadata?.labels?.['kubernetes.io/service-name']).toBe('orders');
    expect(slice.ports).toEqual([{ name: 'tcp-5432', port: 5432, protocol: 'TCP' }]);
    expect(slice.metadata?.ownerReferences?.[0]?.uid).toBe(UID);
  });

  it('no write when everything is in line', async () => {
    const api = new FakeApi();
    const p = new Publisher(api.options());
    await p.sync(resource('orders'), seen(IP), ports, ctx);
    api.writes.length = 0;
    expect(await p.sync(resource('orders'), seen(IP), ports, ctx)).toBeUndefined();
    await p.sync(resource('orders', 2, 1), seen(IP), ports, ctx);
    expect(api.writes).toEqual([]);
  });

  it('a new IP updates the EndpointSlice only', async () => {
    const api = new FakeApi();
    const p = new Publisher(api.options());
    await p.sync(resource('orders'), seen(IP), ports, ctx);
    api.writes.length = 0;
    await p.sync(resource('orders'), seen({ ip: '10.0.0.99' }), ports, ctx);
    expect(api.writes).toEqual(['replace EndpointSlice/orders-vpce']);
    expect(api.slices.get('orders-vpce')?.endpoints?.[0]?.addresses).toEqual(['10.0.0.99']);
  });

  it('nothing to publish yet (no DNS name, no IP): PublishPending, no write', async () => {
    const api = new FakeApi();
    const w = await new Publisher(api.options()).sync(resource('orders'), seen({}), ports, ctx);
    expect(w).toMatchObject({ reason: 'PublishPending' });
    expect(api.writes).toEqual([]);
  });

  it('a Service of that name the operator does not own: PublishConflict, and it is left untouched', async () => {
    const api = new FakeApi();
    const foreign: V1Service = {
      metadata: { name: 'orders', namespace: NS, labels: { app: 'theirs' } },
      spec: { type: 'ClusterIP', clusterIP: '10.96.0.5', ports: [{ port: 80 }] },
    };
    api.services.set('orders', structuredClone(foreign));
    const w = await new Publisher(api.options()).sync(
      resource('orders'),
      seen({ ...DNS, ...IP }),
      ports,
      ctx,
    );
    expect(w).toMatchObject({ reason: 'PublishConflict', routine: true });
    expect(w?.message).toContain(`${NS}/orders`);
    expect(api.writes).toEqual([]);
    expect(api.services.get('orders')).toMatchObject(foreign);
  });

  it('publishing disabled: PublishDisabled naming the flag, and no call to the apiserver at all', async () => {
    const api = new FakeApi();
    // No RBAC for Services when publishing is off: any call would be refused.
    api.fail = apiError(403, 'Forbidden');
    const p = new Publisher(api.options(false));
    const w = await p.sync(resource('orders', 2, 1), seen({ ...DNS, ...IP }), ports, ctx);
    expect(w).toMatchObject({ reason: 'PublishDisabled' });
    expect(w?.message).toContain('--enable-publish=false');
    expect(api.writes).toEqual([]);
    expect(api.reads).toEqual([]);
  });

  it('publishing disabled: a VpcEndpoint that asks for no Service is not held back', async () => {
    const api = new FakeApi();
    api.fail = apiError(403, 'Forbidden');
    const p = new Publisher(api.options(false));
    expect(await p.sync(resource(undefined), seen({ ...DNS, ...IP }), ports, ctx)).toBeUndefined();
    expect(await p.sync(resource(undefined, 2, 1), seen({ ...DNS, ...IP }), ports, ctx)).toBeUndefined();
    expect(api.reads).toEqual([]);
  });

  it('403 from the apiserver (no RBAC in this namespace): PublishDisabled, rechecked slowly', async () => {
    const api = new FakeApi();
    api.fail = apiError(403, 'Forbidden');
    const w = await new Publisher(api.options()).sync(resource('orders'), seen(IP), ports, ctx);
    expect(w).toMatchObject({ reason: 'PublishDisabled', routine: true });
    expect(w?.message).toContain('RBAC');
  });

  it("422 from the apiserver: PublishFailed with the apiserver's message", async () => {
    const api = new FakeApi();
    api.failWrites = apiError(
      422,
      'Invalid',
      'Service "orders" is invalid: spec.externalName: Invalid value',
    );
    const w = await new Publisher(api.options()).sync(resource('orders'), seen(DNS), ports, ctx);
    expect(w).toMatchObject({ reason: 'PublishFailed' });
    expect(w?.message).toContain('spec.externalName: Invalid value');
    expect(w?.routine).toBeUndefined();
  });

  it('a rename removes the Service published under the old name, and never a foreign one', async () => {
    const api = new FakeApi();
    const p = new Publisher(api.options());
    await p.sync(resource('orders'), seen(IP), ports, ctx);
    // A foreign Service carrying our label (copied by someone) but no owner reference of ours.
    api.services.set('copy', {
      metadata: { name: 'copy', namespace: NS, labels: { [LABEL_ENDPOINT_UID]: UID } },
      spec: { type: 'ClusterIP' },
    });
    api.writes.length = 0;
    await p.sync(resource('orders-v2', 2, 1), seen(IP), ports, ctx);
    expect(api.writes).toEqual([
      'delete Service/orders',
      'delete EndpointSlice/orders-vpce',
      'create Service/orders-v2',
      'create EndpointSlice/orders-v2-vpce',
    ]);
    expect([...api.services.keys()].sort()).toEqual(['copy', 'orders-v2']);
    expect([...api.slices.keys()]).toEqual(['orders-v2-vpce']);
  });

  it('publish removed from the spec: the published Service goes', async () => {
    const api = new FakeApi();
    const p = new Publisher(api.options());
    await p.sync(resource('orders'), seen(DNS), ports, ctx);
    expect(await p.sync(resource(undefined, 2, 1), seen(DNS), ports, ctx)).toBeUndefined();
    expect(api.services.size).toBe(0);
  });

  it('a DNS name appearing switches the headless Service to ExternalName: recreated, and its slice removed', async () => {
    const api = new FakeApi();
    const p = new Publisher(api.options());
    await p.sync(resource('orders'), seen(IP), ports, ctx);
    api.writes.length = 0;
    await p.sync(resource('orders'), seen({ ...DNS, ...IP }), ports, ctx);
    expect(api.writes).toEqual([
      'delete Service/orders',
      'create Service/orders',
      'delete EndpointSlice/orders-vpce',
    ]);
    expect(api.services.get('orders')?.spec).toMatchObject({
      type: 'ExternalName',
      externalName: 'orders.vpcep.example.com',
    });
    expect(api.services.get('orders')?.spec?.clusterIP).toBeUndefined();
    expect(api.slices.size).toBe(0);
  });
});
