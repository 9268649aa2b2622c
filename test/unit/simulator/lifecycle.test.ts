import { afterEach, describe, expect, it } from 'vitest';
import {
  createAvailable,
  createBody,
  harness,
  PORT,
  PROJECT,
  uuid,
  VPC,
  type CallResult,
  type Harness,
} from './helpers.js';

let h: Harness;
afterEach(async () => h.sim.close());

const create = (over: Record<string, unknown> = {}): Promise<CallResult> =>
  h.api({ method: 'POST', path: h.p('/vpc-endpoint-services'), body: createBody(over) });
const svcPath = (id: unknown, rest = ''): string => h.p(`/vpc-endpoint-services/${String(id)}${rest}`);

function expectError(r: CallResult, status: number, code: string): void {
  expect(r.status, r.text).toBe(status);
  expect(r.json.error_code).toBe(code);
}

describe('backends', () => {
  it('default mode: any well-formed id; a port is bound to the VPC it was first used with (3042)', async () => {
    h = await harness();
    const port = uuid();
    const vpcA = uuid();
    expect((await create({ port_id: port, vpc_id: vpcA })).status).toBe(200);
    expectError(
      await create({
        port_id: port,
        vpc_id: uuid(),
        ports: [{ client_port: 1, server_port: 2, protocol: 'TCP' }],
      }),
      400,
      'EndPoint.3042',
    );
    expect(
      (
        await create({
          port_id: port,
          vpc_id: vpcA,
          ports: [{ client_port: 1, server_port: 2, protocol: 'TCP' }],
        })
      ).status,
    ).toBe(200);
  });

  it('§8.8 inventory: malformed VPC → 0020, unknown VPC → 2001, unknown port → 3008, port in another VPC → 3042; per-port cap → 3056', async () => {
    const vpc1 = uuid();
    const vpc2 = uuid();
    const p1 = uuid();
    const p2 = uuid();
    h = await harness({
      inventory: {
        vpcs: [
          { id: vpc1, ports: [p1] },
          { id: vpc2, ports: [{ id: p2 }] },
        ],
      },
      maxServicesPerPort: 2,
    });
    expectError(await create({ vpc_id: 'vpc-1', port_id: p1 }), 400, 'EndPoint.0020');
    expectError(await create({ vpc_id: uuid(), port_id: p1 }), 400, 'EndPoint.2001');
    expectError(await create({ vpc_id: vpc1, port_id: uuid() }), 400, 'EndPoint.3008');
    expectError(await create({ vpc_id: vpc1, port_id: p2 }), 400, 'EndPoint.3042');
    const m = (n: number): Array<Record<string, unknown>> => [
      { client_port: n, server_port: n, protocol: 'TCP' },
    ];
    expect((await create({ vpc_id: vpc1, port_id: p1, ports: m(1) })).status).toBe(200);
    expect((await create({ vpc_id: vpc1, port_id: p1, ports: m(2) })).status).toBe(200);
    expectError(await create({ vpc_id: vpc1, port_id: p1, ports: m(3) }), 400, 'EndPoint.3056');
    expect((await create({ vpc_id: vpc2, port_id: p2, ports: m(3) })).status).toBe(200);
  });

  it('§8.9 project quota → Endpoint.1018 (exact casing); GET /quotas reports used/quota', async () => {
    h = await harness({ quota: 2 });
    const q0 = await h.api({ method: 'GET', path: h.p('/quotas'), query: { type: 'endpoint_service' } });
    expect(q0.json).toEqual({ quotas: { resources: [{ type: 'endpoint_service', used: 0, quota: 2 }] } });
    expect((await create({ port_id: uuid() })).status).toBe(200);
    expect((await create({ port_id: uuid() })).status).toBe(200);
    const over = await create({ port_id: uuid() });
    expect(over.status).toBe(400);
    expect(over.json.error_code).toBe('Endpoint.1018');
    const q = await h.api({ method: 'GET', path: h.p('/quotas') });
    const resources = (q.json.quotas as { resources: Array<Record<string, unknown>> }).resources;
    expect(resources).toContainEqual({ type: 'endpoint_service', used: 2, quota: 2 });
    expect(resources.map((r) => r.type)).toContain('endpoint');
    expectError(
      await h.api({ method: 'GET', path: h.p('/quotas'), query: { type: 'x' } }),
      400,
      'EndPoint.0002',
    );
  });
});

describe('get and list', () => {
  it('§8.13 GET of an unknown id → 404 {"error_code":"EndPoint.0005","error_msg":…}', async () => {
    h = await harness();
    for (const id of [uuid(), 'not-a-uuid']) {
      const r = await h.api({ method: 'GET', path: svcPath(id) });
      expect(r.status).toBe(404);
      expect(r.json).toEqual({ error_code: 'EndPoint.0005', error_msg: expect.any(String) });
    }
  });

  it('GET returns the detail fields', async () => {
    h = await harness();
    const s = await createAvailable(h, { description: 'd', tags: [{ key: 'a', value: 'b' }] });
    expect(s).toMatchObject({
      port_id: PORT,
      vpc_id: VPC,
      server_type: 'VM',
      service_type: 'interface',
      status: 'available',
      approval_enabled: false,
      description: 'd',
      tags: [{ key: 'a', value: 'b' }],
      connection_count: 0,
      project_id: PROJECT,
    });
  });

  it('answers carry the field sets of the official SDK models: PUT the create set, list items no cidr_type', async () => {
    h = await harness();
    const s = await createAvailable(h);
    expect(s).toMatchObject({ connection_count: 0, supported_editions: ['default'], cidr_type: 'internal' });
    const put = await h.api({ method: 'PUT', path: svcPath(s.id), body: { description: 'x' } });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ id: s.id, pool_id: s.pool_id, description: 'x' }); // UpdateEndpointServiceResponse
    for (const k of ['connection_count', 'supported_editions', 'cidr_type'])
      expect(k in put.json, k).toBe(false);
    const list = await h.api({ method: 'GET', path: h.p('/vpc-endpoint-services') });
    const item = (list.json.endpoint_services as Array<Record<string, unknown>>)[0] ?? {};
    expect(item).toMatchObject({ id: s.id, connection_count: 0, domain_id: expect.any(String) }); // ServiceList
    expect('cidr_type' in item).toBe(false);
  });

  it('§8.14 list: filters, sort keys, paging, total_count before paging, and parameter errors', async () => {
    h = await harness();
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await create({ port_id: uuid(), service_name: i % 2 === 0 ? `even${i}` : `odd${i}` });
      ids.push(String(r.json.id));
      await h.clock.advance(1000); // distinct created_at; each becomes available
    }
    const list = (query: Record<string, string | number> = {}): Promise<CallResult> =>
      h.api({ method: 'GET', path: h.p('/vpc-endpoint-services'), query });
    const all = await list();
    const items = all.json.endpoint_services as Array<Record<string, unknown>>;
    expect(all.json.total_count).toBe(12);
    expect(items).toHaveLength(10); // default limit 10
    expect(items.map((s) => s.id)).toEqual([...ids].reverse().slice(0, 10)); // default create_at desc
    expect(items[0]).toHaveProperty('domain_id');
    const asc = await list({ sort_dir: 'asc', limit: 3, offset: 2 });
    expect((asc.json.endpoint_services as Array<Record<string, unknown>>).map((s) => s.id)).toEqual(
      ids.slice(2, 5),
    );
    expect(asc.json.total_count).toBe(12);
    const fuzzy = await list({ endpoint_service_name: 'even', limit: 1000 });
    expect(fuzzy.json.total_count).toBe(6);
    expect((await list({ id: ids[3] ?? '' })).json.total_count).toBe(1);
    // update_at sort: touch the oldest service, it comes first.
    await h.clock.advance(1000);
    await h.api({ method: 'PUT', path: svcPath(ids[0]), body: { description: 'touched' } });
    const byUpdate = await list({ sort_key: 'update_at', limit: 1 });
    expect((byUpdate.json.endpoint_services as Array<Record<string, unknown>>)[0]?.id).toBe(ids[0]);
    // status filter
    await h.api({ method: 'DELETE', path: svcPath(ids[1]) });
    const deleting = await list({ status: 'deleting' });
    expect(deleting.json.total_count).toBe(1);
    expect((await list({ status: 'available' })).json.total_count).toBe(11);
    expectError(await list({ sort_key: 'created_at' }), 400, 'EndPoint.0017');
    expectError(await list({ sort_dir: 'up' }), 400, 'EndPoint.0018');
    expectError(await list({ limit: 0 }), 400, 'EndPoint.0006');
    expectError(await list({ limit: 1001 }), 400, 'EndPoint.0006');
    expect((await list({ limit: 1000 })).status).toBe(200);
    expectError(await list({ offset: -1 }), 400, 'EndPoint.0010');
    expectError(await list({ status: 'ready' }), 400, 'EndPoint.0019');
  });
});

describe('update and rename', () => {
  it('§8.15 PUT only while available (3045); mutable fields applied, ports replaced, validations re-run, full object returned', async () => {
    h = await harness();
    const c = await create();
    const id = c.json.id;
    expectError(
      await h.api({ method: 'PUT', path: svcPath(id), body: { description: 'x' } }),
      400,
      'EndPoint.3045',
    );
    await h.clock.advance(1000);
    const before = (await h.api({ method: 'GET', path: svcPath(id) })).json;
    await h.clock.advance(5000);
    const newPort = uuid();
    const r = await h.api({
      method: 'PUT',
      path: svcPath(id),
      body: {
        approval_enabled: true,
        service_name: 'renamed',
        ports: [{ client_port: 443, server_port: 8443, protocol: 'TCP' }],
        port_id: newPort,
        tcp_proxy: 'proxy_open',
        description: 'new',
        vpc_id: uuid(),
        server_type: 'LB',
        enable_policy: true,
      },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({
      id,
      approval_enabled: true,
      service_name: `cn-north-4.renamed.${String(id)}`,
      ports: [{ client_port: 443, server_port: 8443, protocol: 'TCP' }],
      port_id: newPort,
      tcp_proxy: 'proxy_open',
      description: 'new',
      vpc_id: VPC,
      server_type: 'VM',
      enable_policy: false,
      created_at: before.created_at,
      status: 'available',
    });
    expect(r.json.updated_at).not.toBe(before.updated_at);
    // description "" clears it
    const cleared = await h.api({ method: 'PUT', path: svcPath(id), body: { description: '' } });
    expect('description' in cleared.json).toBe(false);
    // create validations re-run
    expectError(
      await h.api({
        method: 'PUT',
        path: svcPath(id),
        body: { ports: [{ client_port: 0, server_port: 1 }] },
      }),
      400,
      'EndPoint.3043',
    );
    expectError(
      await h.api({ method: 'PUT', path: svcPath(id), body: { service_name: 'bad name' } }),
      400,
      'EndPoint.3076',
    );
    expectError(
      await h.api({ method: 'PUT', path: svcPath(id), body: { description: '<x>' } }),
      400,
      'EndPoint.0002',
    );
    expectError(
      await h.api({ method: 'PUT', path: svcPath(id), body: { port_id: uuid(), ip: '10.0.0.1' } }),
      400,
      'EndPoint.3052',
    );
    expectError(
      await h.api({ method: 'PUT', path: svcPath(id), body: { vip_port_id: uuid(), ip: '10.0.0.1' } }),
      400,
      'EndPoint.3053',
    );
    // cross-service conflict re-checked on update
    const other = await createAvailable(h, {
      port_id: newPort,
      ports: [{ client_port: 1, server_port: 9000, protocol: 'TCP' }],
    });
    expectError(
      await h.api({
        method: 'PUT',
        path: svcPath(other.id),
        body: { ports: [{ client_port: 1, server_port: 8443, protocol: 'TCP' }] },
      }),
      400,
      'EndPoint.3044',
    );
    expectError(await h.api({ method: 'PUT', path: svcPath(uuid()), body: {} }), 404, 'EndPoint.0005');
  });

  it('lenient switch: limit=0 accepted, only identical mappings refused, PUT while creating', async () => {
    h = await harness({ lenient: true });
    const list0 = await h.api({ method: 'GET', path: h.p('/vpc-endpoint-services'), query: { limit: 0 } });
    expect(list0.status).toBe(200);
    const shared = [
      { client_port: 80, server_port: 1, protocol: 'TCP' },
      { client_port: 80, server_port: 2, protocol: 'TCP' },
    ];
    const c = await create({ ports: shared });
    expect(c.status, c.text).toBe(200);
    expect(
      (await h.api({ method: 'PUT', path: svcPath(c.json.id), body: { description: 'early' } })).status,
    ).toBe(200);
    const same = [
      { client_port: 81, server_port: 3, protocol: 'TCP' },
      { client_port: 81, server_port: 3, protocol: 'TCP' },
    ];
    expectError(await create({ port_id: uuid(), ports: same }), 400, 'EndPoint.3044');
  });

  it('rejectImmutableUpdates refuses a changed vpc_id but accepts an unchanged one', async () => {
    h = await harness({ rejectImmutableUpdates: true });
    const s = await createAvailable(h);
    expectError(
      await h.api({ method: 'PUT', path: svcPath(s.id), body: { vpc_id: uuid() } }),
      400,
      'EndPoint.0002',
    );
    expect(
      (await h.api({ method: 'PUT', path: svcPath(s.id), body: { vpc_id: VPC, description: 'ok' } })).status,
    ).toBe(200);
  });

  it('§8.16 PUT …/name returns {"endpoint_service_name": <full name>}; GET reflects it', async () => {
    h = await harness({ region: 'eu-west-101' });
    const s = await createAvailable(h);
    const r = await h.api({
      method: 'PUT',
      path: svcPath(s.id, '/name'),
      body: { endpoint_service_name: 'newname' },
    });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ endpoint_service_name: `eu-west-101.newname.${String(s.id)}` });
    expect((await h.api({ method: 'GET', path: svcPath(s.id) })).json.service_name).toBe(
      `eu-west-101.newname.${String(s.id)}`,
    );
    expectError(
      await h.api({ method: 'PUT', path: svcPath(s.id, '/name'), body: { endpoint_service_name: 'x.y' } }),
      400,
      'EndPoint.3076',
    );
    expectError(await h.api({ method: 'PUT', path: svcPath(s.id, '/name'), body: {} }), 400, 'EndPoint.0002');
  });
});

describe('delete', () => {
  it('§8.17 DELETE → 204, status deleting, later 404 EndPoint.0005; unknown id → 404 EndPoint.0005', async () => {
    h = await harness();
    const s = await createAvailable(h);
    const d = await h.api({ method: 'DELETE', path: svcPath(s.id) });
    expect(d.status).toBe(204);
    expect(d.text).toBe('');
    expect((await h.api({ method: 'GET', path: svcPath(s.id) })).json.status).toBe('deleting');
    expect((await h.api({ method: 'DELETE', path: svcPath(s.id) })).status).toBe(204);
    await h.clock.advance(1000);
    expectError(await h.api({ method: 'GET', path: svcPath(s.id) }), 404, 'EndPoint.0005');
    expectError(await h.api({ method: 'DELETE', path: svcPath(s.id) }), 404, 'EndPoint.0005');
    expectError(await h.api({ method: 'DELETE', path: svcPath(uuid()) }), 404, 'EndPoint.0005');
  });

  it('§8.17 switch: deleteSuccessStatus 200', async () => {
    h = await harness({ deleteSuccessStatus: 200 });
    const s = await createAvailable(h);
    expect((await h.api({ method: 'DELETE', path: svcPath(s.id) })).status).toBe(200);
  });

  it('§8.18 DELETE with a creating, pendingAcceptance or accepted connection → 3006 and nothing changes', async () => {
    h = await harness();
    for (const status of ['creating', 'pendingAcceptance', 'accepted']) {
      const s = await createAvailable(h, { port_id: uuid() });
      const owner = h.sim.controls.services()[0]?.domain_id ?? '';
      const conn = h.sim.controls.addConnection(String(s.id), { domainId: owner, status });
      const r = await h.api({ method: 'DELETE', path: svcPath(s.id) });
      expectError(r, 400, 'EndPoint.3006');
      const after = await h.api({ method: 'GET', path: svcPath(s.id) });
      expect(after.json.status).toBe('available');
      expect(after.json.updated_at).toBe(s.updated_at);
      // Once the connection is rejected (or gone), delete goes through.
      if (status === 'creating') h.sim.controls.removeConnection(String(s.id), conn.id);
      else
        await h.api({
          method: 'POST',
          path: svcPath(s.id, '/connections/action'),
          body: { action: 'reject', endpoints: [conn.id] },
        });
      expect((await h.api({ method: 'DELETE', path: svcPath(s.id) })).status).toBe(204);
    }
  });
});
