import { describe, expect, it } from 'vitest';
import { parseCommand, type OperatorConfig } from '../../../src/cmd/config.js';

const config = (argv: string[]): OperatorConfig => {
  const p = parseCommand(argv, {}, '1.2.3');
  if (p.kind !== 'run') throw new Error(p.text);
  return p.config;
};

describe('--enable-publish', () => {
  it('defaults to true: VpcEndpoints may publish Services', () => {
    expect(config([]).enablePublish).toBe(true);
    expect(config(['--enable-publish=true']).enablePublish).toBe(true);
  });

  it('false is accepted, in both flag forms', () => {
    expect(config(['--enable-publish=false']).enablePublish).toBe(false);
    expect(config(['--enable-publish', 'false']).enablePublish).toBe(false);
  });

  it('anything else is refused at startup with a message naming the flag and the value', () => {
    for (const bad of ['yes', 'False', '1', '']) {
      const p = parseCommand([`--enable-publish=${bad}`], {}, '1.2.3');
      expect(p).toMatchObject({ kind: 'print', exitCode: 2 });
      expect(p.kind === 'print' && p.text).toContain(
        `--enable-publish must be true or false (got ${JSON.stringify(bad)})`,
      );
    }
  });

  it('is listed in --help', () => {
    const p = parseCommand(['--help'], {}, '1.2.3');
    expect(p.kind === 'print' && p.text).toMatch(/--enable-publish=true\|false/);
  });
});
