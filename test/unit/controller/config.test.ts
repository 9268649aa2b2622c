import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../../src/cmd/config.js';

const run = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseCommand(argv, env, '1.2.3');

describe('vpcep-operator flags', () => {
  it('defaults to controller-runtime conventions', () => {
    const p = run([]);
    expect(p.kind).toBe('run');
    if (p.kind !== 'run') return;
    expect(p.config).toMatchObject({
      namespaces: [],
      leaderElect: false,
      metricsAddress: ':8080',
      healthAddress: ':8081',
      maxConcurrentReconciles: 4,
      cloudQps: 10,
      cloudBurst: 20,
      resyncMs: 600_000,
    });
  });

  it('parses every flag', () => {
    const p = run([
      '--namespaces=a,b',
      '--leader-elect',
      '--leader-election-namespace=ops',
      '--metrics-bind-address=127.0.0.1:0',
      '--health-probe-bind-address=0',
      '--max-concurrent-reconciles=8',
      '--cloud-qps=2.5',
      '--cloud-burst=5',
      '--resync-period=30m',
    ]);
    expect(p.kind === 'run' && p.config).toMatchObject({
      namespaces: ['a', 'b'],
      leaderElect: true,
      leaderElectionNamespace: 'ops',
      metricsAddress: '127.0.0.1:0',
      healthAddress: '0',
      maxConcurrentReconciles: 8,
      cloudQps: 2.5,
      cloudBurst: 5,
      resyncMs: 1_800_000,
    });
  });

  it('reads credentials defaults and the endpoint override from the environment', () => {
    const p = run([], {
      HUAWEICLOUD_SDK_AK: 'ak',
      HUAWEICLOUD_SDK_SK: 'sk',
      HUAWEICLOUD_SDK_PROJECT_ID: 'p1',
      HUAWEICLOUD_REGION: 'cn-north-4',
      VPCEP_ENDPOINT: 'http://127.0.0.1:9999',
      POD_NAMESPACE: 'vpcep-system',
    });
    expect(p.kind === 'run' && p.config).toMatchObject({
      defaults: { accessKey: 'ak', secretKey: 'sk', projectId: 'p1', region: 'cn-north-4' },
      endpointOverride: 'http://127.0.0.1:9999',
      leaderElectionNamespace: 'vpcep-system',
    });
  });

  it.each([
    [['--max-concurrent-reconciles=0'], /--max-concurrent-reconciles must be a positive integer/],
    [['--cloud-qps=fast'], /--cloud-qps must be a positive number/],
    [['--resync-period=10'], /--resync-period must be a duration/],
    [['--metrics-bind-address=localhost'], /--metrics-bind-address must be HOST:PORT/],
    [['--namespaces=Bad_NS'], /is not a namespace name/],
    [['--log-level=loud'], /--log-level must be one of/],
    [['--bogus'], /Unknown option '--bogus'/],
  ])('rejects %j with a clear error and exit code 2', (argv, message) => {
    const p = run(argv);
    expect(p.kind).toBe('print');
    if (p.kind !== 'print') return;
    expect(p.exitCode).toBe(2);
    expect(p.text).toMatch(message);
  });

  it('prints --version and --help with exit code 0', () => {
    expect(run(['--version'])).toEqual({ kind: 'print', text: 'vpcep-operator 1.2.3\n', exitCode: 0 });
    const help = run(['--help']);
    expect(help.kind === 'print' && help.exitCode).toBe(0);
    expect(help.kind === 'print' && help.text).toMatch(/--leader-elect/);
  });
});
