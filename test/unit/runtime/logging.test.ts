import { describe, expect, it } from 'vitest';
import { memoryLogger } from './fakes.js';

const SECRET = 'S3cr3t-Value-Never-Logged';

describe('createLogger', () => {
  it('writes JSON lines with level labels and bound fields', () => {
    const { log, lines } = memoryLogger('info');
    log.child({ controller: 'c' }).info({ key: 'ns/a' }, 'reconciled');
    log.debug('hidden at info');
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toMatchObject({ level: 'info', controller: 'c', key: 'ns/a', msg: 'reconciled' });
    expect(typeof lines()[0]!.time).toBe('string');
  });

  it('never writes a secret, at any of the usual places and depths', () => {
    const { log, text, lines } = memoryLogger();
    log.info({ secretKey: SECRET, sk: SECRET }, 'top level');
    log.info(
      { credentials: { ak: 'AKID', secretKey: SECRET, securityToken: SECRET, secret_key: SECRET } },
      'nested',
    );
    log.info(
      {
        req: {
          headers: { authorization: `Bearer ${SECRET}`, 'x-security-token': SECRET, Authorization: SECRET },
        },
      },
      'headers',
    );
    log.info({ a: { b: { c: { password: SECRET, token: SECRET } } } }, 'deep');
    log.child({ config: { secretKey: SECRET } }).warn('child binding');
    log.error({ err: Object.assign(new Error('boom'), { secretKey: SECRET }) }, 'error with a secret field');
    expect(text()).not.toContain(SECRET);
    expect(text()).toContain('[REDACTED]');
    expect(lines()).toHaveLength(6);
  });
});
