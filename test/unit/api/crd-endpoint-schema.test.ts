import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsImport, { type FormatsPlugin } from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ENDPOINT_KIND,
  ENDPOINT_PLURAL,
  GROUP,
  OWNERSHIP_TAG_KEY,
  VERSION,
} from '../../../src/api/constants.js';
import {
  ENDPOINT_EXAMPLES,
  loadCrd,
  loadEndpointCrd,
  loadExampleDocs,
  type Crd,
  type SchemaNode,
} from '../../fixtures/crd.js';
import {
  invalidEndpointSpecs,
  validEndpointObject,
  type ServiceChoice,
} from '../../fixtures/invalid-endpoint-specs.js';

// Issue 13: the consumer-side kind. The same checks as the service CRD's (crd-schema.test.ts), with
// ajv standing in for the apiserver's OpenAPI validation (CEL and list semantics excepted: those are
// proven on a real apiserver by test/integration/crd-endpoint.test.ts).

const addFormats = ((addFormatsImport as unknown as { default?: FormatsPlugin }).default ??
  addFormatsImport) as FormatsPlugin;

const crd = loadEndpointCrd();
const version = crd.spec.versions[0]!;
const root = version.schema.openAPIV3Schema;
const spec = root.properties!.spec!;
const status = root.properties!.status!;

function compile(of: Crd): ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const k of [
    'x-kubernetes-validations',
    'x-kubernetes-list-type',
    'x-kubernetes-list-map-keys',
    'x-kubernetes-preserve-unknown-fields',
  ])
    ajv.addKeyword(k);
  return ajv.compile(of.spec.versions[0]!.schema.openAPIV3Schema);
}

const pointer = (p: string): string =>
  '/' +
  p
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .join('/');
const errorPointer = (e: ErrorObject): string =>
  e.keyword === 'required'
    ? `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`
    : e.instancePath;

function walk(node: SchemaNode, at: string, visit: (n: SchemaNode, at: string) => void): void {
  visit(node, at);
  for (const [k, child] of Object.entries(node.properties ?? {})) walk(child, at ? `${at}.${k}` : k, visit);
  if (node.items) walk(node.items, `${at}[]`, visit);
}

const rulesOf = (n: SchemaNode | undefined): string[] =>
  (n?.['x-kubernetes-validations'] ?? []).map((r) => r.message ?? '');

describe('VpcEndpoint CRD metadata', () => {
  it('names the group, version, kind, short names and categories of the contract', () => {
    expect(crd.metadata.name).toBe(`${ENDPOINT_PLURAL}.${GROUP}`);
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names).toMatchObject({
      kind: ENDPOINT_KIND,
      plural: ENDPOINT_PLURAL,
      singular: 'vpcendpoint',
    });
    expect(crd.spec.names.shortNames).toEqual(['vpce', 'vpcep']);
    expect(crd.spec.names.categories).toEqual(['huaweicloud', 'vpcep']);
    expect(crd.spec.versions).toHaveLength(1);
    expect(version).toMatchObject({
      name: VERSION,
      served: true,
      storage: true,
      subresources: { status: {} },
    });
  });

  it('prints ID, SERVICE, STATUS, IP, READY and AGE', () => {
    expect(version.additionalPrinterColumns.map((c) => [c.name, c.jsonPath])).toEqual([
      ['ID', '.status.id'],
      ['SERVICE', '.status.serviceName'],
      ['STATUS', '.status.status'],
      ['IP', '.status.ip'],
      ['READY', '.status.conditions[?(@.type=="Ready")].status'],
      ['AGE', '.metadata.creationTimestamp'],
    ]);
  });
});

describe('VpcEndpoint CRD schema', () => {
  it('describes every field and gives every CEL rule a message', () => {
    const missing: string[] = [];
    walk(root, '', (n, at) => {
      if (!n.description?.trim() && at !== 'metadata') missing.push(at || '<root>');
      for (const r of n['x-kubernetes-validations'] ?? []) expect(r.message, `${at}: ${r.rule}`).toBeTruthy();
    });
    expect(missing).toEqual([]);
  });

  it('mirrors VpcEndpointSpec and VpcEndpointStatus (src/api/types.ts) field for field', () => {
    expect(Object.keys(spec.properties!).sort()).toEqual(
      [
        'serviceRef',
        'serviceId',
        'serviceName',
        'vpcId',
        'subnetId',
        'portIp',
        'enableDns',
        'whitelist',
        'enableWhitelist',
        'routeTables',
        'policyDocument',
        'description',
        'tags',
        'deletionPolicy',
        'credentialsSecretRef',
        'region',
        'projectId',
        'publish',
      ].sort(),
    );
    expect(spec.required).toEqual(['vpcId']);
    expect(Object.keys(status.properties!).sort()).toEqual(
      [
        'id',
        'status',
        'projectId',
        'ip',
        'dnsNames',
        'markerId',
        'serviceId',
        'serviceName',
        'createdAt',
        'updatedAt',
        'observedGeneration',
        'conditions',
      ].sort(),
    );
    expect(spec.properties!.enableDns!.default).toBe(true);
    expect(spec.properties!.deletionPolicy!.default).toBe('Delete');
    expect(spec.properties!.policyDocument!['x-kubernetes-preserve-unknown-fields']).toBe(true);
  });

  it('shares the tags, credentials, region, projectId and conditions schema with the service CRD', () => {
    const svc = loadCrd().spec.versions[0]!.schema.openAPIV3Schema.properties!;
    // Descriptions name the kind; everything else must be the same.
    const strip = (n: SchemaNode): unknown =>
      JSON.parse(JSON.stringify(n, (k, v: unknown) => (k === 'description' ? undefined : v)));
    for (const f of ['credentialsSecretRef', 'region', 'projectId', 'deletionPolicy', 'tags'] as const)
      expect(strip(spec.properties![f]!), f).toEqual(strip(svc.spec!.properties![f]!));
    expect(status.properties!.conditions!.items).toEqual(svc.status!.properties!.conditions!.items);
  });

  it('makes the service, VPC, subnet, IP, DNS, description, region and project immutable', () => {
    const specRules = rulesOf(spec).join('\n');
    for (const f of ['serviceId', 'serviceName', 'subnetId', 'portIp', 'description', 'region', 'projectId'])
      expect(specRules).toContain(`${f} is immutable`);
    expect(specRules).toContain('the choice of serviceRef, serviceId or serviceName is immutable');
    expect(specRules).toContain('exactly one of serviceRef, serviceId and serviceName must be set');
    for (const f of ['serviceRef', 'vpcId', 'enableDns'])
      expect(rulesOf(spec.properties![f]).join('\n')).toContain(`${f} is immutable`);
    const key = spec.properties!.tags!.items!.properties!.key!;
    expect(key['x-kubernetes-validations']!.map((r) => r.rule)).toContain(`self != '${OWNERSHIP_TAG_KEY}'`);
  });

  it('bounds every list: whitelist at the cloud’s 60, route tables, tags at 9', () => {
    const p = spec.properties!;
    expect(p.whitelist!.maxItems).toBe(60);
    expect(p.whitelist!['x-kubernetes-list-type']).toBe('set');
    expect(p.routeTables!.maxItems).toBeDefined();
    expect(p.routeTables!['x-kubernetes-list-type']).toBe('set');
    expect(p.tags!.maxItems).toBe(9);
  });
});

describe('VpcEndpoint validation with ajv', () => {
  let validate: ValidateFunction;
  let validateService: ValidateFunction;
  beforeAll(() => {
    validate = compile(crd);
    validateService = compile(loadCrd());
  });

  it.each(['serviceRef', 'serviceId', 'serviceName'] as ServiceChoice[])(
    'accepts the catalogue base object by %s',
    (choice) => {
      const ok = validate(validEndpointObject('base', choice));
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    },
  );

  it('accepts boundary values: 60 whitelist entries (addresses and /0 to /32), 512-character description, {region}.{id}', () => {
    const o = validEndpointObject('bounds', 'serviceName');
    const s = o.spec!;
    s.serviceName = 'ap-southeast-1.4189d3c2-8882-4871-a3c2-d380272eed83';
    s.whitelist = [
      '0.0.0.0/0',
      '255.255.255.255/32',
      '10.0.0.1',
      ...Array.from({ length: 57 }, (_, i) => `172.16.${i}.0/24`),
    ];
    s.description = 'd'.repeat(512);
    s.publish = { serviceName: 'a'.repeat(63) };
    s.policyDocument = { any: { nested: ['thing', 1, true] } };
    const ok = validate(o);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it.each(ENDPOINT_EXAMPLES)('accepts every document of examples/%s against its own CRD', (file) => {
    const docs = loadExampleDocs(file);
    expect(docs.some((d) => d.kind === ENDPOINT_KIND)).toBe(true);
    for (const d of docs) {
      if (d.apiVersion === 'v1') continue; // a Secret or a Namespace
      const v = d.kind === ENDPOINT_KIND ? validate : validateService;
      const ok = v(d);
      expect(v.errors ?? [], `${file}: ${d.kind}/${d.metadata.name}`).toEqual([]);
      expect(ok).toBe(true);
    }
  });

  it('the in-cluster example lets the endpoint’s namespace in, and the endpoint references that service', () => {
    const docs = loadExampleDocs('endpoint-in-cluster.yaml');
    const svc = docs.find((d) => d.kind === 'VpcEndpointService')!;
    const ep = docs.find((d) => d.kind === ENDPOINT_KIND)!;
    expect(ep.spec.serviceRef).toEqual({ name: svc.metadata.name, namespace: svc.metadata.namespace });
    expect(
      (svc.spec.connectionApproval as { acceptInCluster: { namespaces: string[] } }).acceptInCluster
        .namespaces,
    ).toContain(ep.metadata.namespace);
    expect(ep.metadata.namespace).not.toBe(svc.metadata.namespace);
    expect(ep.spec.publish).toBeDefined();
  });

  it('accepts a status the operator writes', () => {
    const o = {
      ...validEndpointObject('with-status'),
      status: {
        id: '11111111-1111-4111-8111-111111111111',
        status: 'accepted',
        projectId: '6e9dfd51d1124e8d8498dce894923a0d',
        ip: '10.0.0.12',
        dnsNames: ['11111111-1111-4111-8111-111111111111.vpcep.cn-north-4.example'],
        markerId: 16777217,
        serviceId: '4189d3c2-8882-4871-a3c2-d380272eed83',
        serviceName: 'cn-north-4.orders.4189d3c2-8882-4871-a3c2-d380272eed83',
        createdAt: '2022-04-14T09:35:47Z',
        updatedAt: '2022-04-14T09:36:47Z',
        observedGeneration: 1,
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            observedGeneration: 1,
            lastTransitionTime: '2026-01-01T00:00:00Z',
            reason: 'Available',
            message: '',
          },
        ],
      },
    };
    expect(validate(o)).toBe(true);
  });
});

describe('invalid-endpoint catalogue', () => {
  let validate: ValidateFunction;
  beforeAll(() => {
    validate = compile(crd);
  });

  it('has unique names and object names, and covers every CEL rule of the CRD', () => {
    expect(invalidEndpointSpecs.length).toBeGreaterThanOrEqual(50);
    expect(new Set(invalidEndpointSpecs.map((c) => c.name)).size).toBe(invalidEndpointSpecs.length);
    expect(new Set(invalidEndpointSpecs.map((c) => c.object.metadata.name)).size).toBe(
      invalidEndpointSpecs.length,
    );
    const messages: string[] = [];
    walk(root, '', (n) => messages.push(...rulesOf(n)));
    const expected = invalidEndpointSpecs.filter((c) => c.cel).map((c) => c.expect.message);
    // Every rule is proven by at least one case (the first clause of its message is what cases quote).
    for (const m of messages)
      expect(
        expected.some((e) => m.includes(e)),
        m,
      ).toBe(true);
    for (const c of invalidEndpointSpecs) {
      if (!c.cel) expect(c.expect.keyword, c.name).toBeDefined();
      if (c.transition) expect(c.cel, c.name).toBe(true);
      if (c.cel && c.expect.message !== 'Duplicate value')
        expect(
          messages.some((m) => m.includes(c.expect.message)),
          c.name,
        ).toBe(true);
    }
  });

  const schemaCases = invalidEndpointSpecs.filter((c) => !c.cel);
  it.each(schemaCases.map((c) => [c.name, c] as const))('rejects: %s', (_, c) => {
    expect(validate(c.object)).toBe(false);
    const errors = validate.errors ?? [];
    expect(errors.map(errorPointer)).toEqual(errors.map(() => pointer(c.expect.path)));
    expect(errors.map((e) => e.keyword)).toContain(c.expect.keyword);
  });

  const celCases = invalidEndpointSpecs.filter((c) => c.cel);
  it.each(celCases.map((c) => [c.name, c] as const))('needs the apiserver (passes ajv): %s', (_, c) => {
    const ok = validate(c.object);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    if (c.transition) expect(validate(c.transition.from)).toBe(true);
  });
});
