import { describe, expect, it } from 'vitest';
import { parseCommand, USAGE } from '../../../src/cmd/config.js';

const run = (argv: string[]) => parseCommand(argv, {}, '1.2.3');
const config = (argv: string[]) => {
  const p = run(argv);
  if (p.kind !== 'run') throw new Error(`expected a config, got: ${p.text}`);
  return p.config;
};

describe('--default-credentials-namespaces', () => {
  it('defaults to empty: every namespace may use the operator credentials', () => {
    expect(config([]).defaultCredentialsNamespaces).toEqual([]);
  });

  it('parses a comma-separated list, trimming blanks and duplicates', () => {
    expect(config(['--default-credentials-namespaces=platform, team-a,,platform'])).toMatchObject({
      defaultCredentialsNamespaces: ['platform', 'team-a'],
      namespaces: [],
    });
    expect(config(['--default-credentials-namespaces', 'ops']).defaultCredentialsNamespaces).toEqual(['ops']);
  });

  it.each(['Team_A', '-x', 'a'.repeat(64), 'a.b'])('rejects the namespace name %j with exit code 2', (n) => {
    const p = run([`--default-credentials-namespaces=ok,${n}`]);
    expect(p).toMatchObject({ kind: 'print', exitCode: 2 });
    expect(p.kind === 'print' && p.text).toContain(
      `--default-credentials-namespaces: ${JSON.stringify(n)} is not a namespace name`,
    );
  });

  it('is independent of --namespaces', () => {
    expect(config(['--namespaces=a,b', '--default-credentials-namespaces=b'])).toMatchObject({
      namespaces: ['a', 'b'],
      defaultCredentialsNamespaces: ['b'],
    });
  });
});

describe('--allow-observe-owned', () => {
  it('defaults to false and is set by the flag', () => {
    expect(config([]).allowObserveOwned).toBe(false);
    expect(config(['--allow-observe-owned']).allowObserveOwned).toBe(true);
  });

  it('takes no value', () => {
    expect(run(['--allow-observe-owned=yes'])).toMatchObject({ kind: 'print', exitCode: 2 });
  });
});

describe('USAGE', () => {
  it('documents both flags', () => {
    expect(USAGE).toMatch(/--default-credentials-namespaces NS\[,NS\.\.\.\]/);
    expect(USAGE).toMatch(/spec\.credentialsSecretRef/);
    expect(USAGE).toMatch(/--allow-observe-owned\s+allow observe-only/);
    expect(run(['--help'])).toMatchObject({ kind: 'print', exitCode: 0, text: USAGE });
  });
});
