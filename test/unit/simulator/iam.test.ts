/**
 * The simulator's minimal IAM over raw HTTP: password tokens (scope by id or name, refusals in both
 * body shapes), tokens accepted on VPCEP until they expire (virtual time), the OIDC ID-token exchange,
 * the counters and the CLI flags. AK/SK verification is untouched (auth.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { parseDurationMs, parseSimulatorArgs } from '../../../src/simulator/cli.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../../src/simulator/index.js';
import { rsaKey, signJwt } from '../cloud/auth-helpers.js';
import { AK, call, PROJECT, SK } from './helpers.js';

const sims: Simulator[] = [];
afterEach(async () => {
  for (const s of sims.splice(0)) await s.close();
});

async function sim(extra: Partial<SimulatorOptions> = {}): Promise<{ s: Simulator; clock: ManualClock }> {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const s = await startSimulator({
    accessKey: AK,
    secretKey: SK,
    projectId: PROJECT,
    clock,
    region: 'cn-north-4',
    iamUsers: [{ name: 'alice', password: 'alice-password', domainName: 'acme' }],
    credentials: [{ accessKey: 'AK2', secretKey: 'SK2', projectId: 'project2' }],
    ...extra,
  });
  sims.push(s);
  return { s, clock };
}

interface Reply {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

async function post(
  base: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json;charset=utf8', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    json: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

const passwordBody = (
  o: { name?: string; password?: string; domain?: string; scope?: unknown } = {},
): unknown => ({
  auth: {
    identity: {
      methods: ['password'],
      password: {
        user: {
          name: o.name ?? 'alice',
          password: o.password ?? 'alice-password',
          domain: { name: o.domain ?? 'acme' },
        },
      },
    },
    scope: o.scope ?? { project: { id: PROJECT } },
  },
});

const listWithToken = (base: string, token: string, project = PROJECT) =>
  call(base, {
    method: 'GET',
    path: `/v1/${project}/vpc-endpoint-services`,
    unsigned: true,
    headers: { 'X-Auth-Token': token },
  });

describe('simulator IAM: password tokens', () => {
  it('issues a token in X-Subject-Token with expires_at 24 h on, usable on VPCEP for its project', async () => {
    const { s } = await sim();
    const r = await post(s.url, '/v3/auth/tokens?nocatalog=true', passwordBody());
    expect(r.status).toBe(201);
    const token = r.headers.get('x-subject-token') ?? '';
    expect(token).toMatch(/^MIIsim[A-Za-z0-9_-]+$/);
    expect(r.headers.get('x-request-id')).toBeTruthy();
    const t = r.json['token'] as Record<string, unknown>;
    expect(t['expires_at']).toBe('2026-01-02T00:00:00.000000Z');
    expect(t['issued_at']).toBe('2026-01-01T00:00:00.000000Z');
    expect(t['methods']).toEqual(['password']);
    expect(t['project']).toMatchObject({ id: PROJECT, name: 'cn-north-4' });
    expect((await listWithToken(s.url, token)).status).toBe(200);
    // Another project's path: the token is for PROJECT only.
    expect((await listWithToken(s.url, token, 'project2')).json['error_code']).toBe('EndPoint.0014');
    expect(s.controls.counters()['iamToken']).toBe(1);
  });

  it('scopes by project name (the region) and by the id of another known project', async () => {
    const { s } = await sim();
    const byName = await post(
      s.url,
      '/v3/auth/tokens',
      passwordBody({ scope: { project: { name: 'cn-north-4' } } }),
    );
    expect((byName.json['token'] as Record<string, Record<string, unknown>>)['project']?.['id']).toBe(
      PROJECT,
    );
    const other = await post(
      s.url,
      '/v3/auth/tokens',
      passwordBody({ scope: { project: { id: 'project2' } } }),
    );
    expect(other.status).toBe(201);
    expect((await listWithToken(s.url, other.headers.get('x-subject-token') ?? '', 'project2')).status).toBe(
      200,
    );
  });

  it('a wrong password and an unknown user get the same 401 (Keystone body by default, IAM.0001 on request)', async () => {
    const { s } = await sim();
    const keystone = {
      error: {
        code: 401,
        title: 'Unauthorized',
        message: 'The request you have made requires authentication.',
      },
    };
    for (const body of [
      passwordBody({ password: 'wrong' }),
      passwordBody({ name: 'mallory' }),
      passwordBody({ domain: 'other' }),
    ]) {
      const r = await post(s.url, '/v3/auth/tokens', body);
      expect([r.status, r.json, r.headers.get('x-subject-token')]).toEqual([401, keystone, null]);
    }
    const { s: s2 } = await sim({ iamErrorShape: 'iam' });
    const r = await post(s2.url, '/v3/auth/tokens', passwordBody({ password: 'wrong' }));
    expect([r.status, r.json]).toEqual([
      401,
      { error_code: 'IAM.0001', error_msg: 'The request you have made requires authentication.' },
    ]);
    expect(s.controls.counters()).toMatchObject({ iamTokenRefused: 3 });
    expect(s.controls.counters()['iamToken']).toBeUndefined();
  });

  it('a malformed body, an unscoped request or an unknown project is refused', async () => {
    const { s } = await sim();
    expect((await post(s.url, '/v3/auth/tokens', '{not json')).json).toEqual({
      error_code: 'IAM.0011',
      error_msg: 'Request body is invalid.',
    });
    expect(
      (await post(s.url, '/v3/auth/tokens', { auth: { identity: { methods: ['token'] } } })).status,
    ).toBe(400);
    const unscoped = await post(
      s.url,
      '/v3/auth/tokens',
      passwordBody({ scope: { domain: { name: 'acme' } } }),
    );
    expect([unscoped.status, unscoped.json['error_code']]).toEqual([400, 'IAM.0011']);
    expect(
      (await post(s.url, '/v3/auth/tokens', passwordBody({ scope: { project: { id: 'nope' } } }))).status,
    ).toBe(401);
  });

  it('an expired or revoked token is 401 APIGW.0307 on VPCEP; an unknown one 401 APIGW.0301', async () => {
    const { s, clock } = await sim({ tokenTtlMs: 60_000 });
    const token = (await post(s.url, '/v3/auth/tokens', passwordBody())).headers.get('x-subject-token') ?? '';
    await clock.advance(59_999);
    expect((await listWithToken(s.url, token)).status).toBe(200);
    await clock.advance(1);
    const expired = await listWithToken(s.url, token);
    expect([expired.status, expired.json['error_code'], expired.json['error_msg']]).toEqual([
      401,
      'APIGW.0307',
      'The token must be updated.',
    ]);
    const fresh = (await post(s.url, '/v3/auth/tokens', passwordBody())).headers.get('x-subject-token') ?? '';
    expect(s.iam.revokeTokens()).toBe(2);
    expect((await listWithToken(s.url, fresh)).json['error_code']).toBe('APIGW.0307');
    expect((await listWithToken(s.url, 'MIIsimUnknown')).json['error_code']).toBe('APIGW.0301');
  });

  it('AK/SK keeps working next to the IAM routes, and IAM routes need no signature', async () => {
    const { s, clock } = await sim();
    const r = await call(s.url, {
      method: 'GET',
      path: `/v1/${PROJECT}/vpc-endpoint-services`,
      now: clock.now(),
    });
    expect(r.status).toBe(200);
    expect(
      (await call(s.url, { method: 'GET', path: '/v3/auth/tokens', unsigned: true })).json['error_code'],
    ).toBe('APIGW.0101');
  });
});

describe('simulator IAM: OIDC ID-token exchange', () => {
  const key = rsaKey();
  const now = Math.floor(Date.UTC(2026, 0, 1) / 1000);
  const good = {
    iss: 'https://issuer.example',
    aud: 'client-1',
    sub: 'system:serviceaccount:ns:sa',
    exp: now + 600,
  };
  const body = (jwt: string, scope: unknown = { project: { id: PROJECT } }): unknown => ({
    auth: { id_token: { id: jwt }, scope },
  });
  const oidc = { idpId: 'idp-1', oidcIssuer: good.iss, oidcAudience: good.aud, oidcPublicKey: key.jwks };

  it('exchanges a valid JWT for a token (methods mapped, the federation user)', async () => {
    const { s } = await sim(oidc);
    const r = await post(s.url, '/v3.0/OS-AUTH/id-token/tokens', body(signJwt(good, key)), {
      'X-Idp-Id': 'idp-1',
    });
    expect(r.status).toBe(201);
    const t = r.json['token'] as Record<string, Record<string, unknown>>;
    expect(t['methods']).toEqual(['mapped']);
    expect(t['user']?.['name']).toBe(good.sub);
    expect(t['user']?.['OS-FEDERATION']).toMatchObject({
      identity_provider: { id: 'idp-1' },
      protocol: { id: 'oidc' },
    });
    expect((await listWithToken(s.url, r.headers.get('x-subject-token') ?? '')).status).toBe(200);
    expect(s.controls.counters()['iamToken']).toBe(1);
  });

  it.each([
    ['audience', { ...good, aud: 'other' }],
    ['issuer', { ...good, iss: 'https://other' }],
    ['expired', { ...good, exp: now }],
    ['not valid yet', { ...good, nbf: now + 10 }],
    ['no exp', { iss: good.iss, aud: good.aud }],
  ])('refuses a JWT with a bad %s: 401 IAM.0001', async (why, claims) => {
    const { s } = await sim(oidc);
    const r = await post(s.url, '/v3.0/OS-AUTH/id-token/tokens', body(signJwt(claims, key)), {
      'X-Idp-Id': 'idp-1',
    });
    expect([r.status, r.json['error_code']]).toEqual([401, 'IAM.0001']);
    expect(String(r.json['error_msg'])).toContain(why === 'not valid yet' ? 'not valid yet' : why);
  });

  it('checks the signature only when a key is configured', async () => {
    const forged = `${signJwt(good, key).split('.').slice(0, 2).join('.')}.AAAA`;
    const { s } = await sim(oidc);
    const r = await post(s.url, '/v3.0/OS-AUTH/id-token/tokens', body(forged), { 'X-Idp-Id': 'idp-1' });
    expect([r.status, r.json['error_code']]).toEqual([401, 'IAM.0001']);
    const { s: lax } = await sim({ ...oidc, oidcPublicKey: undefined });
    expect(
      (await post(lax.url, '/v3.0/OS-AUTH/id-token/tokens', body(forged), { 'X-Idp-Id': 'idp-1' })).status,
    ).toBe(201);
  });

  it('no X-Idp-Id is 400, an unknown one 404 IAM.0004, federation off answers 404 too', async () => {
    const { s } = await sim(oidc);
    expect((await post(s.url, '/v3.0/OS-AUTH/id-token/tokens', body(signJwt(good, key)))).status).toBe(400);
    const r = await post(s.url, '/v3.0/OS-AUTH/id-token/tokens', body(signJwt(good, key)), {
      'X-Idp-Id': 'idp-2',
    });
    expect([r.status, r.json['error_code']]).toEqual([404, 'IAM.0004']);
    const { s: off } = await sim();
    expect(
      (
        await post(off.url, '/v3.0/OS-AUTH/id-token/tokens', body(signJwt(good, key)), {
          'X-Idp-Id': 'idp-1',
        })
      ).status,
    ).toBe(404);
  });

  it('refuses federation options without issuer and audience', async () => {
    await expect(
      startSimulator({ accessKey: AK, secretKey: SK, projectId: PROJECT, idpId: 'x' }),
    ).rejects.toThrow(/oidcIssuer/);
    await expect(
      startSimulator({
        accessKey: AK,
        secretKey: SK,
        projectId: PROJECT,
        idpId: 'x',
        oidcIssuer: 'i',
        oidcAudience: 'a',
        oidcPublicKey: 'garbage',
      }),
    ).rejects.toThrow(/oidcPublicKey/);
  });
});

describe('simulator IAM: CLI flags', () => {
  const base = ['--access-key', 'AK', '--secret-key', 'SK', '--project-id', 'p'];
  it('parses --iam-user (repeatable, the password may hold colons), --token-ttl and the OIDC flags', () => {
    const o = parseSimulatorArgs(
      [
        ...base,
        '--iam-user',
        'alice:pa:ss:acme',
        '--iam-user',
        'bob:x:corp',
        '--token-ttl',
        '90m',
        '--iam-error-shape',
        'iam',
        '--idp-id',
        'idp',
        '--oidc-issuer',
        'https://i',
        '--oidc-audience',
        'aud',
      ],
      {},
    );
    expect(o).toMatchObject({
      iamUsers: [
        { name: 'alice', password: 'pa:ss', domainName: 'acme' },
        { name: 'bob', password: 'x', domainName: 'corp' },
      ],
      tokenTtlMs: 90 * 60_000,
      iamErrorShape: 'iam',
      idpId: 'idp',
      oidcIssuer: 'https://i',
      oidcAudience: 'aud',
    });
  });

  it('refuses malformed IAM flags', () => {
    expect(() => parseSimulatorArgs([...base, '--iam-user', 'alice:acme'], {})).toThrow(
      /NAME:PASSWORD:DOMAIN/,
    );
    expect(() => parseSimulatorArgs([...base, '--token-ttl', 'soon'], {})).toThrow(/--token-ttl/);
    expect(() => parseSimulatorArgs([...base, '--idp-id', 'x'], {})).toThrow(/--oidc-issuer/);
    expect(() => parseSimulatorArgs([...base, '--iam-error-shape', 'xml'], {})).toThrow(/keystone or iam/);
    expect([
      parseDurationMs('24h', 'f'),
      parseDurationMs('1h30m', 'f'),
      parseDurationMs('1500', 'f'),
    ]).toEqual([86_400_000, 5_400_000, 1500]);
  });
});
