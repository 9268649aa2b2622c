/**
 * Contract tests of the consumer side: the operator's cloud client drives every endpoint operation
 * against the simulator over loopback HTTP with real AK/SK signatures, as two accounts (a provider and
 * a consumer in its own project). Virtual time: one ManualClock for the simulator and both clients.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { VpcepClient, type VpcepClientOptions } from '../../../src/cloud/client.js';
import { CloudError } from '../../../src/cloud/errors.js';
import type { CreateEndpointRequest } from '../../../src/cloud/wire.js';
import { ManualClock } from '../../../src/util/clock.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../../src/simulator/index.js';
import { AK, PROJECT, SK, uuid, VPC } from './helpers.js';
import { CONSUMER } from './endpoint-helpers.js';

const GATEWAY = '2f3b5c9d-1e20-4d4f-8b6c-7e8f9a012345';

interface Rig {
  sim: Simulator;
  clock: ManualClock;
  provider: VpcepClient;
  consumer: VpcepClient;
}

const open: Array<{ sim: Simulator; clients: VpcepClient[] }> = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    for (const c of o.clients) c.close();
    await o.sim.close();
  }
});

async function rig(simOpts: Partial<SimulatorOptions> = {}): Promise<Rig> {
  const clock = new ManualClock(Date.now());
  const sim = await startSimulator({
    accessKey: AK,
    secretKey: SK,
    projectId: PROJECT,
    createDelayMs: 5000,
    deleteDelayMs: 5000,
    credentials: [CONSUMER],
    publicServices: [{ id: GATEWAY, name: 'obs', serviceType: 'gateway', enablePolicy: true }],
    clock,
    ...simOpts,
  });
  const client = (
    projectId: string,
    accessKey: string,
    secretKey: string,
    o: Partial<VpcepClientOptions> = {},
  ) =>
    new VpcepClient({
      target: { endpoint: sim.url, projectId },
      credentials: { accessKey, secretKey },
      clock: clock.driving(),
      qps: 1000,
      burst: 1000,
      random: () => 0.5,
      signingTime: () => clock.now(),
      ...o,
    });
  const provider = client(PROJECT, AK, SK);
  const consumer = client(CONSUMER.projectId, CONSUMER.accessKey, CONSUMER.secretKey);
  open.push({ sim, clients: [provider, consumer] });
  return { sim, clock, provider, consumer };
}

async function availableService(r: Rig, approval: boolean): Promise<string> {
  const s = await r.provider.createService({
    port_id: uuid(),
    vpc_id: VPC,
    server_type: 'VM',
    approval_enabled: approval,
    service_name: 'contract',
    ports: [{ client_port: 8080, server_port: 80, protocol: 'TCP' }],
  });
  await r.clock.advance(5000);
  await r.provider.permissionAction(s.id, 'add', [`iam:domain::${CONSUMER.domainId}`], 'domainId');
  return s.id;
}

function endpointReq(serviceId: string, over: Partial<CreateEndpointRequest> = {}): CreateEndpointRequest {
  return {
    endpoint_service_id: serviceId,
    vpc_id: uuid(),
    subnet_id: uuid(),
    enable_dns: true,
    ...over,
  };
}

async function failure(p: Promise<unknown>): Promise<CloudError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CloudError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

describe('every endpoint operation of the client against the simulator', () => {
  it('create → pendingAcceptance → provider accepts → list, whitelist, tags, quota → delete → notFound', async () => {
    const r = await rig();
    const svc = await availableService(r, true);
    const created = await r.consumer.createEndpoint(
      endpointReq(svc, {
        tags: [{ key: 'owner', value: 'op' }],
        enable_whitelist: true,
        whitelist: ['10.0.0.0/8'],
      }),
    );
    expect(created).toMatchObject({
      status: 'creating',
      endpoint_service_id: svc,
      project_id: CONSUMER.projectId,
    });
    await r.clock.advance(5000);
    expect((await r.consumer.getEndpoint(created.id)).status).toBe('pendingAcceptance');

    const [conn] = await r.provider.listConnections(svc, { id: created.id });
    expect(conn).toMatchObject({ id: created.id, status: 'pendingAcceptance', domain_id: CONSUMER.domainId });
    expect(conn?.marker_id).toBe(created.marker_id);
    expect((await failure(r.provider.deleteService(svc))).kind).toBe('inUse');

    await r.provider.connectionAction(svc, 'receive', created.id);
    const accepted = await r.consumer.getEndpoint(created.id);
    expect(accepted).toMatchObject({ status: 'accepted', ip: expect.stringMatching(/^10\./) });
    expect(accepted.dns_names?.[0]).toBe(`${created.id}.contract.cn-north-4.vpcep.myhuaweicloud.com`);

    const page = await r.consumer.listEndpoints({ endpoint_service_name: 'contract', limit: 10 });
    expect([page.total_count, page.endpoints[0]?.id]).toEqual([1, created.id]);
    expect((await r.consumer.listAllEndpoints({ id: created.id })).map((e) => e.id)).toEqual([created.id]);
    expect(await r.provider.listAllEndpoints()).toEqual([]);

    const wl = await r.consumer.updateEndpointWhitelist(created.id, {
      whitelist: ['192.168.0.0/16'],
      enableWhitelist: false,
    });
    expect(wl).toMatchObject({ whitelist: ['192.168.0.0/16'], enable_whitelist: false });

    await r.consumer.endpointTagAction(created.id, 'create', [{ key: 'env', value: 'prod' }]);
    expect(await r.consumer.queryEndpointsByTags({ tags: [{ key: 'env', values: ['prod'] }] })).toEqual([
      {
        resource_id: created.id,
        resource_name: created.id,
        tags: [
          { key: 'owner', value: 'op' },
          { key: 'env', value: 'prod' },
        ],
      },
    ]);
    expect(await r.consumer.countEndpointsByTags({ tags: [{ key: 'env', values: [] }] })).toBe(1);
    await r.consumer.endpointTagAction(created.id, 'delete', [{ key: 'env' }]);
    expect(await r.consumer.countEndpointsByTags({ tags: [{ key: 'env', values: [] }] })).toBe(0);
    expect((await r.consumer.getQuotas('endpoint')).quotas.resources).toEqual([
      { type: 'endpoint', used: 1, quota: 50 },
    ]);

    await r.consumer.deleteEndpoint(created.id);
    expect((await r.consumer.getEndpoint(created.id)).status).toBe('deleting');
    await r.clock.advance(5000);
    expect((await failure(r.consumer.getEndpoint(created.id))).kind).toBe('notFound');
    expect((await failure(r.consumer.deleteEndpoint(created.id))).kind).toBe('notFound');
    expect(await r.provider.listConnections(svc)).toEqual([]);
    await r.provider.deleteService(svc);
  });

  it('gateway endpoints: route tables and policy', async () => {
    const r = await rig();
    const rt = [uuid(), uuid()];
    const statement = [{ Effect: 'Allow', Action: ['obs:*:*'], Resource: ['bucket/*'] }];
    const ep = await r.consumer.createEndpoint({
      endpoint_service_id: GATEWAY,
      vpc_id: uuid(),
      routetables: [rt[0] ?? ''],
    });
    expect(ep).toMatchObject({ service_type: 'gateway', routetables: [rt[0]] });
    await r.clock.advance(5000);
    expect(await r.consumer.updateEndpointRouteTables(ep.id, rt)).toEqual({ routetables: rt });
    const withPolicy = await r.consumer.updateEndpointPolicy(ep.id, { policy_statement: statement });
    expect(withPolicy).toMatchObject({ id: ep.id, policy_statement: statement });
    const without = await r.consumer.deleteEndpointPolicy(ep.id);
    expect(without.policy_statement).toBeUndefined();
    await r.consumer.deleteEndpoint(ep.id);
  });

  it("the cloud's refusals reach the caller with their kinds", async () => {
    const r = await rig({ endpointQuota: 1 });
    const svc = await availableService(r, false);
    await r.provider.permissionAction(svc, 'remove', [`iam:domain::${CONSUMER.domainId}`], 'domainId');
    const notListed = await failure(r.consumer.createEndpoint(endpointReq(svc)));
    expect([notListed.kind, notListed.code, notListed.attempts]).toEqual(['terminal', 'EndPoint.2012', 1]);
    await r.provider.permissionAction(svc, 'add', ['iam:domain::*'], 'domainId');
    const ep = await r.consumer.createEndpoint(endpointReq(svc));
    const early = await failure(r.consumer.updateEndpointWhitelist(ep.id, { whitelist: [] }));
    expect([early.kind, early.code]).toEqual(['retryable', 'EndPoint.2019']);
    const quota = await failure(r.consumer.createEndpoint(endpointReq(svc)));
    expect([quota.kind, quota.code]).toEqual(['terminal', 'Endpoint.1018']);
    await r.clock.advance(5000);
    const interfaceRoutes = await failure(r.consumer.updateEndpointRouteTables(ep.id, [uuid()]));
    expect([interfaceRoutes.kind, interfaceRoutes.code]).toEqual(['terminal', 'EndPoint.0002']);
  });

  it('a create whose answer is lost is unknownOutcome, sent once; the endpoint exists and is found by tag', async () => {
    const r = await rig();
    const svc = await availableService(r, false);
    r.sim.controls.resetCounters();
    r.sim.controls.setFaults({ commitThenDrop: { operation: 'createEndpoint', count: 1, mode: '504' } });
    const err = await failure(
      r.consumer.createEndpoint(endpointReq(svc, { tags: [{ key: 'k8s-vpcep-owner-uid', value: 'u1' }] })),
    );
    expect(err.kind).toBe('unknownOutcome');
    expect(r.sim.controls.counters().createEndpoint).toBe(1);
    const found = await r.consumer.queryEndpointsByTags({
      tags: [{ key: 'k8s-vpcep-owner-uid', values: ['u1'] }],
    });
    expect(found).toHaveLength(1);
    expect((await r.provider.listConnections(svc)).map((c) => c.id)).toEqual([found[0]?.resource_id]);
  });
});
