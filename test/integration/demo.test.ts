import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

/**
 * The READY column of the last `kubectl get vpces,vpce -A` before the demo's closing message, by
 * NAMESPACE/NAME: its two tables (one per kind, each with its own header) read column by column.
 */
function finalReadyColumn(stdout: string): Record<string, string> {
  const lines = stdout.slice(0, stdout.indexOf('All examples are Ready')).split('\n');
  let first = -1;
  for (let i = lines.length - 1; i >= 0; i--)
    if (lines[i]?.startsWith('NAMESPACE') && lines[i + 1]?.includes('vpcendpointservice.')) {
      first = i;
      break;
    }
  const out: Record<string, string> = {};
  let col = -1;
  for (const line of lines.slice(Math.max(first, 0))) {
    if (line.startsWith('NAMESPACE')) col = line.indexOf('READY');
    else if (/vpcendpoints?(service)?\.vpcep\.huaweicloud\.io\//.test(line) && col >= 0) {
      const [ns = '', name = ''] = line.split(/\s+/);
      out[`${ns}/${name.replace(/^.*\//, '')}`] = line.slice(col).split(/\s+/)[0] ?? '';
    } else if (line.trim() !== '') break;
  }
  return out;
}

// README's run command, as a newcomer runs it: its own control plane, simulator and operator.
describe('make demo', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vpcep-demo-'));
  const env = { ...process.env, VPCEP_DEMO_DIR: dir, VPCEP_DEMO_CREATE_DELAY_MS: '2000', KUBECONFIG: '' };

  afterAll(async () => {
    await run('bash', ['hack/demo-down.sh'], { cwd: root, env });
    rmSync(dir, { recursive: true, force: true });
  });

  it('reaches Ready for every example, both kinds, in-cluster and across accounts, and leaves everything running', async () => {
    const { stdout } = await run('make', ['--no-print-directory', 'demo'], {
      cwd: root,
      env,
      maxBuffer: 16 << 20,
    });
    expect(stdout).toMatch(/All examples are Ready/);
    expect(stdout).toMatch(/accepted by rule across\s+accounts/);
    const kubectl =
      (await run('bash', ['hack/build-tools.sh'], { cwd: root })).stdout.trim().split('\n').pop() +
      '/kubectl';
    const get = async <T>(...args: string[]): Promise<T> =>
      JSON.parse(
        (
          await run(kubectl, ['--kubeconfig', path.join(dir, 'kubeconfig'), 'get', ...args, '-o', 'json'], {
            cwd: root,
          })
        ).stdout,
      ) as T;
    // The final table the demo prints (`kubectl get vpces,vpce -A`): both kinds, every row READY True.
    expect(finalReadyColumn(stdout)).toEqual({
      'default/lb-service': 'True',
      'default/partner-api': 'True',
      'default/vm-service': 'True',
      'team-a/orders': 'True',
      'team-b/orders-db': 'True',
    });
    const { items } = await get<{
      items: Array<{
        kind: string;
        metadata: { name: string; namespace: string };
        status?: {
          status?: string;
          serviceId?: string;
          id?: string;
          dnsNames?: string[];
          conditions?: Array<{ type: string; status: string }>;
          connectionCounts?: { accepted: number };
          connections?: Array<{ endpointId: string; domainId?: string; status: string }>;
        };
      }>;
    }>('vpces,vpce', '-A');
    const byName = new Map(items.map((i) => [`${i.kind}/${i.metadata.namespace}/${i.metadata.name}`, i]));
    expect([...byName.keys()].sort()).toEqual([
      'VpcEndpoint/default/partner-api',
      'VpcEndpoint/team-b/orders-db',
      'VpcEndpointService/default/lb-service',
      'VpcEndpointService/default/vm-service',
      'VpcEndpointService/team-a/orders',
    ]);
    for (const i of items) {
      expect(i.status?.status).toBe(i.kind === 'VpcEndpoint' ? 'accepted' : 'available');
      expect(i.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
    // Across accounts: the partner's endpoint is lb-service's one connection, from the partner's account.
    const lb = byName.get('VpcEndpointService/default/lb-service');
    const partner = byName.get('VpcEndpoint/default/partner-api');
    expect(lb?.status?.connectionCounts?.accepted).toBe(1);
    expect(partner?.status?.serviceId).toBe(lb?.status?.id);
    expect(lb?.status?.connections).toEqual([
      expect.objectContaining({
        endpointId: partner?.status?.id,
        domainId: '5e1d2c3b4a5968778695a4b3c2d1e0f9',
        status: 'accepted',
      }),
    ]);
    // In one cluster: team-b's endpoint connects to team-a's orders, and is published as a Service.
    const orders = byName.get('VpcEndpointService/team-a/orders');
    const ordersDb = byName.get('VpcEndpoint/team-b/orders-db');
    expect(ordersDb?.status?.serviceId).toBe(orders?.status?.id);
    const svc = await get<{ spec: { type: string; externalName?: string } }>(
      'service',
      '-n',
      'team-b',
      'orders-db',
    );
    expect(svc.spec.type).toBe('ExternalName');
    expect(svc.spec.externalName).toBe(ordersDb?.status?.dnsNames?.[0]);
    const published = await get<{ spec: { type: string } }>('service', '-n', 'default', 'partner-api');
    expect(published.spec.type).toBe('ExternalName');
  }, 600_000);
});
