/**
 * The client's endpoint operations against a scripted fake cloud: what goes on the wire (paths,
 * bodies, query), the id checks in both directions, answers for the wrong endpoint, the create's
 * non-idempotent rules, and cancellation.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VpcepClient } from '../../../src/cloud/client.js';
import type { CallEvent } from '../../../src/cloud/client.js';
import type { CreateEndpointRequest } from '../../../src/cloud/wire.js';
import { dropConnection, makeClient, rejection, reply, startFakeCloud, uuidFor } from './fake-cloud.js';
import type { FakeCloud } from './fake-cloud.js';

let fake: FakeCloud;
let client: VpcepClient;
let events: CallEvent[];

const EP = uuidFor(1);
const SVC = uuidFor(2);
const OTHER = uuidFor(3);
const req: CreateEndpointRequest = {
  endpoint_service_id: SVC,
  vpc_id: uuidFor(4),
  subnet_id: uuidFor(5),
  enable_dns: true,
};

beforeEach(async () => {
  fake = await startFakeCloud();
  ({ client, events } = makeClient(fake));
});
afterEach(async () => {
  client.close();
  await fake.close();
});

describe('what goes on the wire', () => {
  it('create posts the body once to /vpc-endpoints and returns the endpoint', async () => {
    fake.fallback = reply(200, { id: EP, status: 'creating', endpoint_service_id: SVC, marker_id: 7 });
    const ep = await client.createEndpoint(req);
    expect(ep).toMatchObject({ id: EP, status: 'creating', marker_id: 7 });
    expect(fake.seen.map((s) => [s.method, s.path, s.json, s.signatureOk])).toEqual([
      ['POST', '/v1/proj-1/vpc-endpoints', req, true],
    ]);
  });

  it('the whitelist PUT sends only whitelist and enable_whitelist, in the wire names', async () => {
    fake.fallback = reply(200, { id: EP, whitelist: ['10.0.0.0/8'], enable_whitelist: true });
    await client.updateEndpointWhitelist(EP, { whitelist: ['10.0.0.0/8'], enableWhitelist: true });
    await client.updateEndpointWhitelist(EP, { enableWhitelist: false });
    expect(fake.seen.map((s) => [s.method, s.path, s.json])).toEqual([
      ['PUT', `/v1/proj-1/vpc-endpoints/${EP}`, { whitelist: ['10.0.0.0/8'], enable_whitelist: true }],
      ['PUT', `/v1/proj-1/vpc-endpoints/${EP}`, { enable_whitelist: false }],
    ]);
  });

  it('route tables, policy, delete and tag paths', async () => {
    fake.script.push(
      reply(200, { routetables: [uuidFor(9)] }),
      reply(200, { id: EP, policy_statement: [] }),
      reply(200, { id: EP }),
      reply(204),
      reply(204),
    );
    expect(await client.updateEndpointRouteTables(EP, [uuidFor(9)])).toEqual({ routetables: [uuidFor(9)] });
    await client.updateEndpointPolicy(EP, {
      policy_statement: [{ Effect: 'Allow', Action: ['a'], Resource: ['r'] }],
    });
    await client.deleteEndpointPolicy(EP);
    await client.deleteEndpoint(EP);
    await client.endpointTagAction(EP, 'create', [{ key: 'k', value: 'v' }]);
    expect(fake.seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      `PUT /v1/proj-1/vpc-endpoints/${EP}/routetables`,
      `PUT /v1/proj-1/vpc-endpoints/${EP}/policy`,
      `DELETE /v1/proj-1/vpc-endpoints/${EP}/policy`,
      `DELETE /v1/proj-1/vpc-endpoints/${EP}`,
      `POST /v1/proj-1/endpoint/${EP}/tags/action`,
    ]);
    expect(fake.seen[0]?.json).toEqual({ routetables: [uuidFor(9)] });
  });

  it('listAllEndpoints pages by 1000 with the filters; tag queries send limit/offset as strings', async () => {
    const first = Array.from({ length: 1000 }, (_, i) => ({ id: uuidFor(100 + i) }));
    fake.script.push(
      reply(200, { endpoints: first, total_count: 1001 }),
      reply(200, { endpoints: [{ id: uuidFor(5000) }], total_count: 1001 }),
      reply(200, { resources: [{ resource_id: EP, resource_name: EP, tags: [] }], total_count: 1 }),
    );
    const all = await client.listAllEndpoints({ vpc_id: uuidFor(4) });
    expect(all).toHaveLength(1001);
    expect(fake.seen.slice(0, 2).map((s) => Object.fromEntries(s.query))).toEqual([
      { vpc_id: uuidFor(4), limit: '1000', offset: '0' },
      { vpc_id: uuidFor(4), limit: '1000', offset: '1000' },
    ]);
    expect(await client.queryEndpointsByTags({ tags: [{ key: 'k', values: [] }] })).toHaveLength(1);
    expect([fake.seen[2]?.path, fake.seen[2]?.json]).toEqual([
      '/v1/proj-1/endpoint/resource_instances/action',
      { tags: [{ key: 'k', values: [] }], action: 'filter', limit: '1000', offset: '0' },
    ]);
  });
});

describe('ids: checked before sending, and in every answer', () => {
  it.each([
    ['a non-UUID endpoint id in the path', () => client.getEndpoint('../x')],
    [
      'a non-UUID service id in a create',
      () => client.createEndpoint({ ...req, endpoint_service_id: 'svc' }),
    ],
    ['a non-UUID subnet id in a create', () => client.createEndpoint({ ...req, subnet_id: '..' })],
    ['a non-UUID route table in a create', () => client.createEndpoint({ ...req, routetables: ['rtb-1'] })],
    ['a non-UUID route table in an update', () => client.updateEndpointRouteTables(EP, [uuidFor(1), 'x'])],
    ['a non-UUID id in a tag action', () => client.endpointTagAction('a/b', 'create', [])],
  ])('%s → terminal Client.InvalidId, nothing sent', async (_what, call) => {
    const err = await rejection(call());
    expect([err.kind, err.code, err.attempts]).toEqual(['terminal', 'Client.InvalidId', 0]);
    expect(fake.seen).toHaveLength(0);
  });

  it('a create answered 200 with a non-UUID id → unknownOutcome after one send', async () => {
    fake.fallback = reply(200, { id: 'ep-1', status: 'creating' });
    const err = await rejection(client.createEndpoint(req));
    expect([err.kind, err.code]).toEqual(['unknownOutcome', 'Client.InvalidResponse']);
    expect(fake.seen).toHaveLength(1);
  });

  it.each([
    ['endpoint_service_id', { endpoint_service_id: '../svc' }],
    ['vpc_id', { vpc_id: 'vpc-1' }],
    ['routetables', { routetables: ['rtb'] }],
    ['dns_names', { dns_names: [42] }],
    ['marker_id', { marker_id: 'm' }],
  ])('a GET whose %s is malformed → retryable Client.InvalidResponse', async (_f, extra) => {
    client.close();
    ({ client } = makeClient(fake, { maxRetries: 0 }));
    fake.fallback = reply(200, { id: EP, ...extra });
    const err = await rejection(client.getEndpoint(EP));
    expect([err.kind, err.code]).toEqual(['retryable', 'Client.InvalidResponse']);
  });

  it('a GET or update answered for another endpoint is refused; the right answer after a retry is used', async () => {
    fake.script.push(reply(200, { id: OTHER }), reply(200, { id: EP, status: 'accepted' }));
    expect((await client.getEndpoint(EP)).status).toBe('accepted');
    expect(events.map((e) => [e.outcome, e.code])).toEqual([
      ['error', 'Client.InvalidResponse'],
      ['ok', undefined],
    ]);
    client.close();
    ({ client } = makeClient(fake, { maxRetries: 0 }));
    fake.fallback = reply(200, { id: OTHER });
    const err = await rejection(client.updateEndpointWhitelist(EP, { whitelist: [] }));
    expect(err.message).toContain(`asked for endpoint "${EP}" and got "${OTHER}"`);
  });

  it('a list item with a non-UUID id fails the list', async () => {
    client.close();
    ({ client } = makeClient(fake, { maxRetries: 0 }));
    fake.fallback = reply(200, { endpoints: [{ id: EP }, { id: 'x' }], total_count: 2 });
    expect((await rejection(client.listEndpoints())).code).toBe('Client.InvalidResponse');
  });
});

describe('the create is not idempotent; the rest is retried', () => {
  it('a connection lost after sending → unknownOutcome, sent exactly once', async () => {
    fake.fallback = dropConnection;
    const err = await rejection(client.createEndpoint(req));
    expect(err.kind).toBe('unknownOutcome');
    expect(fake.seen).toHaveLength(1);
  });

  it('504 EndPoint.0013 → unknownOutcome, once; throttling (400 EndPoint.0022) → retried', async () => {
    fake.script.push(reply(504, { error_code: 'EndPoint.0013', error_msg: 'timeout' }));
    expect((await rejection(client.createEndpoint(req))).kind).toBe('unknownOutcome');
    expect(fake.seen).toHaveLength(1);
    fake.script.push(
      reply(400, { error_code: 'EndPoint.0022', error_msg: 'throttled' }),
      reply(200, { id: EP, status: 'creating' }),
    );
    expect((await client.createEndpoint(req)).id).toBe(EP);
    expect(fake.seen).toHaveLength(3);
  });

  it('a 500 on a GET is retried; 404 EndPoint.0005 is notFound; 2012 is terminal', async () => {
    fake.script.push(reply(500, { error_code: 'EndPoint.0001', error_msg: 'x' }), reply(200, { id: EP }));
    expect((await client.getEndpoint(EP)).id).toBe(EP);
    fake.script.push(reply(404, { error_code: 'EndPoint.0005', error_msg: 'gone' }));
    expect((await rejection(client.deleteEndpoint(EP))).kind).toBe('notFound');
    fake.script.push(reply(400, { error_code: 'EndPoint.2012', error_msg: 'not whitelisted' }));
    expect((await rejection(client.createEndpoint(req))).kind).toBe('terminal');
  });

  it('an aborted signal stops the call before anything is sent', async () => {
    const ac = new AbortController();
    ac.abort();
    const err = await rejection(client.listEndpoints({}, { signal: ac.signal }));
    expect([err.kind, err.code]).toEqual(['aborted', 'Client.Aborted']);
    expect((await rejection(client.createEndpoint(req, { signal: ac.signal }))).kind).toBe('aborted');
    expect(fake.seen).toHaveLength(0);
  });
});
