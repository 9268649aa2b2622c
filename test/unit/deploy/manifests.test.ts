import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { OPERATOR_NODE_ARGS } from '../../integration/support/node-flags.js';
import { chartDir, endpointHealthDir, healthDir, root } from './paths.js';

const read = (p: string): string => readFileSync(path.join(root, p), 'utf8');

describe('Helm chart metadata and values', () => {
  const chart = parse(read('deploy/helm/vpcep-operator/Chart.yaml')) as Record<string, unknown>;
  const pkg = JSON.parse(read('package.json')) as { version: string; bin: Record<string, string> };

  it('appVersion is the package version (the default image tag)', () => {
    expect(chart.apiVersion).toBe('v2');
    expect(chart.name).toBe('vpcep-operator');
    expect(chart.appVersion).toBe(pkg.version);
  });

  it('one release number: chart version, appVersion and package.json move together; CHANGELOG.md has it', () => {
    expect(chart.version).toBe(pkg.version);
    expect(chart.appVersion).toBe(pkg.version);
    const changelog = read('CHANGELOG.md');
    expect(changelog).toMatch(new RegExp(`^## ${pkg.version.replace(/\./g, '\\.')}\\b`, 'm'));
    // The newest release comes first.
    expect(/^## (\d+\.\d+\.\d+)/m.exec(changelog)?.[1]).toBe(pkg.version);
  });

  it('the CRDs follow the chart by default and survive an uninstall (crds.install, crds.keep)', () => {
    const values = parse(readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')) as {
      crds: { install: boolean; keep: boolean };
    };
    expect(values.crds).toEqual({ install: true, keep: true });
  });

  it('values.yaml satisfies values.schema.json, and the schema rejects unknown keys and bad values', () => {
    const schema = JSON.parse(readFileSync(path.join(chartDir, 'values.schema.json'), 'utf8')) as object;
    const values = parse(readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    expect(validate(values), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...values, replicas: 2 })).toBe(false);
    expect(validate({ ...values, watchNamespaces: ['Not_A_Namespace'] })).toBe(false);
    expect(validate({ ...values, operator: { resyncPeriod: 'ten minutes' } })).toBe(false);
    expect(validate({ ...values, image: { repository: 'x', digest: 'latest' } })).toBe(false);
  });

  it('defaults are the hardened ones the issue asks for', () => {
    const values = parse(readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')) as {
      replicaCount: number;
      leaderElection: { enabled: boolean };
      podSecurityContext: Record<string, unknown>;
      securityContext: Record<string, unknown>;
      podDisruptionBudget: { enabled: boolean };
    };
    expect(values.replicaCount).toBe(2);
    expect(values.leaderElection.enabled).toBe(true);
    expect(values.podDisruptionBudget.enabled).toBe(true);
    expect(values.podSecurityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(values.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string> };

  it('pins a Node 20 base by exact version, never latest', () => {
    const base = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
    expect(base).toMatch(/^node:20\.\d+\.\d+-[a-z]+-slim(@sha256:[a-f0-9]{64})?$/);
    for (const from of dockerfile.match(/^FROM .*$/gm) ?? [])
      expect(from).toMatch(/^FROM \$\{NODE_IMAGE\} AS \w+$/);
  });

  it('is multi-stage, runs as a numeric non-root user and execs the operator binary', () => {
    expect(dockerfile).toMatch(/RUN npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER 65532:65532$/m);
    const entry = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(JSON.parse(entry ?? 'null')).toEqual([
      'node',
      ...OPERATOR_NODE_ARGS,
      `/app/${pkg.bin['vpcep-operator']}`,
    ]);
  });

  it('make demo runs the operator with the same node flags as the image', () => {
    const demo = read('hack/demo.sh');
    expect(demo).toContain(`node ${OPERATOR_NODE_ARGS.join(' ')} dist/src/cmd/operator.js`);
  });
});

describe('ArgoCD', () => {
  it('argocd-cm.yaml embeds health.lua verbatim, for each kind', () => {
    const cm = parse(read('deploy/argocd/argocd-cm.yaml')) as { data: Record<string, string> };
    expect(cm.data['resource.customizations.health.vpcep.huaweicloud.io_VpcEndpointService']).toBe(
      readFileSync(path.join(healthDir, 'health.lua'), 'utf8'),
    );
    expect(cm.data['resource.customizations.health.vpcep.huaweicloud.io_VpcEndpoint']).toBe(
      readFileSync(path.join(endpointHealthDir, 'health.lua'), 'utf8'),
    );
  });

  it('the kustomize base puts the CRD in an earlier sync wave than everything else and never prunes it', () => {
    const k = parse(read('deploy/kustomize/kustomization.yaml')) as { patches: { patch: string }[] };
    const crdPatch = k.patches.map(
      (p) => parse(p.patch) as { kind: string; metadata: { annotations: Record<string, string> } },
    );
    const crd = crdPatch.find((p) => p.kind === 'CustomResourceDefinition');
    expect(crd?.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-1');
    expect(crd?.metadata.annotations['argocd.argoproj.io/sync-options']).toMatch(/Prune=false/);
    for (const doc of parseAllDocuments(read('deploy/kustomize/vpcep-operator.yaml'))) {
      const wave = (doc.toJS() as { metadata?: { annotations?: Record<string, string> } } | null)?.metadata
        ?.annotations?.['argocd.argoproj.io/sync-wave'];
      expect(wave === undefined || Number(wave) >= 0).toBe(true);
    }
  });

  it('the example CR syncs after the operator and tolerates a CRD created in the same sync', () => {
    const cr = parse(read('deploy/argocd/example-vpcendpointservice.yaml')) as {
      metadata: { annotations: Record<string, string> };
    };
    expect(Number(cr.metadata.annotations['argocd.argoproj.io/sync-wave'])).toBeGreaterThan(0);
    expect(cr.metadata.annotations['argocd.argoproj.io/sync-options']).toContain(
      'SkipDryRunOnMissingResource=true',
    );
  });
});
