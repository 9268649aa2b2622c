import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsImport, { type FormatsPlugin } from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  GROUP,
  KIND,
  OWNERSHIP_TAG_KEY,
  PLURAL,
  SPEC_DEFAULTS,
  VERSION,
} from '../../../src/api/constants.js';
import { EXAMPLES, loadCrd, loadExample, type SchemaNode } from '../../fixtures/crd.js';
import { invalidSpecs, validObject } from '../../fixtures/invalid-specs.js';

// ajv-formats is CommonJS: its default export arrives wrapped or not depending on the loader.
const addFormats = ((addFormatsImport as unknown as { default?: FormatsPlugin }).default ??
  addFormatsImport) as FormatsPlugin;

const crd = loadCrd();
const version = crd.spec.versions[0]!;
const root = version.schema.openAPIV3Schema;
const spec = root.properties!.spec!;
const status = root.properties!.status!;

/** Compiles the CRD's schema the way the apiserver reads it, minus CEL and list-type semantics. */
function compile(): ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const k of [
    'x-kubernetes-validations',
    'x-kubernetes-list-type',
    'x-kubernetes-list-map-keys',
    'x-kubernetes-preserve-unknown-fields',
    'x-kubernetes-int-or-string',
    'x-kubernetes-embedded-resource',
    'x-kubernetes-map-type',
  ]) {
    ajv.addKeyword(k);
  }
  return ajv.compile(root);
}

/** `spec.ports[0].clientPort` -> `/spec/ports/0/clientPort`. */
function pointer(apiserverPath: string): string {
  return (
    '/' +
    apiserverPath
      .replace(/\[(\d+)\]/g, '.$1')
      .split('.')
      .join('/')
  );
}

/** The JSON pointer an ajv error is about (for `required`: the missing property itself). */
function errorPointer(e: ErrorObject): string {
  if (e.keyword === 'required')
    return `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`;
  return e.instancePath;
}

/** Visits every schema node with its dotted path. */
function walk(node: SchemaNode, at: string, visit: (n: SchemaNode, at: string) => void): void {
  visit(node, at);
  for (const [k, child] of Object.entries(node.properties ?? {})) walk(child, at ? `${at}.${k}` : k, visit);
  if (node.items) walk(node.items, `${at}[]`, visit);
}

describe('CRD metadata', () => {
  it('names the group, version, kind, short names and categories of the contract', () => {
    expect(crd.apiVersion).toBe('apiextensions.k8s.io/v1');
    expect(crd.metadata.name).toBe(`${PLURAL}.${GROUP}`);
    expect(crd.spec.group).toBe(GROUP);
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names).toMatchObject({ kind: KIND, plural: PLURAL, singular: 'vpcendpointservice' });
    expect(crd.spec.names.shortNames).toEqual(['vpces', 'vpcepsvc']);
    expect(crd.spec.names.categories).toEqual(['huaweicloud', 'vpcep']);
    expect(crd.spec.versions).toHaveLength(1);
    expect(version).toMatchObject({
      name: VERSION,
      served: true,
      storage: true,
      subresources: { status: {} },
    });
  });

  it('prints ID, STATUS, POOL, READY, SYNCED, CONNECTED, PENDING and AGE, and SERVICE NAME in wide output', () => {
    const cols = version.additionalPrinterColumns.map((c) => [c.name, c.jsonPath, c.priority ?? 0]);
    expect(cols).toEqual([
      ['ID', '.status.id', 0],
      ['STATUS', '.status.status', 0],
      ['POOL', '.status.poolId', 0],
      ['READY', '.status.conditions[?(@.type=="Ready")].status', 0],
      ['SYNCED', '.status.conditions[?(@.type=="Synced")].status', 0],
      ['CONNECTED', '.status.connectionCounts.accepted', 0],
      ['PENDING', '.status.connectionCounts.pending', 0],
      ['AGE', '.metadata.creationTimestamp', 0],
      ['SERVICE NAME', '.status.serviceName', 1],
    ]);
  });
});

describe('CRD schema', () => {
  it('describes every field, so kubectl explain has something to say', () => {
    const missing: string[] = [];
    // The apiserver forbids anything but name/generateName under metadata (a description included);
    // kubectl explain describes ObjectMeta from its own schema.
    walk(root, '', (n, at) => {
      if (!n.description?.trim() && at !== 'metadata') missing.push(at || '<root>');
    });
    expect(missing).toEqual([]);
  });

  it('says in the description that VIP is deprecated', () => {
    expect(spec.properties!.serverType!.description).toMatch(/VIP.*deprecated/);
  });

  it('gives every CEL rule a message', () => {
    const rules: string[] = [];
    walk(root, '', (n, at) => {
      for (const r of n['x-kubernetes-validations'] ?? []) {
        expect(r.message, `${at}: ${r.rule}`).toBeTruthy();
        rules.push(`${at}: ${r.rule}`);
      }
    });
    expect(rules.length).toBeGreaterThanOrEqual(7);
  });

  it('bounds every list and string a CEL rule touches, so the rule cost stays within budget', () => {
    const p = spec.properties!;
    expect(p.ports!.maxItems).toBe(200);
    expect(p.ports!.items!.properties!.protocol!.maxLength).toBeDefined();
    expect(p.tags!.maxItems).toBe(9);
    expect(p.tags!.items!.properties!.key!.maxLength).toBe(36);
    expect(p.vpcId!.maxLength).toBe(36);
  });

  it('makes vpcId, serverType, serviceType and enablePolicy immutable with transition rules', () => {
    const immutable = Object.entries(spec.properties!)
      .filter(([, n]) => (n['x-kubernetes-validations'] ?? []).some((r) => r.rule === 'self == oldSelf'))
      .map(([k]) => k)
      .sort();
    expect(immutable).toEqual(['enablePolicy', 'serverType', 'serviceType', 'vpcId']);
  });

  it('reserves the ownership tag key in a CEL rule', () => {
    const rules = spec.properties!.tags!.items!.properties!.key!['x-kubernetes-validations'] ?? [];
    expect(rules.map((r) => r.rule)).toContain(`self != '${OWNERSHIP_TAG_KEY}'`);
    expect(rules[0]!.message).toContain('reserved');
  });

  it('keys tags and conditions as list-maps, with required keys', () => {
    const tags = spec.properties!.tags!;
    expect(tags['x-kubernetes-list-type']).toBe('map');
    expect(tags['x-kubernetes-list-map-keys']).toEqual(['key']);
    expect(tags.items!.required).toContain('key');
    const conds = status.properties!.conditions!;
    expect(conds['x-kubernetes-list-type']).toBe('map');
    expect(conds['x-kubernetes-list-map-keys']).toEqual(['type']);
    expect(conds.items!.required).toEqual(
      expect.arrayContaining(['type', 'status', 'lastTransitionTime', 'reason', 'message']),
    );
  });

  it('defaults exactly what SPEC_DEFAULTS says', () => {
    const p = spec.properties!;
    expect({
      approvalEnabled: p.approvalEnabled!.default,
      serviceType: p.serviceType!.default,
      tcpProxy: p.tcpProxy!.default,
      enablePolicy: p.enablePolicy!.default,
      deletionPolicy: p.deletionPolicy!.default,
      protocol: p.ports!.items!.properties!.protocol!.default,
    }).toEqual(SPEC_DEFAULTS);
  });

  it('has the status fields of the contract', () => {
    expect(Object.keys(status.properties!).sort()).toEqual(
      [
        'conditions',
        'connectionCounts',
        'connections',
        'createdAt',
        'id',
        'observedGeneration',
        'poolId',
        'projectId',
        'serviceName',
        'status',
        'updatedAt',
      ].sort(),
    );
  });
});

describe('validation with ajv', () => {
  let validate: ValidateFunction;
  beforeAll(() => {
    validate = compile();
  });

  it.each(EXAMPLES)('accepts examples/%s', (file) => {
    const ok = validate(loadExample(file));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('accepts the catalogue base object', () => {
    expect(validate(validObject('base'))).toBe(true);
  });

  it('accepts boundary values: 1 and 65535, 200 mappings, 9 tags, 36/43-character tags, empty tag value', () => {
    const o = validObject('bounds');
    const s = o.spec!;
    s.ports = Array.from({ length: 200 }, (_, i) => ({
      clientPort: i === 0 ? 1 : 65536 - i,
      serverPort: i + 1,
    }));
    s.tags = [
      { key: 'k'.repeat(36), value: 'v'.repeat(43) },
      { key: 'empty', value: '' },
      { key: 'no-value' },
      { key: 'with inner space', value: 'a b' },
      { key: '中文标签', value: 'ünïcødé' },
      ...Array.from({ length: 4 }, (_, i) => ({ key: `k${i}`, value: 'v' })),
    ];
    s.serviceName = 'a'.repeat(16);
    s.description = 'd'.repeat(512);
    const ok = validate(o);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('accepts a status the operator writes', () => {
    const o = {
      ...validObject('with-status'),
      status: {
        id: '4189d3c2-8882-4871-a3c2-d380272eed83',
        status: 'available',
        poolId: '5289d3c2-8882-4871-a3c2-d380272eed80',
        serviceName: 'cn-north-4.svc.4189d3c2-8882-4871-a3c2-d380272eed83',
        createdAt: '2022-04-14T09:35:47Z',
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

describe('invalid-spec catalogue', () => {
  let validate: ValidateFunction;
  beforeAll(() => {
    validate = compile();
  });

  it('has at least 30 cases with unique names and object names, CEL cases among them', () => {
    expect(invalidSpecs.length).toBeGreaterThanOrEqual(30);
    expect(new Set(invalidSpecs.map((c) => c.name)).size).toBe(invalidSpecs.length);
    expect(new Set(invalidSpecs.map((c) => c.object.metadata.name)).size).toBe(invalidSpecs.length);
    expect(invalidSpecs.filter((c) => c.cel).length).toBeGreaterThanOrEqual(5);
    for (const c of invalidSpecs) expect(c.object.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  it('marks every schema case with its keyword and every transition case as CEL', () => {
    for (const c of invalidSpecs) {
      if (!c.cel) expect(c.expect.keyword, c.name).toBeDefined();
      if (c.transition) expect(c.cel, c.name).toBe(true);
    }
  });

  const schemaCases = invalidSpecs.filter((c) => !c.cel);
  it.each(schemaCases.map((c) => [c.name, c] as const))('rejects: %s', (_, c) => {
    expect(validate(c.object)).toBe(false);
    const errors = validate.errors ?? [];
    const where = pointer(c.expect.path);
    // Rejected for its own reason: every error is about the expected field, one of them by the keyword.
    expect(errors.map(errorPointer)).toEqual(errors.map(() => where));
    expect(errors.map((e) => e.keyword)).toContain(c.expect.keyword);
  });

  it('expects, for each CEL case, a message that one of the CRD rules actually says', () => {
    const messages: string[] = [];
    walk(root, '', (n) => {
      for (const r of n['x-kubernetes-validations'] ?? []) messages.push(r.message ?? '');
    });
    for (const c of invalidSpecs.filter((x) => x.cel)) {
      if (c.expect.message === 'Duplicate value') continue; // list-map key uniqueness: the apiserver's words
      expect(
        messages.some((m) => m.includes(c.expect.message)),
        c.name,
      ).toBe(true);
    }
  });

  const celCases = invalidSpecs.filter((c) => c.cel);
  it.each(celCases.map((c) => [c.name, c] as const))('needs the apiserver (passes ajv): %s', (_, c) => {
    const ok = validate(c.object);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    if (c.transition) expect(validate(c.transition.from)).toBe(true);
  });
});
