/**
 * The consumer API's other operations: request validation and the service-type rules, the whitelist,
 * route tables and policies (on a Huawei-operated gateway service), tags and tag queries for resource
 * type `endpoint`, the endpoint quota, faults and throttling by the new operation names, and the
 * `/_sim/endpoints` controls.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { call, control, uuid } from './helpers.js';
import {
  CONSUMER,
  connections,
  endpointBody,
  endpointHarness,
  providerService,
  type EndpointHarness,
} from './endpoint-helpers.js';

let h: EndpointHarness;
afterEach(async () => {
  await h.sim.close();
});

const GATEWAY = '2f3b5c9d-1e20-4d4f-8b6c-7e8f9a012345';
const PLAIN_GATEWAY = '3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d';
const STATEMENT = [{ Effect: 'Allow', Action: ['obs:object:GetObject'], Resource: ['bucket/*'] }];

async function gatewayHarness(): Promise<EndpointHarness> {
  return endpointHarness({
    publicServices: [
      { id: GATEWAY, name: 'obs', serviceType: 'gateway', enablePolicy: true },
      { id: PLAIN_GATEWAY, name: 'sfs', serviceType: 'gateway' },
    ],
  });
}

function create(body: Record<string, unknown>) {
  return h.consumer({ method: 'POST', path: '/vpc-endpoints', body });
}

describe('create validation', () => {
  it.each([
    ['no endpoint_service_id', { endpoint_service_id: undefined }, 400, 'EndPoint.0002'],
    ['no vpc_id', { vpc_id: undefined }, 400, 'EndPoint.0002'],
    ['malformed vpc_id', { vpc_id: 'vpc-1' }, 400, 'EndPoint.0020'],
    ['malformed subnet_id', { subnet_id: 'subnet-1' }, 400, 'EndPoint.0002'],
    ['interface service without subnet_id', { subnet_id: undefined }, 400, 'EndPoint.0002'],
    ['routetables on an interface service', { routetables: [uuid()] }, 400, 'EndPoint.0002'],
    ['a bad whitelist entry', { whitelist: ['10.0.0.0/33'] }, 400, 'EndPoint.0002'],
    ['enable_dns not a boolean', { enable_dns: 'yes' }, 400, 'EndPoint.0002'],
    ['a description with <', { description: '<b>' }, 400, 'EndPoint.0002'],
    [
      '11 tags',
      { tags: Array.from({ length: 11 }, (_, i) => ({ key: `k${i}`, value: 'v' })) },
      400,
      'EndPoint.3069',
    ],
    ['policy_document without enable_policy', { policy_document: { Version: '5.0' } }, 400, 'EndPoint.0002'],
    ['policy_statement on an interface service', { policy_statement: STATEMENT }, 400, 'EndPoint.0002'],
    ['ip_version dualstack', { ip_version: 'dualstack' }, 400, 'EndPoint.0002'],
  ])('%s → %i %s, nothing stored', async (_what, over, status, code) => {
    h = await endpointHarness();
    const svc = await providerService(h);
    const r = await create(endpointBody(svc, over));
    expect([r.status, r.json.error_code]).toEqual([status, code]);
    expect(h.sim.controls.endpoints()).toEqual([]);
    expect(await connections(h, svc)).toEqual([]);
  });

  it('an unknown service is 404 EndPoint.0005; a service still creating is EndPoint.2004', async () => {
    h = await endpointHarness();
    const unknown = await create(endpointBody(uuid()));
    expect([unknown.status, unknown.json.error_code]).toEqual([404, 'EndPoint.0005']);
    const s = await h.api({
      method: 'POST',
      path: h.p('/vpc-endpoint-services'),
      body: {
        port_id: uuid(),
        vpc_id: uuid(),
        server_type: 'VM',
        ports: [{ client_port: 80, server_port: 80, protocol: 'TCP' }],
      },
    });
    const creating = await create(endpointBody(String(s.json.id)));
    expect(creating.json.error_code).toBe('EndPoint.2004');
  });

  it('the endpoint quota: Endpoint.1018 (the cloud casing) beyond it, and GET /quotas reports it', async () => {
    h = await endpointHarness({ endpointQuota: 2 });
    const svc = await providerService(h);
    expect((await create(endpointBody(svc))).status).toBe(200);
    expect((await create(endpointBody(svc))).status).toBe(200);
    const over = await create(endpointBody(svc));
    expect([over.status, over.json.error_code]).toEqual([400, 'Endpoint.1018']);
    const q = await h.consumer({ method: 'GET', path: '/quotas' });
    expect((q.json.quotas as { resources: unknown[] }).resources).toContainEqual({
      type: 'endpoint',
      used: 2,
      quota: 2,
    });
  });
});

describe('whitelist updates', () => {
  it('PUT replaces the whitelist and its switch; [] clears it; a description is ignored (not in the API)', async () => {
    h = await endpointHarness();
    const svc = await providerService(h, { approval_enabled: false });
    const c = await create(endpointBody(svc, { whitelist: ['10.0.0.1'], description: 'first' }));
    const id = String(c.json.id);
    const early = await h.consumer({ method: 'PUT', path: `/vpc-endpoints/${id}`, body: { whitelist: [] } });
    expect(early.json.error_code).toBe('EndPoint.2019');
    await h.clock.advance(1000);
    const u = await h.consumer({
      method: 'PUT',
      path: `/vpc-endpoints/${id}`,
      body: {
        whitelist: ['192.168.0.0/16', '10.1.1.1', '10.1.1.1'],
        enable_whitelist: true,
        description: 'x',
      },
    });
    expect(u.status).toBe(200);
    expect(u.json).toMatchObject({ id, whitelist: ['192.168.0.0/16', '10.1.1.1'], enable_whitelist: true });
    expect(u.json.description).toBeUndefined(); // not in UpdateEndpointWhiteResponse
    const g = await h.consumer({ method: 'GET', path: `/vpc-endpoints/${id}` });
    expect(g.json.description).toBe('first');
    const cleared = await h.consumer({
      method: 'PUT',
      path: `/vpc-endpoints/${id}`,
      body: { whitelist: [] },
    });
    expect(cleared.json).toMatchObject({ whitelist: [], enable_whitelist: true });
    const bad = await h.consumer({ method: 'PUT', path: `/vpc-endpoints/${id}`, body: { whitelist: ['x'] } });
    expect(bad.json.error_code).toBe('EndPoint.0002');
    await h.consumer({ method: 'DELETE', path: `/vpc-endpoints/${id}` });
    const late = await h.consumer({ method: 'PUT', path: `/vpc-endpoints/${id}`, body: { whitelist: [] } });
    expect(late.json.error_code).toBe('EndPoint.2018');
  });
});

describe('gateway endpoints: route tables and policies', () => {
  it('a gateway endpoint gets the default route table, no address or DNS name, and is accepted without approval', async () => {
    h = await gatewayHarness();
    const vpc = uuid();
    const c = await create({ endpoint_service_id: GATEWAY, vpc_id: vpc, enable_dns: true });
    expect(c.status).toBe(200);
    expect(c.json).toMatchObject({ service_type: 'gateway', routetables: [expect.any(String)] });
    expect(c.json.subnet_id).toBeUndefined();
    expect(c.json.whitelist).toBeUndefined();
    await h.clock.advance(1000);
    const g = await h.consumer({ method: 'GET', path: `/vpc-endpoints/${String(c.json.id)}` });
    expect(g.json).toMatchObject({ status: 'accepted', endpoint_service_name: `cn-north-4.obs.${GATEWAY}` });
    expect(g.json.ip).toBeUndefined();
    expect(g.json.dns_names).toBeUndefined();
    // The same VPC always has the same default route table.
    const again = await create({ endpoint_service_id: GATEWAY, vpc_id: vpc });
    expect(again.json.routetables).toEqual(c.json.routetables);
  });

  it('gateway: port_ip and whitelist refused; routetables replaced by PUT; interface endpoints refuse that PUT', async () => {
    h = await gatewayHarness();
    const vpc = uuid();
    for (const over of [{ port_ip: '10.0.0.5' }, { whitelist: [] }, { enable_whitelist: true }]) {
      const r = await create({ endpoint_service_id: GATEWAY, vpc_id: vpc, ...over });
      expect(r.json.error_code).toBe('EndPoint.0002');
    }
    const rt = [uuid(), uuid()];
    const id = String(
      (await create({ endpoint_service_id: GATEWAY, vpc_id: vpc, routetables: [rt[0]] })).json.id,
    );
    const put = (eid: string, body: unknown) =>
      h.consumer({ method: 'PUT', path: `/vpc-endpoints/${eid}/routetables`, body });
    expect((await put(id, { routetables: rt })).json.error_code).toBe('EndPoint.2019');
    await h.clock.advance(1000);
    const u = await put(id, { routetables: rt });
    expect([u.status, u.json]).toEqual([200, { routetables: rt }]);
    expect((await put(id, { routetables: ['rtb-1'] })).json.error_code).toBe('EndPoint.0002');
    expect((await put(id, {})).json.error_code).toBe('EndPoint.0002');
    const svc = await providerService(h);
    const itf = String((await create(endpointBody(svc))).json.id);
    await h.clock.advance(1000);
    expect((await put(itf, { routetables: rt })).json.error_code).toBe('EndPoint.0002');
  });

  it('policy_statement needs a gateway service with enable_policy; PUT and DELETE /policy change it', async () => {
    h = await gatewayHarness();
    const refused = await create({
      endpoint_service_id: PLAIN_GATEWAY,
      vpc_id: uuid(),
      policy_statement: STATEMENT,
    });
    expect(refused.json.error_code).toBe('EndPoint.0002');
    const bad = await create({
      endpoint_service_id: GATEWAY,
      vpc_id: uuid(),
      policy_statement: [{ Effect: 'Maybe' }],
    });
    expect(bad.json.error_code).toBe('EndPoint.0002');
    const c = await create({ endpoint_service_id: GATEWAY, vpc_id: uuid(), policy_statement: STATEMENT });
    expect(c.json.policy_statement).toEqual(STATEMENT);
    const id = String(c.json.id);
    await h.clock.advance(1000);
    const next = [{ Effect: 'Deny', Action: ['obs:*:*'], Resource: ['secret/*'], Sid: 'deny' }];
    const u = await h.consumer({
      method: 'PUT',
      path: `/vpc-endpoints/${id}/policy`,
      body: { policy_statement: next },
    });
    expect(u.status).toBe(200);
    expect(u.json).toMatchObject({ id, policy_statement: next, routetables: expect.any(Array) });
    expect(u.json.enable_dns).toBeUndefined(); // not in UpdateEndpointPolicyResponse
    const empty = await h.consumer({ method: 'PUT', path: `/vpc-endpoints/${id}/policy`, body: {} });
    expect(empty.json.error_code).toBe('EndPoint.0002');
    const d = await h.consumer({ method: 'DELETE', path: `/vpc-endpoints/${id}/policy` });
    expect(d.status).toBe(200);
    expect(d.json.policy_statement).toBeUndefined();
    expect(
      (await h.consumer({ method: 'GET', path: `/vpc-endpoints/${id}` })).json.policy_statement,
    ).toBeUndefined();
  });

  it('policy_document needs an interface service with enable_policy', async () => {
    h = await endpointHarness();
    const svc = await providerService(h, { enable_policy: true });
    const doc = { Version: '5.0', Statement: [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }] };
    const c = await create(endpointBody(svc, { policy_document: doc }));
    expect(c.status).toBe(200);
    expect(c.json.policy_document).toEqual(doc);
    const s = await create(endpointBody(svc, { policy_statement: STATEMENT }));
    expect(s.json.error_code).toBe('EndPoint.0002');
  });
});

describe('tags for resource type endpoint', () => {
  it('tags/action, resource_instances (named by id) and the project tag list; services are not mixed in', async () => {
    h = await endpointHarness();
    const svc = await providerService(h);
    const a = String((await create(endpointBody(svc, { tags: [{ key: 'env', value: 'prod' }] }))).json.id);
    const b = String((await create(endpointBody(svc))).json.id);
    const tag = (id: string, body: unknown) =>
      h.consumer({ method: 'POST', path: `/endpoint/${id}/tags/action`, body });
    expect((await tag(b, { action: 'create', tags: [{ key: 'env', value: 'dev' }] })).status).toBe(204);
    expect((await tag(b, { action: 'create', tags: [] })).json.error_code).toBe('EndPoint.3066');
    expect((await tag(uuid(), { action: 'create', tags: [{ key: 'k', value: 'v' }] })).status).toBe(404);
    const q = (body: unknown) =>
      h.consumer({ method: 'POST', path: '/endpoint/resource_instances/action', body });
    const f = await q({
      action: 'filter',
      tags: [{ key: 'env', values: ['prod'] }],
      limit: '10',
      offset: '0',
    });
    expect(f.json).toEqual({
      resources: [{ resource_id: a, resource_name: a, tags: [{ key: 'env', value: 'prod' }] }],
      total_count: 1,
    });
    expect(
      (await q({ action: 'count', matches: [{ key: 'resource_name', value: b.slice(0, 8) }] })).json,
    ).toEqual({
      total_count: 1,
    });
    const p = await h.consumer({ method: 'GET', path: '/endpoint/tags' });
    expect(p.json).toEqual({ tags: [{ key: 'env', values: ['prod', 'dev'] }] });
    await tag(b, { action: 'delete', tags: [{ key: 'env' }] });
    expect((await h.consumer({ method: 'GET', path: `/vpc-endpoints/${b}` })).json.tags).toEqual([]);
    const services = await h.consumer({ method: 'GET', path: '/endpoint_service/tags' });
    expect(services.json).toEqual({ tags: [] });
  });
});

describe('faults, throttling and counters cover the new operations', () => {
  it('an injected error hits only the named endpoint operation; counters count it', async () => {
    h = await endpointHarness();
    const svc = await providerService(h);
    h.sim.controls.resetCounters();
    h.sim.controls.setFaults({ operations: ['createEndpoint'], errorCount: 1, errorKind: '504' });
    const r = await create(endpointBody(svc));
    expect([r.status, r.json.error_code]).toEqual([504, 'EndPoint.0013']);
    expect(h.sim.controls.endpoints()).toEqual([]);
    expect((await h.consumer({ method: 'GET', path: '/vpc-endpoints' })).status).toBe(200);
    expect((await create(endpointBody(svc))).status).toBe(200);
    expect(h.sim.controls.counters()).toMatchObject({ createEndpoint: 2, listEndpoints: 1 });
  });

  it('commit-then-drop: the endpoint (and its connection) exist although the answer was lost', async () => {
    h = await endpointHarness();
    const svc = await providerService(h);
    h.sim.controls.setFaults({ commitThenDrop: { operation: 'createEndpoint', count: 1, mode: '504' } });
    const r = await create(endpointBody(svc));
    expect(r.json.error_code).toBe('EndPoint.0013');
    expect(h.sim.controls.endpoints()).toHaveLength(1);
    expect(await connections(h, svc)).toHaveLength(1);
  });

  it('failEndpointCreates: the next create ends failed with an error[] and does not block the service delete', async () => {
    h = await endpointHarness();
    const svc = await providerService(h);
    h.sim.controls.setFaults({ failEndpointCreates: 1 });
    const id = String((await create(endpointBody(svc))).json.id);
    const ok = String((await create(endpointBody(svc))).json.id);
    await h.clock.advance(1000);
    const failed = await h.consumer({ method: 'GET', path: `/vpc-endpoints/${id}` });
    expect(failed.json).toMatchObject({
      status: 'failed',
      error: [{ error_code: 'EndPoint.3001', error_message: expect.any(String) }],
    });
    expect((await h.consumer({ method: 'GET', path: `/vpc-endpoints/${ok}` })).json.status).toBe('accepted');
    h.sim.controls.removeEndpoint(ok);
    expect((await h.api({ method: 'DELETE', path: h.p(`/vpc-endpoint-services/${svc}`) })).status).toBe(204);
  });

  it('throttling is per endpoint operation', async () => {
    h = await endpointHarness({ qps: 1 });
    expect((await h.consumer({ method: 'GET', path: '/vpc-endpoints' })).status).toBe(200);
    const t = await h.consumer({ method: 'GET', path: '/vpc-endpoints' });
    expect([t.status, t.json.error_code]).toEqual([429, 'APIGW.0308']);
    expect((await h.consumer({ method: 'GET', path: '/endpoint/tags' })).status).toBe(200);
    expect(h.sim.controls.throttled()).toEqual({ listEndpoints: 1 });
  });
});

describe('/_sim/endpoints controls', () => {
  it('list, complete (create and delete), drift and remove over HTTP', async () => {
    h = await endpointHarness();
    const svc = await providerService(h, { approval_enabled: true });
    const id = String((await create(endpointBody(svc))).json.id);
    const list = await call(h.sim.url, {
      method: 'GET',
      path: '/_sim/endpoints',
      query: { project_id: CONSUMER.projectId },
      unsigned: true,
    });
    expect((list.json.endpoints as Array<{ id: string }>).map((e) => e.id)).toEqual([id]);
    const done = await control(h.sim.url, 'POST', `/_sim/endpoints/${id}/complete`, {});
    expect([done.status, done.json.status]).toEqual([200, 'pendingAcceptance']);
    const drift = await control(h.sim.url, 'PATCH', `/_sim/endpoints/${id}`, { status: 'accepted' });
    expect(drift.json.status).toBe('accepted');
    expect((await connections(h, svc))[0]?.status).toBe('accepted');
    await h.consumer({ method: 'DELETE', path: `/vpc-endpoints/${id}` });
    const gone = await control(h.sim.url, 'POST', `/_sim/endpoints/${id}/complete`, {});
    expect(gone.status).toBe(204);
    expect(await connections(h, svc)).toEqual([]);
    const id2 = String((await create(endpointBody(svc))).json.id);
    expect((await control(h.sim.url, 'DELETE', `/_sim/endpoints/${id2}`)).status).toBe(204);
    expect((await control(h.sim.url, 'DELETE', `/_sim/endpoints/${id2}`)).json.error_code).toBe(
      'EndPoint.0005',
    );
    expect((await control(h.sim.url, 'PATCH', `/_sim/endpoints/${id2}`, { status: 1 })).status).toBe(400);
  });

  it('reset forgets endpoints; the built-in public service list is unchanged, extra ones are appended', async () => {
    h = await gatewayHarness();
    const svc = await providerService(h);
    await create(endpointBody(svc));
    h.sim.controls.reset();
    expect(h.sim.controls.endpoints()).toEqual([]);
    const pub = await h.api({ method: 'GET', path: h.p('/vpc-endpoint-services/public') });
    const items = pub.json.endpoint_services as Array<Record<string, unknown>>;
    expect(items.map((i) => [i.service_type, i.enable_policy])).toEqual(
      expect.arrayContaining([
        ['interface', false],
        ['gateway', true],
        ['gateway', false],
      ]),
    );
    expect(pub.json.total_count).toBe(3);
  });
});
