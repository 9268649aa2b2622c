import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { healthDir, root } from './paths.js';

// ArgoCD runs health.lua with gopher-lua (Lua 5.1). We run the same script with Debian's lua5.1
// (`make lua`) through hack/lua-health.lua, which decodes the manifest from JSON into the global `obj`.

interface HealthTest {
  healthStatus: { status: string; message: string };
  inputPath: string;
}

const STATUSES = ['Healthy', 'Progressing', 'Degraded', 'Suspended'];
const script = path.join(healthDir, 'health.lua');
const driver = path.join(root, 'hack/lua-health.lua');
const tests = (
  parse(readFileSync(path.join(healthDir, 'health_test.yaml'), 'utf8')) as { tests: HealthTest[] }
).tests;

function lua(): string {
  const probe = spawnSync('lua5.1', ['-v'], { encoding: 'utf8' });
  if (probe.error) throw new Error('lua5.1 is not installed: run `make lua`');
  return 'lua5.1';
}

function health(manifest: unknown): { status: string; message: string } {
  const out = execFileSync(lua(), [driver, script], { input: JSON.stringify(manifest), encoding: 'utf8' });
  return JSON.parse(out) as { status: string; message: string };
}

describe('ArgoCD health.lua for VpcEndpointService', () => {
  it('health_test.yaml follows ArgoCD’s format and covers every status', () => {
    expect(tests.length).toBeGreaterThan(0);
    for (const t of tests) {
      expect(Object.keys(t).sort()).toEqual(['healthStatus', 'inputPath']);
      expect(STATUSES).toContain(t.healthStatus.status);
      expect(t.inputPath).toMatch(/^testdata\/[a-z0-9_]+\.yaml$/);
    }
    expect(new Set(tests.map((t) => t.healthStatus.status))).toEqual(new Set(STATUSES));
  });

  it.each(tests.map((t) => [t.inputPath, t] as const))('%s', (_name, t) => {
    const manifest = parse(readFileSync(path.join(healthDir, t.inputPath), 'utf8')) as {
      apiVersion: string;
      kind: string;
    };
    expect(manifest.apiVersion).toBe('vpcep.huaweicloud.io/v1alpha1');
    expect(manifest.kind).toBe('VpcEndpointService');
    expect(health(manifest)).toEqual(t.healthStatus);
  });

  it('covers the required situations', () => {
    const inputs = tests.map((t) => t.inputPath);
    for (const name of [
      'healthy',
      'progressing_no_status',
      'progressing_old_generation',
      'progressing_creating',
      'progressing_deleting',
      'progressing_updating',
      'progressing_deletion_timestamp',
      'degraded_failed',
      'degraded_port_conflict',
      'degraded_quota_exceeded',
      'degraded_auth_failed',
      'suspended_paused',
    ])
      expect(inputs).toContain(`testdata/${name}.yaml`);
  });

  it('fails loudly rather than guessing on a script error', () => {
    const r = spawnSync(lua(), [driver, path.join(root, 'package.json')], { input: '{}', encoding: 'utf8' });
    expect(r.status).toBe(1);
  });

  it('the driver decodes JSON escapes, numbers and nesting faithfully', () => {
    const manifest = {
      metadata: { generation: 12, annotations: { note: 'é "quoted" \\ \n tab\t ✓ 😀' } },
      status: {
        observedGeneration: 12,
        conditions: [
          { type: 'Synced', status: 'True', reason: 'ReconcileSuccess', message: '' },
          {
            type: 'Ready',
            status: 'True',
            reason: 'Available',
            message: 'ok: é ✓ 😀 "q" \u0007',
            observedGeneration: 12,
          },
        ],
      },
    };
    expect(health(manifest)).toEqual({ status: 'Healthy', message: 'Available: ok: é ✓ 😀 "q" \u0007' });
  });
});
