/**
 * The chart values of issue 14: the Secret watch on by default, workload identity off by default, and
 * a schema that refuses what would render a broken pod (no identity provider or audience, a token life
 * the kubelet refuses, a project id that cannot go into a URL).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { chartDir, root } from './paths.js';

const values = parse(readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown> & {
  workloadIdentity: Record<string, unknown>;
  cloud: Record<string, unknown>;
};
const schema = JSON.parse(readFileSync(path.join(chartDir, 'values.schema.json'), 'utf8')) as object;
const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);

describe('credential values', () => {
  it('defaults: the Secret watch on, workload identity off, no IAM endpoint override', () => {
    expect(values.watchSecrets).toBe(true);
    expect(values.workloadIdentity).toEqual({
      enabled: false,
      idpId: '',
      projectId: '',
      audience: '',
      expirationSeconds: 3600,
    });
    expect(values.cloud.iamEndpoint).toBe('');
    expect(validate(values), JSON.stringify(validate.errors)).toBe(true);
  });

  it('the schema accepts a complete workload identity and refuses incomplete or malformed ones', () => {
    const wi = (over: Record<string, unknown>) => ({
      ...values,
      workloadIdentity: {
        ...values.workloadIdentity,
        enabled: true,
        idpId: 'cce-idp',
        audience: 'iam',
        ...over,
      },
    });
    expect(validate(wi({})), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(wi({ idpId: '' }))).toBe(false);
    expect(validate(wi({ audience: '' }))).toBe(false);
    expect(validate(wi({ expirationSeconds: 60 }))).toBe(false);
    expect(validate(wi({ projectId: '../other' }))).toBe(false);
    expect(validate(wi({ unknown: 1 }))).toBe(false);
    expect(validate({ ...values, watchSecrets: 'yes' })).toBe(false);
    expect(validate({ ...values, cloud: { ...values.cloud, iamEndpoint: 'iam.example.test' } })).toBe(false);
  });

  it('the kustomize base (default values) watches Secrets and may list and watch them', () => {
    const docs = parseAllDocuments(
      readFileSync(path.join(root, 'deploy/kustomize/vpcep-operator.yaml'), 'utf8'),
    )
      .map(
        (d) =>
          d.toJS() as {
            kind?: string;
            rules?: Array<{ resources: string[]; verbs: string[] }>;
            spec?: unknown;
          },
      )
      .filter((d) => d !== null);
    const secretRules = docs
      .filter((d) => d.kind === 'ClusterRole')
      .flatMap((d) => d.rules ?? [])
      .filter((r) => r.resources.includes('secrets'));
    expect(secretRules.map((r) => r.verbs)).toEqual([['get', 'list', 'watch']]);
    const deploy = docs.find((d) => d.kind === 'Deployment') as unknown as {
      spec: { template: { spec: { containers: Array<{ args: string[] }> } } };
    };
    expect(deploy.spec.template.spec.containers[0]?.args).toContain('--watch-secrets=true');
  });
});
