import { describe, it, expect } from 'vitest';
import { AkSkProvider, PasswordTokenProvider, providerFromValues } from '../../../src/cloud/auth/index.js';
import {
  credentialsFromEnv,
  credentialsFromValues,
  endpointForRegion,
  iamEndpointForRegion,
  parseCredentialValues,
} from '../../../src/cloud/credentials.js';

const env = {
  HUAWEICLOUD_SDK_AK: 'AK',
  HUAWEICLOUD_SDK_SK: 'SK',
  HUAWEICLOUD_SDK_PROJECT_ID: 'proj',
  HUAWEICLOUD_REGION: 'cn-north-4',
};

describe('endpointForRegion', () => {
  it('uses .com, and .eu only for regions starting with eu-west-1', () => {
    expect(endpointForRegion('cn-north-4')).toBe('https://vpcep.cn-north-4.myhuaweicloud.com');
    expect(endpointForRegion('eu-west-101')).toBe('https://vpcep.eu-west-101.myhuaweicloud.eu');
    expect(endpointForRegion('eu-west-0')).toBe('https://vpcep.eu-west-0.myhuaweicloud.com');
    expect(() => endpointForRegion('')).toThrow(/invalid region/);
    expect(() => endpointForRegion('a.b')).toThrow(/invalid region/);
  });
});

describe('credentialsFromEnv', () => {
  it('reads AK/SK/project/region and derives the endpoint', () => {
    expect(credentialsFromEnv(env)).toEqual({
      credentials: { accessKey: 'AK', secretKey: 'SK' },
      target: {
        endpoint: 'https://vpcep.cn-north-4.myhuaweicloud.com',
        projectId: 'proj',
        region: 'cn-north-4',
      },
    });
  });

  it('carries the security token and honours VPCEP_ENDPOINT (trailing slash dropped)', () => {
    const r = credentialsFromEnv({
      ...env,
      HUAWEICLOUD_SDK_SECURITY_TOKEN: 'tok',
      HUAWEICLOUD_REGION: undefined,
      VPCEP_ENDPOINT: 'http://127.0.0.1:8443/',
    });
    expect(r.credentials.securityToken).toBe('tok');
    expect(r.target).toEqual({ endpoint: 'http://127.0.0.1:8443', projectId: 'proj' });
  });

  it.each(['HUAWEICLOUD_SDK_AK', 'HUAWEICLOUD_SDK_SK', 'HUAWEICLOUD_SDK_PROJECT_ID', 'HUAWEICLOUD_REGION'])(
    'names the missing variable %s',
    (name) => {
      expect(() => credentialsFromEnv({ ...env, [name]: '  ' })).toThrow(name);
    },
  );

  it('rejects a malformed endpoint override', () => {
    expect(() => credentialsFromEnv({ ...env, VPCEP_ENDPOINT: 'ftp://x' })).toThrow(/scheme/);
  });

  it('accepts values gathered elsewhere (e.g. a Secret)', () => {
    const r = credentialsFromValues({
      accessKey: 'a',
      secretKey: 's',
      projectId: 'p',
      region: 'eu-west-101',
    });
    expect(r.target.endpoint).toBe('https://vpcep.eu-west-101.myhuaweicloud.eu');
    expect(() => credentialsFromValues({ accessKey: 'a', projectId: 'p', region: 'r' })).toThrow(/secretKey/);
  });
});

describe('credential bytes that cannot go into a header', () => {
  const ok = { accessKey: 'AK', secretKey: 'SK', projectId: 'proj', region: 'cn-north-4' };
  it.each([
    ['accessKey', 'AK\r\nX-Evil: SECRETVALUE'],
    ['accessKey', 'AK\u0000SECRETVALUE'],
    ['accessKey', 'AK\tSECRETVALUE'],
    ['accessKey', 'AKäSECRETVALUE'],
    ['securityToken', 'tok\nSECRETVALUE'],
    ['securityToken', 'tok€SECRETVALUE'],
    ['securityToken', 'tok\u007fSECRETVALUE'],
  ])('%s %j is refused, naming the field and never the value', (field, value) => {
    let message = '';
    try {
      credentialsFromValues({ ...ok, [field]: value });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe(`${field} contains characters not allowed in an HTTP header`);
    expect(message).not.toContain('SECRETVALUE');
  });

  it('refuses control characters in the secret key, never printing it; non-ASCII is fine there', () => {
    for (const sk of ['S\u0007SECRETVALUE', 'S\r\nSECRETVALUE', 'S\u0085SECRETVALUE']) {
      expect(() => credentialsFromValues({ ...ok, secretKey: sk })).toThrow(
        /^secretKey contains control characters$/,
      );
    }
    expect(credentialsFromValues({ ...ok, secretKey: 'clé-secrète' }).credentials.secretKey).toBe(
      'clé-secrète',
    );
  });

  it('refuses a project id that is not 1-64 of [A-Za-z0-9_-], naming the setting', () => {
    for (const projectId of ['../x', 'a/b', 'a.b', 'x'.repeat(65), 'p%2f'])
      expect(() => credentialsFromValues({ ...ok, projectId })).toThrow(/projectId/);
    expect(() => credentialsFromEnv({ ...env, HUAWEICLOUD_SDK_PROJECT_ID: '../x' })).toThrow(
      /HUAWEICLOUD_SDK_PROJECT_ID/,
    );
    expect(() => credentialsFromEnv({ ...env, HUAWEICLOUD_SDK_AK: 'a\nb' })).toThrow(
      /^HUAWEICLOUD_SDK_AK contains characters not allowed in an HTTP header$/,
    );
    expect(
      credentialsFromValues({ ...ok, projectId: 'Proj_1-' + 'x'.repeat(57) }).target.projectId,
    ).toHaveLength(64);
  });
});

describe('credential shapes', () => {
  const target = { projectId: 'proj', region: 'cn-north-4' };

  it('parses the IAM user shape, deriving both endpoints from the region', () => {
    const p = parseCredentialValues({ username: 'u', password: 'p w', domainName: 'd', ...target });
    expect(p).toEqual({
      kind: 'password',
      password: { username: 'u', password: 'p w', domainName: 'd' },
      target: {
        endpoint: 'https://vpcep.cn-north-4.myhuaweicloud.com',
        projectId: 'proj',
        region: 'cn-north-4',
      },
      iamEndpoint: 'https://iam.cn-north-4.myhuaweicloud.com',
    });
    expect(iamEndpointForRegion('eu-west-101')).toBe('https://iam.eu-west-101.myhuaweicloud.eu');
    const overridden = parseCredentialValues({
      username: 'u',
      password: 'p',
      domainName: 'd',
      projectId: 'proj',
      endpoint: 'http://127.0.0.1:1',
      iamEndpoint: 'http://127.0.0.1:2/',
    });
    expect(overridden).toMatchObject({
      iamEndpoint: 'http://127.0.0.1:2',
      target: { endpoint: 'http://127.0.0.1:1', projectId: 'proj' },
    });
  });

  it('parses the workload-identity shape; a region alone is enough (the project is learned)', () => {
    expect(parseCredentialValues({ idpId: 'idp', idTokenFile: 't', region: 'cn-north-4' })).toMatchObject({
      kind: 'workloadIdentity',
      workloadIdentity: { idpId: 'idp', idTokenFile: 't' },
      target: { region: 'cn-north-4' },
    });
  });

  it('an unknown or mixed shape lists the accepted shapes; a partial one names the missing key', () => {
    const none = (): unknown => parseCredentialValues({ projectId: 'p', region: 'r' });
    expect(none).toThrow(
      /^no cloud credentials given: expected accessKey \+ secretKey \+ projectId \[\+ securityToken, securityTokenExpiresAt\]; or username \+ password \+ domainName \[\+ projectId, region\]; or idpId \+ idTokenFile \[\+ projectId, region\]$/,
    );
    expect(() =>
      credentialsFromValues({ accessKey: 'a', secretKey: 's', username: 'u', projectId: 'p', region: 'r' }),
    ).toThrow(/mix the aksk and password shapes: expected accessKey/);
    expect(() => credentialsFromEnv({ HUAWEICLOUD_REGION: 'r' })).toThrow(
      /expected HUAWEICLOUD_SDK_AK \+ HUAWEICLOUD_SDK_SK \+ HUAWEICLOUD_SDK_PROJECT_ID/,
    );
    expect(() => parseCredentialValues({ username: 'u', password: 'SECRETVALUE', region: 'r' })).toThrow(
      /^missing cloud credential setting domainName$/,
    );
    expect(() => parseCredentialValues({ username: 'u', password: 'p', domainName: 'd' })).toThrow(
      /projectId \(or region/,
    );
    expect(() =>
      parseCredentialValues({ username: 'u', password: 'p\nSECRETVALUE', domainName: 'd', region: 'r' }),
    ).toThrow(/^password contains control characters$/);
  });

  it('credentialsFromValues refuses token shapes, pointing at providerFromValues', () => {
    expect(() =>
      credentialsFromValues({ username: 'u', password: 'SECRETVALUE', domainName: 'd', ...target }),
    ).toThrow(/providerFromValues/);
  });

  it('securityTokenExpiresAt: an ISO time carried as epoch ms, only with a security token', () => {
    const ok = { accessKey: 'AK', secretKey: 'SK', ...target };
    expect(
      credentialsFromValues({
        ...ok,
        securityToken: 't',
        securityTokenExpiresAt: '2026-05-01T12:00:00.000000Z',
      }).credentials,
    ).toEqual({
      accessKey: 'AK',
      secretKey: 'SK',
      securityToken: 't',
      securityTokenExpiresAt: Date.UTC(2026, 4, 1, 12),
    });
    expect(() => credentialsFromValues({ ...ok, securityTokenExpiresAt: '2026-05-01T12:00:00Z' })).toThrow(
      /without securityToken/,
    );
    expect(() =>
      credentialsFromValues({ ...ok, securityToken: 't', securityTokenExpiresAt: 'tomorrow' }),
    ).toThrow(/ISO 8601/);
  });
});

describe('providerFromValues', () => {
  it('AK/SK values: an AkSkProvider; the fingerprint changes with any credential and reveals none', async () => {
    const v = { accessKey: 'AK', secretKey: 'SECRETVALUE', projectId: 'proj', region: 'cn-north-4' };
    const a = await providerFromValues(v);
    expect([a.kind, a.identity, a.provider instanceof AkSkProvider, a.target.projectId]).toEqual([
      'aksk',
      'AK',
      true,
      'proj',
    ]);
    expect((await providerFromValues(v)).fingerprint).toBe(a.fingerprint);
    expect((await providerFromValues({ ...v, secretKey: 'rotated' })).fingerprint).not.toBe(a.fingerprint);
    expect(a.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(a.fingerprint).not.toContain('SECRETVALUE');
  });

  it('IAM user values with a project id: a PasswordTokenProvider, no I/O', async () => {
    const r = await providerFromValues({
      username: 'u',
      password: 'p',
      domainName: 'd',
      projectId: 'proj',
      region: 'cn-north-4',
    });
    expect([r.kind, r.identity, r.provider instanceof PasswordTokenProvider, r.target]).toEqual([
      'password',
      'u@d',
      true,
      { endpoint: 'https://vpcep.cn-north-4.myhuaweicloud.com', projectId: 'proj', region: 'cn-north-4' },
    ]);
    r.provider.close?.();
  });

  it('invalid values reject with the parse error', async () => {
    await expect(providerFromValues({ region: 'r' }, { names: { accessKey: 'ak' } })).rejects.toThrow(
      /expected ak \+ secretKey/,
    );
  });
});
