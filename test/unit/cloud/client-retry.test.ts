import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import { flush } from '../../../src/util/clock.js';
import type { VpcepClient } from '../../../src/cloud/client.js';
import type { ManualClock } from '../../../src/util/clock.js';
import type { CallEvent } from '../../../src/cloud/client.js';
import {
  PROJECT,
  SVC_ID,
  dropConnection,
  makeClient,
  reply,
  startFakeCloud,
  track,
  waitFor,
  rejection,
} from './fake-cloud.js';
import type { FakeCloud, Handler } from './fake-cloud.js';

let fake: FakeCloud;
let client: VpcepClient;
let clock: ManualClock;
let events: CallEvent[];

const service = { id: SVC_ID, status: 'available', service_name: 'cn-north-4.svc.' + SVC_ID };
const flat = (code: string, msg = 'm') => ({ error_code: code, error_msg: msg });

beforeEach(async () => {
  fake = await startFakeCloud();
  ({ client, clock, events } = makeClient(fake));
});
afterEach(async () => {
  client.close();
  await fake.close();
});

describe('retries on retryable failures (idempotent calls)', () => {
  it.each<[string, Handler]>([
    ['400 EndPoint.0022 (throttling on 400)', reply(400, flat('EndPoint.0022'))],
    ['504 EndPoint.0013', reply(504, flat('EndPoint.0013'))],
    ['500 EndPoint.0001', reply(500, flat('EndPoint.0001'))],
    ['503 without a body', reply(503)],
    [
      '502 with an HTML body',
      (_s, res) => res.writeHead(502, { 'Content-Type': 'text/html' }).end('<html/>'),
    ],
    ['400 EndPoint.3045 (not modifiable now)', reply(400, flat('EndPoint.3045'))],
    ['400 EndPoint.2004 (service unavailable)', reply(400, flat('EndPoint.2004'))],
    ['500 nested-shape EndPoint.0001', reply(500, { error: { code: 'EndPoint.0001', message: 'x' } })],
    ['a dropped connection', dropConnection],
    ['a 200 with an unreadable body', (_s, res) => res.writeHead(200).end('{not json')],
  ])('%s → retried, then succeeds', async (_name, first) => {
    fake.script.push(first, reply(200, service));
    const got = await client.getService(SVC_ID);
    expect(got.id).toBe(SVC_ID);
    expect(fake.seen).toHaveLength(2);
    expect(fake.seen.every((s) => s.path === `/v1/${PROJECT}/vpc-endpoint-services/${SVC_ID}`)).toBe(true);
    expect(events.map((e) => [e.attempt, e.outcome, e.final])).toEqual([
      [1, 'error', false],
      [2, 'ok', true],
    ]);
  });

  it('429 APIGW.0308 waits at least 2 s of (virtual) time before retrying', async () => {
    fake.script.push(
      reply(429, { ...flat('APIGW.0308', 'throttled'), request_id: 'gw-1' }),
      reply(200, service),
    );
    const call = track(client.getService(SVC_ID));
    await waitFor(() => fake.seen.length === 1 && clock.pendingTimers() === 1, 'the backoff timer');
    await clock.advance(1_999);
    await flush();
    expect(fake.seen).toHaveLength(1);
    await clock.advance(1);
    expect((await call.result).id).toBe(SVC_ID);
    expect(fake.seen).toHaveLength(2);
    expect(events[0]).toMatchObject({
      httpStatus: 429,
      code: 'APIGW.0308',
      requestId: 'gw-1',
      kind: 'retryable',
    });
  });

  it.each([
    ['seconds', () => '3', 3_000],
    ['an HTTP date', () => new Date(Date.UTC(2026, 0, 1) + 5_000).toUTCString(), 5_000],
  ])('honours Retry-After given as %s', async (_name, value, waitMs) => {
    fake.script.push((s, res) =>
      reply(503, flat('APIGW.0201'), { 'Retry-After': value() })(s, res, undefined as never),
    );
    fake.script.push(reply(200, service));
    const call = track(client.getService(SVC_ID));
    await waitFor(() => fake.seen.length === 1 && clock.pendingTimers() === 1, 'the backoff timer');
    await clock.advance(waitMs - 1);
    await flush();
    expect(fake.seen).toHaveLength(1);
    expect(call.settled()).toBe(false);
    await clock.advance(1);
    await call.result;
    expect(fake.seen).toHaveLength(2);
  });

  it('a Retry-After of 999999 s on a GET rejects at once: no sleep, retryAfterMs capped at 30 s', async () => {
    fake.fallback = reply(503, flat('APIGW.0201'), { 'Retry-After': '999999' });
    const t0 = clock.now();
    const call = track(client.getService(SVC_ID));
    // Settles without the virtual clock moving: nothing was slept.
    await waitFor(() => call.settled(), 'the rejection');
    const err = await rejection(call.result);
    expect(clock.pendingTimers()).toBe(0);
    expect(clock.now()).toBe(t0);
    expect([err.kind, err.retryAfterMs, err.attempts, err.throttled]).toEqual([
      'retryable',
      30_000,
      1,
      false,
    ]);
    expect(err.message).toContain('not waited for inline');
    expect(fake.seen).toHaveLength(1);
    expect(events.map((e) => e.final)).toEqual([true]);
  });

  it('caps Retry-After at retryMaxMs on the error even when no retry is left', async () => {
    client.close();
    ({ client, clock, events } = makeClient(fake, { maxRetries: 0, retryMaxMs: 10_000 }));
    fake.fallback = reply(429, flat('APIGW.0308'), { 'Retry-After': '999999' });
    const err = await rejection(client.getService(SVC_ID));
    expect([err.kind, err.retryAfterMs, err.throttled]).toEqual(['retryable', 10_000, true]);
  });

  it('a long backoff without Retry-After is handed back too, with its wait', async () => {
    client.close();
    ({ client, clock, events } = makeClient(fake, {
      random: () => 0.5,
      retryBaseMs: 1_000,
      maxInlineWaitMs: 400,
    }));
    fake.fallback = reply(500, flat('EndPoint.0001'));
    const err = await rejection(client.getService(SVC_ID));
    expect([err.kind, err.code, err.retryAfterMs, err.attempts]).toEqual([
      'retryable',
      'EndPoint.0001',
      500,
      1,
    ]);
    expect(clock.pendingTimers()).toBe(0);
    expect(fake.seen).toHaveLength(1);
  });

  it('a wait of exactly maxInlineWaitMs is still slept inline', async () => {
    client.close();
    ({ client, clock, events } = makeClient(fake, { maxInlineWaitMs: 2_000 }));
    fake.script.push(reply(503, flat('APIGW.0201'), { 'Retry-After': '2' }), reply(200, service));
    const call = track(client.getService(SVC_ID));
    await waitFor(() => fake.seen.length === 1 && clock.pendingTimers() === 1, 'the backoff timer');
    await clock.advance(2_000);
    expect((await call.result).id).toBe(SVC_ID);
    expect(fake.seen).toHaveLength(2);
  });

  it('uses full-jitter exponential backoff between attempts', async () => {
    client.close();
    ({ client, clock, events } = makeClient(fake, {
      random: () => 0.5,
      retryBaseMs: 1_000,
      retryMaxMs: 3_000,
    }));
    fake.script.push(reply(500, flat('EndPoint.0001')), reply(500, flat('EndPoint.0001')));
    fake.script.push(reply(500, flat('EndPoint.0001')), reply(200, service));
    const call = track(client.getService(SVC_ID));
    // Delays: 0.5·min(3000, 1000·2^n) = 500, 1000, 1500.
    for (const [delay, n] of [
      [500, 1],
      [1_000, 2],
      [1_500, 3],
    ] as const) {
      await waitFor(() => fake.seen.length === n && clock.pendingTimers() === 1, `attempt ${n}`);
      await clock.advance(delay - 1);
      await flush();
      expect(fake.seen).toHaveLength(n);
      await clock.advance(1);
    }
    await call.result;
    expect(fake.seen).toHaveLength(4);
  });

  it('gives up after maxRetries with kind retryable and the attempt count', async () => {
    fake.fallback = reply(500, flat('EndPoint.0001'), { 'X-Request-Id': 'req-last' });
    const err = await rejection(client.getService(SVC_ID));
    expect(err.kind).toBe('retryable');
    expect(err.code).toBe('EndPoint.0001');
    expect(err.httpStatus).toBe(500);
    expect(err.attempts).toBe(4);
    expect(err.requestId).toBe('req-last');
    expect(fake.seen).toHaveLength(4);
    expect(events.map((e) => e.final)).toEqual([false, false, false, true]);
  });

  it('retries PUT, DELETE and tag actions too', async () => {
    fake.script.push(reply(400, flat('EndPoint.0022')), reply(200, service));
    await client.updateService(SVC_ID, { description: 'd' });
    fake.script.push(reply(503), reply(204));
    await client.deleteService(SVC_ID);
    fake.script.push(dropConnection, reply(204));
    await client.tagAction(SVC_ID, 'create', [{ key: 'k', value: 'v' }]);
    expect(fake.seen.map((s) => s.method)).toEqual(['PUT', 'PUT', 'DELETE', 'DELETE', 'POST', 'POST']);
  });
});

describe('no retry on terminal classes', () => {
  it.each([
    [400, 'EndPoint.3044', 'terminal'],
    [400, 'Endpoint.1018', 'terminal'],
    [400, 'EndPoint.0002', 'terminal'],
    [400, 'EndPoint.3049', 'terminal'],
    [404, 'EndPoint.0005', 'notFound'],
    [404, 'APIGW.0101', 'terminal'],
    [404, 'EndPoint.4012', 'terminal'],
    [401, 'APIGW.0301', 'auth'],
    [403, 'EndPoint.0004', 'auth'],
    [400, 'EndPoint.3006', 'inUse'],
  ] as const)('HTTP %i %s → %s after one request', async (status, code, kind) => {
    fake.fallback = reply(status, flat(code, 'cloud says no'), { 'X-Request-Id': 'req-42' });
    const err = await rejection(client.deleteService(SVC_ID));
    expect(err.kind).toBe(kind);
    expect(err.code).toBe(code);
    expect(err.httpStatus).toBe(status);
    expect(err.requestId).toBe('req-42');
    expect(err.operation).toBe('deleteService');
    expect(err.message).toContain('cloud says no');
    expect(fake.seen).toHaveLength(1);
    expect(events).toEqual([
      expect.objectContaining({
        operation: 'deleteService',
        method: 'DELETE',
        httpStatus: status,
        code,
        attempt: 1,
      }),
    ]);
  });
});

describe('error bodies and request ids', () => {
  it('parses the nested error shape', async () => {
    fake.fallback = reply(400, { error: { code: 'EndPoint.0002', message: 'Parameter error.' } });
    const err = await rejection(client.getService(SVC_ID));
    expect([err.kind, err.code, err.message]).toEqual([
      'terminal',
      'EndPoint.0002',
      expect.stringContaining('Parameter error.'),
    ]);
  });

  it('takes the request id from the gateway body when the header is absent', async () => {
    fake.fallback = reply(401, {
      error_code: 'APIGW.0303',
      error_msg: 'Incorrect app authentication',
      request_id: 'gw-77',
    });
    const err = await rejection(client.getService(SVC_ID));
    expect([err.kind, err.code, err.requestId]).toEqual(['auth', 'APIGW.0303', 'gw-77']);
  });

  it('prefers the X-Request-Id header, and reports it on success events', async () => {
    fake.script.push(reply(200, service, { 'X-Request-Id': 'ok-1' }));
    await client.getService(SVC_ID);
    expect(events).toEqual([
      expect.objectContaining({
        operation: 'getService',
        httpStatus: 200,
        requestId: 'ok-1',
        outcome: 'ok',
        final: true,
      }),
    ]);
  });

  it('a throwing onCall hook does not break the call', async () => {
    client.close();
    ({ client, clock } = makeClient(fake, {
      onCall: () => {
        throw new Error('metrics down');
      },
    }));
    fake.script.push(reply(200, service));
    expect((await client.getService(SVC_ID)).id).toBe(SVC_ID);
  });
});
