/**
 * ConnectionReferences: which in-cluster endpoint connects to which in-cluster service, both ways,
 * kept from the two kinds' informer events; the versions that let a pass through the steady-state
 * gate exactly when the other side changed; and the lookup of an endpoint by its cloud id.
 */
import { describe, expect, it } from 'vitest';
import { API_VERSION, ENDPOINT_KIND } from '../../../src/api/constants.js';
import type {
  VpcEndpoint,
  VpcEndpointService,
  VpcEndpointSpec,
  VpcEndpointStatus,
} from '../../../src/api/types.js';
import { ConnectionReferences } from '../../../src/controller/endpoint/references.js';

const SVC_A = '3c1b2a90-7d6e-4f5a-9b8c-1d2e3f4a5b6c';
const SVC_B = '4d2c3b01-8e7f-4a6b-8c9d-2e3f4a5b6c7d';
const EP_1 = '11111111-1111-4111-8111-111111111111';
const EP_2 = '22222222-2222-4222-8222-222222222222';

const endpoint = (
  ns: string,
  name: string,
  spec: Partial<VpcEndpointSpec>,
  status?: VpcEndpointStatus,
): VpcEndpoint => ({
  apiVersion: API_VERSION,
  kind: ENDPOINT_KIND,
  metadata: { namespace: ns, name },
  spec: { vpcId: 'v', ...spec },
  ...(status ? { status } : {}),
});

const service = (ns: string, name: string, status?: VpcEndpointService['status']): VpcEndpointService => ({
  apiVersion: API_VERSION,
  kind: 'VpcEndpointService',
  metadata: { namespace: ns, name },
  spec: { portId: 'p', vpcId: 'v', serverType: 'VM', ports: [{ clientPort: 1, serverPort: 1 }] },
  ...(status ? { status } : {}),
});

describe('both directions', () => {
  it('an endpoint by serviceRef is linked to that service (namespace defaulted to its own)', () => {
    const refs = new ConnectionReferences();
    const ep = endpoint('team-b', 'db', { serviceRef: { name: 'orders', namespace: 'team-a' } });
    const local = endpoint('team-a', 'db2', { serviceRef: { name: 'orders' } });
    refs.observeEndpoint('team-b/db', ep, 'add');
    refs.observeEndpoint('team-a/db2', local, 'add');
    expect(refs.serviceOf(ep)).toBe('team-a/orders');
    expect(refs.serviceOf(local)).toBe('team-a/orders');
    expect(refs.endpointsOf('team-a/orders')).toEqual(['team-a/db2', 'team-b/db']);
    expect(refs.endpointsOf('team-a/other')).toEqual([]);
  });

  it('an endpoint by serviceId (or a resolved serviceName) is linked once the service has that id', () => {
    const refs = new ConnectionReferences();
    const byId = endpoint('team-b', 'by-id', { serviceId: SVC_A });
    const byName = endpoint('team-c', 'by-name', { serviceName: `r.orders.${SVC_A}` }, { serviceId: SVC_A });
    refs.observeEndpoint('team-b/by-id', byId, 'add');
    refs.observeEndpoint('team-c/by-name', byName, 'add');
    // The service has no id yet: no link by id.
    refs.observeService('team-a/orders', service('team-a', 'orders'), 'add');
    expect(refs.endpointsOf('team-a/orders')).toEqual([]);
    expect(refs.serviceOf(byId)).toBeUndefined();
    refs.observeService('team-a/orders', service('team-a', 'orders', { id: SVC_A }), 'update');
    expect(refs.endpointsOf('team-a/orders')).toEqual(['team-b/by-id', 'team-c/by-name']);
    expect(refs.serviceOf(byId)).toBe('team-a/orders');
    expect(refs.serviceOf(byName)).toBe('team-a/orders');
    // A service of another cloud account (not in the cluster): no key.
    expect(refs.serviceOf(endpoint('x', 'y', { serviceId: SVC_B }))).toBeUndefined();
  });

  it('a changed reference moves; a deleted endpoint or service leaves', () => {
    const refs = new ConnectionReferences();
    refs.observeService('team-a/b', service('team-a', 'b', { id: SVC_B }), 'add');
    refs.observeEndpoint(
      'ns/e',
      endpoint('ns', 'e', { serviceRef: { name: 'a', namespace: 'team-a' } }),
      'add',
    );
    expect(refs.endpointsOf('team-a/a')).toEqual(['ns/e']);
    refs.observeEndpoint('ns/e', endpoint('ns', 'e', { serviceId: SVC_B }), 'update');
    expect(refs.endpointsOf('team-a/a')).toEqual([]);
    expect(refs.endpointsOf('team-a/b')).toEqual(['ns/e']);
    refs.observeEndpoint('ns/e', endpoint('ns', 'e', { serviceId: SVC_B }), 'delete');
    expect(refs.endpointsOf('team-a/b')).toEqual([]);

    refs.observeEndpoint('ns/f', endpoint('ns', 'f', { serviceId: SVC_B }), 'add');
    refs.observeService('team-a/b', service('team-a', 'b', { id: SVC_B }), 'delete');
    expect(refs.endpointsOf('team-a/b')).toEqual([]);
    expect(refs.service('team-a', 'b')).toBeUndefined();
  });

  it('service() answers the service as last seen', () => {
    const refs = new ConnectionReferences();
    refs.observeService('team-a/orders', service('team-a', 'orders'), 'add');
    refs.observeService('team-a/orders', service('team-a', 'orders', { id: SVC_A }), 'update');
    expect(refs.service('team-a', 'orders')?.status?.id).toBe(SVC_A);
  });
});

describe('versions for the steady-state gate', () => {
  it('serviceVersion changes when a connecting endpoint gets its id or another status word, joins or leaves, and not on other edits', () => {
    const refs = new ConnectionReferences();
    const key = 'team-a/orders';
    const spec = { serviceRef: { name: 'orders', namespace: 'team-a' } };
    const v0 = refs.serviceVersion(key);
    refs.observeEndpoint('team-b/db', endpoint('team-b', 'db', spec), 'add');
    const v1 = refs.serviceVersion(key);
    expect(v1).not.toBe(v0);
    refs.observeEndpoint(
      'team-b/db',
      endpoint('team-b', 'db', spec, { id: EP_1, status: 'creating' }),
      'update',
    );
    const v2 = refs.serviceVersion(key);
    expect(v2).not.toBe(v1);
    refs.observeEndpoint(
      'team-b/db',
      endpoint('team-b', 'db', spec, { id: EP_1, status: 'pendingAcceptance' }),
      'update',
    );
    const v3 = refs.serviceVersion(key);
    expect(v3).not.toBe(v2);
    // Same id and word, other fields changed (conditions, ip): unchanged, the service stays gated.
    refs.observeEndpoint(
      'team-b/db',
      endpoint('team-b', 'db', spec, {
        id: EP_1,
        status: 'pendingAcceptance',
        ip: '10.0.0.1',
        observedGeneration: 3,
      }),
      'update',
    );
    expect(refs.serviceVersion(key)).toBe(v3);
    // A resync of the same object: unchanged.
    refs.observeEndpoint(
      'team-b/db',
      endpoint('team-b', 'db', spec, { id: EP_1, status: 'pendingAcceptance' }),
      'resync',
    );
    expect(refs.serviceVersion(key)).toBe(v3);
    // An endpoint of another service changes nothing here.
    refs.observeEndpoint(
      'x/y',
      endpoint('x', 'y', { serviceRef: { name: 'other', namespace: 'team-a' } }),
      'add',
    );
    expect(refs.serviceVersion(key)).toBe(v3);
    refs.observeEndpoint('team-b/db', endpoint('team-b', 'db', spec), 'delete');
    expect(refs.serviceVersion(key)).not.toBe(v3);
  });

  it("endpointVersion changes when the service gets its id or this endpoint's connection changes, not another's", () => {
    const refs = new ConnectionReferences();
    const ep = endpoint(
      'team-b',
      'db',
      { serviceRef: { name: 'orders', namespace: 'team-a' } },
      { id: EP_1 },
    );
    refs.observeEndpoint('team-b/db', ep, 'add');
    refs.observeService('team-a/orders', service('team-a', 'orders'), 'add');
    const v0 = refs.endpointVersion(ep);
    refs.observeService('team-a/orders', service('team-a', 'orders', { id: SVC_A }), 'update');
    const v1 = refs.endpointVersion(ep);
    expect(v1).not.toBe(v0);
    const withConns = (mine: string, other: string) =>
      service('team-a', 'orders', {
        id: SVC_A,
        connections: [
          { endpointId: EP_1, status: mine },
          { endpointId: EP_2, status: other },
        ],
      });
    refs.observeService('team-a/orders', withConns('pendingAcceptance', 'pendingAcceptance'), 'update');
    const v2 = refs.endpointVersion(ep);
    expect(v2).not.toBe(v1);
    refs.observeService('team-a/orders', withConns('pendingAcceptance', 'accepted'), 'update');
    expect(refs.endpointVersion(ep)).toBe(v2);
    refs.observeService('team-a/orders', withConns('accepted', 'accepted'), 'update');
    expect(refs.endpointVersion(ep)).not.toBe(v2);
  });

  it("endpointVersion is 'absent' once the referenced service is deleted (or was never there)", () => {
    const refs = new ConnectionReferences();
    const ep = endpoint(
      'team-b',
      'db',
      { serviceRef: { name: 'orders', namespace: 'team-a' } },
      { id: EP_1 },
    );
    refs.observeEndpoint('team-b/db', ep, 'add');
    expect(refs.endpointVersion(ep)).toBe('absent');
    refs.observeService('team-a/orders', service('team-a', 'orders', { id: SVC_A }), 'add');
    expect(refs.endpointVersion(ep)).not.toBe('absent');
    refs.observeService('team-a/orders', service('team-a', 'orders', { id: SVC_A }), 'delete');
    expect(refs.endpointVersion(ep)).toBe('absent');
  });

  it('endpointVersion is undefined for an endpoint whose service is not of this cluster (nothing related)', () => {
    const refs = new ConnectionReferences();
    const ep = endpoint('team-b', 'db', { serviceId: SVC_B }, { id: EP_1 });
    refs.observeEndpoint('team-b/db', ep, 'add');
    expect(refs.endpointVersion(ep)).toBeUndefined();
  });
});

describe('lookup by endpoint id (for acceptInCluster)', () => {
  it('finds the endpoint by its status.id with what the rule needs; forgets it when deleted', () => {
    const refs = new ConnectionReferences();
    refs.observeEndpoint(
      'team-b/db',
      endpoint('team-b', 'db', { serviceRef: { name: 'orders', namespace: 'team-a' } }),
      'add',
    );
    expect(refs.lookup(EP_1)).toBeUndefined();
    refs.observeEndpoint(
      'team-b/db',
      endpoint(
        'team-b',
        'db',
        { serviceRef: { name: 'orders', namespace: 'team-a' } },
        { id: EP_1, markerId: 7 },
      ),
      'update',
    );
    expect(refs.lookup(EP_1)).toEqual({
      namespace: 'team-b',
      name: 'db',
      serviceRef: 'team-a/orders',
      markerId: 7,
    });
    refs.observeEndpoint('team-b/db', endpoint('team-b', 'db', {}), 'delete');
    expect(refs.lookup(EP_1)).toBeUndefined();
  });

  it('a status.id that is not a cloud id is never indexed', () => {
    const refs = new ConnectionReferences();
    refs.observeEndpoint(
      'team-b/db',
      endpoint('team-b', 'db', { serviceId: SVC_A }, { id: '../../x' }),
      'add',
    );
    expect(refs.lookup('../../x')).toBeUndefined();
  });

  it('the id of a serviceName endpoint is the one its name resolved to', () => {
    const refs = new ConnectionReferences();
    refs.observeEndpoint(
      'team-c/n',
      endpoint('team-c', 'n', { serviceName: `r.orders.${SVC_A}` }, { id: EP_2, serviceId: SVC_A }),
      'add',
    );
    expect(refs.lookup(EP_2)).toEqual({ namespace: 'team-c', name: 'n', serviceId: SVC_A });
  });
});
