/**
 * Issue 13: plain `helm template` (no cluster, no --kube-version, as kustomize's helmCharts and many
 * pipelines run it) renders the chart; the minimum Kubernetes version still holds against a real
 * cluster's version. And the RBAC of the consumer side: VpcEndpoints in every RBAC mode, Services and
 * EndpointSlices only with publish.enabled (default true), `--enable-publish=false` otherwise.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { cachedHelm, chartDir } from './paths.js';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
  spec?: { template?: { spec?: { containers?: { args?: string[] }[] } } };
}

const helm = cachedHelm();
if (!helm) console.warn('helm-template.test.ts: skipped, no cached helm (run `make tools`)');

function template(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(helm!, ['template', 'vpcep', chartDir, '--namespace', 'vpcep-system', ...args], {
    encoding: 'utf8',
  });
}

function render(...args: string[]): Doc[] {
  const r = template(...args);
  expect(r.status, r.stderr).toBe(0);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as Doc | null)
    .filter((d): d is Doc => d !== null);
}

const roles = (docs: Doc[]): Doc[] =>
  docs.filter((d) => (d.kind === 'ClusterRole' || d.kind === 'Role') && d.metadata.name.endsWith('-manager'));
const grants = (role: Doc, group: string, resource: string): string[] =>
  (role.rules ?? [])
    .filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource))
    .flatMap((r) => r.verbs)
    .sort();
const args = (docs: Doc[]): string[] =>
  docs.find((d) => d.kind === 'Deployment')!.spec!.template!.spec!.containers![0]!.args!;

const PUBLISH_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
const MODES: [string, string[]][] = [
  ['all namespaces (ClusterRole)', []],
  ['namespaced-only (a Role per watched namespace)', ['--set', 'watchNamespaces={team-a,team-b}']],
];

describe.skipIf(!helm)('helm template without a cluster', () => {
  it('renders with no --kube-version (Helm’s offline default), the CRDs of both kinds included', () => {
    const docs = render();
    expect(
      docs
        .filter((d) => d.kind === 'CustomResourceDefinition')
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(['vpcendpoints.vpcep.huaweicloud.io', 'vpcendpointservices.vpcep.huaweicloud.io']);
    expect(docs.some((d) => d.kind === 'Deployment')).toBe(true);
  });

  it('still refuses a real cluster older than 1.25, saying why, and renders for 1.25 and later', () => {
    const old = template('--kube-version', '1.24.17');
    expect(old.status).not.toBe(0);
    expect(old.stderr).toContain('needs Kubernetes 1.25 or later');
    expect(old.stderr).toContain('v1.24.17');
    for (const v of ['1.25.0', 'v1.30.2-eks-1234', '1.36.0'])
      expect(template('--kube-version', v).status).toBe(0);
  });

  it.each(MODES)(
    '%s: VpcEndpoints, their status and finalizers, beside VpcEndpointServices',
    (_mode, set) => {
      const rs = roles(render(...set));
      expect(rs.length).toBeGreaterThan(0);
      for (const role of rs) {
        for (const plural of ['vpcendpointservices', 'vpcendpoints']) {
          expect(grants(role, 'vpcep.huaweicloud.io', plural)).toEqual([
            'get',
            'list',
            'patch',
            'update',
            'watch',
          ]);
          expect(grants(role, 'vpcep.huaweicloud.io', `${plural}/status`)).toEqual([
            'get',
            'patch',
            'update',
          ]);
          expect(grants(role, 'vpcep.huaweicloud.io', `${plural}/finalizers`)).toEqual(['update']);
        }
      }
    },
  );

  it.each(MODES)(
    '%s: Services and EndpointSlices with publish.enabled (the default), none without',
    (_m, set) => {
      const on = render(...set);
      for (const role of roles(on)) {
        expect(grants(role, '', 'services')).toEqual(PUBLISH_VERBS);
        expect(grants(role, 'discovery.k8s.io', 'endpointslices')).toEqual(PUBLISH_VERBS);
      }
      expect(args(on).filter((a) => a.startsWith('--enable-publish'))).toEqual([]);

      const off = render(...set, '--set', 'publish.enabled=false');
      const all = off.filter((d) => d.kind === 'ClusterRole' || d.kind === 'Role');
      for (const role of all) {
        expect(grants(role, '', 'services'), role.metadata.name).toEqual([]);
        expect(grants(role, 'discovery.k8s.io', 'endpointslices'), role.metadata.name).toEqual([]);
      }
      expect(args(off)).toContain('--enable-publish=false');
    },
  );

  it('the CRD guard may read both CRDs by name', () => {
    const guard = render().find((d) => d.kind === 'ClusterRole' && d.metadata.name.endsWith('-crd-guard'));
    expect((guard!.rules![0] as Rule & { resourceNames: string[] }).resourceNames.sort()).toEqual([
      'vpcendpoints.vpcep.huaweicloud.io',
      'vpcendpointservices.vpcep.huaweicloud.io',
    ]);
  });
});
