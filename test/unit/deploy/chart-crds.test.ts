import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chartDir, root } from './paths.js';

// Issue 16: the chart renders the CRDs from templates (so `helm upgrade` upgrades them), generated
// from crds/, the single source of the schema, by `make chart-crds` (hack/chart-crds.mjs). What helm
// itself renders from them is checked against a real helm in test/integration/deploy.test.ts.
const generator = path.join(root, 'hack/chart-crds.mjs');
const templates = path.join(chartDir, 'templates/crds');
const source = readdirSync(path.join(root, 'crds')).filter((f) => f.endsWith('.yaml'));
const tmp = mkdtempSync(path.join(tmpdir(), 'vpcep-chart-crds-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const generate = (out: string, src?: string) =>
  spawnSync(process.execPath, [generator, out, ...(src ? [src] : [])], { encoding: 'utf8' });

/** The lines the generator adds to a CRD file (header, `crds.install`, the annotations, the end). */
const added = (line: string): boolean =>
  /^\s*\{\{-/.test(line) ||
  /^ {4}(helm\.sh\/resource-policy|argocd\.argoproj\.io\/sync-(wave|options)):/.test(line) ||
  /^ {4}# (Helm never deletes|ArgoCD, with the chart)/.test(line);

describe('Helm chart CRD templates', () => {
  it('are exactly what `make chart-crds` generates from crds/ (no drift), one per file', () => {
    expect(source.length).toBeGreaterThan(0);
    const out = path.join(tmp, 'fresh');
    const r = generate(out);
    expect(r.status, r.stderr).toBe(0);
    const names = readdirSync(out).sort();
    expect(names).toEqual([...source].sort());
    expect(readdirSync(templates).sort(), 'run `make chart-crds`').toEqual(names);
    for (const f of names)
      expect(
        readFileSync(path.join(templates, f), 'utf8'),
        `deploy/helm/vpcep-operator/templates/crds/${f} is stale: run \`make chart-crds\``,
      ).toBe(readFileSync(path.join(out, f), 'utf8'));
  });

  it.each(source)(
    '%s: the template is the crds/ file byte for byte, plus only the Helm/ArgoCD lines',
    (f) => {
      const template = readFileSync(path.join(templates, f), 'utf8').split('\n');
      expect(template[1]).toBe('{{- if .Values.crds.install }}');
      expect(template.at(-2)).toBe('{{- end }}');
      expect(template).toContain('    helm.sh/resource-policy: keep');
      expect(template.filter((l) => !added(l)).join('\n')).toBe(
        readFileSync(path.join(root, 'crds', f), 'utf8'),
      );
    },
  );

  it('the chart has no crds/ directory any more (Helm would install it first, unowned, and never upgrade it)', () => {
    expect(existsSync(path.join(chartDir, 'crds'))).toBe(false);
  });

  it('the generator refuses a CRD that Helm would misread or that carries no annotations, and drops stale templates', () => {
    const src = path.join(tmp, 'src');
    const out = path.join(tmp, 'out');
    mkdirSync(src, { recursive: true });
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, 'gone.yaml'), 'stale');
    const good = readFileSync(path.join(root, 'crds', source[0]!), 'utf8');
    writeFileSync(path.join(src, 'a.yaml'), good);
    expect(generate(out, src).status).toBe(0);
    expect(readdirSync(out)).toEqual(['a.yaml']);

    writeFileSync(path.join(src, 'a.yaml'), good.replace('description:', 'description: {{ oops }}'));
    const braces = generate(out, src);
    expect(braces.status).not.toBe(0);
    expect(braces.stderr).toContain('contains "{{"');

    writeFileSync(path.join(src, 'a.yaml'), good.replace(/\n {2}annotations:\n(?: {4}.*\n)+/, '\n'));
    const bare = generate(out, src);
    expect(bare.status).not.toBe(0);
    expect(bare.stderr).toContain('has no metadata.annotations');
  });
});
