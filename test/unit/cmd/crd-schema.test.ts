import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ANNOTATION_SCHEMA_REVISION } from '../../../src/api/constants.js';
import { guardedKinds, ownPod } from '../../../src/cmd/crd-schema.js';
import { judgeCrd } from '../../../src/runtime/crd-guard.js';

const root = path.resolve(import.meta.dirname, '../../..');

describe("the CRD guard's view of the operator", () => {
  const kinds = guardedKinds('9.9.9');

  it('every kind’s fix applies a file that exists, whose CRD is that kind’s and is current for it', () => {
    expect(kinds.map((k) => k.kind)).toEqual(['VpcEndpointService', 'VpcEndpoint']);
    for (const k of kinds) {
      const file = /^kubectl apply --server-side --force-conflicts -f (crds\/\S+\.yaml)$/.exec(k.fix)?.[1];
      expect(file, k.fix).toBeDefined();
      expect(existsSync(path.join(root, file!))).toBe(true);
      const crd = parse(readFileSync(path.join(root, file!), 'utf8')) as {
        metadata: { name: string; annotations: Record<string, string> };
        spec: { names: { kind: string }; versions: { name: string; served: boolean }[] };
      };
      expect(crd.metadata.name).toBe(k.crd);
      expect(crd.spec.names.kind).toBe(k.kind);
      // The file the fix applies is exactly what the guard accepts.
      expect(judgeCrd(k, ANNOTATION_SCHEMA_REVISION, crd).state).toBe('current');
      expect(crd.metadata.annotations[ANNOTATION_SCHEMA_REVISION]).toBe(String(k.revision));
      expect(k.fixNote).toContain('vpcep-operator 9.9.9');
    }
  });

  it('names the Pod from the downward API, and nothing outside a pod', () => {
    expect(ownPod({ POD_NAME: 'p', POD_NAMESPACE: 'ns', POD_UID: 'u' })).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      name: 'p',
      namespace: 'ns',
      uid: 'u',
    });
    expect(ownPod({ POD_NAME: 'p', POD_NAMESPACE: 'ns' })).not.toHaveProperty('uid');
    expect(ownPod({ POD_NAME: 'p' })).toBeUndefined();
    expect(ownPod({})).toBeUndefined();
  });
});
