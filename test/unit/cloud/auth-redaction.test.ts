/**
 * Redaction: whatever goes wrong, no password, IAM token, ID token (JWT), secret key or security token
 * appears in an error the client produces (message, `String()`, `util.inspect` with its cause chain) or
 * in a CallEvent, even when IAM echoes the secret back in its own error message.
 */
import { inspect } from 'node:util';
import { afterEach, expect, it } from 'vitest';
import {
  PasswordTokenProvider,
  WorkloadIdentityProvider,
  type CredentialProvider,
} from '../../../src/cloud/auth/index.js';
import { VpcepClient, type CallEvent } from '../../../src/cloud/client.js';
import type { Credentials } from '../../../src/cloud/credentials.js';
import { ManualClock } from '../../../src/util/clock.js';
import { startSimulator, type Simulator } from '../../../src/simulator/index.js';
import { PROJECT } from '../simulator/helpers.js';
import { fakeIam, rsaKey, signJwt, tokenAnswer, type FakeIam } from './auth-helpers.js';

const PASSWORD = 'P4ssw0rd-REDACT-ME-1';
const SECRET_KEY = 'SK-REDACT-ME-0123456789';
const SECURITY_TOKEN = 'STS-REDACT-ME-0123456789';
const IAM_TOKEN = 'MIIiamTOKEN-REDACT-ME-0123456789';
const key = rsaKey();

const sims: Simulator[] = [];
const fakes: FakeIam[] = [];
const closers: Array<() => void> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) c();
  for (const s of sims.splice(0)) await s.close();
  for (const f of fakes.splice(0)) await f.close();
});

it('no secret reaches any error or CallEvent the client produces', async () => {
  const clock = new ManualClock(Date.now());
  const nowS = Math.floor(clock.now() / 1000);
  const jwt = signJwt({ iss: 'https://iss', aud: 'wrong-audience', sub: 'sa', exp: nowS + 600 }, key);
  const secrets = [PASSWORD, SECRET_KEY, SECURITY_TOKEN, IAM_TOKEN, jwt, jwt.split('.')[2] ?? ''];
  const s = await startSimulator({
    accessKey: 'AK',
    secretKey: 'other-secret',
    projectId: PROJECT,
    clock,
    iamUsers: [{ name: 'u', password: 'the-right-one', domainName: 'd' }],
    idpId: 'idp',
    oidcIssuer: 'https://iss',
    oidcAudience: 'aud',
    oidcPublicKey: key.jwks,
    credentials: [
      { accessKey: 'TMPAK', secretKey: SECRET_KEY, projectId: PROJECT, securityToken: SECURITY_TOKEN },
    ],
  });
  sims.push(s);
  // A fake IAM that echoes secrets back in its refusals, then hands out a token VPCEP will refuse.
  const echo = await fakeIam([
    {
      status: 401,
      body: { error_code: 'IAM.0001', error_msg: `bad password ${PASSWORD} / id token ${jwt}` },
    },
    tokenAnswer(IAM_TOKEN, clock.now(), 3_600_000, PROJECT),
  ]);
  fakes.push(echo);

  const events: CallEvent[] = [];
  const texts: string[] = [];
  const mkClient = (o: { provider: CredentialProvider } | { credentials: Credentials }): VpcepClient => {
    const c = new VpcepClient({
      target: { endpoint: s.url, projectId: PROJECT },
      ...o,
      clock: clock.driving(),
      maxRetries: 1,
      random: () => 0,
      signingTime: () => clock.now(),
      onCall: (e) => events.push(e),
    } as ConstructorParameters<typeof VpcepClient>[0]);
    closers.push(() => c.close());
    return c;
  };
  const collect = async (c: VpcepClient): Promise<void> => {
    try {
      await c.listServices();
    } catch (e) {
      texts.push(String(e), (e as Error).message, inspect(e, { depth: 10, showHidden: true }));
    }
  };
  const pw = (password: string, iamEndpoint: string): PasswordTokenProvider => {
    const p = new PasswordTokenProvider({
      username: 'u',
      password,
      domainName: 'd',
      projectId: PROJECT,
      iamEndpoint,
      clock,
      authFailureHoldMs: 0,
    });
    closers.push(() => p.close());
    texts.push(JSON.stringify(p), inspect(p, { depth: 10, showHidden: true }));
    return p;
  };
  const wi = (iamEndpoint: string): WorkloadIdentityProvider => {
    const p = new WorkloadIdentityProvider({
      idpId: 'idp',
      idTokenFile: 'token',
      projectId: PROJECT,
      iamEndpoint,
      clock,
      authFailureHoldMs: 0,
      reader: { version: () => Promise.resolve('1'), read: () => Promise.resolve(jwt) },
    });
    closers.push(() => p.close());
    return p;
  };

  await collect(mkClient({ provider: pw(PASSWORD, s.url) })); // wrong password (Keystone 401)
  await collect(mkClient({ provider: wi(s.url) })); // wrong audience
  await collect(mkClient({ provider: pw(PASSWORD, echo.url) })); // IAM echoes the password
  await collect(mkClient({ provider: wi(echo.url) })); // IAM's token is refused by VPCEP twice
  await collect(mkClient({ provider: pw(PASSWORD, 'http://127.0.0.1:1') })); // IAM unreachable
  const expired: Credentials = {
    accessKey: 'TMPAK',
    secretKey: SECRET_KEY,
    securityToken: SECURITY_TOKEN,
    securityTokenExpiresAt: clock.now() - 1,
  };
  await collect(mkClient({ credentials: expired }));
  await collect(mkClient({ credentials: { accessKey: 'TMPAK', secretKey: SECRET_KEY } })); // signature refused (no token)

  expect(texts.length).toBeGreaterThan(14);
  expect(events.length).toBeGreaterThan(5);
  const all = [...texts, JSON.stringify(events)].join('\n');
  for (const secret of secrets) expect(all).not.toContain(secret);
  expect(all).toContain('[REDACTED]'); // the echoed secrets were scrubbed, not merely absent
  expect(all).toContain('IAM.0001');
});
