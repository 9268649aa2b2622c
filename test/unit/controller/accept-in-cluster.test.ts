/**
 * `connectionApproval.acceptInCluster`, the security boundary: a `VpcEndpoint` of this cluster is
 * accepted only when it lives in the service's own namespace or one the service's owner listed, and
 * its spec names this very service. Referencing a service grants nothing by itself.
 */
import { describe, expect, it } from 'vitest';
import type { VpcEndpointService, VpcEndpointServiceSpec } from '../../../src/api/types.js';
import type { VpcepClient } from '../../../src/cloud/client.js';
import type { Connection, EndpointService } from '../../../src/cloud/wire.js';
import {
  connectionsStep,
  decide,
  type DecisionContext,
  type InClusterEndpoint,
} from '../../../src/controller/endpoint-service/connections.js';
import type { Observation } from '../../../src/managed/adapter.js';

const SVC = '3c1b2a90-7d6e-4f5a-9b8c-1d2e3f4a5b6c';
const OTHER_SVC = '4d2c3b01-8e7f-4a6b-8c9d-2e3f4a5b6c7d';
const EP = '11111111-1111-4111-8111-111111111111';
const DOMAIN = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';

const spec = (
  approval: VpcEndpointServiceSpec['connectionApproval'],
  extra: Partial<VpcEndpointServiceSpec> = {},
): VpcEndpointServiceSpec => ({
  portId: 'p',
  vpcId: 'v',
  serverType: 'VM',
  ports: [{ clientPort: 1, serverPort: 1 }],
  approvalEnabled: true,
  connectionApproval: approval,
  ...extra,
});
const conn = (status: string, marker?: number): Connection => ({
  id: EP,
  domain_id: DOMAIN,
  status,
  ...(marker !== undefined ? { marker_id: marker } : {}),
});
/** The service `team-a/orders` (cloud id SVC), seeing the in-cluster endpoint `ep` behind EP. */
const ctx = (ep: InClusterEndpoint | undefined): DecisionContext => ({
  namespace: 'team-a',
  name: 'orders',
  id: SVC,
  endpoints: (id) => (id === EP ? ep : undefined),
});
const byRef = (namespace: string, extra: Partial<InClusterEndpoint> = {}): InClusterEndpoint => ({
  namespace,
  name: 'db',
  serviceRef: 'team-a/orders',
  ...extra,
});

describe('acceptInCluster', () => {
  it('an endpoint in a namespace the owner did not list is NOT accepted, though it references the service', () => {
    const s = spec({ acceptInCluster: { namespaces: ['team-b'] } });
    expect(decide(s, conn('pendingAcceptance'), ctx(byRef('team-evil')))).toEqual({ action: 'pending' });
    expect(decide(spec({ acceptInCluster: {} }), conn('pendingAcceptance'), ctx(byRef('team-b')))).toEqual({
      action: 'pending',
    });
  });

  it("the service's own namespace is accepted without being listed; a listed one is accepted", () => {
    expect(decide(spec({ acceptInCluster: {} }), conn('pendingAcceptance'), ctx(byRef('team-a')))).toEqual({
      action: 'receive',
      rule: 'acceptInCluster: team-a/db',
    });
    expect(
      decide(
        spec({ acceptInCluster: { namespaces: ['team-b'] } }),
        conn('pendingAcceptance'),
        ctx(byRef('team-b')),
      ),
    ).toEqual({ action: 'receive', rule: 'acceptInCluster: team-b/db' });
  });

  it('"*" accepts every namespace', () => {
    expect(
      decide(
        spec({ acceptInCluster: { namespaces: ['*'] } }),
        conn('pendingAcceptance'),
        ctx(byRef('anywhere')),
      ),
    ).toMatchObject({ action: 'receive' });
  });

  it('an endpoint that references another service is not accepted, even from an allowed namespace', () => {
    const s = spec({ acceptInCluster: { namespaces: ['*'] } });
    expect(
      decide(s, conn('pendingAcceptance'), ctx(byRef('team-b', { serviceRef: 'team-a/other' }))),
    ).toEqual({ action: 'pending' });
    expect(
      decide(s, conn('pendingAcceptance'), ctx({ namespace: 'team-b', name: 'db', serviceId: OTHER_SVC })),
    ).toEqual({ action: 'pending' });
    // By this service's id (serviceId, or a serviceName resolved to it): accepted.
    expect(
      decide(s, conn('pendingAcceptance'), ctx({ namespace: 'team-b', name: 'db', serviceId: SVC })),
    ).toMatchObject({ action: 'receive' });
    // A serviceRef to another service wins over an id that happens to match.
    expect(
      decide(
        s,
        conn('pendingAcceptance'),
        ctx({ namespace: 'team-b', name: 'db', serviceRef: 'team-c/x', serviceId: SVC }),
      ),
    ).toEqual({ action: 'pending' });
  });

  it('a connection whose endpoint is not a VpcEndpoint of this cluster is not accepted by the rule', () => {
    expect(
      decide(spec({ acceptInCluster: { namespaces: ['*'] } }), conn('pendingAcceptance'), ctx(undefined)),
    ).toEqual({ action: 'pending' });
    // Without the in-cluster lookup wired at all: the rule cannot accept.
    expect(decide(spec({ acceptInCluster: { namespaces: ['*'] } }), conn('pendingAcceptance'))).toEqual({
      action: 'pending',
    });
  });

  it("a markerId that differs from the connection's is not accepted", () => {
    const s = spec({ acceptInCluster: { namespaces: ['team-b'] } });
    expect(decide(s, conn('pendingAcceptance', 42), ctx(byRef('team-b', { markerId: 7 })))).toEqual({
      action: 'pending',
    });
    expect(decide(s, conn('pendingAcceptance', 42), ctx(byRef('team-b', { markerId: 42 })))).toMatchObject({
      action: 'receive',
    });
  });

  it('reject still wins', () => {
    const s = spec({ acceptInCluster: { namespaces: ['*'] }, reject: [EP] });
    expect(decide(s, conn('pendingAcceptance'), ctx(byRef('team-a')))).toEqual({
      action: 'reject',
      rule: 'reject',
    });
    expect(decide(s, conn('accepted'), ctx(byRef('team-a')))).toEqual({ action: 'reject', rule: 'reject' });
  });

  it('does nothing while approval is off', () => {
    const s = spec({ acceptInCluster: { namespaces: ['*'] } }, { approvalEnabled: false });
    expect(decide(s, conn('pendingAcceptance'), ctx(byRef('team-a')))).toEqual({ action: 'none' });
  });

  it('reconcileConnections rejects an accepted in-cluster connection whose namespace was removed from the list', () => {
    const still = spec({ acceptInCluster: { namespaces: ['team-b'] }, reconcileConnections: true });
    expect(decide(still, conn('accepted'), ctx(byRef('team-b')))).toEqual({ action: 'none' });
    const removed = spec({ acceptInCluster: { namespaces: [] }, reconcileConnections: true });
    expect(decide(removed, conn('accepted'), ctx(byRef('team-b')))).toMatchObject({ action: 'reject' });
    // Without reconcileConnections an accepted connection is left as it is.
    expect(decide(spec({ acceptInCluster: {} }), conn('accepted'), ctx(byRef('team-b')))).toEqual({
      action: 'none',
    });
  });
});

describe('the connections step with acceptInCluster', () => {
  it('accepts the allowed in-cluster endpoint and leaves the other pending, with an event for each', async () => {
    const ALLOWED = EP;
    const DENIED = '22222222-2222-4222-8222-222222222222';
    const list: Connection[] = [
      { id: ALLOWED, domain_id: DOMAIN, status: 'pendingAcceptance' },
      { id: DENIED, domain_id: DOMAIN, status: 'pendingAcceptance' },
    ];
    const actions: string[] = [];
    const client = {
      listConnections: async () => structuredClone(list),
      connectionAction: async (_svc: string, action: string, id: string) => {
        actions.push(`${action}:${id}`);
        const c = list.find((x) => x.id === id);
        if (c) c.status = action === 'receive' ? 'accepted' : 'rejected';
      },
    } as unknown as VpcepClient;
    const endpoints = new Map<string, InClusterEndpoint>([
      [ALLOWED, byRef('team-b')],
      [DENIED, { ...byRef('team-evil'), name: 'sneaky' }],
    ]);
    const obj: VpcEndpointService = {
      apiVersion: 'vpcep.huaweicloud.io/v1alpha1',
      kind: 'VpcEndpointService',
      metadata: { namespace: 'team-a', name: 'orders' },
      spec: spec({ acceptInCluster: { namespaces: ['team-b'] } }),
    };
    const seen = { id: SVC, raw: {}, phase: 'ready', owner: undefined, fields: {} } as Observation<
      NonNullable<VpcEndpointService['status']>,
      EndpointService
    >;
    const events: string[] = [];
    const r = await connectionsStep((id) => endpoints.get(id)).apply(client, obj, seen, {
      signal: new AbortController().signal,
      changing: () => undefined,
      event: (_t, reason, note) => events.push(`${reason}: ${note}`),
    });
    expect(actions).toEqual([`receive:${ALLOWED}`]);
    expect(r.seen?.fields.connections).toEqual([
      { endpointId: ALLOWED, domainId: DOMAIN, status: 'accepted' },
      { endpointId: DENIED, domainId: DOMAIN, status: 'pendingAcceptance' },
    ]);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatch(/^ConnectionAccepted: .*rule acceptInCluster: team-b\/db/);
    expect(events[1]).toMatch(/^ConnectionPending: /);
  });
});
