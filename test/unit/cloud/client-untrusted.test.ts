/**
 * "Treat everything the cloud returns as untrusted" and "never let an id leave the project path":
 * id checks in both directions, answers for the wrong resource, redirects, 431 and header bytes Node
 * refuses.
 */
import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import { Caller } from '../../../src/cloud/caller.js';
import { AkSkProvider } from '../../../src/cloud/auth/aksk.js';
import { VpcepClient } from '../../../src/cloud/client.js';
import type { CallEvent } from '../../../src/cloud/client.js';
import { ManualClock } from '../../../src/util/clock.js';
import { TokenBucket } from '../../../src/util/token-bucket.js';
import { HttpTransport, TransportError } from '../../../src/cloud/transport.js';
import type { CreateServiceRequest } from '../../../src/cloud/wire.js';
import {
  PROJECT,
  SECRET_KEY,
  SVC_ID,
  makeClient,
  rejection,
  reply,
  startFakeCloud,
  uuidFor,
} from './fake-cloud.js';
import type { FakeCloud } from './fake-cloud.js';

let fake: FakeCloud;
let client: VpcepClient;
let events: CallEvent[];

const OTHER_ID = uuidFor(99);
const createReq: CreateServiceRequest = {
  port_id: '4189d3c2-8882-4871-a3c2-d380272eed88',
  vpc_id: '4189d3c2-8882-4871-a3c2-d380272eed80',
  server_type: 'VM',
  approval_enabled: false,
  ports: [{ client_port: 8080, server_port: 90, protocol: 'TCP' }],
};

/** A limiter that counts the tokens asked of it. */
class CountingBucket extends TokenBucket {
  taken = 0;
  override take(signal?: AbortSignal): Promise<void> {
    this.taken++;
    return super.take(signal);
  }
}

beforeEach(async () => {
  fake = await startFakeCloud();
  ({ client, events } = makeClient(fake));
});
afterEach(async () => {
  client.close();
  await fake.close();
});

describe('ids in answers must be UUIDs', () => {
  it.each(['', '../x', 'svc-1', `${SVC_ID}/../x`])(
    'a create answered 200 with id %j → unknownOutcome, never a resolved value, sent once',
    async (id) => {
      fake.fallback = reply(200, { id, status: 'creating' });
      const err = await rejection(client.createService(createReq));
      expect([err.kind, err.code, err.httpStatus]).toEqual(['unknownOutcome', 'Client.InvalidResponse', 200]);
      expect(err.message).toContain('not a valid id');
      expect(fake.seen).toHaveLength(1);
    },
  );

  it('a GET answered with id "../x" → retryable after every attempt, never resolved', async () => {
    fake.fallback = reply(200, { id: '../x', status: 'available' });
    const err = await rejection(client.getService(SVC_ID));
    expect([err.kind, err.code, err.attempts]).toEqual(['retryable', 'Client.InvalidResponse', 4]);
    expect(err.message).toContain('"../x"');
    expect(fake.seen).toHaveLength(4);
  });

  it('a list item, a tag-query match or a connection with a non-UUID id fails the call', async () => {
    client.close();
    ({ client } = makeClient(fake, { maxRetries: 0 }));
    fake.script.push(reply(200, { endpoint_services: [{ id: SVC_ID }, { id: '../../x' }], total_count: 2 }));
    await expect(client.listAllServices()).rejects.toMatchObject({
      kind: 'retryable',
      code: 'Client.InvalidResponse',
    });
    fake.script.push(reply(200, { resources: [{ resource_id: 'r0', tags: [] }], total_count: 1 }));
    await expect(client.queryByTags({ tags: [{ key: 'k', values: ['v'] }] })).rejects.toMatchObject({
      kind: 'retryable',
      code: 'Client.InvalidResponse',
    });
    fake.script.push(reply(200, { connections: [{ id: 'ep-1', status: 'pendingAcceptance' }] }));
    await expect(client.listConnections(SVC_ID)).rejects.toMatchObject({
      kind: 'retryable',
      code: 'Client.InvalidResponse',
    });
    fake.script.push(reply(200, { connections: [{ id: '..', status: 'accepted' }] }));
    await expect(client.connectionAction(SVC_ID, 'receive', OTHER_ID)).rejects.toMatchObject({
      kind: 'retryable',
      code: 'Client.InvalidResponse',
    });
    expect(fake.seen).toHaveLength(4);
  });
});

describe('a get or update answers for the id asked for', () => {
  it('getService answered for another id → retryable Client.InvalidResponse naming both ids', async () => {
    fake.fallback = reply(200, { id: OTHER_ID, status: 'available' });
    const err = await rejection(client.getService(SVC_ID));
    expect([err.kind, err.code, err.httpStatus, err.attempts]).toEqual([
      'retryable',
      'Client.InvalidResponse',
      200,
      4,
    ]);
    expect(err.message).toMatch(new RegExp(`asked for service "${SVC_ID}" and got "${OTHER_ID}"`));
  });

  it('a wrong answer is retried, and the right one then returned', async () => {
    fake.script.push(reply(200, { id: OTHER_ID }), reply(200, { id: SVC_ID, status: 'available' }));
    expect((await client.getService(SVC_ID)).id).toBe(SVC_ID);
    expect(events.map((e) => [e.outcome, e.code])).toEqual([
      ['error', 'Client.InvalidResponse'],
      ['ok', undefined],
    ]);
  });

  it('UUIDs compare case-insensitively', async () => {
    fake.fallback = reply(200, { id: SVC_ID, status: 'available' });
    expect((await client.getService(SVC_ID.toUpperCase())).id).toBe(SVC_ID);
  });

  it('updateService answered for another id → retryable Client.InvalidResponse', async () => {
    client.close();
    ({ client } = makeClient(fake, { maxRetries: 0 }));
    fake.fallback = reply(200, { id: OTHER_ID });
    const err = await rejection(client.updateService(SVC_ID, { description: 'd' }));
    expect([err.kind, err.code]).toEqual(['retryable', 'Client.InvalidResponse']);
    expect(err.message).toContain(`asked for service "${SVC_ID}" and got "${OTHER_ID}"`);
  });
});

describe('ids going out must be UUIDs', () => {
  const bad = '../../../x';
  const calls: Array<[string, (c: VpcepClient, id: string) => Promise<unknown>]> = [
    ['getService', (c, id) => c.getService(id)],
    ['updateService', (c, id) => c.updateService(id, { description: 'd' })],
    ['renameService', (c, id) => c.renameService(id, 'n')],
    ['deleteService', (c, id) => c.deleteService(id)],
    ['tagAction', (c, id) => c.tagAction(id, 'create', [{ key: 'k', value: 'v' }])],
    ['listPermissions', (c, id) => c.listPermissions(id)],
    ['permissionAction', (c, id) => c.permissionAction(id, 'add', ['iam:domain::d'])],
    ['listConnections', (c, id) => c.listConnections(id)],
    ['connectionAction', (c, id) => c.connectionAction(id, 'receive', SVC_ID)],
    ['connectionAction', (c, id) => c.connectionAction(SVC_ID, 'receive', id)],
  ];

  it.each(calls)('%s refuses a non-UUID id: terminal, no request, no limiter token', async (op, run) => {
    const limiter = new CountingBucket(1000, 1000, new ManualClock());
    const local = makeClient(fake, { limiter });
    try {
      for (const id of [bad, '', '..', '%2e%2e', 'a/b', `${SVC_ID}/..`, 'x?y=1', 'svc-1']) {
        const err = await rejection(run(local.client, id));
        expect([err.kind, err.code, err.operation]).toEqual(['terminal', 'Client.InvalidId', op]);
        expect(err.message).toContain(op);
        expect(err.message).toContain(`${JSON.stringify(id)} is not a valid id`);
      }
      expect(fake.seen).toHaveLength(0);
      expect(limiter.taken).toBe(0);
      expect(local.events).toHaveLength(0);
    } finally {
      local.client.close();
    }
  });

  it('rejects (never throws synchronously), so callers can rely on the promise', () => {
    let p: Promise<unknown> | undefined;
    expect(() => (p = client.getService('../x'))).not.toThrow();
    return expect(p).rejects.toMatchObject({ code: 'Client.InvalidId' });
  });

  it('quotes the id JSON-escaped and cut to about 80 characters', async () => {
    const id = `evil\r\nX-Injected: 1 ${'y'.repeat(300)}`;
    const err = await rejection(client.getService(id));
    expect(err.message).not.toContain('\r\n');
    expect(err.message).toContain('"evil\\r\\nX-Injected: 1 ');
    expect(err.message).not.toContain('y'.repeat(100));
    expect(err.message.length).toBeLessThan(250);
  });

  it('a "../" id never leaves the project path (encoding alone would not stop it)', async () => {
    // What the id check defends against: the URL parser resolves dot segments, encoded or not.
    const escape = (p: string) => new URL(`${fake.url}/v1/${PROJECT}/vpc-endpoint-services/${p}`).pathname;
    expect(escape('../../other-project/vpc-endpoint-services')).toBe(
      '/v1/other-project/vpc-endpoint-services',
    );
    expect(escape('%2e%2e/%2e%2e/x')).toBe('/v1/x');

    fake.fallback = reply(200, { id: SVC_ID });
    for (const id of ['../../other-project/vpc-endpoint-services', '%2e%2e/%2e%2e/x', '..', '.']) {
      await expect(client.getService(id)).rejects.toMatchObject({ code: 'Client.InvalidId' });
      await expect(client.deleteService(id)).rejects.toMatchObject({ code: 'Client.InvalidId' });
    }
    expect(fake.seen).toHaveLength(0);
    // A valid id still goes, to exactly the project's path.
    await client.getService(SVC_ID);
    expect(fake.seen.map((s) => s.path)).toEqual([`/v1/${PROJECT}/vpc-endpoint-services/${SVC_ID}`]);
  });

  it('the caller itself refuses a path with dot segments (second line of defence)', async () => {
    const clock = new ManualClock();
    const limiter = new CountingBucket(1000, 1000, clock);
    const caller = new Caller({
      target: { endpoint: fake.url, projectId: PROJECT },
      provider: new AkSkProvider({ accessKey: 'test-ak', secretKey: SECRET_KEY }),
      clock,
      random: () => 0,
      limiter,
      timeoutMs: 3_000,
      maxRetries: 3,
      retryBaseMs: 500,
      retryMaxMs: 30_000,
      maxInlineWaitMs: 5_000,
      signingTime: () => clock.now(),
      onCall: undefined,
      userAgent: 'test',
    });
    try {
      for (const path of ['/vpc-endpoint-services/../../x', '/a/./b', '/..']) {
        const err = await rejection(
          caller.call({ operation: 'raw', method: 'GET', path, idempotent: true, decode: () => undefined }),
        );
        expect([err.kind, err.code, err.operation]).toEqual(['terminal', 'Client.InvalidId', 'raw']);
      }
      expect(fake.seen).toHaveLength(0);
      expect(limiter.taken).toBe(0);
    } finally {
      caller.close();
    }
  });
});

describe('the project id must be safe for the path', () => {
  it.each(['../x', 'a/b', 'x'.repeat(65), 'p q', 'p\n', 'prøj', '%2e%2e'])(
    'the constructor refuses project id %j',
    (projectId) => {
      expect(
        () =>
          new VpcepClient({
            target: { endpoint: fake.url, projectId },
            credentials: { accessKey: 'ak', secretKey: 'sk' },
          }),
      ).toThrow(/project id .* is invalid/);
    },
  );

  it('accepts 1-64 of [A-Za-z0-9_-]', () => {
    for (const projectId of ['p', 'Proj_1-x', 'x'.repeat(64)])
      new VpcepClient({
        target: { endpoint: fake.url, projectId },
        credentials: { accessKey: 'ak', secretKey: 'sk' },
      }).close();
  });
});

describe('odd answers get clear verdicts', () => {
  it.each([301, 302, 303, 307, 308])(
    'HTTP %i → terminal Client.Redirect naming the Location, never followed',
    async (status) => {
      const location = `${fake.url}/v1/${PROJECT}/vpc-endpoint-services/${SVC_ID}?moved=1`;
      fake.script.push(reply(status, undefined, { Location: location, 'X-Request-Id': 'r-3xx' }));
      fake.fallback = reply(200, { id: SVC_ID });
      const err = await rejection(client.getService(SVC_ID));
      expect([err.kind, err.code, err.httpStatus, err.requestId]).toEqual([
        'terminal',
        'Client.Redirect',
        status,
        'r-3xx',
      ]);
      expect(err.message).toContain(`HTTP ${status}`);
      expect(err.message).toContain(JSON.stringify(location));
      expect(err.message).toContain('VPCEP_ENDPOINT');
      expect(err.message).toContain('region');
      expect(fake.seen).toHaveLength(1);
    },
  );

  it('a 3xx without Location, even one with a JSON body, is no success (also for delete and create)', async () => {
    fake.fallback = reply(302, { id: SVC_ID, status: 'available' });
    const get = await rejection(client.getService(SVC_ID));
    expect([get.kind, get.code]).toEqual(['terminal', 'Client.Redirect']);
    expect(get.message).toContain('without a Location header');
    await expect(client.deleteService(SVC_ID)).rejects.toMatchObject({ code: 'Client.Redirect' });
    const create = await rejection(client.createService(createReq));
    expect([create.kind, create.code]).toEqual(['terminal', 'Client.Redirect']);
    expect(fake.seen).toHaveLength(3);
  });

  it('HTTP 431 → auth Client.HeaderTooLarge, not retried (GET and create)', async () => {
    fake.fallback = reply(431);
    const get = await rejection(client.getService(SVC_ID));
    expect([get.kind, get.code, get.httpStatus]).toEqual(['auth', 'Client.HeaderTooLarge', 431]);
    expect(get.message).toContain('request headers were too large');
    expect(get.message).toContain('malformed access key or security token');
    const create = await rejection(client.createService(createReq));
    expect([create.kind, create.code]).toEqual(['auth', 'Client.HeaderTooLarge']);
    expect(fake.seen).toHaveLength(2);
  });

  it.each([
    ['an access key with CR/LF', { accessKey: 'ak\r\nX-Evil: 1', secretKey: SECRET_KEY }],
    [
      'a security token with a character above U+00FF',
      { accessKey: 'ak', secretKey: SECRET_KEY, securityToken: 'tok€n' },
    ],
  ])('%s that reaches the transport → auth Client.InvalidHeader, nothing sent', async (_n, credentials) => {
    const local = makeClient(fake, { credentials });
    try {
      const get = await rejection(local.client.getService(SVC_ID));
      expect([get.kind, get.code, get.attempts]).toEqual(['auth', 'Client.InvalidHeader', 1]);
      expect(get.message).not.toContain('X-Evil');
      expect(get.message).not.toContain('tok€n');
      expect(get.cause).toBeUndefined();
      // Not an unknown outcome: the create certainly did not go out.
      const create = await rejection(local.client.createService(createReq));
      expect([create.kind, create.code]).toEqual(['auth', 'Client.InvalidHeader']);
      expect(fake.seen).toHaveLength(0);
      expect(local.events.map((e) => [e.kind, e.code, e.final])).toEqual([
        ['auth', 'Client.InvalidHeader', true],
        ['auth', 'Client.InvalidHeader', true],
      ]);
    } finally {
      local.client.close();
    }
  });
});

describe('transport: a request Node refuses to build', () => {
  it('rejects with a TransportError (Node code, not sent, no header value in the message)', async () => {
    const transport = new HttpTransport();
    try {
      const err: unknown = await transport
        .send({
          method: 'GET',
          url: new URL(`${fake.url}/x`),
          headers: { 'X-Security-Token': 'SECRET\r\nX-Evil: 1' },
          timeoutMs: 1_000,
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransportError);
      const te = err as TransportError;
      expect([te.code, te.mayHaveBeenSent, te.responseStarted, te.timedOut]).toEqual([
        'ERR_INVALID_CHAR',
        false,
        false,
        false,
      ]);
      expect(te.message).not.toContain('SECRET');
      expect(te.cause).toBeUndefined();
      expect(fake.seen).toHaveLength(0);
    } finally {
      transport.close();
    }
  });
});
