import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject, onTestFinished } from 'vitest';
import { ENDPOINT_PLURAL, FINALIZER, GROUP, PLURAL, VERSION } from '../../src/api/constants.js';
import type { VpcEndpoint, VpcEndpointService } from '../../src/api/types.js';
import type { Simulator } from '../../src/simulator/index.js';
import {
  createEndpointCR,
  deleteEndpointCR,
  getEndpointCR,
  patchEndpointCR,
  readyReason,
  waitForEndpoint,
} from './support/endpoints.js';
import { eventually, testKube, type TestKube } from './support/kube.js';
import {
  cond,
  createCR,
  deleteCR,
  isReady,
  patchCR,
  specFor,
  startOperator,
  startTestSimulator,
  TEST_CREDS,
  uuid,
  waitForCR,
  type OperatorProcess,
} from './support/operator.js';
import { ok, run, tokenKubeconfig, type Run } from './support/tools.js';

// Issue 8, "RBAC is proven, not assumed": the operator runs outside the cluster with a token of the
// chart's ServiceAccount (nothing but what the chart grants), reads its cloud credentials from a
// Secret named by the CR (the operator-wide environment credentials are blank), elects itself through
// a Lease in the release namespace, and takes a CR through create, update and delete against the
// simulator, in both RBAC modes of the chart. The consumer kind too: a VpcEndpoint by serviceRef,
// accepted by its service's acceptInCluster rule, published as a Service (Services and EndpointSlices
// are granted only with publish.enabled, proven with `kubectl auth can-i`), and deleted. Any 403 the
// chart's RBAC causes fails the test.
// What the ServiceAccount must NOT be able to do is proven by deploy.test.ts (`kubectl auth can-i`).

const root = path.resolve(import.meta.dirname, '../..');
const chart = path.join(root, 'deploy/helm/vpcep-operator');
const LEASE = 'vpcep-operator-leader';
const SECRET = 'vpcep-credentials';

/**
 * Lines of the operator's output that report an authorization failure. A write into a namespace that is
 * being deleted is also a 403 (`... because it is being terminated`), which is no RBAC matter: in
 * all-namespaces mode the operator may meet CRs other files left in such a namespace.
 */
const forbiddenLines = (op: OperatorProcess): string[] =>
  op.lines.filter(
    (l) =>
      /forbidden|HTTP-Code: 403|"(status|code|statusCode)":\s*403\b/i.test(l) &&
      !l.includes('because it is being terminated'),
  );

/** The identity the operator logged at start (the Lease holder while it leads). */
function loggedIdentity(op: OperatorProcess): string | undefined {
  for (const l of op.lines) {
    try {
      const rec = JSON.parse(l) as { msg?: string; identity?: string };
      if (rec.msg === 'operator started' && rec.identity) return rec.identity;
    } catch {
      // not a JSON log line
    }
  }
  return undefined;
}

interface Mode {
  title: string;
  /** Extra `helm install` values; `watched` is the namespace of the CR. */
  helmSet(watched: string): string[];
  /** `--namespaces` of the operator ([] = all namespaces). */
  namespaces(watched: string): string[];
  /** The flags the chart renders for these values (the operator runs outside the cluster here). */
  args: string[];
  /** What `kubectl auth can-i list secrets` answers as the ServiceAccount (the Secret watch's grant). */
  listSecrets: 'yes' | 'by name' | 'no';
  /** The Helm value publish.enabled: Services and EndpointSlices granted, VpcEndpoints published. */
  publish: boolean;
}

const MODES: Mode[] = [
  {
    title: 'all-namespaces mode (default values: ClusterRoles, the Secret watch)',
    helmSet: () => [],
    namespaces: () => [],
    args: ['--watch-secrets=true'],
    listSecrets: 'yes',
    publish: true,
  },
  {
    title: 'namespaced-only mode (watchNamespaces: a Role in the watched namespace, Secret by name)',
    helmSet: (watched) => [
      '--set',
      `watchNamespaces={${watched}}`,
      '--set',
      `rbac.credentialSecretNames={${SECRET}}`,
    ],
    namespaces: (watched) => [watched],
    args: ['--watch-secrets=true', `--credential-secret-names=${SECRET}`],
    listSecrets: 'by name',
    publish: true,
  },
  {
    title: 'watchSecrets=false (Secrets by get only: the periodic recheck notices a new Secret)',
    helmSet: (watched) => ['--set', `watchNamespaces={${watched}}`, '--set', 'watchSecrets=false'],
    namespaces: (watched) => [watched],
    args: ['--watch-secrets=false'],
    listSecrets: 'no',
    publish: true,
  },
  {
    title: 'publish.enabled=false (no Services, no EndpointSlices: a VpcEndpoint says PublishDisabled)',
    helmSet: (watched) => ['--set', `watchNamespaces={${watched}}`, '--set', 'publish.enabled=false'],
    namespaces: (watched) => [watched],
    args: ['--watch-secrets=true', '--enable-publish=false'],
    listSecrets: 'yes',
    publish: false,
  },
];

/** One variant ends with a one-minute recheck: more than the default test timeout. */
const TITLE =
  'the chart RBAC suffices: full lifecycle as the chart ServiceAccount (token outside the cluster)';

describe(TITLE, { timeout: 300_000 }, () => {
  let k: TestKube;
  let helmBin: string;
  let kubectlBin: string;
  let tmp: string;
  /** UIDs of CRs (of other test files) that had no finalizer before an operator here started. */
  const unfinalized = new Set<string>();

  const helm = (...args: string[]): Promise<Run> => run(helmBin, ['--kubeconfig', k.kubeconfig, ...args]);
  const kubectlAs = (kubeconfig: string, ...args: string[]): Promise<Run> =>
    run(kubectlBin, ['--kubeconfig', kubeconfig, ...args]);

  /**
   * Every VpcEndpointService and VpcEndpoint in the cluster (other files may leave some behind).
   * Retried: on a fresh control plane the first cluster-wide list may meet 429 "storage is
   * (re)initializing".
   */
  const allCRs = async (): Promise<Array<VpcEndpointService | VpcEndpoint>> => {
    const out: Array<VpcEndpointService | VpcEndpoint> = [];
    for (const plural of [PLURAL, ENDPOINT_PLURAL])
      out.push(
        ...(await eventually(
          async () =>
            (
              (await k.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural })) as {
                items: Array<VpcEndpointService | VpcEndpoint>;
              }
            ).items,
          `a cluster-wide list of ${plural}`,
          30_000,
          500,
        )),
      );
    return out;
  };

  /** Removes the finalizer from CRs of other files that had none before an operator here ran. */
  async function giveBackFinalizers(): Promise<void> {
    for (const c of await allCRs()) {
      const { uid, namespace, name, finalizers = [], resourceVersion } = c.metadata;
      if (!uid || !name || !unfinalized.has(uid) || !finalizers.includes(FINALIZER)) continue;
      const body = { metadata: { finalizers: finalizers.filter((f) => f !== FINALIZER), resourceVersion } };
      if (c.kind === 'VpcEndpoint') await patchEndpointCR(k.custom, namespace ?? 'default', name, body);
      else await patchCR(k.custom, namespace ?? 'default', name, body);
    }
  }

  beforeAll(() => {
    k = testKube();
    const bin = inject('toolsBin');
    helmBin = path.join(bin, 'helm');
    kubectlBin = path.join(bin, 'kubectl');
    tmp = mkdtempSync(path.join(tmpdir(), 'vpcep-rbac-'));
  });

  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it.each(MODES)('$title', async (mode) => {
    const releaseNs = await k.freshNamespace('vpcep-system');
    const watched = await k.freshNamespace('rbac-crs');
    const release = `rbac-${randomBytes(3).toString('hex')}`;
    const saName = `${release}-vpcep-operator`;
    const running: { op?: OperatorProcess; sim?: Simulator } = {};
    let installed = false;
    // Runs whether the test passed or not, so a failed variant never leaves an operator watching the
    // next one's namespace. On success the test itself has already stopped and uninstalled.
    onTestFinished(async () => {
      await running.op?.kill();
      await running.sim?.close();
      await giveBackFinalizers();
      if (installed) await helm('uninstall', release, '--namespace', releaseNs);
      for (const name of [watched, releaseNs]) await k.core.deleteNamespace({ name }).catch(() => undefined);
    });

    // 1. The chart, as a user installs it (the CRD is already there, owned by no release, so this one
    // leaves it alone; no nodes, so no --wait).
    const out = ok(
      await helm(
        'install',
        release,
        chart,
        '--namespace',
        releaseNs,
        '--set',
        'crds.install=false',
        ...mode.helmSet(watched),
      ),
      'helm install',
    );
    installed = true;
    expect(out).toContain('STATUS: deployed');

    // 2. A token of the chart's ServiceAccount, and a kubeconfig holding nothing else.
    const token = (await k.kubectl('create', 'token', saName, '-n', releaseNs, '--duration=1h')).trim();
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const saKubeconfig = tokenKubeconfig(k.kc, token, path.join(tmp, `${release}.kubeconfig`));
    const whoami = JSON.parse(
      ok(await kubectlAs(saKubeconfig, 'auth', 'whoami', '-o', 'json'), 'kubectl auth whoami'),
    ) as { status: { userInfo: { username: string } } };
    expect(whoami.status.userInfo.username).toBe(`system:serviceaccount:${releaseNs}:${saName}`);
    const canI = async (...args: string[]): Promise<string> =>
      (await kubectlAs(saKubeconfig, 'auth', 'can-i', ...args, '-n', watched)).stdout.trim();
    expect(await canI('list', 'secrets')).toBe(mode.listSecrets === 'yes' ? 'yes' : 'no');
    expect(await canI('watch', 'secrets')).toBe(mode.listSecrets === 'yes' ? 'yes' : 'no');
    expect(await canI('list', `secrets/${SECRET}`)).toBe(mode.listSecrets === 'no' ? 'no' : 'yes');
    expect(await canI('get', `secrets/${SECRET}`)).toBe('yes');
    // Both kinds, in every mode; what a VpcEndpoint publishes only with publish.enabled.
    for (const plural of ['vpcendpointservices', 'vpcendpoints'])
      for (const verb of ['list', 'watch', 'patch'])
        expect(await canI(verb, `${plural}.vpcep.huaweicloud.io`), `${verb} ${plural}`).toBe('yes');
    expect(await canI('patch', 'vpcendpoints.vpcep.huaweicloud.io', '--subresource=status')).toBe('yes');
    for (const resource of ['services', 'endpointslices.discovery.k8s.io'])
      for (const verb of ['create', 'get', 'list', 'watch', 'patch', 'update', 'delete'])
        expect(await canI(verb, resource), `${verb} ${resource}`).toBe(mode.publish ? 'yes' : 'no');

    // Per-CR credentials: a Secret in the CR's namespace (the operator's environment has none).
    await k.core.createNamespacedSecret({
      namespace: watched,
      body: {
        metadata: { name: SECRET },
        stringData: {
          accessKey: TEST_CREDS.accessKey,
          secretKey: TEST_CREDS.secretKey,
          projectId: TEST_CREDS.projectId,
          region: 'cn-north-4',
        },
      },
    });

    // In all-namespaces mode the operator also sees CRs other files left behind: remember which had
    // no finalizer, so that the one it adds to them can be taken back afterwards.
    for (const c of await allCRs())
      if (c.metadata.uid && !(c.metadata.finalizers ?? []).includes(FINALIZER))
        unfinalized.add(c.metadata.uid);

    // 3. The operator, as the ServiceAccount, leader-elected in the release namespace.
    const sim = (running.sim = await startTestSimulator());
    const op = (running.op = startOperator({
      kubeconfig: saKubeconfig,
      simUrl: sim.url,
      namespaces: mode.namespaces(watched),
      args: ['--leader-elect', `--leader-election-namespace=${releaseNs}`, ...mode.args],
      env: {
        HUAWEICLOUD_SDK_AK: '',
        HUAWEICLOUD_SDK_SK: '',
        HUAWEICLOUD_SDK_PROJECT_ID: '',
        HUAWEICLOUD_REGION: '',
      },
    }));

    try {
      await lifecycle(op, sim, watched, releaseNs);
      await endpointLifecycle(op, sim, watched, mode.publish);
      if (mode.listSecrets === 'no') await recheckWithoutWatch(op, watched);
    } catch (e) {
      // A refusal by the apiserver usually shows as a timeout: name the cause.
      const refused = forbiddenLines(op);
      if (refused.length > 0)
        throw new Error(
          `${(e as Error).message}\nthe apiserver refused the operator (${refused.length} lines), first:\n${refused[0]?.slice(0, 1500)}`,
        );
      throw e;
    }

    // 5. Graceful stop, then uninstall (what remains is left to onTestFinished).
    expect(await op.stop()).toBe(0);
    await giveBackFinalizers();
    ok(await helm('uninstall', release, '--namespace', releaseNs), 'helm uninstall');
    installed = false;
  });

  /**
   * Without the Secret watch (no list/watch grant), a Secret created after its resource is still
   * found: by the one-minute recheck of `CredentialsMissing`.
   */
  async function recheckWithoutWatch(op: OperatorProcess, watched: string): Promise<void> {
    await createCR(
      k.custom,
      watched,
      'late',
      specFor({ portId: uuid(), vpcId: uuid(), credentialsSecretRef: { name: 'late-credentials' } }),
    );
    await waitForCR(
      k.custom,
      watched,
      'late',
      (c) => cond(c, 'Ready')?.reason === 'CredentialsMissing',
      'Ready=False CredentialsMissing',
    );
    const started = Date.now();
    await k.core.createNamespacedSecret({
      namespace: watched,
      body: {
        metadata: { name: 'late-credentials' },
        stringData: {
          accessKey: TEST_CREDS.accessKey,
          secretKey: TEST_CREDS.secretKey,
          projectId: TEST_CREDS.projectId,
          region: 'cn-north-4',
        },
      },
    });
    await waitForCR(k.custom, watched, 'late', isReady, 'Ready after the recheck', 150_000);
    process.stdout.write(
      `[rbac-lifecycle] without the Secret watch: Ready ${((Date.now() - started) / 1000).toFixed(1)} s after the Secret appeared\n`,
    );
    expect(op.lines.filter((l) => l.includes('"informer":"secrets'))).toEqual([]);
    await deleteCR(k.custom, watched, 'late');
    await waitForCR(k.custom, watched, 'late', (c) => c === undefined, 'gone', 60_000);
    expect(forbiddenLines(op)).toEqual([]);
  }

  /** Create, update, delete of one CR with per-CR credentials; leader election; events; no refusal. */
  async function lifecycle(
    op: OperatorProcess,
    sim: Simulator,
    watched: string,
    releaseNs: string,
  ): Promise<void> {
    // 4a. Create: Ready with the cloud's id; the service exists in the simulator.
    const portId = uuid();
    const vpcId = uuid();
    await createCR(
      k.custom,
      watched,
      'svc',
      specFor({
        portId,
        vpcId,
        serviceName: 'rbac',
        description: 'v1',
        credentialsSecretRef: { name: SECRET },
      }),
    );
    const ready = await waitForCR(k.custom, watched, 'svc', isReady, 'Ready at generation 1');
    const id = ready?.status?.id;
    expect(id).toBeTruthy();
    expect(ready?.metadata.finalizers).toContain(FINALIZER);
    const created = sim.controls.services();
    expect(created.map((s) => s.id)).toEqual([id]);
    expect(created[0]?.description).toBe('v1');
    expect(ready?.status).toMatchObject({ status: 'available', serviceName: `cn-north-4.rbac.${id}` });

    // The Secret was the only source: a CR without credentialsSecretRef gets CredentialsMissing.
    await createCR(
      k.custom,
      watched,
      'no-creds',
      specFor({ portId: uuid(), vpcId: uuid(), deletionPolicy: 'Retain' }),
    );
    const missing = await waitForCR(
      k.custom,
      watched,
      'no-creds',
      (c) => cond(c, 'Ready')?.reason === 'CredentialsMissing',
      'Ready=False CredentialsMissing',
    );
    expect(cond(missing, 'Ready')?.status).toBe('False');

    // The operator leads through a Lease in the release namespace.
    const identity = await eventually(async () => loggedIdentity(op), 'the operator to log its identity');
    const lease = JSON.parse(await k.kubectl('get', 'lease', LEASE, '-n', releaseNs, '-o', 'json')) as {
      spec: { holderIdentity?: string };
    };
    expect(lease.spec.holderIdentity).toBe(identity);

    // 4b. Update a mutable field: one PUT, Ready at generation 2.
    const putsBefore = sim.controls.counters().update ?? 0;
    await patchCR(k.custom, watched, 'svc', { spec: { description: 'v2' } });
    const updated = await waitForCR(
      k.custom,
      watched,
      'svc',
      (c) => c?.metadata.generation === 2 && isReady(c),
      'Ready at generation 2',
    );
    expect(updated?.status?.observedGeneration).toBe(2);
    expect((sim.controls.counters().update ?? 0) - putsBefore).toBe(1);
    expect(sim.controls.services().find((s) => s.id === id)?.description).toBe('v2');

    // 4c. Delete: the cloud service goes, then the finalizer, then the CR.
    await deleteCR(k.custom, watched, 'svc');
    await deleteCR(k.custom, watched, 'no-creds');
    for (const name of ['svc', 'no-creds'])
      await waitForCR(k.custom, watched, name, (c) => c === undefined, 'gone', 60_000);
    expect(sim.controls.services().find((s) => s.id === id)).toBeUndefined();
    expect(sim.controls.counters().delete).toBe(1);

    // Events were written (events.k8s.io) for each step.
    const events = JSON.parse(
      await k.kubectl('get', 'events.events.k8s.io', '-n', watched, '-o', 'json'),
    ) as { items: { reason?: string; regarding?: { name?: string } }[] };
    const reasons = events.items.filter((e) => e.regarding?.name === 'svc').map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['Created', 'Updated', 'Deleted']));

    // Nothing the operator did was refused.
    expect(forbiddenLines(op)).toEqual([]);
    expect(op.lines.join('\n')).not.toContain(TEST_CREDS.secretKey);
  }
  /**
   * The consumer kind with the same ServiceAccount: a service with acceptInCluster, a VpcEndpoint by
   * serviceRef with publish (Ready, accepted, the Service published; or, without publish.enabled,
   * Ready=False PublishDisabled and no Service), then both deleted and gone from the cloud.
   */
  async function endpointLifecycle(
    op: OperatorProcess,
    sim: Simulator,
    watched: string,
    publish: boolean,
  ): Promise<void> {
    await createCR(
      k.custom,
      watched,
      'orders',
      specFor({
        portId: uuid(),
        vpcId: uuid(),
        approvalEnabled: true,
        ports: [{ clientPort: 5432, serverPort: 5432 }],
        connectionApproval: { acceptInCluster: { namespaces: [watched] } },
        credentialsSecretRef: { name: SECRET },
      }),
    );
    const serviceId = (await waitForCR(k.custom, watched, 'orders', isReady, 'orders Ready'))?.status?.id;
    expect(serviceId).toBeTruthy();
    await createEndpointCR(k.custom, watched, 'orders-db', {
      serviceRef: { name: 'orders' },
      vpcId: uuid(),
      subnetId: uuid(),
      credentialsSecretRef: { name: SECRET },
      publish: { serviceName: 'orders-db' },
    });
    const readService = () =>
      k.core.readNamespacedService({ name: 'orders-db', namespace: watched }).catch(() => undefined);
    let ep: VpcEndpoint | undefined;
    if (publish) {
      ep = await waitForEndpoint(
        k.custom,
        watched,
        'orders-db',
        (e) => readyReason(e) === 'True' && e?.status?.observedGeneration === e?.metadata.generation,
        'VpcEndpoint Ready',
        90_000,
      );
      expect(ep?.status?.status).toBe('accepted');
      const svc = await readService();
      expect(svc?.spec?.type).toBe('ExternalName');
      expect(svc?.spec?.externalName).toBe(ep?.status?.dnsNames?.[0]);
      expect(svc?.metadata?.ownerReferences?.[0]).toMatchObject({
        kind: 'VpcEndpoint',
        uid: ep?.metadata.uid,
      });
    } else {
      ep = await waitForEndpoint(
        k.custom,
        watched,
        'orders-db',
        (e) => readyReason(e) === 'PublishDisabled',
        'Ready=False PublishDisabled',
        90_000,
      );
      expect(ep?.status?.status).toBe('accepted');
      expect(cond(ep as never, 'Ready')?.message).toMatch(/--enable-publish=false/);
      expect(await readService()).toBeUndefined();
    }
    expect(ep?.status?.serviceId).toBe(serviceId);
    const id = ep?.status?.id;
    expect(sim.controls.endpoints().map((e) => e.id)).toEqual([id]);

    // Delete: the endpoint goes from the cloud, then the finalizer, then the CR (and its Service).
    await deleteEndpointCR(k.custom, watched, 'orders-db');
    await eventually(
      async () => ((await getEndpointCR(k.custom, watched, 'orders-db')) === undefined ? true : undefined),
      'VpcEndpoint gone',
      60_000,
      200,
    );
    expect(sim.controls.endpoints().find((e) => e.id === id)).toBeUndefined();
    if (publish)
      await eventually(
        async () => ((await readService()) === undefined ? true : undefined),
        'the published Service garbage-collected',
        60_000,
        250,
      );
    await deleteCR(k.custom, watched, 'orders');
    await waitForCR(k.custom, watched, 'orders', (c) => c === undefined, 'gone', 60_000);
    expect(sim.controls.services().find((s) => s.id === serviceId)).toBeUndefined();
    expect(forbiddenLines(op)).toEqual([]);
  }
});
