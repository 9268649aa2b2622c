import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { endpointHealthDir, healthDir, root } from './paths.js';

// ArgoCD runs health.lua with gopher-lua (Lua 5.1). We run the same script with Debian's lua5.1
// (`make lua`) through hack/lua-health.lua, which decodes the manifest from JSON into the global `obj`.

interface HealthTest {
  healthStatus: { status: string; message: string };
  inputPath: string;
}

const STATUSES = ['Healthy', 'Progressing', 'Degraded', 'Suspended'];
const script = path.join(healthDir, 'health.lua');
const driver = path.join(root, 'hack/lua-health.lua');
const testsOf = (dir: string): HealthTest[] =>
  (parse(readFileSync(path.join(dir, 'health_test.yaml'), 'utf8')) as { tests: HealthTest[] }).tests;
const tests = testsOf(healthDir);

function lua(): string {
  const probe = spawnSync('lua5.1', ['-v'], { encoding: 'utf8' });
  if (probe.error) throw new Error('lua5.1 is not installed: run `make lua`');
  return 'lua5.1';
}

function health(manifest: unknown, lua51Script = script): { status: string; message: string } {
  const out = execFileSync(lua(), [driver, lua51Script], {
    input: JSON.stringify(manifest),
    encoding: 'utf8',
  });
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

// Issue 13: the consumer side. pendingAcceptance and creating are Progressing, rejected and failed are
// Degraded with the condition's message, and so is every reason a human must act on.
describe('ArgoCD health.lua for VpcEndpoint', () => {
  const epScript = path.join(endpointHealthDir, 'health.lua');
  const epTests = testsOf(endpointHealthDir);

  it('health_test.yaml follows ArgoCD’s format and covers every status', () => {
    for (const t of epTests) {
      expect(Object.keys(t).sort()).toEqual(['healthStatus', 'inputPath']);
      expect(STATUSES).toContain(t.healthStatus.status);
      expect(t.inputPath).toMatch(/^testdata\/[a-z0-9_]+\.yaml$/);
    }
    expect(new Set(epTests.map((t) => t.healthStatus.status))).toEqual(new Set(STATUSES));
  });

  it.each(epTests.map((t) => [t.inputPath, t] as const))('%s', (_name, t) => {
    const manifest = parse(readFileSync(path.join(endpointHealthDir, t.inputPath), 'utf8')) as {
      apiVersion: string;
      kind: string;
    };
    expect(manifest.apiVersion).toBe('vpcep.huaweicloud.io/v1alpha1');
    expect(manifest.kind).toBe('VpcEndpoint');
    expect(health(manifest, epScript)).toEqual(t.healthStatus);
  });

  it('covers the required situations', () => {
    const byInput = new Map(epTests.map((t) => [t.inputPath.replace(/^testdata\/|\.yaml$/g, ''), t]));
    const want: Record<string, string> = {
      healthy: 'Healthy',
      progressing_pending_acceptance: 'Progressing',
      progressing_pending_acceptance_no_conditions: 'Progressing',
      progressing_creating: 'Progressing',
      progressing_deleting: 'Progressing',
      progressing_deletion_timestamp: 'Progressing',
      progressing_old_generation: 'Progressing',
      progressing_stale_rejected: 'Progressing',
      degraded_rejected: 'Degraded',
      degraded_failed: 'Degraded',
      degraded_not_whitelisted: 'Degraded',
      degraded_service_not_found: 'Degraded',
      degraded_publish_conflict: 'Degraded',
      degraded_auth_failed: 'Degraded',
      suspended_paused: 'Suspended',
    };
    for (const [name, status] of Object.entries(want))
      expect(byInput.get(name)?.healthStatus.status, name).toBe(status);
    // Degraded says why, from the condition.
    expect(byInput.get('degraded_rejected')?.healthStatus.message).toMatch(/^Rejected: /);
  });

  it('calls Degraded exactly the terminal reasons of src/managed/verdicts.ts that apply, plus the endpoint’s own', async () => {
    const { TERMINAL_REASONS } = await import('../../../src/managed/verdicts.js');
    const text = readFileSync(epScript, 'utf8');
    const table = /local degraded = \{([\s\S]*?)\n\}/.exec(text)![1]!;
    const listed = [...table.matchAll(/^\s*([A-Za-z]+) = true,/gm)].map((m) => m[1]!);
    // Port conflicts and whitelist caps are the service side's; every other terminal reason applies.
    for (const r of TERMINAL_REASONS)
      if (r !== 'PortConflict' && r !== 'WhitelistLimit') expect(listed, r).toContain(r);
    for (const r of ['Rejected', 'NotWhitelisted', 'ServiceNotFound', 'PublishConflict', 'PublishDisabled'])
      expect(listed, r).toContain(r);
  });
});
