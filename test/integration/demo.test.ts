import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

// README's run command, as a newcomer runs it: its own control plane, simulator and operator.
describe('make demo', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vpcep-demo-'));
  const env = { ...process.env, VPCEP_DEMO_DIR: dir, VPCEP_DEMO_CREATE_DELAY_MS: '2000', KUBECONFIG: '' };

  afterAll(async () => {
    await run('bash', ['hack/demo-down.sh'], { cwd: root, env });
    rmSync(dir, { recursive: true, force: true });
  });

  it('reaches Ready for every example and leaves everything running', async () => {
    const { stdout } = await run('make', ['--no-print-directory', 'demo'], {
      cwd: root,
      env,
      maxBuffer: 16 << 20,
    });
    expect(stdout).toMatch(/All examples are Ready/);
    expect(stdout).toMatch(/accepted by rule/);
    const kubectl =
      (await run('bash', ['hack/build-tools.sh'], { cwd: root })).stdout.trim().split('\n').pop() +
      '/kubectl';
    const { stdout: json } = await run(
      kubectl,
      ['--kubeconfig', path.join(dir, 'kubeconfig'), 'get', 'vpces', '-o', 'json'],
      {
        cwd: root,
      },
    );
    const items = (
      JSON.parse(json) as {
        items: Array<{
          metadata: { name: string };
          status?: {
            status?: string;
            conditions?: Array<{ type: string; status: string }>;
            connectionCounts?: { accepted: number };
          };
        }>;
      }
    ).items;
    expect(items.map((i) => i.metadata.name).sort()).toEqual(['lb-service', 'vm-service']);
    expect(items.find((i) => i.metadata.name === 'lb-service')?.status?.connectionCounts?.accepted).toBe(1);
    for (const i of items) {
      expect(i.status?.status).toBe('available');
      expect(i.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
  }, 600_000);
});
