import { describe, it, expect } from 'vitest';
import {
  EMPTY_BODY_SHA256,
  canonicalQueryString,
  canonicalUri,
  formatSdkDate,
  sha256Hex,
  signRequest,
} from '../../../src/cloud/signer.js';

// Published vectors: docs/vpcep-api.md §6.2.
const base = {
  accessKey: 'AccessKey',
  secretKey: 'SecretKey',
  headers: { 'X-Sdk-Date': '20060102T150405Z', TEST_UNDERSCORE: 'value' },
};

describe('signRequest: published vectors', () => {
  it('vector 1: GET /path?limit=1 with an empty body', () => {
    const s = signRequest({ ...base, method: 'GET', path: '/path', query: { limit: 1 } });
    expect(s.canonicalRequest).toBe(
      `GET\n/path/\nlimit=1\nx-sdk-date:20060102T150405Z\n\nx-sdk-date\n${EMPTY_BODY_SHA256}`,
    );
    expect(s.stringToSign.split('\n')[2]).toBe(
      '85c3b7730f308aee452b16138a42a914397e43a8f0d732dfa521c0ef2afa98a4',
    );
    expect(s.signature).toBe('5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624');
    expect(s.headers['Authorization']).toBe(
      'SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624',
    );
  });

  it('vector 2: POST /path?key=value hashes the exact body bytes, trailing newline included', () => {
    const body = '{"Name":"test","Id":1}\n';
    expect(sha256Hex(body)).toBe('a29d7b4c5efd1a22011d69fd7b7aee76fe51e4083c609244228de258afd61289');
    const s = signRequest({ ...base, method: 'POST', path: '/path', query: { key: 'value' }, body });
    expect(s.signature).toBe('cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59');
    const bytes = signRequest({
      ...base,
      method: 'POST',
      path: '/path',
      query: { key: 'value' },
      body: Buffer.from(body, 'utf8'),
    });
    expect(bytes.signature).toBe(s.signature);
  });

  it('vector 2 without the trailing newline gives the other published signature', () => {
    const s = signRequest({
      ...base,
      method: 'POST',
      path: '/path',
      query: { key: 'value' },
      body: '{"Name":"test","Id":1}',
    });
    expect(s.signature).toBe('83599e5230b5b31fb58837c5760b4c2d407542df1f9493834ead538696e17a35');
  });

  it('query-encoding vector: sorted keys, repeated keys sorted by value, RFC 3986', () => {
    expect(
      canonicalQueryString({
        test: '一 (&=?!#%.*)',
        path: '/tmp/123',
        multi: ['3', '1', '2'],
        limit: 1,
        enable: true,
      }),
    ).toBe(
      'enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29',
    );
    expect(canonicalQueryString({})).toBe('');
    expect(canonicalQueryString({ a: "x'~_-." })).toBe('a=x%27~_-.');
  });
});

describe('signRequest: headers', () => {
  it('adds a trailing slash to the canonical URI only, and encodes segments', () => {
    expect(canonicalUri('/v1/p/vpc-endpoint-services')).toBe('/v1/p/vpc-endpoint-services/');
    expect(canonicalUri('/v1/p/')).toBe('/v1/p/');
    expect(canonicalUri('/a b/c*d')).toBe('/a%20b/c%2Ad/');
  });

  it('signs host, content-type, x-project-id and x-security-token, but not user-agent', () => {
    const s = signRequest({
      method: 'post',
      path: '/v1/p1/vpc-endpoint-services',
      headers: {
        Host: 'vpcep.cn-north-4.myhuaweicloud.com',
        'Content-Type': ' application/json ',
        'User-Agent': 'x',
      },
      body: '{}',
      accessKey: 'AK',
      secretKey: 'SK',
      securityToken: 'TOKEN',
      projectId: 'p1',
      date: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
    });
    expect(s.headers['X-Sdk-Date']).toBe('20260102T030405Z');
    expect(s.headers['X-Project-Id']).toBe('p1');
    expect(s.headers['X-Security-Token']).toBe('TOKEN');
    expect(s.signedHeaders).toBe('content-type;host;x-project-id;x-sdk-date;x-security-token');
    expect(s.canonicalRequest.split('\n').slice(0, 8)).toEqual([
      'POST',
      '/v1/p1/vpc-endpoint-services/',
      '',
      'content-type:application/json',
      'host:vpcep.cn-north-4.myhuaweicloud.com',
      'x-project-id:p1',
      'x-sdk-date:20260102T030405Z',
      'x-security-token:TOKEN',
    ]);
    expect(s.authorization).toMatch(
      /^SDK-HMAC-SHA256 Access=AK, SignedHeaders=content-type;host;x-project-id;x-sdk-date;x-security-token, Signature=[0-9a-f]{64}$/,
    );
  });

  it('omits X-Security-Token for permanent credentials and needs a date', () => {
    const s = signRequest({
      method: 'GET',
      path: '/x',
      headers: {},
      accessKey: 'a',
      secretKey: 'b',
      date: new Date(0),
    });
    expect(s.headers['X-Security-Token']).toBeUndefined();
    expect(s.signedHeaders).toBe('x-sdk-date');
    expect(() =>
      signRequest({ method: 'GET', path: '/x', headers: {}, accessKey: 'a', secretKey: 'b' }),
    ).toThrow(/X-Sdk-Date/);
    expect(formatSdkDate(new Date(Date.UTC(2019, 10, 15, 3, 36, 55, 123)))).toBe('20191115T033655Z');
  });
});
