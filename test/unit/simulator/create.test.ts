import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBody, harness, PROJECT, uuid, type CallResult, type Harness } from './helpers.js';

let h: Harness;
beforeEach(async () => {
  h = await harness({ region: 'cn-north-4' });
});
afterEach(async () => h.sim.close());

const create = (over: Record<string, unknown> = {}): Promise<CallResult> =>
  h.api({ method: 'POST', path: h.p('/vpc-endpoint-services'), body: createBody(over) });

function expectError(r: CallResult, status: number, code: string): void {
  expect(r.status, r.text).toBe(status);
  expect(r.json.error_code).toBe(code);
  expect(typeof r.json.error_msg).toBe('string');
}

const TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

describe('create validation', () => {
  it('§8.3 missing port_id, vpc_id, server_type or ports → 400 EndPoint.0002', async () => {
    for (const k of ['port_id', 'vpc_id', 'server_type', 'ports'])
      expectError(await create({ [k]: undefined }), 400, 'EndPoint.0002');
    expectError(
      await h.api({ method: 'POST', path: h.p('/vpc-endpoint-services'), rawBody: '{not json' }),
      400,
      'EndPoint.0002',
    );
    expectError(await h.api({ method: 'POST', path: h.p('/vpc-endpoint-services') }), 400, 'EndPoint.0002');
    expect(h.sim.controls.services()).toHaveLength(0);
  });

  it('§8.4 bad service_name → 3076; bad server_type → 3021; unknown tcp_proxy → 0002; gateway → 400', async () => {
    expectError(await create({ service_name: 'a'.repeat(17) }), 400, 'EndPoint.3076');
    expectError(await create({ service_name: 'bad.name' }), 400, 'EndPoint.3076');
    expectError(await create({ service_name: 'has space' }), 400, 'EndPoint.3076');
    expect((await create({ service_name: 'Ok_name-16chars_' })).status).toBe(200);
    expectError(await create({ server_type: 'ECS' }), 400, 'EndPoint.3021');
    expectError(await create({ server_type: 'vm' }), 400, 'EndPoint.3021');
    expectError(await create({ tcp_proxy: 'proxy' }), 400, 'EndPoint.0002');
    const gw = await create({ service_type: 'gateway' });
    expect(gw.status).toBe(400);
    expect(gw.json.error_code).toBe('EndPoint.0002');
    expectError(await create({ approval_enabled: 'yes' }), 400, 'EndPoint.0002');
    expectError(await create({ vpc_id: 'not-a-vpc' }), 400, 'EndPoint.0020');
    expectError(await create({ port_id: 'not-a-port' }), 400, 'EndPoint.3003');
  });

  it('§8.5 defaults: approval_enabled=true, service_type=interface, tcp_proxy=close, enable_policy=false, protocol=TCP', async () => {
    const r = await create({
      approval_enabled: undefined,
      service_type: undefined,
      tcp_proxy: undefined,
      enable_policy: undefined,
      ports: [{ client_port: 80, server_port: 8080 }],
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      approval_enabled: true,
      service_type: 'interface',
      tcp_proxy: 'close',
      enable_policy: false,
      ports: [{ client_port: 80, server_port: 8080, protocol: 'TCP' }],
    });
  });

  it('§8.6 ports outside 1–65535 → 3043; non-TCP → 3075; > 200 mappings → 3074', async () => {
    expectError(
      await create({ ports: [{ client_port: 0, server_port: 80, protocol: 'TCP' }] }),
      400,
      'EndPoint.3043',
    );
    expectError(
      await create({ ports: [{ client_port: 80, server_port: 65536, protocol: 'TCP' }] }),
      400,
      'EndPoint.3043',
    );
    expectError(
      await create({ ports: [{ client_port: 80.5, server_port: 80, protocol: 'TCP' }] }),
      400,
      'EndPoint.3043',
    );
    expectError(
      await create({ ports: [{ client_port: 80, server_port: 80, protocol: 'UDP' }] }),
      400,
      'EndPoint.3075',
    );
    const many = Array.from({ length: 201 }, (_, i) => ({
      client_port: i + 1,
      server_port: i + 1,
      protocol: 'TCP',
    }));
    expectError(await create({ ports: many }), 400, 'EndPoint.3074');
    expect((await create({ ports: many.slice(0, 200) })).status).toBe(200);
  });

  it('§8.7 duplicate client_port or server_port in a service → 3044; two services on one port_id sharing a server_port → 3044', async () => {
    const dupClient = [
      { client_port: 80, server_port: 1, protocol: 'TCP' },
      { client_port: 80, server_port: 2, protocol: 'TCP' },
    ];
    expectError(await create({ ports: dupClient }), 400, 'EndPoint.3044');
    const dupServer = [
      { client_port: 81, server_port: 3, protocol: 'TCP' },
      { client_port: 82, server_port: 3, protocol: 'TCP' },
    ];
    expectError(await create({ ports: dupServer }), 400, 'EndPoint.3044');
    const port = uuid();
    expect(
      (await create({ port_id: port, ports: [{ client_port: 80, server_port: 90, protocol: 'TCP' }] }))
        .status,
    ).toBe(200);
    expectError(
      await create({ port_id: port, ports: [{ client_port: 81, server_port: 90, protocol: 'TCP' }] }),
      400,
      'EndPoint.3044',
    );
    // Another server port on the same backend is fine; the same server port on another backend too.
    expect(
      (await create({ port_id: port, ports: [{ client_port: 80, server_port: 91, protocol: 'TCP' }] }))
        .status,
    ).toBe(200);
    expect(
      (await create({ port_id: uuid(), ports: [{ client_port: 80, server_port: 90, protocol: 'TCP' }] }))
        .status,
    ).toBe(200);
  });

  it('§8.10 tags: > 10 → 3069; key 1–36 (3072); value 0–43 (3073, "" allowed); bad chars or edge spaces → 3068; duplicate key → 3067', async () => {
    const tags = (n: number): Array<{ key: string; value: string }> =>
      Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: 'v' }));
    expectError(await create({ tags: tags(11) }), 400, 'EndPoint.3069');
    expect((await create({ port_id: uuid(), tags: tags(10) })).status).toBe(200);
    expectError(await create({ tags: [{ key: '', value: 'v' }] }), 400, 'EndPoint.3072');
    expectError(await create({ tags: [{ key: 'k'.repeat(37), value: 'v' }] }), 400, 'EndPoint.3072');
    expect(
      (await create({ port_id: uuid(), tags: [{ key: '键'.repeat(36), value: '值'.repeat(43) }] })).status,
    ).toBe(200);
    expectError(await create({ tags: [{ key: 'k', value: 'v'.repeat(44) }] }), 400, 'EndPoint.3073');
    const empty = await create({ port_id: uuid(), tags: [{ key: 'k', value: '' }] });
    expect(empty.status).toBe(200);
    expect(empty.json.tags).toEqual([{ key: 'k', value: '' }]);
    for (const bad of ['a=b', 'a*', 'a<', 'a>', 'a\\b', 'a,b', 'a|b', 'a/b', ' lead', 'trail '])
      expectError(await create({ tags: [{ key: bad, value: 'v' }] }), 400, 'EndPoint.3068');
    expectError(await create({ tags: [{ key: 'k', value: 'x/y' }] }), 400, 'EndPoint.3068');
    expectError(await create({ tags: [{ key: 'k', value: ' v' }] }), 400, 'EndPoint.3068');
    expectError(
      await create({
        tags: [
          { key: 'k', value: '1' },
          { key: 'k', value: '2' },
        ],
      }),
      400,
      'EndPoint.3067',
    );
  });

  it('§8.11 a description with < or > → 400 EndPoint.0002', async () => {
    expectError(await create({ description: 'a <b>' }), 400, 'EndPoint.0002');
    expectError(await create({ description: 'a > b' }), 400, 'EndPoint.0002');
    const ok = await create({ description: 'x'.repeat(5000) });
    expect(ok.status).toBe(200);
    expect(ok.json.description).toHaveLength(5000);
  });
});

describe('create result', () => {
  it('§8.12 200 with a UUID id, full service_name, pool_id, status creating → available after the delay', async () => {
    const r = await create({ service_name: 'obs_test' });
    expect(r.status).toBe(200);
    const id = String(r.json.id);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(r.json.service_name).toBe(`cn-north-4.obs_test.${id}`);
    expect(r.json.status).toBe('creating');
    expect(r.json.pool_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.json.project_id).toBe(PROJECT);
    const get = (): Promise<CallResult> =>
      h.api({ method: 'GET', path: h.p(`/vpc-endpoint-services/${id}`) });
    await h.clock.advance(999);
    expect((await get()).json.status).toBe('creating');
    await h.clock.advance(1);
    expect((await get()).json.status).toBe('available');
    const unnamed = await create({ service_name: undefined, port_id: uuid() });
    expect(unnamed.json.service_name).toBe(`cn-north-4.${String(unnamed.json.id)}`);
  });

  it("§8.12 injected failure yields failed with error[{code, message}] (the official SDKs' shape) by default", async () => {
    h.sim.controls.setFaults({ failCreates: 1 });
    const r = await create();
    await h.clock.advance(1000);
    const g = await h.api({ method: 'GET', path: h.p(`/vpc-endpoint-services/${String(r.json.id)}`) });
    expect(g.json.status).toBe('failed');
    // Exactly the SDK's fields: no legacy error_code/error_message alongside.
    expect(g.json.error).toEqual([{ code: 'EndPoint.3001', message: expect.stringMatching(/\S/) }]);
    const listed = await h.api({ method: 'GET', path: h.p('/vpc-endpoint-services') });
    expect((listed.json.endpoint_services as Array<Record<string, unknown>>)[0]?.error).toEqual(g.json.error);
    const next = await create({ port_id: uuid() });
    await h.clock.advance(1000);
    const g2 = await h.api({ method: 'GET', path: h.p(`/vpc-endpoint-services/${String(next.json.id)}`) });
    expect(g2.json.status).toBe('available');
    expect(g2.json.error).toBeUndefined();
  });

  it('failedErrorShape legacy yields error[{error_code, error_message}] instead', async () => {
    await h.sim.close();
    h = await harness({ failedErrorShape: 'legacy', failRate: 1 });
    const r = await create();
    await h.clock.advance(1000);
    const g = await h.api({ method: 'GET', path: h.p(`/vpc-endpoint-services/${String(r.json.id)}`) });
    expect(g.json.status).toBe('failed');
    expect(g.json.error).toEqual([
      { error_code: 'EndPoint.3001', error_message: expect.stringMatching(/\S/) },
    ]);
  });

  it('failedErrorShape sdk explicitly is the default shape; any other value is refused', async () => {
    await h.sim.close();
    h = await harness({ failedErrorShape: 'sdk', failRate: 1 });
    const r = await create();
    await h.clock.advance(1000);
    expect(h.sim.controls.services()[0]?.id).toBe(r.json.id);
    expect(h.sim.controls.services()[0]?.error).toEqual([
      { code: 'EndPoint.3001', message: expect.any(String) },
    ]);
    await expect(harness({ failedErrorShape: 'nested' as 'sdk' })).rejects.toThrow(/failedErrorShape/);
  });

  it('failRate 1 makes every create end failed', async () => {
    await h.sim.close();
    h = await harness({ failRate: 1 });
    const r = await create();
    await h.clock.advance(1000);
    expect(h.sim.controls.services()[0]?.id).toBe(r.json.id);
    expect(h.sim.controls.services()[0]?.status).toBe('failed');
  });

  it('§8.26 unset optional fields omitted; timestamps YYYY-MM-DDTHH:MM:SSZ', async () => {
    const r = await create({ service_name: undefined });
    expect(r.json.created_at).toMatch(TIME_RE);
    expect(r.json.updated_at).toMatch(TIME_RE);
    for (const k of ['description', 'tags', 'error', 'ip', 'vip_port_id']) expect(k in r.json, k).toBe(false);
    expect(r.text).not.toContain('null');
    const g = await h.api({ method: 'GET', path: h.p(`/vpc-endpoint-services/${String(r.json.id)}`) });
    expect(g.text).not.toContain('null');
    expect(g.json.created_at).toMatch(TIME_RE);
  });
});
