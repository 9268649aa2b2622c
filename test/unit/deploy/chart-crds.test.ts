import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartDir, root } from './paths.js';

// Helm installs the CRD from the chart's crds/; crds/ is the source of truth. `make chart-crds` copies.
describe('Helm chart crds/', () => {
  const source = readdirSync(path.join(root, 'crds')).filter((f) => f.endsWith('.yaml'));
  const chartCrds = path.join(chartDir, 'crds');

  it('holds the same files as crds/', () => {
    expect(source.length).toBeGreaterThan(0);
    const copied = existsSync(chartCrds) ? readdirSync(chartCrds).filter((f) => f.endsWith('.yaml')) : [];
    expect(copied.sort(), 'run `make chart-crds`').toEqual([...source].sort());
  });

  it.each(source)('%s is byte-identical to crds/ (run `make chart-crds` after changing it)', (file) => {
    const want = readFileSync(path.join(root, 'crds', file));
    const got = readFileSync(path.join(chartCrds, file));
    expect(got.equals(want), `deploy/helm/vpcep-operator/crds/${file} differs from crds/${file}`).toBe(true);
  });
});
