import { describe, expect, it } from 'vitest';
import { defaultLeaseName, parseCommand, type OperatorConfig } from '../../../src/cmd/config.js';

const config = (argv: string[]): OperatorConfig => {
  const p = parseCommand(argv, {}, '1.2.3');
  if (p.kind !== 'run') throw new Error(p.text);
  return p.config;
};

describe('--selector and the Lease name per shard', () => {
  it('no selector: all resources, the plain Lease name', () => {
    const c = config([]);
    expect(c.selector).toBeUndefined();
    expect(c.leaderElectionId).toBe('vpcep-operator-leader');
  });

  it('a selector is kept in canonical form and names its own Lease', () => {
    const a = config(['--selector', 'shard = a']);
    const b = config(['--selector=shard=b']);
    expect(a.selector).toBe('shard=a');
    expect(a.leaderElectionId).toMatch(/^vpcep-operator-leader-[0-9a-f]{8}$/);
    expect(b.leaderElectionId).not.toBe(a.leaderElectionId);
    // The same selection written differently shares the Lease (two releases of one shard never both lead).
    expect(config(['--selector', 'team=x,shard in (b,a)']).leaderElectionId).toBe(
      config(['--selector', 'shard in (a, b), team==x']).leaderElectionId,
    );
    expect(a.leaderElectionId).toBe(defaultLeaseName('shard=a'));
  });

  it('--leader-election-id wins over the per-selector default; an empty selector is none', () => {
    expect(config(['--selector', 'shard=a', '--leader-election-id', 'mine']).leaderElectionId).toBe('mine');
    expect(config(['--selector', ' ']).selector).toBeUndefined();
  });

  it('refuses a malformed selector at startup, naming the flag', () => {
    const p = parseCommand(['--selector', 'shard in (a'], {}, '1.2.3');
    expect(p).toMatchObject({ kind: 'print', exitCode: 2 });
    expect(p.kind === 'print' && p.text).toMatch(/--selector: label selector "shard in \(a"/);
  });
});
