/**
 * The IAM password-token provider against the simulator's IAM (loopback, virtual time: client,
 * provider and simulator share one ManualClock), plus its wire format and refresh edge cases against a
 * scripted fake IAM.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PasswordTokenProvider, providerFromValues } from '../../../src/cloud/auth/index.js';
import { VpcepClient, type CallEvent } from '../../../src/cloud/client.js';
import { CloudError } from '../../../src/cloud/errors.js';
import { ManualClock } from '../../../src/util/clock.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../../src/simulator/index.js';
import { AK, PROJECT, SK } from '../simulator/helpers.js';
import { fakeIam, tokenAnswer, until, type Answer, type FakeIam } from './auth-helpers.js';

const USER = 'ops-user';
const PASSWORD = 'Pa55word-that-must-never-leak';
const DOMAIN = 'acme-account';
const HOUR = 3_600_000;

const sims: Simulator[] = [];
const closers: Array<() => void> = [];
const fakes: FakeIam[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) c();
  for (const s of sims.splice(0)) await s.close();
  for (const f of fakes.splice(0)) await f.close();
});

async function sim(clock: ManualClock, extra: Partial<SimulatorOptions> = {}): Promise<Simulator> {
  const s = await startSimulator({
    accessKey: AK,
    secretKey: SK,
    projectId: PROJECT,
    clock,
    iamUsers: [{ name: USER, password: PASSWORD, domainName: DOMAIN }],
    ...extra,
  });
  sims.push(s);
  return s;
}

function provider(
  clock: ManualClock,
  iamEndpoint: string,
  over: Partial<ConstructorParameters<typeof PasswordTokenProvider>[0]> = {},
): PasswordTokenProvider {
  const p = new PasswordTokenProvider({
    username: USER,
    password: PASSWORD,
    domainName: DOMAIN,
    projectId: PROJECT,
    iamEndpoint,
    clock,
    ...over,
  });
  closers.push(() => p.close());
  return p;
}

function client(
  clock: ManualClock,
  endpoint: string,
  p: PasswordTokenProvider,
  events: CallEvent[] = [],
): VpcepClient {
  const c = new VpcepClient({
    target: { endpoint, projectId: PROJECT },
    provider: p,
    clock: clock.driving(),
    qps: 10_000,
    burst: 10_000,
    random: () => 0.5,
    signingTime: () => clock.now(),
    onCall: (e) => events.push(e),
  });
  closers.push(() => c.close());
  return c;
}

const rejection = async (p: Promise<unknown>): Promise<CloudError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof CloudError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
};

describe('IAM password token against the simulator', () => {
  it('one token serves 100 concurrent calls (one request), sent as X-Auth-Token', async () => {
    const clock = new ManualClock(Date.now());
    const s = await sim(clock);
    const p = provider(clock, s.url);
    const c = client(clock, s.url, p);
    const results = await Promise.all(Array.from({ length: 100 }, () => c.listServices({ limit: 10 })));
    expect(results).toHaveLength(100);
    expect(s.controls.counters()['iamToken']).toBe(1);
    expect(s.controls.counters()['list']).toBe(100);
    expect(p.tokenRequests).toBe(1);
    expect(p.stats()).toEqual({ tokenRequests: 1, tokensObtained: 1, tokenFailures: 0 });
  });

  it('crossing the refresh point on the clock costs exactly one more token; before it, none', async () => {
    const clock = new ManualClock(Date.now());
    const s = await sim(clock); // tokens live 24 h: refresh at 90 % = 21.6 h
    const p = provider(clock, s.url);
    const c = client(clock, s.url, p);
    await c.listServices();
    await clock.advance(21 * HOUR);
    await Promise.all(Array.from({ length: 50 }, () => c.listServices()));
    expect(s.controls.counters()['iamToken']).toBe(1);
    await clock.advance(HOUR); // 22 h: past 21.6 h
    await Promise.all(Array.from({ length: 50 }, () => c.listServices()));
    expect(s.controls.counters()['iamToken']).toBe(2);
    // Well past the first token's expiry: still the second one, no further request.
    await clock.advance(3 * HOUR);
    await Promise.all(Array.from({ length: 20 }, () => c.listServices()));
    expect(s.controls.counters()['iamToken']).toBe(2);
    expect(p.tokenRequests).toBe(2);
  });

  it('a short-lived token is refreshed 5 min before expiry, and never on every call', async () => {
    const clock = new ManualClock(Date.now());
    const s = await sim(clock, { tokenTtlMs: 20 * 60_000 }); // 20 min: refresh at 15 min (not 18)
    const p = provider(clock, s.url);
    const c = client(clock, s.url, p);
    await c.listServices();
    await clock.advance(14 * 60_000);
    await c.listServices();
    expect(s.controls.counters()['iamToken']).toBe(1);
    await clock.advance(60_000);
    await c.listServices();
    await c.listServices();
    expect(s.controls.counters()['iamToken']).toBe(2);
  });

  it('a 401 from VPCEP drops the token, fetches one fresh token and retries once', async () => {
    const clock = new ManualClock(Date.now());
    const s = await sim(clock);
    const p = provider(clock, s.url);
    const events: CallEvent[] = [];
    const c = client(clock, s.url, p, events);
    await c.listServices();
    expect(s.iam.revokeTokens()).toBe(1);
    events.length = 0;
    await c.listServices();
    expect(s.controls.counters()['iamToken']).toBe(2);
    expect(events.map((e) => [e.httpStatus, e.code, e.final])).toEqual([
      [401, 'APIGW.0307', false],
      [200, undefined, true],
    ]);
  });

  it('gives up after the one retry when the fresh token is refused too', async () => {
    const clock = new ManualClock(Date.now());
    const iam = await sim(clock); // issues tokens the VPCEP simulator below does not know
    const vpcep = await sim(clock, { iamUsers: [] });
    const p = provider(clock, iam.url);
    const events: CallEvent[] = [];
    const c = client(clock, vpcep.url, p, events);
    const err = await rejection(c.listServices());
    expect([err.kind, err.code, err.httpStatus, err.attempts]).toEqual(['auth', 'APIGW.0301', 401, 2]);
    expect(iam.controls.counters()['iamToken']).toBe(2);
    expect(vpcep.controls.counters()['list']).toBe(2);
    expect(events.map((e) => e.final)).toEqual([false, true]);
  });

  it('a refused create is retried once after a 401 too (the gateway acted on nothing)', async () => {
    const clock = new ManualClock(Date.now());
    const s = await sim(clock);
    const p = provider(clock, s.url);
    const c = client(clock, s.url, p);
    await c.listServices();
    s.iam.revokeTokens();
    const svc = await c.createService({
      port_id: '4189d3c2-8882-4871-a3c2-d380272eed88',
      vpc_id: '4189d3c2-8882-4871-a3c2-d380272eed80',
      server_type: 'VM',
      ports: [{ client_port: 80, server_port: 80, protocol: 'TCP' }],
    });
    expect(svc.status).toBe('creating');
    expect(s.controls.counters()['create']).toBe(2);
    expect(s.controls.services()).toHaveLength(1);
  });

  it.each([
    ['keystone', 'Client.IamRefused', '(code 401 Unauthorized)'],
    ['iam', 'IAM.0001', 'IAM.0001'],
  ] as const)(
    "a wrong password (%s body) is kind auth with IAM's code, sends no VPCEP request, and is held",
    async (shape, code, text) => {
      const clock = new ManualClock(Date.now());
      const s = await sim(clock, { iamErrorShape: shape });
      const p = provider(clock, s.url, { password: 'wrong-password-value' });
      const c = client(clock, s.url, p);
      const err = await rejection(c.listServices());
      expect([err.kind, err.code, err.operation]).toEqual(['auth', code, 'listServices']);
      expect(err.message).toContain('HTTP 401');
      expect(err.message).toContain(text);
      expect(err.message).toContain(`${USER}@${DOMAIN}`);
      expect(err.httpStatus).toBeUndefined(); // IAM's status, not a VPCEP answer
      expect(s.controls.counters()['list']).toBeUndefined();
      expect(s.controls.counters()['iamTokenRefused']).toBe(1);
      // Held: ten more calls within the minute ask IAM nothing (no account lock-out by retries).
      for (let i = 0; i < 10; i++) await rejection(c.listServices());
      expect(s.controls.counters()['iamTokenRefused']).toBe(1);
      expect(p.tokenRequests).toBe(1);
      await clock.advance(61_000);
      await rejection(c.listServices());
      expect(p.tokenRequests).toBe(2);
    },
  );

  it('an unknown user is refused exactly like a wrong password', async () => {
    const clock = new ManualClock(Date.now());
    const s = await sim(clock, { iamErrorShape: 'iam' });
    const err = await rejection(
      client(clock, s.url, provider(clock, s.url, { username: 'nobody' })).listServices(),
    );
    expect([err.kind, err.code]).toEqual(['auth', 'IAM.0001']);
  });

  it('without a project id, the token is scoped by the region name and names the project', async () => {
    const clock = new ManualClock(Date.now());
    const s = await sim(clock, { region: 'cn-north-4' });
    const r = await providerFromValues(
      {
        username: USER,
        password: PASSWORD,
        domainName: DOMAIN,
        region: 'cn-north-4',
        endpoint: s.url,
        iamEndpoint: s.url,
      },
      { clock },
    );
    closers.push(() => r.provider.close?.());
    expect(r.kind).toBe('password');
    expect(r.target).toEqual({ endpoint: s.url, projectId: PROJECT, region: 'cn-north-4' });
    expect(r.identity).toBe(`${USER}@${DOMAIN}`);
    const c = new VpcepClient({
      target: r.target,
      provider: r.provider,
      clock: clock.driving(),
      signingTime: () => clock.now(),
    });
    closers.push(() => c.close());
    await c.listServices();
    expect(s.controls.counters()['iamToken']).toBe(1); // the discovery token served the call
  });
});

describe('IAM password token: wire format and edge cases (fake IAM)', () => {
  async function fake(...answers: Answer[]): Promise<FakeIam> {
    const f = await fakeIam(answers);
    fakes.push(f);
    return f;
  }

  it('sends the documented request: POST /v3/auth/tokens, password method, project scope by id, else by name', async () => {
    const clock = new ManualClock(Date.now());
    const f = await fake(tokenAnswer('tok-1', clock.now(), 24 * HOUR));
    await provider(clock, f.url).projectId();
    await provider(clock, `${f.url}/`, { projectId: undefined, region: 'cn-north-4' }).projectId();
    expect(f.received.map((r) => [r.method, r.url])).toEqual([
      ['POST', '/v3/auth/tokens?nocatalog=true'],
      ['POST', '/v3/auth/tokens?nocatalog=true'],
    ]);
    expect(f.received[0]?.headers['content-type']).toBe('application/json;charset=UTF-8');
    expect(JSON.parse(f.received[0]?.body ?? '')).toEqual({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: USER, password: PASSWORD, domain: { name: DOMAIN } } },
        },
        scope: { project: { id: PROJECT } },
      },
    });
    expect(JSON.parse(f.received[1]?.body ?? '').auth.scope).toEqual({ project: { name: 'cn-north-4' } });
  });

  it('a failed refresh keeps the still-valid token and asks IAM again only 30 s later', async () => {
    const clock = new ManualClock(Date.now());
    const f = await fake(tokenAnswer('tok-1', clock.now(), 24 * HOUR), {
      status: 503,
      body: { error_code: 'IAM.0006', error_msg: 'down' },
    });
    const vp = await startSimulator({
      accessKey: AK,
      secretKey: SK,
      projectId: PROJECT,
      clock,
      authTokens: ['tok-1'],
    });
    sims.push(vp);
    const p = provider(clock, f.url);
    const c = client(clock, vp.url, p);
    await c.listServices();
    await clock.advance(22 * HOUR);
    await c.listServices(); // refresh fails (503): the old token still serves
    await c.listServices();
    expect(f.received).toHaveLength(2);
    await clock.advance(30_000);
    await c.listServices();
    expect(f.received).toHaveLength(3);
    expect(vp.controls.counters()['list']).toBe(4);
  });

  it('IAM unreachable with no token: kind retryable, retried by the caller, nothing sent to VPCEP', async () => {
    const clock = new ManualClock(Date.now());
    const f = await fake({ status: 500, body: { error_code: 'IAM.0006', error_msg: 'An unexpected error' } });
    const vp = await startSimulator({ accessKey: AK, secretKey: SK, projectId: PROJECT, clock });
    sims.push(vp);
    const p = provider(clock, f.url);
    const c = new VpcepClient({
      target: { endpoint: vp.url, projectId: PROJECT },
      provider: p,
      clock: clock.driving(),
      maxRetries: 2,
      random: () => 0,
      signingTime: () => clock.now(),
    });
    closers.push(() => c.close());
    const err = await rejection(c.listServices());
    expect([err.kind, err.code, err.attempts]).toEqual(['retryable', 'IAM.0006', 3]);
    expect(f.received).toHaveLength(3);
    expect(vp.controls.counters()['list']).toBeUndefined();
  });

  it('an answer without X-Subject-Token or expires_at is no token', async () => {
    const clock = new ManualClock(Date.now());
    const f = await fake({ status: 201, body: { token: { expires_at: '2099-01-01T00:00:00Z' } } });
    const err = await rejection(provider(clock, f.url).projectId());
    expect([err.kind, err.code]).toEqual(['retryable', 'Client.IamInvalidResponse']);
    f.script = [{ status: 201, headers: { 'X-Subject-Token': 'tok' }, body: { token: {} } }];
    const err2 = await rejection(provider(clock, f.url).projectId());
    expect(err2.message).toContain('expires_at');
  });

  it('an aborted caller stops waiting; the shared request completes for the others', async () => {
    const clock = new ManualClock(Date.now());
    const f = await fake(tokenAnswer('tok-1', clock.now(), 24 * HOUR));
    f.hold = true;
    const p = provider(clock, f.url);
    const ac = new AbortController();
    const a = p.projectId(ac.signal);
    const b = p.projectId();
    await until(() => f.received.length === 1);
    ac.abort();
    const err = await rejection(a);
    expect(err.kind).toBe('aborted');
    f.release();
    await expect(b).resolves.toBe('proj');
    expect(f.received).toHaveLength(1);
  });

  it('invalidate with the headers of an older token keeps the newer one', async () => {
    const clock = new ManualClock(Date.now());
    const f = await fake(
      tokenAnswer('tok-1', clock.now(), 24 * HOUR),
      tokenAnswer('tok-2', clock.now(), 24 * HOUR),
    );
    const p = provider(clock, f.url);
    const req = {
      method: 'GET',
      url: new URL(f.url),
      path: '/',
      headers: {},
      body: undefined,
      projectId: PROJECT,
      date: new Date(),
    };
    const h1 = await p.authenticate(req);
    p.invalidate(h1);
    const h2 = await p.authenticate(req);
    expect([h1['X-Auth-Token'], h2['X-Auth-Token']]).toEqual(['tok-1', 'tok-2']);
    p.invalidate(h1); // a late 401 of a request made with tok-1
    expect((await p.authenticate(req))['X-Auth-Token']).toBe('tok-2');
    expect(f.received).toHaveLength(2);
  });
});
