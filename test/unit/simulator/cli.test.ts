import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parseSimulatorArgs, runSimulatorCli } from '../../../src/simulator/cli.js';
import { startSimulator, type SimulatorOptions } from '../../../src/simulator/index.js';
import { call, PROJECT } from './helpers.js';

describe('vpcep-simulator CLI', () => {
  it('parses every flag into options', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vpcep-sim-'));
    const inv = join(dir, 'inventory.json');
    writeFileSync(inv, JSON.stringify({ vpcs: [{ id: 'v', ports: ['p'] }] }));
    const o = parseSimulatorArgs(
      [
        '--port',
        '0',
        '--access-key',
        'AK',
        '--secret-key',
        'SK',
        '--project-id',
        'P',
        '--region',
        'ap-southeast-1',
        '--create-delay',
        '50',
        '--delete-delay',
        '60',
        '--qps',
        '7',
        '--throttle-mode',
        '0022',
        '--qps-scope',
        'total',
        '--fail-rate',
        '0.5',
        '--quota',
        '3',
        '--inventory',
        inv,
        '--delete-status',
        '200',
        '--auth-token',
        't1',
        '--auth-token',
        't2',
        '--error-rate',
        '0.1',
        '--error-kind',
        '504',
        '--latency-min',
        '5',
        '--latency-max',
        '9',
        '--reset-rate',
        '0.2',
        '--reject-immutable-updates',
        '--max-services-per-port',
        '4',
        '--whitelist-cap',
        '9',
        '--failed-error-shape',
        'legacy',
      ],
      {},
    );
    expect(o).toMatchObject({
      port: 0,
      accessKey: 'AK',
      secretKey: 'SK',
      projectId: 'P',
      region: 'ap-southeast-1',
      createDelayMs: 50,
      deleteDelayMs: 60,
      qps: 7,
      throttleMode: '0022',
      qpsScope: 'total',
      failRate: 0.5,
      quota: 3,
      inventory: { vpcs: [{ id: 'v', ports: ['p'] }] },
      deleteSuccessStatus: 200,
      authTokens: ['t1', 't2'],
      rejectImmutableUpdates: true,
      maxServicesPerPort: 4,
      whitelistCap: 9,
      failedErrorShape: 'legacy',
      faults: { errorRate: 0.1, errorKind: '504', latencyMs: { min: 5, max: 9 }, resetRate: 0.2 },
    });
  });

  it('takes credentials from the environment and refuses bad input', () => {
    expect(
      parseSimulatorArgs([], {
        HUAWEICLOUD_SDK_AK: 'a',
        HUAWEICLOUD_SDK_SK: 's',
        HUAWEICLOUD_SDK_PROJECT_ID: 'p',
      }),
    ).toMatchObject({
      accessKey: 'a',
      secretKey: 's',
      projectId: 'p',
      region: 'cn-north-4',
    });
    expect(() => parseSimulatorArgs([], {})).toThrow(/required/);
    expect(() =>
      parseSimulatorArgs(['--access-key', 'a', '--secret-key', 's', '--project-id', 'p', '--qps', 'x'], {}),
    ).toThrow(/number/);
    expect(() => parseSimulatorArgs(['--bogus'], {})).toThrow();
    const creds = ['--access-key', 'a', '--secret-key', 's', '--project-id', 'p'];
    expect(parseSimulatorArgs([...creds, '--failed-error-shape', 'sdk'], {})).toMatchObject({
      failedErrorShape: 'sdk',
    });
    // Unset: the library default (sdk) applies.
    expect(parseSimulatorArgs(creds, {})).not.toHaveProperty('failedErrorShape');
    expect(() => parseSimulatorArgs([...creds, '--failed-error-shape', 'nested'], {})).toThrow(
      /--failed-error-shape must be sdk or legacy/,
    );
    expect(parseSimulatorArgs(['--help'], {})).toBe('help');
  });

  it('the consumer-side flags: endpoint quota and DNS domain (unset: the library defaults)', () => {
    const creds = ['--access-key', 'a', '--secret-key', 's', '--project-id', 'p'];
    expect(
      parseSimulatorArgs([...creds, '--endpoint-quota', '3', '--dns-domain', 'ep.example.test'], {}),
    ).toMatchObject({
      endpointQuota: 3,
      dnsDomain: 'ep.example.test',
    });
    expect(parseSimulatorArgs(creds, {})).not.toHaveProperty('dnsDomain');
    expect(() => parseSimulatorArgs([...creds, '--endpoint-quota', 'many'], {})).toThrow(/--endpoint-quota/);
  });

  it('--credential adds accounts, each in its own project, and the simulator serves them', async () => {
    const creds = ['--access-key', 'a', '--secret-key', 's', '--project-id', PROJECT];
    const PARTNER_PROJECT = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
    const o = parseSimulatorArgs(
      [
        ...creds,
        '--credential',
        `partner-ak:partner-sk:${PARTNER_PROJECT}:5e1d2c3b4a5968778695a4b3c2d1e0f9`,
        '--credential',
        'third-ak:third-sk:third-project',
      ],
      {},
    );
    expect(o).toMatchObject({
      credentials: [
        {
          accessKey: 'partner-ak',
          secretKey: 'partner-sk',
          projectId: PARTNER_PROJECT,
          domainId: '5e1d2c3b4a5968778695a4b3c2d1e0f9',
        },
        { accessKey: 'third-ak', secretKey: 'third-sk', projectId: 'third-project' },
      ],
    });
    expect((o as { credentials: object[] }).credentials[1]).not.toHaveProperty('domainId');
    expect(parseSimulatorArgs(creds, {})).not.toHaveProperty('credentials');
    for (const bad of ['ak:sk', 'ak:sk:p:d:extra', 'ak::p', ':sk:p'])
      expect(() => parseSimulatorArgs([...creds, '--credential', bad], {})).toThrow(/--credential needs/);
    // The message never echoes the value (it holds a secret key).
    expect(() => parseSimulatorArgs([...creds, '--credential', 'ak:very-secret'], {})).toThrow(
      /^(?!.*very-secret)/,
    );

    const sim = await startSimulator(o as SimulatorOptions);
    try {
      const own = await call(sim.url, {
        method: 'GET',
        path: `/v1/${PARTNER_PROJECT}/vpc-endpoints`,
        ak: 'partner-ak',
        sk: 'partner-sk',
      });
      expect(own.status).toBe(200);
      // The partner's credential is scoped to its own project, not the primary one.
      const other = await call(sim.url, {
        method: 'GET',
        path: `/v1/${PROJECT}/vpc-endpoints`,
        ak: 'partner-ak',
        sk: 'partner-sk',
      });
      expect(other.status).toBe(400);
    } finally {
      await sim.close();
    }
  });

  it('prints only the ready line on stdout, serves, and stops on SIGTERM', async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    try {
      const running = runSimulatorCli([
        '--port',
        '0',
        '--access-key',
        'AK',
        '--secret-key',
        'SK',
        '--project-id',
        PROJECT,
      ]);
      while (out.length === 0) await new Promise((r) => setTimeout(r, 5));
      expect(out).toHaveLength(1);
      const m = /^vpcep-simulator listening on (http:\/\/127\.0\.0\.1:(\d+))\n$/.exec(out[0] ?? '');
      expect(m).not.toBeNull();
      const url = m?.[1] ?? '';
      const r = await call(url, {
        method: 'GET',
        path: `/v1/${PROJECT}/vpc-endpoint-services`,
        ak: 'AK',
        sk: 'SK',
      });
      expect(r.status).toBe(200);
      process.emit('SIGTERM');
      expect(await running).toBe(0);
      expect((await call(url, { method: 'GET', path: '/_sim/counters', unsigned: true })).errorCode).toBe(
        'ECONNREFUSED',
      );
    } finally {
      spy.mockRestore();
    }
  });
});
