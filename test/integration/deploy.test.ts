import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { testKube, type TestKube } from './support/kube.js';
import { ok, run, type Run } from './support/tools.js';

// Shipping, proven against the real apiserver: the chart lints, renders to objects the apiserver
// accepts, installs, and its RBAC grants what the operator needs and nothing else; the kustomize base
// is exactly what the chart renders. Pods never run here (no nodes), so nothing waits for them.

const root = path.resolve(import.meta.dirname, '../..');
const chart = path.join(root, 'deploy/helm/vpcep-operator');
const CRD = 'vpcendpointservices.vpcep.huaweicloud.io';
const VES = CRD;
const VPCE = 'vpcendpoints.vpcep.huaweicloud.io';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  rules?: { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[];
  spec?: Record<string, unknown>;
}

function docs(yaml: string): K8sObject[] {
  return parseAllDocuments(yaml)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((d): d is K8sObject => d !== null);
}

describe('shipping: Helm chart, RBAC and kustomize base on a real apiserver', () => {
  let k: TestKube;
  let helmBin: string;
  let kubectlBin: string;
  let kubeVersion: string;
  const releases: { name: string; ns: string }[] = [];

  const helm = (...args: string[]): Promise<Run> => run(helmBin, ['--kubeconfig', k.kubeconfig, ...args]);
  const kubectl = (args: string[], input?: string): Promise<Run> =>
    run(kubectlBin, ['--kubeconfig', k.kubeconfig, ...args], input);
  const template = async (release: string, ns: string, ...set: string[]): Promise<string> =>
    ok(
      await helm('template', release, chart, '--namespace', ns, '--kube-version', kubeVersion, ...set),
      'helm template',
    );

  /** `kubectl auth can-i` as the chart's ServiceAccount: true for "yes", false for "no". */
  const canI = async (sa: string, ...args: string[]): Promise<boolean> => {
    const r = await kubectl(['auth', 'can-i', `--as=${sa}`, ...args]);
    const answer = r.stdout.trim();
    if (answer !== 'yes' && answer !== 'no') throw new Error(`can-i ${args.join(' ')}: ${r.stderr}`);
    return answer === 'yes';
  };

  beforeAll(async () => {
    k = testKube();
    const bin = inject('toolsBin');
    helmBin = path.join(bin, 'helm');
    kubectlBin = path.join(bin, 'kubectl');
    const v = JSON.parse(await k.kubectl('get', '--raw', '/version')) as { gitVersion: string };
    kubeVersion = v.gitVersion;
  });

  afterAll(async () => {
    // Cluster-scoped objects (ClusterRoles, bindings) outlive namespaces: uninstall what we installed.
    for (const r of releases) await helm('uninstall', r.name, '--namespace', r.ns);
  });

  it('helm lint --strict is clean, with default and non-default values', async () => {
    for (const set of [
      [],
      ['--set', 'watchNamespaces={team-a,team-b}', '--set', 'rbac.credentialSecretNames={vpcep-credentials}'],
      [
        '--set',
        'credentials.create=true,credentials.accessKey=AK,credentials.secretKey=SK,cloud.region=cn-north-4',
      ],
      [
        '--set',
        'metrics.serviceMonitor.enabled=true,podDisruptionBudget.enabled=false,leaderElection.enabled=false',
      ],
      [
        '--set',
        'workloadIdentity.enabled=true,workloadIdentity.idpId=cce-idp,workloadIdentity.audience=iam,cloud.region=cn-north-4',
        '--set',
        'watchSecrets=false',
      ],
    ]) {
      const out = ok(
        await helm('lint', '--strict', chart, '--kube-version', kubeVersion, ...set),
        'helm lint',
      );
      expect(out).toContain('1 chart(s) linted, 0 chart(s) failed');
      expect(out).not.toMatch(/\[(WARNING|ERROR)\]/);
    }
  });

  it('the schema rejects unknown values before anything reaches the cluster', async () => {
    const r = await helm('template', 'x', chart, '--kube-version', kubeVersion, '--set', 'replicas=3');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("additional properties 'replicas' not allowed");
  });

  it('helm template | kubectl apply --dry-run=server is accepted (all-namespaces, namespaced, chart credentials)', async () => {
    const ns = await k.freshNamespace('tmpl');
    const watched = await k.freshNamespace('tmpl-w');
    for (const set of [
      [],
      ['--set', `watchNamespaces={${watched}}`],
      [
        '--set',
        'credentials.create=true,credentials.accessKey=AK,credentials.secretKey=SK,credentials.projectId=P',
      ],
      [
        '--set',
        'credentials.existingSecret=mine,cloud.region=cn-north-4,cloud.endpoint=https://vpcep.example.test',
      ],
      [
        '--set',
        'workloadIdentity.enabled=true,workloadIdentity.idpId=cce-idp,workloadIdentity.audience=iam.example.test,' +
          'cloud.region=cn-north-4,cloud.iamEndpoint=https://iam.example.test',
      ],
      ['--set', 'watchSecrets=false'],
    ]) {
      const rendered = await template(`dry-${randomBytes(2).toString('hex')}`, ns, ...set);
      const out = ok(
        await kubectl(['apply', '--dry-run=server', '-f', '-'], rendered),
        'kubectl apply --dry-run=server',
      );
      expect(out).toMatch(/deployment\.apps\/\S+ created \(server dry run\)/);
      expect(out).toMatch(/poddisruptionbudget\.policy\/\S+ created \(server dry run\)/);
    }
  });

  it('the Deployment is hardened and runs 2 leader-elected replicas', async () => {
    const objects = docs(await template('hard', 'vpcep-system'));
    const deploy = objects.find((o) => o.kind === 'Deployment');
    const spec = deploy?.spec as {
      replicas: number;
      template: {
        spec: {
          securityContext: Record<string, unknown>;
          containers: {
            args: string[];
            env: { name: string }[];
            securityContext: Record<string, unknown>;
            livenessProbe: unknown;
            readinessProbe: unknown;
            resources: { requests: unknown; limits: unknown };
          }[];
        };
      };
    };
    expect(spec.replicas).toBe(2);
    const pod = spec.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const [c] = pod.containers;
    expect(c?.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(c?.args).toContain('--leader-elect');
    expect(c?.args).toContain('--health-probe-bind-address=:8081');
    expect(c?.env.map((e) => e.name)).toEqual(expect.arrayContaining(['POD_NAMESPACE', 'POD_NAME']));
    expect(c?.livenessProbe).toMatchObject({ httpGet: { path: '/healthz' } });
    expect(c?.readinessProbe).toMatchObject({ httpGet: { path: '/readyz' } });
    expect(c?.resources.requests).toBeDefined();
    expect(c?.resources.limits).toBeDefined();
    expect(objects.map((o) => o.kind)).toEqual(
      expect.arrayContaining(['ServiceAccount', 'Service', 'PodDisruptionBudget', 'ClusterRole', 'Role']),
    );
  });

  describe('helm install and RBAC in all-namespaces mode', () => {
    let ns: string;
    let other: string;
    let sa: string;
    const release = `it-${randomBytes(3).toString('hex')}`;

    beforeAll(async () => {
      ns = await k.freshNamespace('helm');
      other = await k.freshNamespace('crs');
      const before = JSON.parse(await k.kubectl('get', 'crd', CRD, '-o', 'json')) as {
        metadata: { resourceVersion: string };
      };
      // No --wait: without nodes the pods never run. The CRD exists (the global setup applied crds/),
      // outside any release: a second owner is refused, so this release leaves it alone.
      const out = ok(
        await helm('install', release, chart, '--namespace', ns, '--set', 'crds.install=false'),
        'helm install',
      );
      releases.push({ name: release, ns });
      expect(out).toContain('STATUS: deployed');
      const after = JSON.parse(await k.kubectl('get', 'crd', CRD, '-o', 'json')) as {
        metadata: { resourceVersion: string };
      };
      expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
      sa = `system:serviceaccount:${ns}:${release}-vpcep-operator`;
    });

    it('created the objects; the pods are pending without nodes, as expected', async () => {
      const st = JSON.parse(
        ok(await helm('status', release, '--namespace', ns, '-o', 'json'), 'helm status'),
      ) as {
        info: { status: string };
      };
      expect(st.info.status).toBe('deployed');
      const d = JSON.parse(
        await k.kubectl('-n', ns, 'get', 'deployment', `${release}-vpcep-operator`, '-o', 'json'),
      ) as {
        spec: { replicas: number };
      };
      expect(d.spec.replicas).toBe(2);
      await k.kubectl('-n', ns, 'get', 'serviceaccount', `${release}-vpcep-operator`);
      await k.kubectl('-n', ns, 'get', 'service', `${release}-vpcep-operator-metrics`);
      await k.kubectl('-n', ns, 'get', 'poddisruptionbudget', `${release}-vpcep-operator`);
    });

    it('can do what the operator needs', async () => {
      for (const verb of ['get', 'list', 'watch', 'patch', 'update'])
        expect(await canI(sa, verb, VES, '-n', other), `${verb} ${VES}`).toBe(true);
      expect(await canI(sa, 'list', VES, '--all-namespaces')).toBe(true);
      expect(await canI(sa, 'watch', VES, '--all-namespaces')).toBe(true);
      for (const verb of ['get', 'patch', 'update'])
        expect(await canI(sa, verb, VES, '--subresource=status', '-n', other), `${verb} status`).toBe(true);
      expect(await canI(sa, 'update', VES, '--subresource=finalizers', '-n', other)).toBe(true);
      // Issue 13: the consumer side, and what a VpcEndpoint publishes (publish.enabled, the default).
      for (const verb of ['get', 'list', 'watch', 'patch', 'update'])
        expect(await canI(sa, verb, VPCE, '-n', other), `${verb} ${VPCE}`).toBe(true);
      expect(await canI(sa, 'patch', VPCE, '--subresource=status', '-n', other)).toBe(true);
      expect(await canI(sa, 'update', VPCE, '--subresource=finalizers', '-n', other)).toBe(true);
      for (const verb of ['create', 'get', 'list', 'watch', 'patch', 'update', 'delete']) {
        expect(await canI(sa, verb, 'services', '-n', other), `${verb} services`).toBe(true);
        expect(await canI(sa, verb, 'endpointslices.discovery.k8s.io', '-n', other), verb).toBe(true);
      }
      for (const verb of ['create', 'patch']) {
        expect(await canI(sa, verb, 'events.events.k8s.io', '-n', other), `${verb} events.k8s.io`).toBe(true);
        expect(await canI(sa, verb, 'events', '-n', other), `${verb} core events`).toBe(true);
      }
      for (const verb of ['get', 'create', 'update'])
        expect(await canI(sa, verb, 'leases.coordination.k8s.io', '-n', ns), `${verb} leases`).toBe(true);
      expect(await canI(sa, 'get', 'secrets', '-n', other)).toBe(true);
      // The Secret watch (watchSecrets, on by default): metadata-only list and watch.
      expect(await canI(sa, 'list', 'secrets', '-n', other)).toBe(true);
      expect(await canI(sa, 'watch', 'secrets', '--all-namespaces')).toBe(true);
      // The CRD guards read the chart's CRDs by name: get, and list/watch with a metadata.name selector.
      for (const verb of ['get', 'list', 'watch'])
        expect(await canI(sa, verb, `customresourcedefinitions.apiextensions.k8s.io/${CRD}`), verb).toBe(
          true,
        );
    });

    it('cannot do what it does not need', async () => {
      const denied: string[][] = [
        ['create', VES, '-n', other],
        ['create', VPCE, '-n', other],
        ['delete', VPCE, '-n', other],
        ['deletecollection', 'services', '-n', other],
        ['delete', VES, '-n', other],
        ['deletecollection', VES, '-n', other],
        ['delete', VES, '--subresource=status', '-n', other],
        ['delete', 'secrets', '-n', other],
        ['create', 'secrets', '-n', other],
        ['update', 'secrets', '-n', other],
        ['patch', 'secrets', '-n', other],
        ['list', 'pods', '-n', other],
        ['get', 'pods', '-n', ns],
        ['create', 'pods', '-n', ns],
        ['list', 'configmaps', '-n', ns],
        ['get', 'events', '-n', other],
        ['delete', 'events.events.k8s.io', '-n', other],
        ['create', 'customresourcedefinitions.apiextensions.k8s.io'],
        ['list', 'customresourcedefinitions.apiextensions.k8s.io'],
        ['watch', 'customresourcedefinitions.apiextensions.k8s.io'],
        ['delete', `customresourcedefinitions.apiextensions.k8s.io/${CRD}`],
        ['update', `customresourcedefinitions.apiextensions.k8s.io/${CRD}`],
        ['patch', `customresourcedefinitions.apiextensions.k8s.io/${CRD}`],
        ['get', 'customresourcedefinitions.apiextensions.k8s.io/widgets.example.com'],
        ['watch', 'customresourcedefinitions.apiextensions.k8s.io/widgets.example.com'],
        ['get', 'leases.coordination.k8s.io', '-n', other],
        ['create', 'leases.coordination.k8s.io', '-n', other],
        ['update', 'leases.coordination.k8s.io', '-n', 'kube-system'],
        ['list', 'leases.coordination.k8s.io', '-n', ns],
        ['delete', 'leases.coordination.k8s.io', '-n', ns],
        ['create', 'clusterroles.rbac.authorization.k8s.io'],
        ['create', 'rolebindings.rbac.authorization.k8s.io', '-n', ns],
        ['create', 'serviceaccounts/token', '-n', ns],
        ['*', '*', '--all-namespaces'],
      ];
      for (const args of denied) expect(await canI(sa, ...args), `can-i ${args.join(' ')}`).toBe(false);
    });
  });

  describe('namespaced-only mode', () => {
    let ns: string;
    let watched: string;
    let unwatched: string;
    let sa: string;
    const release = `nsd-${randomBytes(3).toString('hex')}`;

    beforeAll(async () => {
      ns = await k.freshNamespace('helm-nsd');
      watched = await k.freshNamespace('watched');
      unwatched = await k.freshNamespace('unwatched');
      ok(
        await helm(
          'install',
          release,
          chart,
          '--namespace',
          ns,
          '--set',
          'crds.install=false',
          '--set',
          `watchNamespaces={${watched}}`,
          '--set',
          'rbac.credentialSecretNames={vpcep-credentials}',
        ),
        'helm install (namespaced)',
      );
      releases.push({ name: release, ns });
      sa = `system:serviceaccount:${ns}:${release}-vpcep-operator`;
    });

    it('renders a Role per watched namespace and no ClusterRole for the CR', async () => {
      const objects = docs(await template(release, ns, '--set', `watchNamespaces={${watched},${unwatched}}`));
      const roles = objects.filter((o) => o.kind === 'Role' && o.metadata.name.endsWith('-manager'));
      expect(roles.map((r) => r.metadata.namespace).sort()).toEqual([watched, unwatched].sort());
      const clusterRoles = objects.filter((o) => o.kind === 'ClusterRole');
      for (const cr of clusterRoles)
        for (const rule of cr.rules ?? []) {
          expect(rule.apiGroups).not.toContain('vpcep.huaweicloud.io');
          expect(rule.resources).not.toContain('secrets');
        }
      expect(clusterRoles.map((c) => c.metadata.name)).toEqual([`${release}-vpcep-operator-crd-guard`]);
      const deploy = objects.find((o) => o.kind === 'Deployment') as unknown as {
        spec: { template: { spec: { containers: { args: string[] }[] } } };
      };
      expect(deploy.spec.template.spec.containers[0]?.args).toContain(`--namespaces=${watched},${unwatched}`);
    });

    it('grants the CR, Events and named Secrets in the watched namespace only', async () => {
      expect(await canI(sa, 'list', VES, '-n', watched)).toBe(true);
      expect(await canI(sa, 'watch', VES, '-n', watched)).toBe(true);
      expect(await canI(sa, 'update', VES, '--subresource=status', '-n', watched)).toBe(true);
      expect(await canI(sa, 'update', VES, '--subresource=finalizers', '-n', watched)).toBe(true);
      expect(await canI(sa, 'create', 'events.events.k8s.io', '-n', watched)).toBe(true);
      expect(await canI(sa, 'get', 'secrets/vpcep-credentials', '-n', watched)).toBe(true);
      // The Secret watch by name (a metadata.name field selector makes list/watch requests of a name).
      expect(await canI(sa, 'list', 'secrets/vpcep-credentials', '-n', watched)).toBe(true);
      expect(await canI(sa, 'watch', 'secrets/vpcep-credentials', '-n', watched)).toBe(true);
      expect(await canI(sa, 'update', 'leases.coordination.k8s.io', '-n', ns)).toBe(true);
      // Warnings about the operator's own Pod (the CRD schema guard) go to the release namespace.
      expect(await canI(sa, 'create', 'events.events.k8s.io', '-n', ns)).toBe(true);
      expect(await canI(sa, 'watch', `customresourcedefinitions.apiextensions.k8s.io/${CRD}`)).toBe(true);

      expect(await canI(sa, 'get', 'events.events.k8s.io', '-n', ns)).toBe(false);
      expect(await canI(sa, 'create', 'events', '-n', ns)).toBe(false);
      expect(await canI(sa, 'list', 'customresourcedefinitions.apiextensions.k8s.io')).toBe(false);
      expect(await canI(sa, 'get', 'secrets/another-secret', '-n', watched)).toBe(false);
      expect(await canI(sa, 'list', VES, '-n', unwatched)).toBe(false);
      expect(await canI(sa, 'get', VES, '-n', unwatched)).toBe(false);
      expect(await canI(sa, 'list', VES, '--all-namespaces')).toBe(false);
      expect(await canI(sa, 'create', 'events', '-n', unwatched)).toBe(false);
      expect(await canI(sa, 'get', 'secrets/vpcep-credentials', '-n', unwatched)).toBe(false);
      expect(await canI(sa, 'list', 'secrets', '-n', watched)).toBe(false);
      expect(await canI(sa, 'watch', 'secrets', '-n', watched)).toBe(false);
      expect(await canI(sa, 'list', 'secrets/another-secret', '-n', watched)).toBe(false);
      expect(await canI(sa, 'watch', 'secrets/vpcep-credentials', '-n', unwatched)).toBe(false);
      expect(await canI(sa, 'get', VES, '-n', ns)).toBe(false);
    });

    it('tells the operator the names it may read and watch', async () => {
      const objects = docs(
        await template(
          release,
          ns,
          '--set',
          `watchNamespaces={${watched}}`,
          '--set',
          'rbac.credentialSecretNames={a,b}',
        ),
      );
      const deploy = objects.find((o) => o.kind === 'Deployment') as unknown as {
        spec: { template: { spec: { containers: { args: string[] }[] } } };
      };
      const args = deploy.spec.template.spec.containers[0]?.args ?? [];
      expect(args).toContain('--credential-secret-names=a,b');
      expect(args).toContain('--watch-secrets=true');
    });
  });

  describe('watchSecrets=false: Secrets by get only', () => {
    let ns: string;
    let other: string;
    let sa: string;
    const release = `nows-${randomBytes(3).toString('hex')}`;

    beforeAll(async () => {
      ns = await k.freshNamespace('helm-nows');
      other = await k.freshNamespace('nows-crs');
      ok(
        await helm(
          'install',
          release,
          chart,
          '--namespace',
          ns,
          '--set',
          'crds.install=false',
          '--set',
          'watchSecrets=false',
        ),
        'helm install (watchSecrets=false)',
      );
      releases.push({ name: release, ns });
      sa = `system:serviceaccount:${ns}:${release}-vpcep-operator`;
    });

    it('grants get on Secrets and neither list nor watch, and runs the operator with --watch-secrets=false', async () => {
      expect(await canI(sa, 'get', 'secrets', '-n', other)).toBe(true);
      for (const args of [
        ['list', 'secrets', '-n', other],
        ['watch', 'secrets', '-n', other],
        ['list', 'secrets', '--all-namespaces'],
        ['watch', 'secrets', '--all-namespaces'],
      ])
        expect(await canI(sa, ...args), `can-i ${args.join(' ')}`).toBe(false);
      const deploy = JSON.parse(
        await k.kubectl('-n', ns, 'get', 'deployment', `${release}-vpcep-operator`, '-o', 'json'),
      ) as { spec: { template: { spec: { containers: { args: string[] }[] } } } };
      expect(deploy.spec.template.spec.containers[0]?.args).toContain('--watch-secrets=false');
    });
  });

  it('workload identity: a projected token of its own audience, mounted read-only, and the variables pointing at it', async () => {
    const objects = docs(
      await template(
        'wi',
        'vpcep-system',
        '--set',
        'workloadIdentity.enabled=true,workloadIdentity.idpId=cce-idp,workloadIdentity.audience=iam.example.test,' +
          'workloadIdentity.projectId=0a1b2c3d4e5f60718293a4b5c6d7e8f9,workloadIdentity.expirationSeconds=7200',
      ),
    );
    const deploy = objects.find((o) => o.kind === 'Deployment') as unknown as {
      spec: {
        template: {
          spec: {
            volumes: Array<{ name: string; projected?: { sources: Array<Record<string, unknown>> } }>;
            containers: Array<{
              env: Array<{ name: string; value?: string; valueFrom?: unknown }>;
              volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
            }>;
          };
        };
      };
    };
    const pod = deploy.spec.template.spec;
    const volume = pod.volumes.find((v) => v.name === 'identity-token');
    expect(volume?.projected?.sources).toEqual([
      { serviceAccountToken: { audience: 'iam.example.test', expirationSeconds: 7200, path: 'token' } },
    ]);
    const c = pod.containers[0]!;
    const mount = c.volumeMounts.find((m) => m.name === 'identity-token');
    expect(mount).toEqual({
      name: 'identity-token',
      mountPath: '/var/run/secrets/vpcep-operator/identity',
      readOnly: true,
    });
    const env = Object.fromEntries(c.env.map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      HUAWEICLOUD_SDK_IDP_ID: 'cce-idp',
      HUAWEICLOUD_SDK_ID_TOKEN_FILE: '/var/run/secrets/vpcep-operator/identity/token',
      HUAWEICLOUD_SDK_PROJECT_ID: '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
    });
    expect(env.HUAWEICLOUD_SDK_AK).toBeUndefined();
    expect(env.HUAWEICLOUD_SDK_SK).toBeUndefined();
    // Exclusive with an access key; a project (or region) is required.
    const both = await helm(
      'template',
      'x',
      chart,
      '--kube-version',
      kubeVersion,
      '--set',
      'workloadIdentity.enabled=true,workloadIdentity.idpId=i,workloadIdentity.audience=a,cloud.region=r,credentials.existingSecret=s',
    );
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain('are exclusive');
    const noProject = await helm(
      'template',
      'x',
      chart,
      '--kube-version',
      kubeVersion,
      '--set',
      'workloadIdentity.enabled=true,workloadIdentity.idpId=i,workloadIdentity.audience=a',
    );
    expect(noProject.code).not.toBe(0);
    expect(noProject.stderr).toContain('needs a project');
  });

  describe('CRDs as templates (crds.install, crds.keep)', () => {
    const sources = readdirSync(path.join(root, 'crds'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => docs(readFileSync(path.join(root, 'crds', f), 'utf8'))[0]!);
    const crdsOf = (objects: K8sObject[]) => objects.filter((o) => o.kind === 'CustomResourceDefinition');

    it('defaults render every CRD of crds/ as a template, kept on uninstall, with the schema of crds/', async () => {
      const objects = docs(await template('crds', 'vpcep-system'));
      const rendered = crdsOf(objects);
      expect(rendered.map((c) => c.metadata.name).sort()).toEqual(sources.map((c) => c.metadata.name).sort());
      for (const src of sources) {
        const crd = rendered.find((c) => c.metadata.name === src.metadata.name)!;
        expect(crd.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
        expect(crd.metadata.annotations).toMatchObject(src.metadata.annotations ?? {});
        expect(crd.metadata.annotations?.['argocd.argoproj.io/sync-wave']).toBe('-1');
        expect(crd.metadata.annotations?.['argocd.argoproj.io/sync-options']).toContain('Prune=false');
        expect(crd.spec, `${src.metadata.name}: the rendered spec differs from crds/`).toEqual(src.spec);
      }
      // The guard's RBAC names exactly these CRDs.
      const guard = objects.find((o) => o.kind === 'ClusterRole' && o.metadata.name.endsWith('-crd-guard'));
      expect(guard?.rules?.[0]?.resourceNames?.sort()).toEqual(sources.map((c) => c.metadata.name).sort());
    });

    it('--set crds.install=false renders no CRD; crds.keep=false drops only the keep policy', async () => {
      expect(crdsOf(docs(await template('crds', 'vpcep-system', '--set', 'crds.install=false')))).toEqual([]);
      const unkept = crdsOf(docs(await template('crds', 'vpcep-system', '--set', 'crds.keep=false')));
      expect(unkept).toHaveLength(sources.length);
      for (const crd of unkept) {
        expect(crd.metadata.annotations?.['helm.sh/resource-policy']).toBeUndefined();
        expect(crd.spec).toEqual(sources.find((s) => s.metadata.name === crd.metadata.name)?.spec);
      }
    });
  });

  describe('kustomize base', () => {
    let tmp: string;
    beforeAll(() => {
      tmp = mkdtempSync(path.join(tmpdir(), 'vpcep-kustomize-'));
    });
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));

    it('is exactly what `make kustomize` renders from the chart (no drift)', async () => {
      ok(await run('bash', ['deploy/generate-kustomize.sh', tmp, helmBin]), 'generate-kustomize.sh');
      const committed = path.join(root, 'deploy/kustomize');
      const names = readdirSync(tmp).sort();
      expect(readdirSync(committed).sort(), 'run `make kustomize`').toEqual(names);
      for (const f of names)
        expect(
          readFileSync(path.join(committed, f), 'utf8'),
          `deploy/kustomize/${f} is stale: run \`make kustomize\``,
        ).toBe(readFileSync(path.join(tmp, f), 'utf8'));
    });

    it('kubectl apply --server-side -k is accepted by the apiserver (dry run)', async () => {
      const exists = await kubectl(['get', 'namespace', 'vpcep-system']);
      if (exists.code !== 0) ok(await kubectl(['create', 'namespace', 'vpcep-system']), 'create namespace');
      const out = ok(
        await kubectl([
          'apply',
          '--server-side',
          '--dry-run=server',
          '-k',
          path.join(root, 'deploy/kustomize'),
        ]),
        'kubectl apply -k',
      );
      expect(out).toMatch(
        /customresourcedefinition\.apiextensions\.k8s\.io\/vpcendpointservices\.vpcep\.huaweicloud\.io serverside-applied/,
      );
      expect(out).toMatch(/deployment\.apps\/vpcep-operator serverside-applied/);
      const crd = docs(
        ok(await kubectl(['kustomize', path.join(root, 'deploy/kustomize')]), 'kubectl kustomize'),
      ).find((o) => o.kind === 'CustomResourceDefinition');
      expect(crd?.metadata.annotations?.['argocd.argoproj.io/sync-wave']).toBe('-1');
    });
  });
});
