/**
 * Contract tests: the operator's cloud client drives every operation against the simulator, over
 * loopback HTTP with real AK/SK signatures. Virtual time: the simulator and the client share one
 * ManualClock, and the client's sleeps (limiter waits, retry backoff) advance it, so throttling and
 * async states are deterministic.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { VpcepClient, type CallEvent, type VpcepClientOptions } from '../../../src/cloud/client.js';
import { CloudError, isCode } from '../../../src/cloud/errors.js';
import { describeServiceFailure } from '../../../src/cloud/failure.js';
import type { CreateServiceRequest } from '../../../src/cloud/wire.js';
import { ManualClock } from '../../../src/util/clock.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../../src/simulator/index.js';
import { AK, PORT, PROJECT, SK, uuid, VPC } from './helpers.js';

interface Rig {
  sim: Simulator;
  clock: ManualClock;
  client: VpcepClient;
  events: CallEvent[];
  newClient(o?: Partial<VpcepClientOptions>): VpcepClient;
}

const rigs: Rig[] = [];
const clients: VpcepClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const r of rigs.splice(0)) await r.sim.close();
});

async function rig(
  simOpts: Partial<SimulatorOptions> = {},
  clientOpts: Partial<VpcepClientOptions> = {},
): Promise<Rig> {
  const clock = new ManualClock(Date.now());
  const sim = await startSimulator({
    accessKey: AK,
    secretKey: SK,
    projectId: PROJECT,
    createDelayMs: 5000,
    deleteDelayMs: 5000,
    clock,
    ...simOpts,
  });
  const events: CallEvent[] = [];
  const newClient = (o: Partial<VpcepClientOptions> = {}): VpcepClient => {
    const c = new VpcepClient({
      target: { endpoint: sim.url, projectId: PROJECT },
      credentials: { accessKey: AK, secretKey: SK },
      clock: clock.driving(),
      qps: 1000,
      burst: 1000,
      maxRetries: 4,
      random: () => 0.5,
      signingTime: () => clock.now(),
      onCall: (e) => events.push(e),
      ...clientOpts,
      ...o,
    });
    clients.push(c);
    return c;
  };
  const r: Rig = { sim, clock, client: newClient(), events, newClient };
  rigs.push(r);
  return r;
}

function req(over: Partial<CreateServiceRequest> = {}): CreateServiceRequest {
  return {
    port_id: uuid(),
    vpc_id: VPC,
    server_type: 'VM',
    approval_enabled: true,
    service_type: 'interface',
    service_name: 'contract',
    ports: [{ client_port: 8080, server_port: 80, protocol: 'TCP' }],
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

describe('every client operation against the simulator', () => {
  it('create → poll → update, rename, tags, whitelist, connections, quotas, describe, list, delete', async () => {
    const { client, clock, sim } = await rig({ region: 'cn-north-4' });
    const created = await client.createService(req({ tags: [{ key: 'owner', value: 'op' }] }));
    expect(created.status).toBe('creating');
    expect(created.service_name).toBe(`cn-north-4.contract.${created.id}`);
    expect((await client.getService(created.id)).status).toBe('creating');
    await clock.advance(5000);
    const got = await client.getService(created.id);
    expect(got).toMatchObject({
      status: 'available',
      pool_id: expect.any(String),
      tags: [{ key: 'owner', value: 'op' }],
    });

    const updated = await client.updateService(created.id, {
      description: 'hello',
      ports: [{ client_port: 443, server_port: 8443, protocol: 'TCP' }],
    });
    expect(updated).toMatchObject({
      description: 'hello',
      ports: [{ client_port: 443, server_port: 8443, protocol: 'TCP' }],
    });
    expect(await client.renameService(created.id, 'renamed')).toBe(`cn-north-4.renamed.${created.id}`);

    await client.tagAction(created.id, 'create', [{ key: 'env', value: 'prod' }]);
    expect(await client.queryByTags({ tags: [{ key: 'env', values: ['prod'] }] })).toEqual([
      {
        resource_id: created.id,
        resource_name: `cn-north-4.renamed.${created.id}`,
        tags: [
          { key: 'owner', value: 'op' },
          { key: 'env', value: 'prod' },
        ],
      },
    ]);
    expect(await client.countByTags({ tags: [{ key: 'env', values: ['prod'] }] })).toBe(1);
    await client.tagAction(created.id, 'delete', [{ key: 'env' }]);
    expect(await client.countByTags({ tags: [{ key: 'env', values: [] }] })).toBe(0);

    expect(await client.permissionAction(created.id, 'add', ['iam:domain::consumer1'], 'domainId')).toEqual([
      'iam:domain::consumer1',
    ]);
    expect((await client.listPermissions(created.id)).map((p) => p.permission)).toEqual([
      'iam:domain::consumer1',
    ]);

    const conn = sim.controls.addConnection(created.id, { domainId: 'consumer1' });
    expect(conn.status).toBe('pendingAcceptance');
    expect(
      (await client.listConnections(created.id, { status: 'pendingAcceptance' })).map((c) => c.id),
    ).toEqual([conn.id]);
    const accepted = await client.connectionAction(created.id, 'receive', conn.id);
    expect(accepted).toEqual([expect.objectContaining({ id: conn.id, status: 'accepted' })]);
    expect((await client.getService(created.id)).connection_count).toBe(1);

    const quotas = await client.getQuotas('endpoint_service');
    expect(quotas.quotas.resources).toEqual([{ type: 'endpoint_service', used: 1, quota: 50 }]);
    expect(await client.describeService({ id: created.id })).toMatchObject({
      id: created.id,
      service_name: `cn-north-4.renamed.${created.id}`,
    });
    expect((await client.describeService({ name: `cn-north-4.renamed.${created.id}` })).id).toBe(created.id);

    const page = await client.listServices({ endpoint_service_name: 'renamed', limit: 1 });
    expect(page.total_count).toBe(1);
    expect(await client.listAllServices({ status: 'available' })).toHaveLength(1);

    // delete is refused while connected (inUse), then succeeds and the service goes away
    const inUse = await failure(client.deleteService(created.id));
    expect(inUse).toMatchObject({ kind: 'inUse', code: 'EndPoint.3006', httpStatus: 400 });
    expect(await client.connectionAction(created.id, 'reject', conn.id)).toEqual([
      expect.objectContaining({ status: 'rejected' }),
    ]);
    await client.deleteService(created.id);
    expect((await client.getService(created.id)).status).toBe('deleting');
    await clock.advance(5000);
    const gone = await failure(client.getService(created.id));
    expect(gone).toMatchObject({ kind: 'notFound', code: 'EndPoint.0005', httpStatus: 404 });
    expect(await failure(client.deleteService(created.id))).toMatchObject({
      kind: 'notFound',
      code: 'EndPoint.0005',
    });
    expect(gone.requestId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('listAllServices returns every service', async () => {
    const { client } = await rig();
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) ids.add((await client.createService(req({ service_name: `p${i}` }))).id);
    const all = await client.listAllServices();
    expect(new Set(all.map((s) => s.id))).toEqual(ids);
  });
});

describe('error codes as the client sees them', () => {
  it('validation and conflict codes are terminal', async () => {
    const { client } = await rig();
    const port = uuid();
    await client.createService(req({ port_id: port }));
    const cases: Array<[Partial<CreateServiceRequest>, string]> = [
      [{ port_id: port, ports: [{ client_port: 1, server_port: 80, protocol: 'TCP' }] }, 'EndPoint.3044'],
      [{ port_id: port, vpc_id: uuid() }, 'EndPoint.3042'],
      [{ service_name: 'no.dots' }, 'EndPoint.3076'],
      [{ server_type: 'X' as 'VM' }, 'EndPoint.3021'],
      [{ ports: [{ client_port: 70000, server_port: 1, protocol: 'TCP' }] }, 'EndPoint.3043'],
      [{ ports: [{ client_port: 1, server_port: 1, protocol: 'UDP' }] }, 'EndPoint.3075'],
      [{ tags: Array.from({ length: 11 }, (_, i) => ({ key: `k${i}`, value: '' })) }, 'EndPoint.3069'],
      [{ description: '<b>' }, 'EndPoint.0002'],
    ];
    for (const [over, code] of cases) {
      const e = await failure(client.createService(req(over)));
      expect(e, code).toMatchObject({ kind: 'terminal', code, httpStatus: 400 });
    }
  });

  it('inventory: unknown VPC EndPoint.2001, unknown port EndPoint.3008', async () => {
    const vpc = uuid();
    const port = uuid();
    const { client } = await rig({ inventory: { vpcs: [{ id: vpc, ports: [port] }] } });
    expect(await failure(client.createService(req({ vpc_id: uuid(), port_id: port })))).toMatchObject({
      kind: 'terminal',
      code: 'EndPoint.2001',
    });
    expect(await failure(client.createService(req({ vpc_id: vpc, port_id: uuid() })))).toMatchObject({
      kind: 'terminal',
      code: 'EndPoint.3008',
    });
    expect((await client.createService(req({ vpc_id: vpc, port_id: port }))).status).toBe('creating');
  });

  it('quota: Endpoint.1018 with the cloud’s casing; tags: EndPoint.3069 on the 11th', async () => {
    const { client, clock } = await rig({ quota: 1 });
    const s = await client.createService(
      req({ tags: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: '' })) }),
    );
    const e = await failure(client.createService(req()));
    expect(e.code).toBe('Endpoint.1018');
    expect(isCode(e, 'EndPoint.1018')).toBe(true);
    expect(e.kind).toBe('terminal');
    await clock.advance(5000);
    expect(await failure(client.tagAction(s.id, 'create', [{ key: 'eleventh', value: 'x' }]))).toMatchObject({
      kind: 'terminal',
      code: 'EndPoint.3069',
    });
  });

  it('update while creating: EndPoint.3045 is retryable (retried until the service is available)', async () => {
    const { client, sim } = await rig({ createDelayMs: 1500 });
    const s = await client.createService(req());
    // The client's backoff sleeps advance virtual time past the create delay, so a retry succeeds.
    const updated = await client.updateService(s.id, { description: 'after wait' });
    expect(updated.description).toBe('after wait');
    expect(sim.controls.counters().update).toBeGreaterThan(1);
    const noRetry = (await rig()).newClient({ maxRetries: 0 });
    const s2 = await noRetry.createService(req());
    expect(await failure(noRetry.updateService(s2.id, { description: 'x' }))).toMatchObject({
      kind: 'retryable',
      code: 'EndPoint.3045',
    });
  });

  it('auth: wrong secret key, clock skew over 15 minutes, foreign project id', async () => {
    const r = await rig();
    const wrongKey = r.newClient({ credentials: { accessKey: AK, secretKey: 'wrong' } });
    expect(await failure(wrongKey.listServices())).toMatchObject({
      kind: 'auth',
      code: 'APIGW.0301',
      httpStatus: 401,
    });
    const skewed = r.newClient({ signingTime: () => r.clock.now() - 16 * 60_000 });
    const skew = await failure(skewed.getQuotas());
    expect(skew).toMatchObject({ kind: 'auth', code: 'APIGW.0301' });
    expect(skew.message).toMatch(/signature expired/);
    const foreign = new VpcepClient({
      target: { endpoint: r.sim.url, projectId: 'other-project' },
      credentials: { accessKey: AK, secretKey: SK },
      clock: r.clock.driving(),
      signingTime: () => r.clock.now(),
    });
    clients.push(foreign);
    expect(await failure(foreign.listServices())).toMatchObject({ kind: 'terminal', code: 'EndPoint.0014' });
  });

  it('a wrong URL is 404 APIGW.0101: terminal, never notFound', async () => {
    const r = await rig();
    const lost = new VpcepClient({
      target: { endpoint: `${r.sim.url}/wrong-prefix`, projectId: PROJECT },
      credentials: { accessKey: AK, secretKey: SK },
      clock: r.clock.driving(),
      signingTime: () => r.clock.now(),
    });
    clients.push(lost);
    expect(await failure(lost.getService(uuid()))).toMatchObject({
      kind: 'terminal',
      code: 'APIGW.0101',
      httpStatus: 404,
    });
  });

  it('injected 500 and nested-shape errors are retried; 504 on create is unknownOutcome', async () => {
    const { client, sim } = await rig();
    sim.controls.setFaults({ errorCount: 1, errorKind: '500', operations: ['quotas'] });
    await client.getQuotas();
    expect(sim.controls.counters().quotas).toBe(2);
    const failing = (await rig()).newClient({ maxRetries: 0 });
    rigs[rigs.length - 1]?.sim.controls.setFaults({ errorCount: 1, errorKind: 'nestedShape' });
    expect(await failure(failing.getQuotas())).toMatchObject({
      kind: 'retryable',
      code: 'EndPoint.0001',
      httpStatus: 500,
    });
    sim.controls.setFaults({ errorCount: 1, errorKind: '504', operations: ['create'] });
    expect(await failure(client.createService(req()))).toMatchObject({
      kind: 'unknownOutcome',
      code: 'EndPoint.0013',
    });
    expect(sim.controls.services()).toHaveLength(0);
  });
});

describe('throttling', () => {
  it('with the client limiter under the simulator’s QPS: zero 429s', async () => {
    const r = await rig({ qps: 5 });
    const limited = r.newClient({ qps: 4, burst: 1 });
    for (let i = 0; i < 30; i++) await limited.getQuotas();
    expect(r.sim.controls.counters().quotas).toBe(30);
    expect(r.sim.controls.throttled()).toEqual({});
    expect(r.events.filter((e) => e.httpStatus === 429)).toHaveLength(0);
  });

  it('without the limiter 429 APIGW.0308 appears and is retried until every call succeeds', async () => {
    const r = await rig({ qps: 5 });
    for (let i = 0; i < 30; i++) await r.client.getQuotas();
    const throttled = r.events.filter((e) => e.httpStatus === 429);
    expect(throttled.length).toBeGreaterThan(0);
    expect(throttled.every((e) => e.code === 'APIGW.0308' && e.kind === 'retryable' && !e.final)).toBe(true);
    expect(r.events.filter((e) => e.final && e.outcome === 'ok')).toHaveLength(30);
    expect(r.sim.controls.throttled().quotas).toBe(throttled.length);
  });

  it('the 400 EndPoint.0022 mode is retried as throttling too, even for create (nothing was stored)', async () => {
    const r = await rig({ qps: 2, throttleMode: '0022' });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await r.client.createService(req())).id);
    const throttled = r.events.filter((e) => e.code === 'EndPoint.0022');
    expect(throttled.length).toBeGreaterThan(0);
    expect(throttled.every((e) => e.httpStatus === 400)).toBe(true);
    expect(r.sim.controls.services()).toHaveLength(5);
  });
});

describe('commit then drop', () => {
  it('connection destroyed after the create was stored: unknownOutcome, exactly one service', async () => {
    const { client, sim } = await rig();
    sim.controls.setFaults({ commitThenDrop: { operation: 'create', count: 1, mode: 'reset' } });
    const e = await failure(client.createService(req({ service_name: 'dropped' })));
    expect(e.kind).toBe('unknownOutcome');
    expect(sim.controls.counters().create).toBe(1);
    const stored = sim.controls.services();
    expect(stored).toHaveLength(1);
    // the client can find it by name and adopt it
    const found = await client.listAllServices({ endpoint_service_name: 'dropped' });
    expect(found.map((s) => s.id)).toEqual([stored[0]?.id]);
  });

  it('504 after the create was stored: unknownOutcome, exactly one service', async () => {
    const { client, sim } = await rig();
    sim.controls.setFaults({ commitThenDrop: { operation: 'create', count: 1, mode: '504' } });
    const e = await failure(client.createService(req()));
    expect(e).toMatchObject({ kind: 'unknownOutcome', httpStatus: 504, code: 'EndPoint.0013' });
    expect(sim.controls.counters().create).toBe(1);
    expect(sim.controls.services()).toHaveLength(1);
  });

  it('an idempotent call whose response is dropped is retried and converges', async () => {
    const { client, sim, clock } = await rig();
    const s = await client.createService(req({ port_id: PORT }));
    await clock.advance(5000);
    sim.controls.setFaults({ commitThenDrop: { operation: 'update', count: 1, mode: 'reset' } });
    const u = await client.updateService(s.id, { description: 'applied twice' });
    expect(u.description).toBe('applied twice');
    expect(sim.controls.counters().update).toBe(2);
  });
});

describe('a failed create, as the client reads it', () => {
  it.each([
    ['sdk (default)', {}, { code: 'EndPoint.3001', message: expect.any(String) }],
    [
      'legacy',
      { failedErrorShape: 'legacy' as const },
      { error_code: 'EndPoint.3001', error_message: expect.any(String) },
    ],
  ])('%s error[] shape: decoded and described the same way', async (_name, simOpts, entry) => {
    const { client, clock } = await rig({ failRate: 1, ...simOpts });
    const created = await client.createService(req());
    await clock.advance(5000);
    const got = await client.getService(created.id);
    expect(got.status).toBe('failed');
    expect(got.error).toEqual([entry]);
    expect(describeServiceFailure(got)).toBe(
      'EndPoint.3001: Failed to create the port for the endpoint service.',
    );
    const [listed] = await client.listAllServices();
    expect(describeServiceFailure(listed ?? { id: created.id })).toBe(describeServiceFailure(got));
  });
});
