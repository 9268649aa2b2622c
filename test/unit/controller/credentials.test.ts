/**
 * The credential resolver: which provider a Secret (or the environment) selects, one client per
 * credential fingerprint, one token per provider (against the simulator's IAM on loopback, virtual
 * time), limiters by identity, clients closed when dropped, the Secret versions the gate compares, and
 * messages that name keys, never values.
 */
import { ApiException, type V1Secret } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { VpcEndpointService } from '../../../src/api/types.js';
import {
  AkSkProvider,
  PasswordTokenProvider,
  WorkloadIdentityProvider,
  type IdTokenFileReader,
} from '../../../src/cloud/auth/index.js';
import { VpcepClient, type VpcepClientProviderOptions } from '../../../src/cloud/client.js';
import { CloudError } from '../../../src/cloud/errors.js';
import {
  CredentialResolver,
  CredentialsCloudError,
  CredentialsError,
  type CredentialResolverOptions,
} from '../../../src/controller/credentials.js';
import { ManualClock } from '../../../src/util/clock.js';
import { startSimulator, type Simulator } from '../../../src/simulator/index.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const PROJECT = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const USER = 'deployer';
const PASSWORD = 'Pa55-unit-never-in-a-message';
const DOMAIN = 'acme';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A resolver over an in-memory Secret store; records every client it builds and every close. */
function rig(
  defaults: CredentialResolverOptions['defaults'] = {},
  extra: Partial<CredentialResolverOptions> = {},
) {
  const secrets = new Map<string, V1Secret>();
  const built: VpcepClientProviderOptions[] = [];
  const clients: VpcepClient[] = [];
  const closed: VpcepClient[] = [];
  const reads: string[] = [];
  const clock = new ManualClock();
  const resolver = new CredentialResolver({
    core: {
      readNamespacedSecret: async ({ namespace, name }: { namespace: string; name: string }) => {
        reads.push(`${namespace}/${name}`);
        const s = secrets.get(`${namespace}/${name}`);
        if (!s) throw new ApiException(404, 'not found', '', {});
        return s;
      },
    } as CredentialResolverOptions['core'],
    defaults,
    endpointOverride: 'http://127.0.0.1:1',
    qps: 10_000,
    burst: 10_000,
    clock,
    makeClient: (o) => {
      built.push(o);
      const c = new VpcepClient(o);
      const close = c.close.bind(c);
      c.close = () => {
        closed.push(c);
        close();
      };
      clients.push(c);
      return c;
    },
    ...extra,
  });
  cleanups.push(() => resolver.close());
  const setSecret = (ns: string, name: string, data: Record<string, string>) =>
    secrets.set(`${ns}/${name}`, {
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
    });
  return { resolver, built, clients, closed, reads, setSecret, clock };
}

function cr(
  ns: string,
  secret?: string,
  extra: Partial<VpcEndpointService['spec']> = {},
  name = 'x',
): VpcEndpointService {
  return {
    apiVersion: 'vpcep.huaweicloud.io/v1alpha1',
    kind: 'VpcEndpointService',
    metadata: { name, namespace: ns, uid: `uid-${name}` },
    spec: {
      portId: 'p',
      vpcId: 'v',
      serverType: 'VM',
      ports: [{ clientPort: 1, serverPort: 1 }],
      ...(secret ? { credentialsSecretRef: { name: secret } } : {}),
      ...extra,
    },
  };
}

const failure = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );

async function simulator(clock: ManualClock, tokenTtlMs = 20_000): Promise<Simulator> {
  const sim = await startSimulator({
    accessKey: 'SIM-AK',
    secretKey: 'SIM-SK',
    projectId: PROJECT,
    clock,
    tokenTtlMs,
    iamUsers: [{ name: USER, password: PASSWORD, domainName: DOMAIN }],
  });
  cleanups.push(() => sim.close());
  return sim;
}

describe('CredentialResolver: the shape of the credentials selects the provider', () => {
  it('uses the operator defaults (an access key) when the resource names no Secret', async () => {
    const r = rig({ accessKey: 'AK', secretKey: 'SK', projectId: 'p1', region: 'cn-north-4' });
    const { source, projectId } = await r.resolver.resolve(cr('a'));
    expect(source).toMatch(/operator environment/);
    expect(projectId).toBe('p1');
    expect(r.built[0]?.provider).toBeInstanceOf(AkSkProvider);
    expect(r.built[0]?.provider.identity).toBe('AK');
    expect(r.built[0]?.target).toMatchObject({ projectId: 'p1', endpoint: 'http://127.0.0.1:1' });
  });

  it('a Secret with accessKey/secretKey/securityToken/securityTokenExpiresAt is temporary AK/SK with that expiry', async () => {
    const r = rig({ projectId: 'p1', region: 'cn-north-4' });
    r.setSecret('a', 'temp', {
      accessKey: 'TEMP-AK',
      secretKey: 'TEMP-SK',
      securityToken: 'TEMP-TOKEN',
      securityTokenExpiresAt: '2026-01-01T00:10:00Z',
    });
    await r.resolver.resolve(cr('a', 'temp'));
    const p = r.built[0]?.provider as AkSkProvider;
    expect(p).toBeInstanceOf(AkSkProvider);
    expect(p.temporary).toBe(true);
    expect(p.expiresAt).toBe(Date.UTC(2026, 0, 1, 0, 10));
  });

  it('expired temporary credentials: the call fails kind auth naming the expiry, nothing is sent', async () => {
    const r = rig({ projectId: 'p1', region: 'cn-north-4' });
    r.setSecret('a', 'temp', {
      accessKey: 'TEMP-AK',
      secretKey: 'TEMP-SK-never-shown',
      securityToken: 'TEMP-TOKEN-never-shown',
      securityTokenExpiresAt: '2025-12-31T23:00:00Z',
    });
    const { client } = await r.resolver.resolve(cr('a', 'temp'));
    const e = (await failure(client.getQuotas())) as CloudError;
    expect(e).toBeInstanceOf(CloudError);
    // Port 1 refuses connections: a request sent would have been a retryable transport error.
    expect(e).toMatchObject({ kind: 'auth', code: 'Client.CredentialsExpired' });
    expect(e.message).toContain('2025-12-31T23:00:00.000Z');
    expect(e.message).not.toMatch(/never-shown/);
  });

  it('a Secret with username/password/domainName is an IAM user (password token)', async () => {
    const r = rig({ projectId: PROJECT, region: 'cn-north-4', iamEndpoint: 'http://127.0.0.1:2' });
    r.setSecret('a', 'user', { username: USER, password: PASSWORD, domainName: DOMAIN });
    const { source } = await r.resolver.resolve(cr('a', 'user'));
    expect(source).toBe('Secret a/user');
    expect(r.built[0]?.provider).toBeInstanceOf(PasswordTokenProvider);
    expect(r.built[0]?.provider.identity).toBe(`${USER}@${DOMAIN}`);
  });

  it('workload identity from the environment: HUAWEICLOUD_SDK_IDP_ID + HUAWEICLOUD_SDK_ID_TOKEN_FILE', async () => {
    const reader: IdTokenFileReader = { version: async () => '1', read: async () => 'a.b.c' };
    const r = rig(
      {
        idpId: 'cce-idp',
        idTokenFile: '/var/run/secrets/tokens/vpcep',
        projectId: PROJECT,
        region: 'cn-north-4',
      },
      { reader },
    );
    const { source } = await r.resolver.resolve(cr('a'));
    expect(source).toContain('workload identity');
    expect(r.built[0]?.provider).toBeInstanceOf(WorkloadIdentityProvider);
    expect(r.built[0]?.provider.identity).toBe('idp:cce-idp');
  });

  it('a Secret of no known shape is CredentialsMissing listing the accepted shapes and the keys found', async () => {
    const r = rig({ projectId: 'p1', region: 'cn-north-4' });
    r.setSecret('a', 'odd', { token: 'tok-value-hidden', idpId: 'x', idTokenFile: '/etc/passwd' });
    const e = (await failure(r.resolver.resolve(cr('a', 'odd')))) as CredentialsError;
    expect(e).toBeInstanceOf(CredentialsError);
    expect(e.transient).toBe(false);
    expect(e.message).toBe(
      'Secret a/odd holds no cloud credentials of a known shape (keys: idTokenFile, idpId, token): ' +
        'expected the keys accessKey + secretKey [+ securityToken, securityTokenExpiresAt] (an access key), ' +
        'or username + password + domainName (an IAM user); either with optional projectId, region',
    );
    expect(r.built).toHaveLength(0);
  });

  it('a Secret mixing two shapes is refused, naming the keys of each', async () => {
    const r = rig({ projectId: 'p1', region: 'cn-north-4' });
    r.setSecret('a', 'mixed', { accessKey: 'AK', secretKey: 'SK-hidden', password: PASSWORD });
    const e = (await failure(r.resolver.resolve(cr('a', 'mixed')))) as CredentialsError;
    expect(e.message).toMatch(
      /^Secret a\/mixed mixes the keys of an access key \(accessKey, secretKey\) and an IAM user \(password\): expected/,
    );
    expect(e.message).not.toContain(PASSWORD);
    expect(e.message).not.toContain('SK-hidden');
  });

  it('names the Secret and the missing key, never a value', async () => {
    const r = rig({ projectId: 'p1', region: 'cn-north-4' });
    r.setSecret('a', 'partial', { accessKey: 'AK-visible', secretKey: '' });
    const err = await r.resolver.resolve(cr('a', 'partial')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialsError);
    expect((err as CredentialsError).message).toBe('Secret a/partial has no key secretKey');
    r.setSecret('a', 'user', { username: USER, domainName: DOMAIN });
    const user = await r.resolver.resolve(cr('a', 'user')).catch((e: unknown) => e);
    expect((user as CredentialsError).message).toBe('Secret a/user has no key password');
    const missing = await r.resolver.resolve(cr('a', 'absent')).catch((e: unknown) => e);
    expect((missing as CredentialsError).message).toBe('Secret a/absent not found');
    expect((missing as CredentialsError).transient).toBe(false);
  });

  it('a malformed securityTokenExpiresAt is refused, naming the key', async () => {
    const r = rig({ projectId: 'p1', region: 'cn-north-4' });
    r.setSecret('a', 'temp', {
      accessKey: 'AK',
      secretKey: 'SK',
      securityToken: 'T',
      securityTokenExpiresAt: 'tomorrow',
    });
    const e = (await failure(r.resolver.resolve(cr('a', 'temp')))) as CredentialsError;
    expect(e.message).toBe(
      'invalid cloud credential setting securityTokenExpiresAt: expected an ISO 8601 time in Secret a/temp',
    );
  });

  it('applies spec.region and spec.projectId over the Secret and the defaults', async () => {
    const r = rig({ projectId: 'p1', region: 'cn-north-4' });
    r.setSecret('a', 'creds', { accessKey: 'AK', secretKey: 'SK', projectId: 'p2' });
    await r.resolver.resolve(cr('a', 'creds', { projectId: 'p3', region: 'ap-southeast-1' }));
    expect(r.built[0]?.target).toMatchObject({ projectId: 'p3', region: 'ap-southeast-1' });
  });

  it('with secretNames, another Secret name is refused without reading it', async () => {
    const r = rig({ projectId: 'p1', region: 'cn-north-4' }, { secretNames: ['vpcep-credentials'] });
    r.setSecret('a', 'other', { accessKey: 'AK', secretKey: 'SK' });
    const e = (await failure(r.resolver.resolve(cr('a', 'other')))) as CredentialsError;
    expect(e.message).toContain('Secret a/other is not one the operator may read');
    expect(e.message).toContain('vpcep-credentials');
    expect(r.reads).toEqual([]);
  });
});

describe('CredentialResolver: clients, limiters and their lifetime', () => {
  it('reuses one client while the Secret is unchanged, builds a new one when it changes, closes the old one', async () => {
    const r = rig({ projectId: 'p1', region: 'cn-north-4' });
    r.setSecret('a', 'creds', { accessKey: 'AK1', secretKey: 'SK1' });
    const first = await r.resolver.resolve(cr('a', 'creds'));
    const again = await r.resolver.resolve(cr('a', 'creds'));
    expect(again.client).toBe(first.client);
    expect(first.source).toBe('Secret a/creds');
    r.setSecret('a', 'creds', { accessKey: 'AK1', secretKey: 'SK2-rotated' });
    const rotated = await r.resolver.resolve(cr('a', 'creds'));
    expect(rotated.client).not.toBe(first.client);
    expect(r.built).toHaveLength(2);
    expect(r.closed).toEqual([first.client]);
    expect(r.resolver.size()).toBe(1);
    // Same access key: the same limiter, whatever the secret key.
    expect(r.built[1]?.limiter).toBe(r.built[0]?.limiter);
  });

  it('keeps a client another resource still uses; closes it when the last one leaves', async () => {
    const r = rig({ projectId: 'p1', region: 'cn-north-4' });
    r.setSecret('a', 'creds', { accessKey: 'AK1', secretKey: 'SK1' });
    const one = await r.resolver.resolve(cr('a', 'creds', {}, 'one'));
    await r.resolver.resolve(cr('a', 'creds', {}, 'two'));
    r.setSecret('a', 'creds', { accessKey: 'AK1', secretKey: 'SK2' });
    await r.resolver.resolve(cr('a', 'creds', {}, 'one'));
    expect(r.closed).toEqual([]);
    r.resolver.forget('uid-two');
    expect(r.closed).toEqual([one.client]);
    r.resolver.forget('uid-one');
    expect(r.closed).toHaveLength(2);
    expect(r.resolver.size()).toBe(0);
  });

  it("starts each identity's limiter empty with startEmpty (the operator), full without", async () => {
    for (const startEmpty of [true, false]) {
      const r = rig({ projectId: 'p1', region: 'cn-north-4' }, { qps: 10, burst: 20, startEmpty });
      r.setSecret('a', 'one', { accessKey: 'AK', secretKey: 'SK' });
      await r.resolver.resolve(cr('a', 'one'));
      const limiter = r.built[0]?.limiter;
      expect(limiter).toBeDefined();
      // The first token: due after 1/qps when empty, at once when full.
      expect(limiter?.reserve()).toBe(startEmpty ? 100 : 0);
    }
  });

  it('shares one rate limiter among all clients of an identity', async () => {
    const r = rig({ projectId: 'p1', region: 'cn-north-4', iamEndpoint: 'http://127.0.0.1:2' });
    r.setSecret('a', 'one', { accessKey: 'AK', secretKey: 'SK' });
    r.setSecret('b', 'two', { accessKey: 'AK', secretKey: 'SK', projectId: 'other-project' });
    r.setSecret('c', 'three', { accessKey: 'AK-other', secretKey: 'SK' });
    r.setSecret('d', 'user', { username: USER, password: PASSWORD, domainName: DOMAIN });
    r.setSecret('e', 'user', { username: USER, password: PASSWORD, domainName: DOMAIN, projectId: 'p9' });
    for (const ns of ['a', 'b', 'c'])
      await r.resolver.resolve(cr(ns, { a: 'one', b: 'two', c: 'three' }[ns]));
    await r.resolver.resolve(cr('d', 'user'));
    await r.resolver.resolve(cr('e', 'user'));
    expect(r.built).toHaveLength(5);
    expect(r.built[0]?.limiter).toBe(r.built[1]?.limiter);
    expect(r.built[2]?.limiter).not.toBe(r.built[0]?.limiter);
    expect(r.built[3]?.limiter).toBe(r.built[4]?.limiter);
    expect(r.built[3]?.limiter).not.toBe(r.built[0]?.limiter);
  });

  it('closes clients unused for idleMs', async () => {
    const r = rig({ projectId: 'p1', region: 'cn-north-4' }, { idleMs: 60_000 });
    r.setSecret('a', 'one', { accessKey: 'AK1', secretKey: 'SK' });
    r.setSecret('a', 'two', { accessKey: 'AK2', secretKey: 'SK' });
    const one = await r.resolver.resolve(cr('a', 'one', {}, 'r1'));
    await r.clock.advance(61_000);
    await r.resolver.resolve(cr('a', 'two', {}, 'r2'));
    expect(r.closed).toEqual([one.client]);
  });
});

describe('CredentialResolver: IAM tokens', () => {
  it('100 resources on one Secret: one provider, one token request; past the expiry exactly one more', async () => {
    const clock = new ManualClock();
    const sim = await simulator(clock, 20_000);
    const r = rig({ region: 'cn-north-4', iamEndpoint: sim.url }, { clock, endpointOverride: sim.url });
    r.setSecret('team', 'iam-user', {
      username: USER,
      password: PASSWORD,
      domainName: DOMAIN,
      projectId: PROJECT,
    });
    const resources = Array.from({ length: 100 }, (_, i) => cr('team', 'iam-user', {}, `svc-${i}`));
    const calls = async (): Promise<void> => {
      await Promise.all(
        resources.map(async (c) => {
          const { client } = await r.resolver.resolve(c);
          await client.getQuotas();
        }),
      );
    };
    await calls();
    expect(r.built).toHaveLength(1);
    expect(sim.controls.counters()).toMatchObject({ iamToken: 1, quotas: 100 });
    await calls(); // still within the token's life: no new request
    expect(sim.controls.counters()).toMatchObject({ iamToken: 1, quotas: 200 });
    await clock.advance(21_000); // the token has expired
    await calls();
    expect(sim.controls.counters()).toMatchObject({ iamToken: 2, quotas: 300 });
    expect(sim.controls.counters().iamTokenRefused ?? 0).toBe(0);
    expect(r.built).toHaveLength(1);
  });

  it('a token shape without a project id learns it from IAM, once', async () => {
    const clock = new ManualClock();
    const sim = await simulator(clock, 3_600_000);
    const r = rig({ region: 'cn-north-4', iamEndpoint: sim.url }, { clock, endpointOverride: sim.url });
    r.setSecret('team', 'iam-user', { username: USER, password: PASSWORD, domainName: DOMAIN });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => r.resolver.resolve(cr('team', 'iam-user', {}, `svc-${i}`))),
    );
    expect(new Set(results.map((x) => x.projectId))).toEqual(new Set([PROJECT]));
    expect(r.built).toHaveLength(1);
    await results[0]?.client.getQuotas();
    expect(sim.controls.counters()).toMatchObject({ iamToken: 1, quotas: 1 });
  });

  it('IAM refusing the password: CredentialsCloudError (kind auth), and IAM is not asked again for a minute', async () => {
    const clock = new ManualClock();
    const sim = await simulator(clock, 3_600_000);
    const r = rig({ region: 'cn-north-4', iamEndpoint: sim.url }, { clock, endpointOverride: sim.url });
    r.setSecret('team', 'iam-user', { username: USER, password: 'wrong-password-value', domainName: DOMAIN });
    const errors = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        failure(r.resolver.resolve(cr('team', 'iam-user', {}, `svc-${i}`))),
      ),
    );
    for (const e of errors) {
      expect(e).toBeInstanceOf(CredentialsCloudError);
      expect((e as CredentialsCloudError).cloudError.kind).toBe('auth');
      expect((e as CredentialsCloudError).source).toBe('Secret team/iam-user');
      expect((e as Error).message).not.toContain('wrong-password-value');
    }
    expect(sim.controls.counters().iamTokenRefused).toBe(1);
    await failure(r.resolver.resolve(cr('team', 'iam-user', {}, 'later')));
    expect(sim.controls.counters().iamTokenRefused).toBe(1);
    await clock.advance(61_000);
    await failure(r.resolver.resolve(cr('team', 'iam-user', {}, 'later')));
    expect(sim.controls.counters().iamTokenRefused).toBe(2);
    // Fixing the Secret is a new fingerprint: no hold applies to it.
    r.setSecret('team', 'iam-user', { username: USER, password: PASSWORD, domainName: DOMAIN });
    await expect(r.resolver.resolve(cr('team', 'iam-user', {}, 'later'))).resolves.toMatchObject({
      projectId: PROJECT,
    });
  });
});

describe('CredentialResolver: Secret versions (what the gate compares)', () => {
  it('changes with the watched resourceVersion; repeats are not news', () => {
    const r = rig({ projectId: 'p1', region: 'cn-north-4' });
    const withSecret = cr('a', 'creds');
    expect(r.resolver.version(cr('a'))).toBe('defaults');
    const unseen = r.resolver.version(withSecret);
    expect(r.resolver.secretChanged('a', 'creds', '10')).toBe(true);
    const v10 = r.resolver.version(withSecret);
    expect(v10).not.toBe(unseen);
    expect(r.resolver.secretChanged('a', 'creds', '10')).toBe(false);
    expect(r.resolver.version(withSecret)).toBe(v10);
    expect(r.resolver.secretChanged('a', 'creds', '11')).toBe(true);
    expect(r.resolver.version(withSecret)).not.toBe(v10);
    const v11 = r.resolver.version(withSecret);
    expect(r.resolver.secretChanged('a', 'creds', '11', true)).toBe(true); // deleted
    expect(r.resolver.version(withSecret)).not.toBe(v11);
    expect(r.resolver.secretChanged('a', 'creds', '11', true)).toBe(false);
    expect(r.resolver.version(cr('a', 'other'))).toBe(unseen.replace('creds', 'other'));
  });
});
