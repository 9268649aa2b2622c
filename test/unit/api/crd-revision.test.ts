import { describe, expect, it } from 'vitest';
import { ANNOTATION_SCHEMA_REVISION, CRD_SCHEMA_REVISIONS } from '../../../src/api/constants.js';
import {
  loadCrdDocs,
  loadRevisionLock,
  revisionProblems,
  specFingerprint,
  type CrdDoc,
} from '../../fixtures/crd-revisions.js';

// Issue 16: every change to a CRD's spec ships with a schema-revision bump, so that an operator meeting
// an older CRD can tell (and refuse) instead of having the apiserver prune the new fields silently.
describe('CRD schema revisions', () => {
  const crds = loadCrdDocs();
  const lock = loadRevisionLock();

  it('every CRD in crds/ carries its revision, equal to the operator’s and recorded with this very spec', () => {
    expect(crds.length).toBeGreaterThan(0);
    expect(revisionProblems(crds, lock, CRD_SCHEMA_REVISIONS)).toEqual([]);
  });

  /** A deep copy of the first CRD with `mutate` applied. */
  const mutated = (mutate: (d: CrdDoc & { spec: Record<string, unknown> }) => void) =>
    crds.map(({ file, doc }, i) => {
      const copy = structuredClone(doc) as CrdDoc & { spec: Record<string, unknown> };
      if (i === 0) mutate(copy);
      return { file, doc: copy };
    });

  type Versions = { versions: { schema: { openAPIV3Schema: { properties: Record<string, unknown> } } }[] };
  const addSpecField = (d: CrdDoc & { spec: Record<string, unknown> }): void => {
    const spec = (d.spec as unknown as Versions).versions[0]!.schema.openAPIV3Schema.properties.spec as {
      properties: Record<string, unknown>;
    };
    spec.properties.newField = { type: 'string', description: 'added without a bump' };
  };

  it('fails when a schema changes without a revision bump', () => {
    const problems = revisionProblems(mutated(addSpecField), lock, CRD_SCHEMA_REVISIONS);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('spec changed without a schema-revision bump');
    expect(problems[0]).toContain(crds[0]!.file);
  });

  it('fails on any other spec change too (a printer column), and never on a comment or key order', () => {
    const column = mutated((d) => {
      (
        d.spec as { versions: { additionalPrinterColumns: unknown[] }[] }
      ).versions[0]!.additionalPrinterColumns.pop();
    });
    expect(revisionProblems(column, lock, CRD_SCHEMA_REVISIONS)[0]).toContain(
      'without a schema-revision bump',
    );
    const reordered = mutated((d) => {
      const entries = Object.entries(d.spec).reverse();
      for (const k of Object.keys(d.spec)) delete d.spec[k];
      Object.assign(d.spec, Object.fromEntries(entries));
    });
    expect(revisionProblems(reordered, lock, CRD_SCHEMA_REVISIONS)).toEqual([]);
  });

  it('a bump must be recorded, with the new fingerprint named, and must match the operator', () => {
    const kind = crds[0]!.doc.spec!.names!.kind!;
    const bumped = mutated((d) => {
      addSpecField(d);
      d.metadata!.annotations![ANNOTATION_SCHEMA_REVISION] = String(CRD_SCHEMA_REVISIONS[kind]! + 1);
    });
    // The operator still says the old revision, and the lock lacks the new one.
    const problems = revisionProblems(bumped, lock, CRD_SCHEMA_REVISIONS);
    expect(problems.join('\n')).toContain('CRD_SCHEMA_REVISIONS');
    expect(problems.join('\n')).toContain(specFingerprint(bumped[0]!.doc.spec));
    // Both fixed: clean.
    const next = String(CRD_SCHEMA_REVISIONS[kind]! + 1);
    const name = bumped[0]!.doc.metadata!.name!;
    const lock2 = { ...lock, [name]: { ...lock[name], [next]: specFingerprint(bumped[0]!.doc.spec) } };
    expect(revisionProblems(bumped, lock2, { ...CRD_SCHEMA_REVISIONS, [kind]: Number(next) })).toEqual([]);
  });

  it('rejects a missing or malformed annotation, a revision going down, and a kind without a CRD', () => {
    const missing = mutated((d) => {
      delete d.metadata!.annotations![ANNOTATION_SCHEMA_REVISION];
    });
    expect(revisionProblems(missing, lock, CRD_SCHEMA_REVISIONS)[0]).toContain('must be a positive integer');
    const name = crds[0]!.doc.metadata!.name!;
    const kind = crds[0]!.doc.spec!.names!.kind!;
    const later = { ...lock, [name]: { ...lock[name], '99': 'sha256:later' } };
    expect(revisionProblems(crds, later, CRD_SCHEMA_REVISIONS).join('\n')).toContain('revisions only go up');
    expect(revisionProblems(crds, lock, { ...CRD_SCHEMA_REVISIONS, Widget: 1 })).toEqual([
      'CRD_SCHEMA_REVISIONS names Widget, which no file in crds/ defines',
    ]);
    expect(Object.keys(CRD_SCHEMA_REVISIONS)).toContain(kind);
  });

  it('knows both kinds, each with its own file (issue 13: VpcEndpoint)', () => {
    expect(crds.map(({ doc }) => doc.spec?.names?.kind).sort()).toEqual([
      'VpcEndpoint',
      'VpcEndpointService',
    ]);
    expect(Object.keys(CRD_SCHEMA_REVISIONS).sort()).toEqual(['VpcEndpoint', 'VpcEndpointService']);
  });
});
