/**
 * Cancellation: `opts.signal` reaches every cloud call, wherever it waits (before starting, for a
 * limiter token, during the HTTP exchange, in a backoff sleep), and an aborted call never retries.
 * Correctness never depends on timing: waits are on a ManualClock, and real time is used only to let
 * loopback I/O arrive (`waitFor`).
 */
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import { ManualClock, flush } from '../../../src/util/clock.js';
import { TokenBucket } from '../../../src/util/token-bucket.js';
import { ABORTED_CODE } from '../../../src/cloud/client.js';
import type { CallEvent, CallOptions, VpcepClient } from '../../../src/cloud/client.js';
import { HttpTransport, TransportError } from '../../../src/cloud/transport.js';
import type { CreateServiceRequest } from '../../../src/cloud/wire.js';
import {
  PROJECT,
  SVC_ID,
  hang,
  makeClient,
  reply,
  startFakeCloud,
  track,
  uuidFor,
  waitFor,
  rejection,
} from './fake-cloud.js';
import type { FakeCloud, Handler } from './fake-cloud.js';

const createReq: CreateServiceRequest = {
  port_id: '4189d3c2-8882-4871-a3c2-d380272eed88',
  vpc_id: '4189d3c2-8882-4871-a3c2-d380272eed80',
  server_type: 'VM',
  ports: [{ client_port: 8080, server_port: 90, protocol: 'TCP' }],
};
const service = { id: SVC_ID, status: 'available', service_name: `cn-north-4.${SVC_ID}` };
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

/** A handler that never answers and records when the server side of its connection closes. */
function hangWatchingClose(): { handler: Handler; closed: () => boolean } {
  let closed = false;
  return {
    handler: (_s, _res, req) => {
      if (req.socket.destroyed) closed = true;
      else req.socket.once('close', () => void (closed = true));
    },
    closed: () => closed,
  };
}

describe('abort during the HTTP exchange', () => {
  it('a GET the server never answers rejects `aborted` at once; one request; the socket is closed', async () => {
    const watch = hangWatchingClose();
    fake.script.push(watch.handler);
    const ac = new AbortController();
    const call = track(client.getService(SVC_ID, { signal: ac.signal }));
    await waitFor(() => fake.seen.length === 1, 'the request to arrive');
    await settleIo();
    expect(call.settled()).toBe(false);

    const reason = new Error('reconcile timeout');
    ac.abort(reason);
    // Settles without the virtual clock moving and long before the 3 s request deadline.
    await waitFor(() => call.settled(), 'the rejection', 1_000);
    const err = await rejection(call.result);
    expect([err.kind, err.code, err.operation, err.attempts]).toEqual([
      'aborted',
      ABORTED_CODE,
      'getService',
      1,
    ]);
    expect(err.httpStatus).toBeUndefined();
    expect(err.message).toContain('reconcile timeout');
    expect(err.cause).toBe(reason);
    await waitFor(() => watch.closed(), 'the server to see the connection close', 1_000);
    await settleIo();
    expect(fake.seen).toHaveLength(1);
    expect(clock.pendingTimers()).toBe(0);
    expect(events).toEqual([
      expect.objectContaining({
        operation: 'getService',
        attempt: 1,
        outcome: 'error',
        kind: 'aborted',
        code: ABORTED_CODE,
        final: true,
      }),
    ]);
    expect(events[0]?.httpStatus).toBeUndefined();

    // The aborted socket was not returned to the pool: the next call works on a fresh one.
    fake.script.push(reply(200, service));
    expect((await client.getService(SVC_ID)).id).toBe(SVC_ID);
  });

  it('a create aborted while in flight rejects `unknownOutcome` (it may have been applied), sent once', async () => {
    const watch = hangWatchingClose();
    fake.script.push(watch.handler);
    const ac = new AbortController();
    const call = track(client.createService(createReq, { signal: ac.signal }));
    await waitFor(() => fake.seen.length === 1, 'the request to arrive');
    ac.abort();
    await waitFor(() => call.settled(), 'the rejection', 1_000);
    const err = await rejection(call.result);
    expect([err.kind, err.code, err.attempts]).toEqual(['unknownOutcome', ABORTED_CODE, 1]);
    expect(err.message).toContain('may have been applied');
    await waitFor(() => watch.closed(), 'the server to see the connection close', 1_000);
    await clock.advance(60_000);
    await settleIo();
    expect(fake.seen).toHaveLength(1);
    expect(fake.seen[0]?.method).toBe('POST');
    expect(events).toEqual([
      expect.objectContaining({ operation: 'createService', kind: 'unknownOutcome', final: true }),
    ]);
  });

  it('an answer that completed before the abort is used as usual', async () => {
    const ac = new AbortController();
    fake.script.push(reply(200, service));
    const got = await client.getService(SVC_ID, { signal: ac.signal });
    ac.abort();
    expect(got.id).toBe(SVC_ID);
    expect(events.map((e) => e.outcome)).toEqual(['ok']);
  });

  it('leaves no abort listener behind on the signal after calls end (success, retry, error)', async () => {
    const ac = new AbortController();
    const opts: CallOptions = { signal: ac.signal };
    fake.script.push(reply(200, service), reply(503), reply(200, service), reply(400, flat('EndPoint.0002')));
    await client.getService(SVC_ID, opts);
    await client.getService(SVC_ID, opts);
    await rejection(client.getService(SVC_ID, opts));
    expect(fake.seen).toHaveLength(4);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });
});

describe('abort before anything is sent', () => {
  const id = SVC_ID;
  const everyMethod: Array<[string, (c: VpcepClient, o: CallOptions) => Promise<unknown>]> = [
    ['createService', (c, o) => c.createService(createReq, o)],
    ['getService', (c, o) => c.getService(id, o)],
    ['listServices', (c, o) => c.listServices({}, o)],
    ['listAllServices', (c, o) => c.listAllServices({}, o)],
    ['updateService', (c, o) => c.updateService(id, { description: 'd' }, o)],
    ['renameService', (c, o) => c.renameService(id, 'n', o)],
    ['deleteService', (c, o) => c.deleteService(id, o)],
    ['describeService', (c, o) => c.describeService({ id }, o)],
    ['getQuotas', (c, o) => c.getQuotas(undefined, o)],
    ['tagAction', (c, o) => c.tagAction(id, 'create', [{ key: 'k', value: 'v' }], o)],
    ['queryByTags', (c, o) => c.queryByTags({}, o)],
    ['countByTags', (c, o) => c.countByTags({}, o)],
    ['listPermissions', (c, o) => c.listPermissions(id, o)],
    ['permissionAction', (c, o) => c.permissionAction(id, 'add', ['iam:domain::abc'], undefined, o)],
    ['listConnections', (c, o) => c.listConnections(id, {}, o)],
    ['connectionAction', (c, o) => c.connectionAction(id, 'receive', uuidFor(7), o)],
  ];

  it.each(everyMethod)(
    '%s with an already-aborted signal rejects `aborted`: no token, no request, no event',
    async (_name, invoke) => {
      client.close();
      const bucket = new TokenBucket(1, 1, clock);
      ({ client, clock, events } = makeClient(fake, { clock, limiter: bucket }));
      const ac = new AbortController();
      ac.abort();
      const err = await rejection(invoke(client, { signal: ac.signal }));
      // Even the create: nothing was sent, so nothing can have been applied.
      expect([err.kind, err.code, err.attempts]).toEqual(['aborted', ABORTED_CODE, 0]);
      expect(events).toEqual([]);
      await settleIo();
      expect(fake.seen).toHaveLength(0);
      // The bucket's only token is still there: a call goes out without the clock moving.
      fake.script.push(reply(200, service));
      const next = track(client.getService(SVC_ID));
      await waitFor(() => next.settled(), 'an immediate call');
      expect(clock.pendingTimers()).toBe(0);
      expect(fake.seen).toHaveLength(1);
    },
  );

  it('abort while waiting for a limiter token (bucket empty) rejects without sending; the token is given back', async () => {
    client.close();
    const bucket = new TokenBucket(1, 1, clock);
    ({ client, clock, events } = makeClient(fake, { clock, limiter: bucket }));
    fake.script.push(reply(200, service));
    await client.getService(SVC_ID); // takes the only token
    events.length = 0;

    const ac = new AbortController();
    const waiting = track(client.createService(createReq, { signal: ac.signal }));
    await waitFor(() => clock.pendingTimers() === 1, 'the limiter wait');
    await clock.advance(400);
    expect(waiting.settled()).toBe(false);
    ac.abort();
    const err = await rejection(waiting.result);
    expect([err.kind, err.code, err.attempts]).toEqual(['aborted', ABORTED_CODE, 0]);
    expect(err.message).toContain('rate-limit token');
    expect(clock.pendingTimers()).toBe(0);
    await settleIo();
    expect(fake.seen).toHaveLength(1);
    expect(events).toEqual([
      expect.objectContaining({
        operation: 'createService',
        attempt: 1,
        outcome: 'error',
        kind: 'aborted',
        code: ABORTED_CODE,
        final: true,
        durationMs: 400,
      }),
    ]);

    // Given back: one second after the first call the bucket holds a whole token again.
    await clock.advance(600);
    fake.script.push(reply(200, service));
    const next = track(client.getService(SVC_ID));
    await waitFor(() => next.settled(), 'an immediate call');
    expect(fake.seen).toHaveLength(2);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('the transport rejects an already-aborted request without connecting', async () => {
    const transport = new HttpTransport();
    const ac = new AbortController();
    ac.abort();
    try {
      await transport.send({
        method: 'GET',
        url: new URL(`${fake.url}/v1/${PROJECT}/vpc-endpoint-services`),
        headers: {},
        timeoutMs: 1_000,
        signal: ac.signal,
      });
      expect.fail('expected a rejection');
    } catch (e) {
      expect(e).toBeInstanceOf(TransportError);
      const te = e as TransportError;
      expect([te.aborted, te.mayHaveBeenSent, te.code]).toEqual([true, false, 'ABORT_ERR']);
    } finally {
      transport.close();
    }
    await settleIo();
    expect(fake.seen).toHaveLength(0);
  });
});

describe('abort during a backoff sleep', () => {
  it('first attempt 500, abort while the retry timer is pending → `aborted`, no second request', async () => {
    client.close();
    ({ client, clock, events } = makeClient(fake, { random: () => 0.5, retryBaseMs: 1_000 }));
    fake.script.push(reply(500, flat('EndPoint.0001')), reply(200, service));
    const ac = new AbortController();
    const call = track(client.getService(SVC_ID, { signal: ac.signal }));
    await waitFor(() => fake.seen.length === 1 && clock.pendingTimers() === 1, 'the backoff timer');
    await clock.advance(200);
    ac.abort();
    const err = await rejection(call.result);
    expect([err.kind, err.code, err.attempts]).toEqual(['aborted', ABORTED_CODE, 1]);
    expect(err.message).toContain('backoff');
    // The cloud's 500 is not carried over onto the abort (it would read as a server error).
    expect(err.httpStatus).toBeUndefined();
    expect(clock.pendingTimers()).toBe(0);
    await clock.advance(60_000);
    await settleIo();
    expect(fake.seen).toHaveLength(1);
    expect(events.map((e) => [e.attempt, e.kind, e.httpStatus, e.final])).toEqual([
      [1, 'retryable', 500, false],
      [2, 'aborted', undefined, true],
    ]);
    expect(events[1]?.durationMs).toBe(200);
  });

  it('a throttled create aborted in its backoff is `aborted`, not `unknownOutcome` (the cloud did not act)', async () => {
    fake.script.push(reply(429, flat('APIGW.0308')), reply(200, service));
    const ac = new AbortController();
    const call = track(client.createService(createReq, { signal: ac.signal }));
    await waitFor(() => fake.seen.length === 1 && clock.pendingTimers() === 1, 'the backoff timer');
    ac.abort();
    const err = await rejection(call.result);
    expect([err.kind, err.code, err.attempts]).toEqual(['aborted', ABORTED_CODE, 1]);
    await clock.advance(60_000);
    await settleIo();
    expect(fake.seen).toHaveLength(1);
  });

  it('an abort between attempts with no backoff at all (jitter 0) still ends the call before a resend', async () => {
    const ac = new AbortController();
    client.close();
    // The hook runs after attempt 1 is classified and before attempt 2 would start.
    ({ client, clock, events } = makeClient(fake, {
      onCall: (e) => {
        events.push(e);
        if (e.attempt === 1) ac.abort();
      },
    }));
    fake.script.push(reply(500, flat('EndPoint.0001')), reply(200, service));
    const err = await rejection(client.getService(SVC_ID, { signal: ac.signal }));
    expect([err.kind, err.code, err.attempts]).toEqual(['aborted', ABORTED_CODE, 1]);
    await settleIo();
    expect(fake.seen).toHaveLength(1);
    expect(events.map((e) => [e.attempt, e.kind, e.final])).toEqual([
      [1, 'retryable', false],
      [2, 'aborted', true],
    ]);
  });
});

describe('paginating calls stop at the page where they were aborted', () => {
  const full = (n: number, offset: number) => Array.from({ length: n }, (_, i) => uuidFor(offset + i + 1));

  it.each<[string, (c: VpcepClient, o: CallOptions) => Promise<unknown>, (page: string[]) => unknown]>([
    [
      'queryByTags',
      (c, o) => c.queryByTags({ tags: [{ key: 'k', values: ['v'] }] }, o),
      (ids) => ({ resources: ids.map((resource_id) => ({ resource_id })), total_count: 2500 }),
    ],
    [
      'listAllServices',
      (c, o) => c.listAllServices({}, o),
      (ids) => ({ endpoint_services: ids.map((id) => ({ id })), total_count: 2500 }),
    ],
  ])('%s: page 1 answered, page 2 hangs, abort → `aborted`, no page 3', async (_name, invoke, page) => {
    fake.script.push(reply(200, page(full(1000, 0))), hang);
    const ac = new AbortController();
    const call = track(invoke(client, { signal: ac.signal }));
    await waitFor(() => fake.seen.length === 2, 'the second page request');
    ac.abort();
    await waitFor(() => call.settled(), 'the rejection', 1_000);
    const err = await rejection(call.result);
    expect([err.kind, err.code]).toEqual(['aborted', ABORTED_CODE]);
    fake.fallback = reply(200, page(full(500, 2000)));
    await clock.advance(60_000);
    await settleIo();
    expect(fake.seen).toHaveLength(2);
    expect(events.map((e) => [e.outcome, e.kind, e.final])).toEqual([
      ['ok', undefined, true],
      ['error', 'aborted', true],
    ]);
  });
});

describe('a ManualClock is enough: no real-time wait decides the outcome', () => {
  it('an abort during a backoff of 30 s settles without advancing the clock', async () => {
    client.close();
    clock = new ManualClock();
    ({ client, clock, events } = makeClient(fake, { clock, maxInlineWaitMs: 60_000 }));
    fake.script.push(reply(503, flat('APIGW.0201'), { 'Retry-After': '30' }));
    const ac = new AbortController();
    const t0 = clock.now();
    const call = track(client.getService(SVC_ID, { signal: ac.signal }));
    await waitFor(() => fake.seen.length === 1 && clock.pendingTimers() === 1, 'the backoff timer');
    ac.abort();
    const err = await rejection(call.result);
    expect(err.kind).toBe('aborted');
    expect(clock.now()).toBe(t0);
  });
});
