import { describe, it, expect } from 'vitest';
import {
  credentialsFromEnv,
  credentialsFromValues,
  endpointForRegion,
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
