import { afterEach, describe, expect, it } from 'vitest';
import { isLoopback, startSimulator } from '../../../src/simulator/index.js';
import {
  AK,
  call,
  control,
  createAvailable,
  createBody,
  harness,
  PROJECT,
  SK,
  uuid,
  type CallResult,
  type Harness,
} from './helpers.js';

let h: Harness;
afterEach(async () => h.sim.close());

const list = (): Promise<CallResult> => h.api({ method: 'GET', path: h.p('/vpc-endpoint-services') });
const create = (over: Record<string, unknown> = {}): Promise<CallResult> =>
  h.api({ method: 'POST', path: h.p('/vpc-endpoint-services'), body: createBody(over) });

describe('throttling', () => {
  it('per-operation QPS limit answers 429 APIGW.0308 with the gateway body; refills with time', async () => {
    h = await harness({ qps: 3 });
    for (let i = 0; i < 3; i++) expect((await list()).status).toBe(200);
    const r = await list();
    expect(r.status).toBe(429);
    expect(r.json).toEqual({
      error_code: 'APIGW.0308',
      error_msg: expect.any(String),
      request_id: r.headers['x-request-id'],
    });
    // another operation has its own budget
    expect((await h.api({ method: 'GET', path: h.p('/quotas') })).status).toBe(200);
    await h.clock.advance(1000);
    expect((await list()).status).toBe(200);
    expect(h.sim.controls.throttled()).toEqual({ list: 1 });
  });

  it('mode 0022 answers 400 EndPoint.0022; the limit is settable at run time over /_sim/throttle', async () => {
    h = await harness();
    for (let i = 0; i < 5; i++) expect((await list()).status).toBe(200);
    const set = await control(h.sim.url, 'POST', '/_sim/throttle', { qps: 1, mode: '0022' });
    expect(set.json).toEqual({ qps: 1, mode: '0022', scope: 'operation' });
    expect((await list()).status).toBe(200);
    const r = await list();
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error_code: 'EndPoint.0022', error_msg: expect.any(String) });
    h.sim.controls.setThrottle({ qps: 0 });
    for (let i = 0; i < 5; i++) expect((await list()).status).toBe(200);
  });
});

describe('throttling in total (a quota on the whole API)', () => {
  it('scope total shares one budget across operations; a client under qps is never refused', async () => {
    h = await harness({ qps: 4, qpsScope: 'total' });
    for (let i = 0; i < 2; i++) expect((await list()).status).toBe(200);
    for (let i = 0; i < 2; i++)
      expect((await h.api({ method: 'GET', path: h.p('/quotas') })).status).toBe(200);
    // The budget is spent whatever the operation.
    expect((await h.api({ method: 'GET', path: h.p('/quotas') })).status).toBe(429);
    expect((await list()).status).toBe(429);
    expect(h.sim.controls.throttled()).toEqual({ quotas: 1, list: 1 });
    // At exactly qps a second, spread out, nothing is refused, over any mix of operations.
    h.sim.controls.resetCounters();
    for (let i = 0; i < 40; i++) {
      await h.clock.advance(250);
      const r = i % 2 ? await list() : await h.api({ method: 'GET', path: h.p('/quotas') });
      expect(r.status).toBe(200);
    }
    expect(h.sim.controls.throttled()).toEqual({});
    const set = await control(h.sim.url, 'POST', '/_sim/throttle', { scope: 'operation' });
    expect(set.json).toEqual({ qps: 4, mode: '429', scope: 'operation' });
    expect((await control(h.sim.url, 'POST', '/_sim/throttle', { scope: 'all' })).status).toBe(400);
    h.sim.controls.reset();
    expect(h.sim.controls.throttle()).toEqual({ qps: 4, mode: '429', scope: 'total' });
  });
});

describe('§8.25 injectable faults', () => {
  it('500 EndPoint.0001, 504 EndPoint.0013, 429 APIGW.0308, 400 EndPoint.0022 and the nested body shape', async () => {
    h = await harness();
    const cases: Array<[string, number, unknown]> = [
      ['500', 500, { error_code: 'EndPoint.0001', error_msg: expect.any(String) }],
      ['504', 504, { error_code: 'EndPoint.0013', error_msg: expect.any(String) }],
      [
        '429',
        429,
        { error_code: 'APIGW.0308', error_msg: expect.any(String), request_id: expect.any(String) },
      ],
      ['0022', 400, { error_code: 'EndPoint.0022', error_msg: expect.any(String) }],
      ['nestedShape', 500, { error: { code: 'EndPoint.0001', message: expect.any(String) } }],
    ];
    for (const [kind, status, body] of cases) {
      h.sim.controls.setFaults({ errorCount: 1, errorKind: kind as '500' });
      const r = await list();
      expect(r.status, kind).toBe(status);
      expect(r.json).toEqual(body);
      expect((await list()).status).toBe(200);
    }
  });

  it('errorRate 1 limited to some operations; errorShape nested applies to validation errors', async () => {
    h = await harness();
    h.sim.controls.setFaults({ errorRate: 1, operations: ['create'] });
    expect((await create()).status).toBe(500);
    expect((await list()).status).toBe(200);
    expect(h.sim.controls.services()).toHaveLength(0);
    h.sim.controls.setFaults({ errorShape: 'nested' });
    const bad = await create({ server_type: 'X' });
    expect(bad.json).toEqual({ error: { code: 'EndPoint.3021', message: expect.any(String) } });
    // gateway errors keep their flat shape
    const auth = await h.api({ method: 'GET', path: h.p('/vpc-endpoint-services'), sk: 'nope' });
    expect(auth.json.error_code).toBe('APIGW.0301');
  });

  it('connection reset: no effect, no response', async () => {
    h = await harness();
    h.sim.controls.setFaults({ resetCount: 1 });
    const r = await create();
    expect(r.status).toBe(0);
    expect(r.errorCode).toBe('ECONNRESET');
    expect(h.sim.controls.services()).toHaveLength(0);
    expect((await create()).status).toBe(200);
  });

  it('commit then drop (reset): the create is stored, the connection dies', async () => {
    h = await harness();
    h.sim.controls.setFaults({ commitThenDrop: { operation: 'create', count: 1, mode: 'reset' } });
    const r = await create();
    expect(r.status).toBe(0);
    expect(r.errorCode).toBe('ECONNRESET');
    expect(h.sim.controls.services()).toHaveLength(1);
    expect(h.sim.controls.faults().commitThenDrop?.count).toBe(0);
  });

  it('commit then drop (504): "create applied but response lost" — 504 EndPoint.0013 after storing', async () => {
    h = await harness();
    h.sim.controls.setFaults({ commitThenDrop: { operation: 'create', count: 1, mode: '504' } });
    const r = await create({ service_name: 'lost' });
    expect(r.status).toBe(504);
    expect(r.json.error_code).toBe('EndPoint.0013');
    const stored = h.sim.controls.services();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.service_name).toContain('.lost.');
    // a failed validation does not consume the drop
    h.sim.controls.setFaults({ commitThenDrop: { operation: 'update', count: 1, mode: '504' } });
    await h.clock.advance(1000);
    const id = String(stored[0]?.id);
    expect(
      (await h.api({ method: 'PUT', path: h.p(`/vpc-endpoint-services/${id}`), body: { description: '<' } }))
        .status,
    ).toBe(400);
    expect(
      (await h.api({ method: 'PUT', path: h.p(`/vpc-endpoint-services/${id}`), body: { description: 'ok' } }))
        .status,
    ).toBe(504);
    expect(h.sim.controls.services()[0]?.description).toBe('ok');
  });

  it('latency holds the response until the (virtual) time has passed', async () => {
    h = await harness();
    h.sim.controls.setFaults({ latencyMs: { min: 500, max: 500 } });
    let done = false;
    const p = list().then((r) => {
      done = true;
      return r;
    });
    while (!h.sim.controls.counters().list) await new Promise((r) => setTimeout(r, 5));
    await h.clock.advance(499);
    expect(done).toBe(false);
    await h.clock.advance(1);
    expect((await p).status).toBe(200);
  });
});

describe('test controls', () => {
  it('counters per operation name; reset; faults over HTTP', async () => {
    h = await harness();
    const s = await createAvailable(h);
    await list();
    await h.api({
      method: 'PUT',
      path: h.p(`/vpc-endpoint-services/${String(s.id)}/name`),
      body: { endpoint_service_name: 'n' },
    });
    await h.api({ method: 'GET', path: h.p('/vpc-endpoint-services'), sk: 'bad' });
    expect(h.sim.controls.counters()).toEqual({ create: 1, get: 1, list: 2, rename: 1 });
    expect((await control(h.sim.url, 'GET', '/_sim/counters')).json).toEqual({
      create: 1,
      get: 1,
      list: 2,
      rename: 1,
    });
    expect((await control(h.sim.url, 'DELETE', '/_sim/counters')).status).toBe(204);
    expect(h.sim.controls.counters()).toEqual({});
    const set = await control(h.sim.url, 'POST', '/_sim/faults', { errorCount: 2, errorKind: '504' });
    expect(set.json).toEqual({ errorCount: 2, errorKind: '504' });
    expect((await list()).status).toBe(504);
    expect((await control(h.sim.url, 'GET', '/_sim/faults')).json).toEqual({
      errorCount: 1,
      errorKind: '504',
    });
    expect((await control(h.sim.url, 'DELETE', '/_sim/faults')).status).toBe(204);
    expect((await list()).status).toBe(200);
    const bad = await control(h.sim.url, 'POST', '/_sim/faults', { errorRate: 2 });
    expect(bad.status).toBe(400);
    expect((await control(h.sim.url, 'GET', '/_sim/nothing')).status).toBe(404);
    expect((await control(h.sim.url, 'POST', '/_sim/reset')).status).toBe(204);
    expect(h.sim.controls.services()).toHaveLength(0);
    expect(h.sim.controls.counters()).toEqual({});
  });

  it('drift: PATCH /_sim/services/{id} changes a service behind the operator’s back; DELETE makes it vanish', async () => {
    h = await harness();
    const s = await createAvailable(h);
    await h.clock.advance(2000);
    const patched = await control(h.sim.url, 'PATCH', `/_sim/services/${String(s.id)}`, {
      approval_enabled: true,
      description: 'drifted',
      ports: [{ client_port: 1, server_port: 2, protocol: 'TCP' }],
      tags: [{ key: 'x', value: 'y' }],
    });
    expect(patched.status).toBe(200);
    const g = await h.api({ method: 'GET', path: h.p(`/vpc-endpoint-services/${String(s.id)}`) });
    expect(g.json).toMatchObject({
      approval_enabled: true,
      description: 'drifted',
      ports: [{ client_port: 1, server_port: 2, protocol: 'TCP' }],
      tags: [{ key: 'x', value: 'y' }],
    });
    expect(g.json.updated_at).not.toBe(s.updated_at);
    h.sim.controls.mutateService(String(s.id), {
      status: 'failed',
      error: [{ error_code: 'EndPoint.3001', error_message: 'x' }],
    });
    expect(
      (await h.api({ method: 'GET', path: h.p(`/vpc-endpoint-services/${String(s.id)}`) })).json.status,
    ).toBe('failed');
    expect((await control(h.sim.url, 'DELETE', `/_sim/services/${String(s.id)}`)).status).toBe(204);
    const gone = await h.api({ method: 'GET', path: h.p(`/vpc-endpoint-services/${String(s.id)}`) });
    expect(gone.status).toBe(404);
    expect(gone.json.error_code).toBe('EndPoint.0005');
    expect((await control(h.sim.url, 'DELETE', `/_sim/services/${uuid()}`)).json.error_code).toBe(
      'EndPoint.0005',
    );
    const listed = await call(h.sim.url, {
      method: 'GET',
      path: '/_sim/services',
      query: { project_id: PROJECT },
      unsigned: true,
    });
    expect(listed.json).toEqual({ services: [] });
  });

  it('consumer connections over HTTP, removable', async () => {
    h = await harness();
    const s = await createAvailable(h, { approval_enabled: true });
    const owner = String(h.sim.controls.services()[0]?.domain_id);
    const add = await control(h.sim.url, 'POST', `/_sim/services/${String(s.id)}/connections`, {
      domainId: owner,
      endpointId: 'ep-1',
    });
    expect(add.json).toMatchObject({ id: 'ep-1', status: 'pendingAcceptance', domain_id: owner });
    expect(
      (await control(h.sim.url, 'DELETE', `/_sim/services/${String(s.id)}/connections/ep-1`)).status,
    ).toBe(204);
    expect(
      (await h.api({ method: 'GET', path: h.p(`/vpc-endpoint-services/${String(s.id)}/connections`) })).json
        .total_count,
    ).toBe(0);
  });

  it('answers loopback peers only', async () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('127.10.0.3')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopback('10.0.0.1')).toBe(false);
    expect(isLoopback('::ffff:192.168.1.2')).toBe(false);
    expect(isLoopback(undefined)).toBe(false);
    // Only loopback traffic is allowed from tests, so the refusal of other peers is checked on the
    // predicate the /_sim/ routes use rather than by calling from a non-loopback address.
  });

  it('startSimulator on --port 0 reports a real port and closes cleanly', async () => {
    const sim = await startSimulator({ accessKey: AK, secretKey: SK, projectId: PROJECT });
    expect(sim.url).toBe(`http://127.0.0.1:${sim.port}`);
    expect(sim.port).toBeGreaterThan(0);
    await sim.close();
    const r = await call(sim.url, { method: 'GET', path: `/v1/${PROJECT}/quotas` });
    expect(r.errorCode).toBe('ECONNREFUSED');
    h = await harness();
  });
});

describe('targeted faults', () => {
  it('match hits only requests whose body contains the string; retryAfter is sent verbatim', async () => {
    h = await harness();
    h.sim.controls.setFaults({ errorRate: 1, errorKind: '429', match: 'throttle-me', retryAfter: '999999' });
    const hit = await create({ description: 'throttle-me please' });
    expect(hit.status).toBe(429);
    expect(hit.headers['retry-after']).toBe('999999');
    const miss = await create({ description: 'healthy' });
    expect(miss.status).toBe(200);
    expect(miss.headers['retry-after']).toBeUndefined();
    expect((await list()).status).toBe(200);
  });

  it('refuses a bad match or retryAfter over /_sim/faults', async () => {
    h = await harness();
    expect((await control(h.sim.url, 'POST', '/_sim/faults', { match: '' })).status).toBe(400);
    expect((await control(h.sim.url, 'POST', '/_sim/faults', { retryAfter: 5 })).status).toBe(400);
  });
});
