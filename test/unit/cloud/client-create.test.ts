import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { flush } from '../../../src/util/clock.js';
import type { CallEvent, VpcepClient } from '../../../src/cloud/client.js';
import type { ManualClock } from '../../../src/util/clock.js';
import type { CreateServiceRequest } from '../../../src/cloud/wire.js';
import {
  PROJECT,
  SVC_ID,
  dropConnection,
  hang,
  makeClient,
  reply,
  startFakeCloud,
  track,
  waitFor,
  rejection,
} from './fake-cloud.js';
import type { FakeCloud, Handler } from './fake-cloud.js';

const req: CreateServiceRequest = {
  port_id: '4189d3c2-8882-4871-a3c2-d380272eed88',
  vpc_id: '4189d3c2-8882-4871-a3c2-d380272eed80',
  server_type: 'VM',
  approval_enabled: false,
  ports: [{ client_port: 8080, server_port: 90, protocol: 'TCP' }],
  tags: [{ key: 'vpcep.huaweicloud.io/owner', value: 'uid-1' }],
};
const created = { id: SVC_ID, status: 'creating', service_name: `cn-north-4.${SVC_ID}` };
const flat = (code: string) => ({ error_code: code, error_msg: 'm' });

let fake: FakeCloud;
let client: VpcepClient;
let clock: ManualClock;
let events: CallEvent[];

beforeEach(async () => {
  fake = await startFakeCloud();
  ({ client, clock, events } = makeClient(fake));
});
afterEach(async () => {
  client.close();
  await fake.close();
});

/** Gives any (wrongly) repeated request a chance to arrive before counting. */
async function settleIo(): Promise<void> {
  await flush(20);
  await new Promise((r) => setTimeout(r, 20));
}

describe('createService', () => {
  it('sends the signed body once and returns the service', async () => {
    fake.script.push(reply(200, created, { 'X-Request-Id': 'c-1' }));
    const svc = await client.createService(req);
    expect(svc).toEqual(created);
    expect(fake.seen).toHaveLength(1);
    const [s] = fake.seen;
    expect(s?.method).toBe('POST');
    expect(s?.path).toBe(`/v1/${PROJECT}/vpc-endpoint-services`);
    expect(s?.json).toEqual(req);
    expect(s?.signatureOk).toBe(true);
    expect(s?.headers['content-type']).toBe('application/json');
  });

  it('connection dropped after the request was sent → unknownOutcome, sent exactly once', async () => {
    fake.fallback = dropConnection;
    const err = await rejection(client.createService(req));
    expect(err.kind).toBe('unknownOutcome');
    expect(err.operation).toBe('createService');
    await settleIo();
    expect(fake.seen).toHaveLength(1);
    expect(fake.seen[0]?.json).toEqual(req);
    expect(events).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'error', kind: 'unknownOutcome', final: true }),
    ]);
  });

  it('timeout after the request was sent → unknownOutcome, sent exactly once', async () => {
    client.close();
    ({ client } = makeClient(fake, { timeoutMs: 100 }));
    fake.fallback = hang;
    const err = await rejection(client.createService(req));
    expect([err.kind, err.code]).toEqual(['unknownOutcome', 'ETIMEDOUT']);
    await settleIo();
    expect(fake.seen).toHaveLength(1);
  });

  it.each<[string, Handler]>([
    ['504 EndPoint.0013', reply(504, flat('EndPoint.0013'))],
    ['504 EndPoint.0011', reply(504, flat('EndPoint.0011'))],
    ['500 EndPoint.0001', reply(500, flat('EndPoint.0001'))],
    ['502 without a body', reply(502)],
    ['200 with an unreadable body', (_s, res) => res.writeHead(200).end('{"id":')],
    [
      'a response cut short',
      (_s, res) => {
        res.writeHead(200, { 'Content-Length': '500' });
        res.write('{"id":"x"');
        setTimeout(() => res.socket?.destroy(), 5);
      },
    ],
  ])('%s on create → unknownOutcome, never re-sent', async (_name, handler) => {
    fake.fallback = handler;
    const err = await rejection(client.createService(req));
    expect(err.kind).toBe('unknownOutcome');
    await settleIo();
    expect(fake.seen).toHaveLength(1);
  });

  it('throttled (429 APIGW.0308) → retried after ≥ 2 s, then succeeds', async () => {
    fake.script.push(reply(429, flat('APIGW.0308')), reply(200, created));
    const call = track(client.createService(req));
    await waitFor(() => fake.seen.length === 1 && clock.pendingTimers() === 1, 'the backoff timer');
    await clock.advance(2_000);
    expect((await call.result).id).toBe(SVC_ID);
    expect(fake.seen).toHaveLength(2);
    expect(fake.seen[1]?.body.equals(fake.seen[0]?.body ?? Buffer.alloc(0))).toBe(true);
  });

  it('throttled with Retry-After 999999 → retryable at once (the cloud did not act), one request', async () => {
    fake.fallback = reply(429, flat('APIGW.0308'), { 'Retry-After': '999999' });
    const call = track(client.createService(req));
    await waitFor(() => call.settled(), 'the rejection');
    const err = await rejection(call.result);
    expect([err.kind, err.code, err.retryAfterMs, err.throttled]).toEqual([
      'retryable',
      'APIGW.0308',
      30_000,
      true,
    ]);
    expect(clock.pendingTimers()).toBe(0);
    await settleIo();
    expect(fake.seen).toHaveLength(1);
  });

  it('throttled on 400 (EndPoint.0022) → retried', async () => {
    fake.script.push(reply(400, flat('EndPoint.0022')), reply(200, created));
    expect((await client.createService(req)).id).toBe(SVC_ID);
    expect(fake.seen).toHaveLength(2);
  });

  it('a definite retryable refusal (400 EndPoint.3001) surfaces without an internal retry', async () => {
    fake.fallback = reply(400, flat('EndPoint.3001'));
    const err = await rejection(client.createService(req));
    expect([err.kind, err.code]).toEqual(['retryable', 'EndPoint.3001']);
    await settleIo();
    expect(fake.seen).toHaveLength(1);
  });

  it('terminal errors surface after one request', async () => {
    fake.fallback = reply(400, flat('EndPoint.3044'));
    const err = await rejection(client.createService(req));
    expect([err.kind, err.code]).toEqual(['terminal', 'EndPoint.3044']);
    expect(fake.seen).toHaveLength(1);
  });

  it('connection refused before sending → retried, and the create arrives exactly once', async () => {
    // Find a free port, then leave it closed for the first attempt.
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));

    const local = makeClient(
      { ...fake, url: `http://127.0.0.1:${port}` },
      { random: () => 0.999, retryBaseMs: 1_000 },
    );
    const call = track(local.client.createService(req));
    await waitFor(
      () => local.events.length === 1 && local.clock.pendingTimers() === 1,
      'the refused attempt',
    );
    expect(local.events[0]).toMatchObject({ code: 'ECONNREFUSED', kind: 'retryable', final: false });

    const late = await startFakeCloud({ port });
    try {
      late.script.push(reply(200, created));
      await local.clock.advance(1_000);
      expect((await call.result).id).toBe(SVC_ID);
      expect(late.seen).toHaveLength(1);
      expect(late.seen[0]?.signatureOk).toBe(true);
    } finally {
      local.client.close();
      await late.close();
    }
  });

  it('connection refused on every attempt → retryable after maxRetries', async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const local = makeClient({ ...fake, url: `http://127.0.0.1:${port}` }, { maxRetries: 2 });
    const err = await rejection(local.client.createService(req));
    local.client.close();
    expect([err.kind, err.code, err.attempts]).toEqual(['retryable', 'ECONNREFUSED', 3]);
    expect(local.events).toHaveLength(3);
  });
});
