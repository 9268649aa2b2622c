/**
 * Workload identity: a projected ServiceAccount token (a JWT signed here, RS256) exchanged at the
 * simulator's IAM through the OIDC identity provider, verified against its JWKS or PEM key.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  providerFromValues,
  WorkloadIdentityProvider,
  type IdTokenFileReader,
} from '../../../src/cloud/auth/index.js';
import { VpcepClient } from '../../../src/cloud/client.js';
import { CloudError } from '../../../src/cloud/errors.js';
import { ManualClock } from '../../../src/util/clock.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../../src/simulator/index.js';
import { AK, PROJECT, SK } from '../simulator/helpers.js';
import { fakeIam, rsaKey, signJwt, tokenAnswer, type FakeIam, type SigningKey } from './auth-helpers.js';

const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const AUDIENCE = 'vpcep-operator-client';
const IDP = 'cce-cluster-idp';
const key: SigningKey = rsaKey();
const otherKey: SigningKey = rsaKey('other');

const sims: Simulator[] = [];
const closers: Array<() => void> = [];
const fakes: FakeIam[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) c();
  for (const s of sims.splice(0)) await s.close();
  for (const f of fakes.splice(0)) await f.close();
});

/** An in-memory token file: `version` changes with every write. */
function memFile(initial: string): IdTokenFileReader & { write(v: string): void; reads: number } {
  let value = initial;
  let version = 1;
  const f = {
    reads: 0,
    write(v: string) {
      value = v;
      version++;
    },
    version: () => Promise.resolve(String(version)),
    read: () => {
      f.reads++;
      return Promise.resolve(value);
    },
  };
  return f;
}

function jwt(clock: ManualClock, over: Record<string, unknown> = {}, k: SigningKey = key): string {
  const now = Math.floor(clock.now() / 1000);
  return signJwt(
    {
      iss: ISSUER,
      aud: [AUDIENCE],
      sub: 'system:serviceaccount:vpcep-system:vpcep-operator',
      iat: now,
      exp: now + 3600,
      ...over,
    },
    k,
  );
}

async function sim(clock: ManualClock, extra: Partial<SimulatorOptions> = {}): Promise<Simulator> {
  const s = await startSimulator({
    accessKey: AK,
    secretKey: SK,
    projectId: PROJECT,
    clock,
    idpId: IDP,
    oidcIssuer: ISSUER,
    oidcAudience: AUDIENCE,
    oidcPublicKey: key.jwks,
    ...extra,
  });
  sims.push(s);
  return s;
}

function provider(
  clock: ManualClock,
  iamEndpoint: string,
  reader: IdTokenFileReader,
  over: Record<string, unknown> = {},
): WorkloadIdentityProvider {
  const p = new WorkloadIdentityProvider({
    idpId: IDP,
    idTokenFile: 'tokens/vpcep-token',
    projectId: PROJECT,
    iamEndpoint,
    clock,
    reader,
    ...over,
  });
  closers.push(() => p.close());
  return p;
}

function client(clock: ManualClock, endpoint: string, p: WorkloadIdentityProvider): VpcepClient {
  const c = new VpcepClient({
    target: { endpoint, projectId: PROJECT },
    provider: p,
    clock: clock.driving(),
    signingTime: () => clock.now(),
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

describe('workload identity against the simulator', () => {
  it('a JWT signed by the cluster key (JWKS) is exchanged once for many calls', async () => {
    const clock = new ManualClock(Date.now());
    const s = await sim(clock);
    const p = provider(clock, s.url, memFile(jwt(clock)));
    const c = client(clock, s.url, p);
    await Promise.all(Array.from({ length: 20 }, () => c.listServices()));
    expect(s.controls.counters()['iamToken']).toBe(1);
    expect(p.identity).toBe(`idp:${IDP}`);
  });

  it('a PEM public key works as well as a JWKS', async () => {
    const clock = new ManualClock(Date.now());
    const s = await sim(clock, { oidcPublicKey: key.pem });
    await client(clock, s.url, provider(clock, s.url, memFile(jwt(clock)))).listServices();
    expect(s.controls.counters()['iamToken']).toBe(1);
  });

  it.each([
    ['a wrong audience', (c: ManualClock) => jwt(c, { aud: 'someone-else' }), 'audience'],
    ['a wrong issuer', (c: ManualClock) => jwt(c, { iss: 'https://evil.example' }), 'issuer'],
    ['another key', (c: ManualClock) => jwt(c, {}, otherKey), 'signature'],
    ['an expired JWT', (c: ManualClock) => jwt(c, { exp: Math.floor(c.now() / 1000) - 1 }), 'expired'],
  ])('%s is refused: kind auth IAM.0001, the JWT in no message', async (_what, make, why) => {
    const clock = new ManualClock(Date.now());
    const s = await sim(clock);
    const token = make(clock);
    const err = await rejection(client(clock, s.url, provider(clock, s.url, memFile(token))).listServices());
    expect([err.kind, err.code]).toEqual(['auth', 'IAM.0001']);
    expect(err.message).toContain(why);
    expect(err.message).not.toContain(token);
    expect(err.message).not.toContain(token.split('.')[2] ?? 'x');
    expect(s.controls.counters()['iamToken']).toBeUndefined();
    expect(s.controls.counters()['list']).toBeUndefined();
  });

  it('an unknown identity provider is 404 IAM.0004', async () => {
    const clock = new ManualClock(Date.now());
    const s = await sim(clock);
    const err = await rejection(
      provider(clock, s.url, memFile(jwt(clock)), { idpId: 'other-idp' }).projectId(),
    );
    expect([err.kind, err.code, err.httpStatus]).toEqual(['auth', 'IAM.0004', 404]);
  });

  it('a missing or garbled token file is kind auth naming the path, never the content', async () => {
    const clock = new ManualClock(Date.now());
    const s = await sim(clock);
    const gone: IdTokenFileReader = {
      version: () => Promise.reject(Object.assign(new Error('nope'), { code: 'ENOENT' })),
      read: () => Promise.reject(new Error('unreachable')),
    };
    const err = await rejection(provider(clock, s.url, gone).projectId());
    expect([err.kind, err.code]).toEqual(['auth', 'Client.IdTokenUnreadable']);
    expect(err.message).toContain('tokens/vpcep-token');
    expect(err.message).toContain('ENOENT');
    const garbled = 'not-a-jwt-but-a-secret-value';
    const err2 = await rejection(
      provider(clock, s.url, memFile(garbled), { authFailureHoldMs: 0 }).projectId(),
    );
    expect(err2.message).toContain('does not hold a JWT');
    expect(err2.message).not.toContain(garbled);
  });

  it('providerFromValues builds it from idpId + idTokenFile and learns the project by region name', async () => {
    const clock = new ManualClock(Date.now());
    const s = await sim(clock, { region: 'ap-southeast-3' });
    const r = await providerFromValues(
      { idpId: IDP, idTokenFile: 'token', region: 'ap-southeast-3', endpoint: s.url, iamEndpoint: s.url },
      { clock, reader: memFile(jwt(clock)) },
    );
    closers.push(() => r.provider.close?.());
    expect([r.kind, r.target.projectId, r.identity]).toEqual(['workloadIdentity', PROJECT, `idp:${IDP}`]);
  });
});

describe('workload identity: wire format and file rotation (fake IAM)', () => {
  it('sends POST /v3.0/OS-AUTH/id-token/tokens with X-Idp-Id and the documented body', async () => {
    const clock = new ManualClock(Date.now());
    const f = await fakeIam([tokenAnswer('fed-1', clock.now(), 24 * 3_600_000)]);
    fakes.push(f);
    const token = jwt(clock);
    await provider(clock, f.url, memFile(token)).projectId();
    expect(f.received.map((r) => [r.method, r.url, r.headers['x-idp-id']])).toEqual([
      ['POST', '/v3.0/OS-AUTH/id-token/tokens', IDP],
    ]);
    expect(JSON.parse(f.received[0]?.body ?? '')).toEqual({
      auth: { id_token: { id: token }, scope: { project: { id: PROJECT } } },
    });
  });

  it('re-reads the token file only when it changed, so a rotated JWT is used for the next token', async () => {
    const clock = new ManualClock(Date.now());
    const f = await fakeIam([
      tokenAnswer('fed-1', clock.now(), 3_600_000),
      tokenAnswer('fed-2', clock.now() + 3_600_000, 3_600_000),
    ]);
    fakes.push(f);
    const file = memFile(jwt(clock, { jti: 'one' }));
    const p = provider(clock, f.url, file);
    const req = {
      method: 'GET',
      url: new URL(f.url),
      path: '/',
      headers: {},
      body: undefined,
      projectId: PROJECT,
      date: new Date(),
    };
    await p.authenticate(req);
    p.invalidate();
    await p.authenticate(req); // same file: not read again
    expect(file.reads).toBe(1);
    const rotated = jwt(clock, { jti: 'two' });
    file.write(rotated);
    p.invalidate();
    await p.authenticate(req);
    expect(file.reads).toBe(2);
    expect(JSON.parse(f.received[2]?.body ?? '').auth.id_token.id).toBe(rotated);
  });

  it('reads a real file and notices when it is rewritten', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vpcep-idtoken-'));
    try {
      const path = join(dir, 'token');
      const clock = new ManualClock(Date.now());
      const f = await fakeIam([tokenAnswer('fed-1', clock.now(), 3_600_000)]);
      fakes.push(f);
      const first = jwt(clock, { jti: 'first-token' });
      await writeFile(path, `${first}\n`);
      const p = new WorkloadIdentityProvider({
        idpId: IDP,
        idTokenFile: path,
        projectId: PROJECT,
        iamEndpoint: f.url,
        clock,
      });
      closers.push(() => p.close());
      const req = {
        method: 'GET',
        url: new URL(f.url),
        path: '/',
        headers: {},
        body: undefined,
        projectId: PROJECT,
        date: new Date(),
      };
      await p.authenticate(req);
      const second = jwt(clock, { jti: 'second-token-with-a-longer-id' });
      await writeFile(path, second);
      p.invalidate();
      await p.authenticate(req);
      expect(f.received.map((r) => JSON.parse(r.body).auth.id_token.id)).toEqual([first, second]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
