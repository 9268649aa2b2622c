/**
 * Issue 14, "Credentials the way production clusters run", on the real apiserver with the simulator:
 *
 * - a Secret holding an IAM user's password: Ready through `X-Auth-Token`; 100 resources on that
 *   Secret cost one token request, and crossing the token's expiry one more, with no failed reconcile;
 * - temporary credentials past their expiry: `AuthFailed` naming the Secret and the expiry; replacing
 *   the Secret's contents brings the resource to Ready within seconds (the Secret watch), no restart;
 *   the same for a wrong secret key;
 * - workload identity end to end: a real ServiceAccount token of this apiserver (TokenRequest API) in a
 *   file, exchanged at the simulator's IAM, which trusts the apiserver's issuer and JWKS; no access key
 *   anywhere;
 * - no secret used here appears in the operator's output, the events, the statuses or `/metrics`.
 *
 * Figures (time to Ready after a Secret change, time for 100 resources) are printed, not asserted,
 * except the issue's own bound: Ready within 10 s of the Secret change.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Without the Secret watch (chart watchSecrets=false, no list/watch grant), the recheck still recovers:
// test/integration/rbac-lifecycle.test.ts, as the chart's ServiceAccount.
import type { Simulator } from '../../../src/simulator/index.js';
import { eventually, testKube, type TestKube } from '../support/kube.js';
import { expectNoSecretsLeaked, metricsText } from '../support/leaks.js';
import {
  cond,
  createCR,
  isReady,
  listCRs,
  patchCR,
  specFor,
  startOperator,
  startTestSimulator,
  TEST_CREDS,
  uuid,
  waitForCR,
  type OperatorProcess,
} from '../support/operator.js';

const IAM_USER = {
  name: 'it-deployer',
  password: 'it-IAM-password-never-logged-4b1e',
  domainName: 'it-acme',
};
/** The temporary credentials: an access key the simulator accepts only with this security token. */
const TEMP = {
  accessKey: 'it-temp-access-key',
  secretKey: 'it-TEMP-secret-never-logged-91c2',
  securityToken: 'it-TEMP-security-token-never-logged-5d0a',
};
const WRONG_SECRET_KEY = 'it-WRONG-secret-key-never-logged-33aa';
/** The simulator of the IAM test accepts no access key the operator knows of. */
const SIM_ONLY = { accessKey: 'it-sim-only-ak', secretKey: 'it-SIM-only-secret-never-used-0f0f' };

interface Fixture {
  k: TestKube;
  ns: string;
  sim: Simulator;
  op: OperatorProcess;
}

function log(line: string): void {
  process.stdout.write(`[credentials-providers] ${line}\n`);
}

/** Creates or replaces a Secret's string data. */
async function putSecret(k: TestKube, ns: string, name: string, data: Record<string, string>): Promise<void> {
  try {
    await k.core.replaceNamespacedSecret({
      namespace: ns,
      name,
      body: { metadata: { name }, stringData: data },
    });
  } catch {
    await k.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name }, stringData: data } });
  }
}

/** The sum of a Prometheus counter over the label sets that match `labels` (substring). */
function counter(metrics: string, name: string, labels = ''): number {
  let total = 0;
  for (const line of metrics.split('\n'))
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      if (line.includes(labels)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  return total;
}

/** Every `vpcep_cloud_requests_total` label set whose code is not `ok`. */
function failedCloudCalls(metrics: string): string[] {
  return metrics
    .split('\n')
    .filter((l) => l.startsWith('vpcep_cloud_requests_total{') && !l.includes('code="ok"'));
}

/** Starts a simulator and an operator watching a fresh namespace; stops both (clean exit) afterwards. */
function useFixture(
  prefix: string,
  setup: (f: Fixture) => Promise<{ sim: Simulator; args?: string[]; env?: NodeJS.ProcessEnv }>,
  secrets: () => string[],
): Fixture {
  const f = {} as Fixture;
  beforeAll(async () => {
    f.k = testKube();
    f.ns = await f.k.freshNamespace(prefix);
    const { sim, args, env } = await setup(f);
    f.sim = sim;
    f.op = startOperator({
      kubeconfig: f.k.kubeconfig,
      simUrl: sim.url,
      namespaces: [f.ns],
      ...(args ? { args } : {}),
      ...(env ? { env } : {}),
    });
  });
  afterAll(async () => {
    try {
      if (f.op) await expectNoSecretsLeaked(f.k, f.op, [f.ns], [TEST_CREDS.secretKey, ...secrets()]);
      // Leave nothing behind for operators of other files that watch every namespace: the resources
      // go (their cloud services deleted by this operator), then the namespace.
      await f.k.kubectl('delete', 'vpces', '--all', '-n', f.ns, '--wait=false');
      await eventually(
        async () => ((await listCRs(f.k.custom, f.ns)).length === 0 ? true : undefined),
        `the resources of ${f.ns} gone`,
        180_000,
        1_000,
      );
      await f.k.core.deleteNamespace({ name: f.ns });
    } finally {
      const code = await f.op?.stop();
      await f.sim?.close();
      expect(code).toBe(0);
    }
  });
  return f;
}

describe(
  'an IAM user in a Secret: X-Auth-Token, one token for 100 resources, one more past expiry',
  { timeout: 300_000 },
  () => {
    const TTL_MS = 40_000;
    const f = useFixture(
      'cred-iam',
      async () => {
        const sim = await startTestSimulator({
          ...SIM_ONLY,
          createDelayMs: 300,
          deleteDelayMs: 100,
          quota: 200,
          iamUsers: [IAM_USER],
          tokenTtlMs: TTL_MS,
        });
        return {
          sim,
          args: ['--max-concurrent-reconciles=8', '--cloud-qps=200', '--cloud-burst=200'],
          env: { HUAWEICLOUD_IAM_ENDPOINT: sim.url },
        };
      },
      () => [IAM_USER.password],
    );
    let firstToken = 0;

    it('reaches Ready with the Secret alone (the simulator accepts no access key the operator has)', async () => {
      await putSecret(f.k, f.ns, 'iam-user', {
        username: IAM_USER.name,
        password: IAM_USER.password,
        domainName: IAM_USER.domainName,
        region: 'cn-north-4',
      });
      const names = Array.from({ length: 100 }, (_, i) => `svc-${String(i).padStart(3, '0')}`);
      const started = Date.now();
      for (const name of names)
        await createCR(
          f.k.custom,
          f.ns,
          name,
          specFor({ portId: uuid(), vpcId: uuid(), credentialsSecretRef: { name: 'iam-user' } }),
        );
      await eventually(
        async () => {
          const items = await listCRs(f.k.custom, f.ns);
          return items.length === 100 && items.every(isReady) ? true : undefined;
        },
        '100 resources Ready',
        180_000,
        1_000,
      );
      const elapsed = Date.now() - started;
      firstToken = started;
      const counters = f.sim.controls.counters();
      log(
        `100 resources on one IAM-user Secret: Ready in ${(elapsed / 1000).toFixed(1)} s; ` +
          `token requests ${counters.iamToken ?? 0}, creates ${counters.create ?? 0}`,
      );
      expect(
        elapsed,
        'the 100 resources must be Ready within half the token life for the count to mean one token',
      ).toBeLessThan(TTL_MS / 2);
      expect(counters.iamToken).toBe(1);
      expect(counters.iamTokenRefused ?? 0).toBe(0);
      expect(counters.create).toBe(100);
      expect(f.sim.controls.services()).toHaveLength(100);
    });

    it('crossing the token expiry costs exactly one more token request, and no reconcile fails', async () => {
      // Wait until the first token has expired, then make every resource call the cloud again.
      const wait = firstToken + TTL_MS + 2_000 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const before = f.sim.controls.counters();
      const started = Date.now();
      const items = await listCRs(f.k.custom, f.ns);
      for (const cr of items)
        await patchCR(f.k.custom, f.ns, cr.metadata.name ?? '', { spec: { description: 'after expiry' } });
      await eventually(
        async () => {
          const now = await listCRs(f.k.custom, f.ns);
          return now.every((c) => c.metadata.generation === 2 && isReady(c)) ? true : undefined;
        },
        '100 resources Ready at generation 2',
        180_000,
        1_000,
      );
      const elapsed = Date.now() - started;
      const after = f.sim.controls.counters();
      log(
        `after expiry: 100 updates in ${(elapsed / 1000).toFixed(1)} s; token requests ` +
          `${before.iamToken ?? 0} -> ${after.iamToken ?? 0}, updates ${after.update ?? 0}`,
      );
      expect(
        elapsed,
        'the updates must finish within half the new token life for the count to mean one token',
      ).toBeLessThan(TTL_MS / 2);
      expect((after.iamToken ?? 0) - (before.iamToken ?? 0)).toBe(1);
      expect(after.iamTokenRefused ?? 0).toBe(0);
      const metrics = await metricsText(f.op);
      expect(counter(metrics, 'controller_runtime_reconcile_errors_total')).toBe(0);
      expect(failedCloudCalls(metrics)).toEqual([]);
      for (const cr of await listCRs(f.k.custom, f.ns)) expect(cond(cr, 'Synced')?.status).toBe('True');
      expect(
        f.op.lines.filter((l) => l.includes('"decision":"retry"') || l.includes('"decision":"terminal"')),
      ).toEqual([]);
    });
  },
);

describe('temporary credentials and a wrong key: AuthFailed, then Ready within seconds of the Secret change', () => {
  const f = useFixture(
    'cred-temp',
    async () => ({
      sim: await startTestSimulator({
        createDelayMs: 300,
        deleteDelayMs: 100,
        credentials: [{ ...TEMP, projectId: TEST_CREDS.projectId }],
      }),
    }),
    () => [TEMP.secretKey, TEMP.securityToken, WRONG_SECRET_KEY],
  );

  /** Replaces the Secret and measures until the resource is Ready. */
  async function fixedWithin(name: string, secret: string, data: Record<string, string>): Promise<number> {
    const restarts = f.op.lines.filter((l) => l.includes('"msg":"operator started"')).length;
    const started = Date.now();
    await putSecret(f.k, f.ns, secret, data);
    await waitForCR(f.k.custom, f.ns, name, isReady, 'Ready after the Secret change', 60_000);
    const elapsed = Date.now() - started;
    expect(f.op.proc.exitCode).toBeNull();
    expect(f.op.lines.filter((l) => l.includes('"msg":"operator started"')).length).toBe(restarts);
    return elapsed;
  }

  it('expired temporary credentials: AuthFailed naming the Secret and the expiry, no hot loop', async () => {
    const expired = new Date(Date.now() - 3_600_000);
    await putSecret(f.k, f.ns, 'temp', {
      ...TEMP,
      securityTokenExpiresAt: expired.toISOString(),
      projectId: TEST_CREDS.projectId,
    });
    await createCR(
      f.k.custom,
      f.ns,
      'temp-svc',
      specFor({ portId: uuid(), vpcId: uuid(), credentialsSecretRef: { name: 'temp' } }),
    );
    const cr = await waitForCR(
      f.k.custom,
      f.ns,
      'temp-svc',
      (c) => cond(c, 'Ready')?.reason === 'AuthFailed',
      'AuthFailed',
    );
    const message = cond(cr, 'Ready')?.message ?? '';
    log(`expired credentials: ${message}`);
    expect(message).toContain(`Secret ${f.ns}/temp`);
    expect(message).toContain(expired.toISOString());
    expect(message).toContain('Client.CredentialsExpired');
    // Nothing was sent with them, and the verdict is not retried in a loop.
    const calls = f.sim.controls.counters();
    await new Promise((r) => setTimeout(r, 3_000));
    expect(f.sim.controls.counters()).toEqual(calls);
    expect(Object.values(calls).reduce((a, b) => a + b, 0)).toBe(0);
    const passes = f.op.lines.filter(
      (l) => l.includes('Client.CredentialsExpired') && l.includes('"decision":"terminal"'),
    );
    expect(passes.length).toBe(1);
  });

  it('replacing the Secret with renewed credentials: Ready within 10 s, no restart', async () => {
    const elapsed = await fixedWithin('temp-svc', 'temp', {
      ...TEMP,
      securityTokenExpiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      projectId: TEST_CREDS.projectId,
    });
    log(
      `renewed temporary credentials -> Ready in ${(elapsed / 1000).toFixed(1)} s (the recheck alone: 5 min)`,
    );
    expect(elapsed).toBeLessThan(10_000);
  });

  it('a wrong secret key: AuthFailed; fixing it: Ready within 10 s, no restart', async () => {
    await putSecret(f.k, f.ns, 'keys', {
      accessKey: TEST_CREDS.accessKey,
      secretKey: WRONG_SECRET_KEY,
      projectId: TEST_CREDS.projectId,
    });
    await createCR(
      f.k.custom,
      f.ns,
      'keys-svc',
      specFor({ portId: uuid(), vpcId: uuid(), credentialsSecretRef: { name: 'keys' } }),
    );
    const cr = await waitForCR(
      f.k.custom,
      f.ns,
      'keys-svc',
      (c) => cond(c, 'Ready')?.reason === 'AuthFailed',
      'AuthFailed',
    );
    expect(cond(cr, 'Ready')?.message).toContain(`Secret ${f.ns}/keys`);
    const elapsed = await fixedWithin('keys-svc', 'keys', {
      accessKey: TEST_CREDS.accessKey,
      secretKey: TEST_CREDS.secretKey,
      projectId: TEST_CREDS.projectId,
    });
    log(`fixed secret key -> Ready in ${(elapsed / 1000).toFixed(1)} s (the recheck alone: 5 min)`);
    expect(elapsed).toBeLessThan(10_000);
  });

  it('a Secret created after the resource (CredentialsMissing) is picked up within 10 s', async () => {
    await createCR(
      f.k.custom,
      f.ns,
      'late-svc',
      specFor({ portId: uuid(), vpcId: uuid(), credentialsSecretRef: { name: 'late' } }),
    );
    await waitForCR(
      f.k.custom,
      f.ns,
      'late-svc',
      (c) => cond(c, 'Ready')?.reason === 'CredentialsMissing',
      'CredentialsMissing',
    );
    const elapsed = await fixedWithin('late-svc', 'late', {
      accessKey: TEST_CREDS.accessKey,
      secretKey: TEST_CREDS.secretKey,
      projectId: TEST_CREDS.projectId,
    });
    log(`Secret created -> Ready in ${(elapsed / 1000).toFixed(1)} s (the recheck alone: 1 min)`);
    expect(elapsed).toBeLessThan(10_000);
  });
});

describe('workload identity on the local control plane: a projected ServiceAccount token, no access key', () => {
  const AUDIENCE = 'vpcep-it-iam';
  const IDP = 'it-cluster-idp';
  let tmp: string;
  let jwt = '';
  let wrongJwt = 'unset-wrong-jwt';
  const f = useFixture(
    'cred-wi',
    async (fx) => {
      tmp = mkdtempSync(path.join(tmpdir(), 'vpcep-wi-'));
      // The apiserver's own issuer and keys, as an IAM identity provider is configured with them.
      const discovery = JSON.parse(
        await fx.k.kubectl('get', '--raw', '/.well-known/openid-configuration'),
      ) as {
        issuer: string;
      };
      const jwks = await fx.k.kubectl('get', '--raw', '/openid/v1/jwks');
      await fx.k.core.createNamespacedServiceAccount({
        namespace: fx.ns,
        body: { metadata: { name: 'vpcep-operator' } },
      });
      const tr = await fx.k.core.createNamespacedServiceAccountToken({
        namespace: fx.ns,
        name: 'vpcep-operator',
        body: { spec: { audiences: [AUDIENCE], expirationSeconds: 3600 } },
      });
      jwt = tr.status?.token ?? '';
      const file = path.join(tmp, 'token');
      writeFileSync(file, jwt, { mode: 0o600 });
      log(`issuer ${discovery.issuer}; JWKS keys ${(JSON.parse(jwks) as { keys: unknown[] }).keys.length}`);
      const sim = await startTestSimulator({
        // An access key nobody is given: only the exchanged token can authenticate.
        ...SIM_ONLY,
        createDelayMs: 300,
        deleteDelayMs: 100,
        idpId: IDP,
        oidcIssuer: discovery.issuer,
        oidcAudience: AUDIENCE,
        oidcPublicKey: jwks,
      });
      return {
        sim,
        env: {
          HUAWEICLOUD_SDK_AK: '',
          HUAWEICLOUD_SDK_SK: '',
          HUAWEICLOUD_SDK_IDP_ID: IDP,
          HUAWEICLOUD_SDK_ID_TOKEN_FILE: file,
          HUAWEICLOUD_IAM_ENDPOINT: sim.url,
        },
      };
    },
    () => [jwt, wrongJwt, SIM_ONLY.secretKey],
  );
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('a resource without a Secret reaches Ready through the ID-token exchange', async () => {
    expect(jwt).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    await createCR(f.k.custom, f.ns, 'wi-svc', specFor({ portId: uuid(), vpcId: uuid() }));
    const cr = await waitForCR(f.k.custom, f.ns, 'wi-svc', isReady, 'Ready via workload identity', 60_000);
    expect(cr?.status?.id).toBeDefined();
    expect(cr?.status?.projectId).toBe(TEST_CREDS.projectId);
    const counters = f.sim.controls.counters();
    expect(counters.iamToken).toBe(1);
    expect(counters.iamTokenRefused ?? 0).toBe(0);
    const started = f.op.lines.find((l) => l.includes('"msg":"starting"')) ?? '';
    expect(started).toContain('"defaultCredentials":"workload identity"');
  });

  it('a token of the wrong audience is refused by IAM: AuthFailed naming the environment', async () => {
    const other = await f.k.core.createNamespacedServiceAccountToken({
      namespace: f.ns,
      name: 'vpcep-operator',
      body: { spec: { audiences: ['someone-else'], expirationSeconds: 3600 } },
    });
    const wrong = (wrongJwt = other.status?.token ?? '');
    const file = path.join(tmp, 'wrong-token');
    writeFileSync(file, wrong, { mode: 0o600 });
    const env = (tokenFile: string): NodeJS.ProcessEnv => ({
      HUAWEICLOUD_SDK_AK: '',
      HUAWEICLOUD_SDK_SK: '',
      HUAWEICLOUD_SDK_IDP_ID: IDP,
      HUAWEICLOUD_SDK_ID_TOKEN_FILE: tokenFile,
      HUAWEICLOUD_IAM_ENDPOINT: f.sim.url,
    });
    expect(await f.op.stop()).toBe(0);
    const op = startOperator({
      kubeconfig: f.k.kubeconfig,
      simUrl: f.sim.url,
      namespaces: [f.ns],
      env: env(file),
    });
    try {
      await patchCR(f.k.custom, f.ns, 'wi-svc', { spec: { description: 'wrong audience' } });
      const cr = await waitForCR(
        f.k.custom,
        f.ns,
        'wi-svc',
        (c) => cond(c, 'Ready')?.reason === 'AuthFailed',
        'AuthFailed',
      );
      const msg = cond(cr, 'Ready')?.message ?? '';
      log(`wrong audience: ${msg}`);
      expect(msg).toContain('workload identity');
      expect(msg).toContain('IAM.0001');
      expect(f.sim.controls.counters().iamTokenRefused).toBe(1);
      await expectNoSecretsLeaked(f.k, op, [f.ns], [jwt, wrong]);
    } finally {
      expect(await op.stop()).toBe(0);
      // The right token again, for the fixture's teardown checks.
      f.op = startOperator({
        kubeconfig: f.k.kubeconfig,
        simUrl: f.sim.url,
        namespaces: [f.ns],
        env: env(path.join(tmp, 'token')),
      });
    }
    // A restarted operator spreads the rechecks of settled resources; a spec change is handled at once.
    await patchCR(f.k.custom, f.ns, 'wi-svc', { spec: { description: 'right audience' } });
    await waitForCR(f.k.custom, f.ns, 'wi-svc', isReady, 'Ready again with the right token', 60_000);
  });
});
