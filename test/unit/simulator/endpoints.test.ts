/**
 * The consumer API of the simulator: an endpoint drives a connection on its service (the same object
 * the service side lists and accepts), across accounts and projects; addresses come from the subnet;
 * DNS names follow the simulator's documented format. Virtual time (ManualClock) throughout.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { uuid } from './helpers.js';
import {
  CONSUMER,
  connections,
  endpointBody,
  endpointHarness,
  providerService,
  type EndpointHarness,
} from './endpoint-helpers.js';
import { derivedCidr } from '../../../src/simulator/network.js';

let h: EndpointHarness;
afterEach(async () => {
  await h.sim.close();
});

async function create(serviceId: string, over: Record<string, unknown> = {}) {
  return h.consumer({ method: 'POST', path: '/vpc-endpoints', body: endpointBody(serviceId, over) });
}
async function get(id: string) {
  return h.consumer({ method: 'GET', path: `/vpc-endpoints/${id}` });
}
async function act(serviceId: string, action: 'receive' | 'reject', endpointId: string) {
  return h.api({
    method: 'POST',
    path: h.p(`/vpc-endpoint-services/${serviceId}/connections/action`),
    body: { action, endpoints: [endpointId] },
  });
}

describe('an endpoint and its connection', () => {
  it('approval on: creating → pendingAcceptance; the service accepts → accepted; rejects → rejected', async () => {
    h = await endpointHarness();
    const svc = await providerService(h, { approval_enabled: true });
    const c = await create(svc);
    expect(c.status).toBe(200);
    const id = String(c.json.id);
    expect(c.json).toMatchObject({
      status: 'creating',
      service_type: 'interface',
      endpoint_service_id: svc,
      project_id: CONSUMER.projectId,
    });
    expect(c.json.ip).toBeUndefined();
    // The connection is on the service from the start, with the endpoint's id, marker and account.
    const [conn] = await connections(h, svc);
    expect(conn).toMatchObject({
      id,
      status: 'creating',
      domain_id: CONSUMER.domainId,
      marker_id: c.json.marker_id,
    });
    expect((await act(svc, 'receive', id)).json.error_code).toBe('EndPoint.2019');

    await h.clock.advance(1000);
    expect((await get(id)).json.status).toBe('pendingAcceptance');
    expect((await get(id)).json.ip).toBeUndefined();
    expect((await connections(h, svc))[0]?.status).toBe('pendingAcceptance');

    expect((await act(svc, 'receive', id)).status).toBe(200);
    const accepted = await get(id);
    expect(accepted.json.status).toBe('accepted');
    expect(accepted.json.ip).toMatch(/^10\.\d+\.\d+\.2$/);
    const svcGet = await h.api({ method: 'GET', path: h.p(`/vpc-endpoint-services/${svc}`) });
    expect(svcGet.json.connection_count).toBe(1);

    expect((await act(svc, 'reject', id)).status).toBe(200);
    const rejected = await get(id);
    expect(rejected.json.status).toBe('rejected');
    // Accepted once, so the address stays visible (as the SDK documents).
    expect(rejected.json.ip).toBe(accepted.json.ip);
  });

  it('approval off: accepted after the create delay, with its address', async () => {
    h = await endpointHarness();
    const svc = await providerService(h, { approval_enabled: false });
    const id = String((await create(svc)).json.id);
    await h.clock.advance(999);
    expect((await get(id)).json.status).toBe('creating');
    await h.clock.advance(1);
    expect((await get(id)).json).toMatchObject({ status: 'accepted', ip: expect.any(String) });
    expect((await connections(h, svc))[0]).toMatchObject({ id, status: 'accepted' });
  });

  it('delete: deleting, then 404 EndPoint.0005; the connection leaves the service', async () => {
    h = await endpointHarness();
    const svc = await providerService(h, { approval_enabled: false });
    const id = String((await create(svc)).json.id);
    await h.clock.advance(1000);
    const d = await h.consumer({ method: 'DELETE', path: `/vpc-endpoints/${id}` });
    expect(d.status).toBe(204);
    expect((await get(id)).json.status).toBe('deleting');
    expect((await connections(h, svc))[0]?.status).toBe('deleting');
    expect((await h.consumer({ method: 'DELETE', path: `/vpc-endpoints/${id}` })).status).toBe(204);
    await h.clock.advance(1000);
    const gone = await get(id);
    expect([gone.status, gone.json.error_code]).toEqual([404, 'EndPoint.0005']);
    expect(await connections(h, svc)).toEqual([]);
    const again = await h.consumer({ method: 'DELETE', path: `/vpc-endpoints/${id}` });
    expect([again.status, again.json.error_code]).toEqual([404, 'EndPoint.0005']);
  });

  it('a service with creating, pending or accepted endpoints cannot be deleted (3006); rejected ones do not block', async () => {
    h = await endpointHarness();
    const svc = await providerService(h, { approval_enabled: true });
    const id = String((await create(svc)).json.id);
    const del = () => h.api({ method: 'DELETE', path: h.p(`/vpc-endpoint-services/${svc}`) });
    expect((await del()).json.error_code).toBe('EndPoint.3006'); // creating
    await h.clock.advance(1000);
    expect((await del()).json.error_code).toBe('EndPoint.3006'); // pendingAcceptance
    await act(svc, 'receive', id);
    expect((await del()).json.error_code).toBe('EndPoint.3006'); // accepted
    await act(svc, 'reject', id);
    expect((await del()).status).toBe(204);
  });

  it('a service without endpoints left can be deleted once the endpoint delete completes', async () => {
    h = await endpointHarness();
    const svc = await providerService(h, { approval_enabled: false });
    const id = String((await create(svc)).json.id);
    await h.clock.advance(1000);
    await h.consumer({ method: 'DELETE', path: `/vpc-endpoints/${id}` });
    await h.clock.advance(1000);
    expect((await h.api({ method: 'DELETE', path: h.p(`/vpc-endpoint-services/${svc}`) })).status).toBe(204);
  });

  it('the connection test control still stands in for an endpoint, and removing an endpoint-backed one removes the endpoint', async () => {
    h = await endpointHarness();
    const svc = await providerService(h, { approval_enabled: true });
    const fake = h.sim.controls.addConnection(svc, { domainId: CONSUMER.domainId });
    expect(fake.status).toBe('pendingAcceptance');
    const id = String((await create(svc)).json.id);
    expect((await connections(h, svc)).map((c) => c.id).sort()).toEqual([fake.id, id].sort());
    h.sim.controls.removeConnection(svc, id);
    expect((await get(id)).status).toBe(404);
    expect((await connections(h, svc)).map((c) => c.id)).toEqual([fake.id]);
  });
});

describe('accounts and projects', () => {
  it('a consumer not whitelisted gets EndPoint.2012 and nothing is created', async () => {
    h = await endpointHarness();
    const svc = await providerService(h, {}, false);
    const r = await create(svc);
    expect([r.status, r.json.error_code]).toEqual([400, 'EndPoint.2012']);
    expect(await connections(h, svc)).toEqual([]);
    expect(h.sim.controls.endpoints()).toEqual([]);
  });

  it('whitelisting by iam:domain::<id> or * admits; the owner account is admitted implicitly from another project', async () => {
    const sibling = {
      accessKey: 'SIBLINGAK',
      secretKey: 'sibling-secret',
      projectId: 'aa00bb11cc22dd33ee44ff5566778899',
    };
    h = await endpointHarness({
      domainId: 'ownerdomain0001',
      credentials: [CONSUMER, { ...sibling, domainId: 'ownerdomain0001' }],
    });
    const svc = await providerService(h, {}, false);
    h.sim.controls.addPermission(svc, { permission: 'iam:domain::*' });
    expect((await create(svc)).status).toBe(200);
    const own = await h.api({
      method: 'POST',
      path: `/v1/${sibling.projectId}/vpc-endpoints`,
      body: endpointBody(svc),
      ak: sibling.accessKey,
      sk: sibling.secretKey,
    });
    expect(own.status).toBe(200);
    const domains = (await connections(h, svc)).map((c) => c.domain_id).sort();
    expect(domains).toEqual([CONSUMER.domainId, 'ownerdomain0001'].sort());
  });

  it('each project sees only its endpoints: another project gets 404 and an empty list', async () => {
    h = await endpointHarness();
    const svc = await providerService(h);
    const id = String((await create(svc)).json.id);
    const foreign = await h.api({ method: 'GET', path: h.p(`/vpc-endpoints/${id}`) });
    expect([foreign.status, foreign.json.error_code]).toEqual([404, 'EndPoint.0005']);
    expect((await h.api({ method: 'GET', path: h.p('/vpc-endpoints') })).json).toEqual({
      endpoints: [],
      total_count: 0,
    });
    const mine = await h.consumer({ method: 'GET', path: '/vpc-endpoints' });
    expect(mine.json.total_count).toBe(1);
    const q = await h.consumer({ method: 'GET', path: '/quotas', query: { type: 'endpoint' } });
    expect(q.json).toEqual({ quotas: { resources: [{ type: 'endpoint', used: 1, quota: 50 }] } });
  });
});

describe('addresses and DNS names', () => {
  it('addresses are the lowest free ones of the derived 10.x.y.0/24, and a freed one is reused', async () => {
    h = await endpointHarness();
    const svc = await providerService(h, { approval_enabled: false });
    const subnet = uuid();
    const base = derivedCidr(subnet).replace(/\.0\/24$/, '');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(String((await create(svc, { subnet_id: subnet })).json.id));
    await h.clock.advance(1000);
    const ips = await Promise.all(ids.map(async (id) => String((await get(id)).json.ip)));
    expect(ips).toEqual([`${base}.2`, `${base}.3`, `${base}.4`]);
    await h.consumer({ method: 'DELETE', path: `/vpc-endpoints/${ids[0] ?? ''}` });
    await h.clock.advance(1000);
    const next = String((await create(svc, { subnet_id: subnet })).json.id);
    await h.clock.advance(1000);
    expect((await get(next)).json.ip).toBe(`${base}.2`);
  });

  it('port_ip is honoured when free; taken → 3046; outside the subnet → 0002; a subnet of another VPC → 4004', async () => {
    h = await endpointHarness();
    const svc = await providerService(h, { approval_enabled: false });
    const subnet = uuid();
    const base = derivedCidr(subnet).replace(/\.0\/24$/, '');
    const id = String((await create(svc, { subnet_id: subnet, port_ip: `${base}.77` })).json.id);
    await h.clock.advance(1000);
    expect((await get(id)).json.ip).toBe(`${base}.77`);
    expect((await create(svc, { subnet_id: subnet, port_ip: `${base}.77` })).json.error_code).toBe(
      'EndPoint.3046',
    );
    expect((await create(svc, { subnet_id: subnet, port_ip: '172.16.0.5' })).json.error_code).toBe(
      'EndPoint.0002',
    );
    expect((await create(svc, { subnet_id: subnet, port_ip: `${base}.255` })).json.error_code).toBe(
      'EndPoint.0002',
    );
    const other = await create(svc, { subnet_id: subnet, vpc_id: uuid() });
    expect([other.status, other.json.error_code]).toEqual([404, 'EndPoint.4004']);
  });

  it('an inventory subnet gives its own CIDR; a subnet it does not list in that VPC is 4004', async () => {
    const vpc = uuid();
    const subnet = uuid();
    // The provider's service needs an inventory port: it has one in another VPC of the inventory.
    const port = uuid();
    const svcVpc = uuid();
    h = await endpointHarness({
      inventory: {
        vpcs: [
          { id: vpc, ports: [], subnets: [{ id: subnet, cidr: '192.168.7.0/28' }] },
          { id: svcVpc, ports: [port] },
        ],
      },
    });
    const svc = await providerService(h, { approval_enabled: false, vpc_id: svcVpc, port_id: port });
    const id = String((await create(svc, { vpc_id: vpc, subnet_id: subnet })).json.id);
    await h.clock.advance(1000);
    expect((await get(id)).json.ip).toBe('192.168.7.2');
    expect((await create(svc, { vpc_id: vpc, subnet_id: uuid() })).json.error_code).toBe('EndPoint.4004');
    expect((await create(svc, { vpc_id: uuid(), subnet_id: subnet })).json.error_code).toBe('EndPoint.2001');
    expect(
      (await create(svc, { vpc_id: vpc, subnet_id: subnet, port_ip: '192.168.7.15' })).json.error_code,
    ).toBe('EndPoint.0002');
  });

  it('DNS names: {endpoint id}.{service short name}.{region}.{dnsDomain} with enable_dns, none without', async () => {
    h = await endpointHarness({ region: 'ap-southeast-1', dnsDomain: 'vpcep.example.test' });
    const svc = await providerService(h, { service_name: 'My_Svc' });
    const withDns = await create(svc);
    expect(withDns.json.dns_names).toBeUndefined(); // not in the create answer's model
    const id = String(withDns.json.id);
    expect((await get(id)).json.dns_names).toEqual([`${id}.my_svc.ap-southeast-1.vpcep.example.test`]);
    const noDns = String((await create(svc, { enable_dns: false })).json.id);
    expect((await get(noDns)).json).toMatchObject({ enable_dns: false });
    expect((await get(noDns)).json.dns_names).toBeUndefined();
    const unnamed = await providerService(h, { service_name: undefined });
    const u = String((await create(unnamed)).json.id);
    expect((await get(u)).json.dns_names).toEqual([`${u}.${unnamed}.ap-southeast-1.vpcep.example.test`]);
  });

  it('the default DNS domain and the service name in endpoint answers follow a rename', async () => {
    h = await endpointHarness();
    const svc = await providerService(h, { service_name: 'first' });
    const id = String((await create(svc)).json.id);
    expect((await get(id)).json.dns_names).toEqual([`${id}.first.cn-north-4.vpcep.myhuaweicloud.com`]);
    await h.api({
      method: 'PUT',
      path: h.p(`/vpc-endpoint-services/${svc}/name`),
      body: { endpoint_service_name: 'second' },
    });
    const after = await get(id);
    expect(after.json.endpoint_service_name).toBe(`cn-north-4.second.${svc}`);
    // The domain name was made at create and does not change.
    expect(after.json.dns_names).toEqual([`${id}.first.cn-north-4.vpcep.myhuaweicloud.com`]);
    const byName = await h.consumer({
      method: 'GET',
      path: '/vpc-endpoints',
      query: { endpoint_service_name: 'SECOND' },
    });
    expect(byName.json.total_count).toBe(1);
    const byOld = await h.consumer({
      method: 'GET',
      path: '/vpc-endpoints',
      query: { endpoint_service_name: 'first' },
    });
    expect(byOld.json.total_count).toBe(0);
  });
});
