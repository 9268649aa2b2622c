/**
 * The AK/SK provider: byte-identical to the signer, temporary credentials (signed X-Security-Token)
 * accepted by the simulator, and refused without sending once they expire (virtual time).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AkSkProvider, CREDENTIALS_EXPIRED_CODE } from '../../../src/cloud/auth/index.js';
import { VpcepClient, type CallEvent } from '../../../src/cloud/client.js';
import { CloudError } from '../../../src/cloud/errors.js';
import { signRequest } from '../../../src/cloud/signer.js';
import { ManualClock } from '../../../src/util/clock.js';
import { startSimulator, type Simulator } from '../../../src/simulator/index.js';
import { AK, PROJECT, SK } from '../simulator/helpers.js';

const TOKEN = 'temporary-security-token-value-0123456789';
const sims: Simulator[] = [];
const clients: VpcepClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of sims.splice(0)) await s.close();
});

describe('AkSkProvider', () => {
  it("produces exactly the signer's headers (published vector 1 of §6.2)", async () => {
    const p = new AkSkProvider({ accessKey: 'AccessKey', secretKey: 'SecretKey' });
    const headers = await p.authenticate({
      method: 'GET',
      url: new URL('http://example.huaweicloud.com/path?limit=1'),
      path: '/path',
      query: { limit: 1 },
      headers: { 'X-Sdk-Date': '20060102T150405Z' },
      body: undefined,
      projectId: 'p',
      date: new Date(0),
    });
    const expected = signRequest({
      method: 'GET',
      path: '/path',
      query: { limit: 1 },
      headers: { 'X-Sdk-Date': '20060102T150405Z' },
      accessKey: 'AccessKey',
      secretKey: 'SecretKey',
      projectId: 'p',
    }).headers;
    expect(headers).toEqual(expected);
    // Without the project header the published signature comes out.
    const bare = signRequest({
      method: 'GET',
      path: '/path',
      query: { limit: 1 },
      headers: { 'X-Sdk-Date': '20060102T150405Z' },
      accessKey: 'AccessKey',
      secretKey: 'SecretKey',
    });
    expect(bare.signature).toBe('5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624');
    expect([p.identity, p.refreshable]).toEqual(['AccessKey', false]);
  });

  it('signs X-Security-Token for temporary credentials, which the simulator accepts', async () => {
    const clock = new ManualClock(Date.now());
    const s = await startSimulator({
      accessKey: 'PERMANENT',
      secretKey: 'x',
      projectId: PROJECT,
      clock,
      credentials: [{ accessKey: AK, secretKey: SK, projectId: PROJECT, securityToken: TOKEN }],
    });
    sims.push(s);
    const mk = (securityToken?: string): VpcepClient => {
      const c = new VpcepClient({
        target: { endpoint: s.url, projectId: PROJECT },
        credentials: securityToken
          ? { accessKey: AK, secretKey: SK, securityToken }
          : { accessKey: AK, secretKey: SK },
        clock: clock.driving(),
        signingTime: () => clock.now(),
      });
      clients.push(c);
      return c;
    };
    await mk(TOKEN).listServices();
    await expect(mk().listServices()).rejects.toMatchObject({ kind: 'auth', code: 'APIGW.0301' });
  });

  it('expired temporary credentials: kind auth naming the expiry, never the token, and nothing sent', async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 1, 11, 0, 0));
    const s = await startSimulator({
      accessKey: 'PERMANENT',
      secretKey: 'x',
      projectId: PROJECT,
      clock,
      credentials: [{ accessKey: AK, secretKey: SK, projectId: PROJECT, securityToken: TOKEN }],
    });
    sims.push(s);
    const events: CallEvent[] = [];
    const expiresAt = Date.UTC(2026, 4, 1, 12, 0, 0);
    const c = new VpcepClient({
      target: { endpoint: s.url, projectId: PROJECT },
      credentials: { accessKey: AK, secretKey: SK, securityToken: TOKEN, securityTokenExpiresAt: expiresAt },
      clock,
      signingTime: () => clock.now(),
      onCall: (e) => events.push(e),
    });
    clients.push(c);
    await c.listServices();
    await clock.advance(3_600_000);
    for (let i = 0; i < 5; i++) {
      const err = await c.listServices().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CloudError);
      const ce = err as CloudError;
      expect([ce.kind, ce.code, ce.operation, ce.attempts]).toEqual([
        'auth',
        CREDENTIALS_EXPIRED_CODE,
        'listServices',
        1,
      ]);
      expect(ce.message).toContain('2026-05-01T12:00:00.000Z');
      expect(ce.message).not.toContain(TOKEN);
      expect(ce.message).not.toContain(SK);
    }
    expect(s.controls.counters()['list']).toBe(1);
    expect(events.slice(1).map((e) => [e.kind, e.code, e.httpStatus, e.final])).toEqual(
      Array.from({ length: 5 }, () => ['auth', CREDENTIALS_EXPIRED_CODE, undefined, true]),
    );
    expect(clock.pendingTimers()).toBe(0);
  });

  it('keeps its secrets out of JSON and inspection', async () => {
    const { inspect } = await import('node:util');
    const p = new AkSkProvider({ accessKey: AK, secretKey: SK, securityToken: TOKEN });
    for (const text of [
      JSON.stringify(p),
      inspect(p, { depth: 5, showHidden: true }),
      JSON.stringify(Object.entries(p)),
    ]) {
      expect(text).not.toContain(SK);
      expect(text).not.toContain(TOKEN);
    }
  });
});
