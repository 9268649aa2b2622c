import { afterEach, describe, expect, it } from 'vitest';
import {
  authenticate,
  canonicalQuery,
  canonicalRequest,
  parseAuthorization,
  sha256Hex,
  signatureOf,
  stringToSign,
  type SignedRequestParts,
} from '../../../src/simulator/auth.js';
import { AK, call, control, harness, PROJECT, SK, type Harness } from './helpers.js';

const DATE = '20060102T150405Z';
const DATE_MS = Date.UTC(2006, 0, 2, 15, 4, 5);

function vectorParts(method: string, url: string, body: string, signature: string): SignedRequestParts {
  return {
    method,
    rawUrl: url,
    headers: [
      ['Host', 'example.huaweicloud.com'],
      ['X-Sdk-Date', DATE],
      ['TEST_UNDERSCORE', 'x'],
      ['Authorization', `SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=${signature}`],
    ],
    body: Buffer.from(body, 'utf8'),
  };
}

describe('signature verification against the published vectors (§6.2)', () => {
  it('vector 1: GET /path?limit=1, empty body', () => {
    const parts = vectorParts('GET', '/path?limit=1', '', '');
    const canonical = canonicalRequest(parts, ['x-sdk-date']);
    expect(canonical).toBe(
      'GET\n/path/\nlimit=1\nx-sdk-date:20060102T150405Z\n\nx-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(sha256Hex(canonical)).toBe('85c3b7730f308aee452b16138a42a914397e43a8f0d732dfa521c0ef2afa98a4');
    expect(signatureOf('SecretKey', stringToSign(canonical, DATE))).toBe(
      '5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624',
    );
    const cred = { accessKey: 'AccessKey', secretKey: 'SecretKey', projectId: 'p', domainId: 'd' };
    const good = vectorParts(
      'GET',
      '/path?limit=1',
      '',
      '5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624',
    );
    expect(authenticate(good, [cred], [], DATE_MS).projectId).toBe('p');
  });

  it('vector 2: POST /path?key=value with the trailing newline, and the body-byte regression', () => {
    const cred = { accessKey: 'AccessKey', secretKey: 'SecretKey', projectId: 'p', domainId: 'd' };
    const body = '{"Name":"test","Id":1}\n';
    expect(sha256Hex(body)).toBe('a29d7b4c5efd1a22011d69fd7b7aee76fe51e4083c609244228de258afd61289');
    const sig = 'cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59';
    expect(
      authenticate(vectorParts('POST', '/path?key=value', body, sig), [cred], [], DATE_MS).domainId,
    ).toBe('d');
    const noNl = '83599e5230b5b31fb58837c5760b4c2d407542df1f9493834ead538696e17a35';
    expect(
      authenticate(vectorParts('POST', '/path?key=value', body.trimEnd(), noNl), [cred], [], DATE_MS)
        .domainId,
    ).toBe('d');
    // The right signature for the wrong bytes is refused.
    expect(() =>
      authenticate(vectorParts('POST', '/path?key=value', body.trimEnd(), sig), [cred], [], DATE_MS),
    ).toThrow(/signature fail/);
  });

  it('canonical query encoding check', () => {
    const raw =
      'test=' +
      encodeURIComponent('一 (&=?!#%.*)') +
      '&multi=3&multi=1&path=%2Ftmp%2F123&limit=1&enable=true&multi=2';
    expect(canonicalQuery(raw)).toBe(
      'enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29',
    );
  });

  it('parses the Authorization header and rejects other schemes', () => {
    expect(
      parseAuthorization('SDK-HMAC-SHA256 Access=A, SignedHeaders=host;x-sdk-date, Signature=ab'),
    ).toEqual({
      access: 'A',
      signedHeaders: ['host', 'x-sdk-date'],
      signature: 'ab',
    });
    expect(parseAuthorization('Bearer x')).toBeUndefined();
  });
});

describe('authentication over HTTP (§8.1, §8.2, §8.27)', () => {
  let h: Harness;
  afterEach(async () => h.sim.close());

  const list = (
    o: Partial<Parameters<Harness['api']>[0]> = {},
  ): Promise<Awaited<ReturnType<Harness['api']>>> =>
    h.api({ method: 'GET', path: h.p('/vpc-endpoint-services'), ...o });

  function expectGateway401(r: Awaited<ReturnType<Harness['api']>>, msg: RegExp): void {
    expect(r.status).toBe(401);
    expect(r.json.error_code).toBe('APIGW.0301');
    expect(String(r.json.error_msg)).toMatch(msg);
    expect(r.json.request_id).toBe(r.headers['x-request-id']);
  }

  it('accepts a correct signature (with a query string)', async () => {
    h = await harness();
    const r = await list({ query: { limit: 5, endpoint_service_name: 'a b*' } });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ endpoint_services: [], total_count: 0 });
  });

  it('refuses a missing signature, a wrong secret key, an unknown AK, a wrong signature and a tampered body', async () => {
    h = await harness();
    expectGateway401(await list({ unsigned: true }), /Authorization not found/);
    expectGateway401(await list({ sk: 'wrong' }), /signature fail/);
    expectGateway401(await list({ ak: 'OTHERAK' }), /access key not found/);
    expectGateway401(await list({ signature: '0'.repeat(64) }), /signature fail/);
    const tampered = await h.api({
      method: 'POST',
      path: h.p('/vpc-endpoint-services'),
      rawBody: '{"port_id":"x"}',
      signedBody: '{"port_id":"y"}',
    });
    expectGateway401(tampered, /signature fail/);
    expect(h.sim.controls.services()).toHaveLength(0);
  });

  it('refuses X-Sdk-Date more than 15 minutes off ("signature expired"), accepts 14 minutes', async () => {
    h = await harness();
    const now = h.clock.now();
    expect((await list({ now: now - 14 * 60_000 })).status).toBe(200);
    expect((await list({ now: now + 14 * 60_000 })).status).toBe(200);
    expectGateway401(await list({ now: now - 16 * 60_000 }), /signature expired/);
    expectGateway401(await list({ now: now + 16 * 60_000 }), /signature expired/);
    // The server clock moving is what matters, too.
    const signedNow = now;
    await h.clock.advance(16 * 60_000);
    expectGateway401(await list({ now: signedNow }), /signature expired/);
  });

  it('accepts a configured X-Auth-Token and refuses others', async () => {
    h = await harness({ authTokens: ['tok-123'] });
    const ok = await list({ unsigned: true, headers: { 'X-Auth-Token': 'tok-123' } });
    expect(ok.status).toBe(200);
    expectGateway401(await list({ unsigned: true, headers: { 'X-Auth-Token': 'tok-124' } }), /token/);
  });

  it('every response carries X-Request-Id; unknown routes are 404 APIGW.0101, never EndPoint.0005', async () => {
    h = await harness();
    const ok = await list();
    expect(ok.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    for (const [method, path] of [
      ['GET', h.p('/no-such-thing')],
      ['DELETE', h.p('/vpc-endpoint-services')],
      ['GET', '/v2/x/vpc-endpoint-services'],
      ['POST', h.p('/vpc-endpoint-services/abc/unknown')],
    ] as const) {
      const r = await h.api({ method, path, unsigned: true });
      expect(r.status).toBe(404);
      expect(r.json.error_code).toBe('APIGW.0101');
      expect(r.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    }
    const err = await list({ query: { limit: 0 } });
    expect(err.headers['x-request-id']).toBeDefined();
    const ctl = await control(h.sim.url, 'GET', '/_sim/counters');
    expect(ctl.headers['x-request-id']).toBeDefined();
  });

  it('a path project id other than the credential’s is 400 EndPoint.0014; data is isolated per project', async () => {
    h = await harness({ credentials: [{ accessKey: 'AK2', secretKey: 'SK2', projectId: 'project2' }] });
    const wrong = await h.api({ method: 'GET', path: '/v1/project2/vpc-endpoint-services' });
    expect(wrong.status).toBe(400);
    expect(wrong.json).toEqual({ error_code: 'EndPoint.0014', error_msg: expect.any(String) });
    const mismatchedHeader = await list({ headers: { 'X-Project-Id': 'project2' } });
    expect(mismatchedHeader.json.error_code).toBe('EndPoint.0014');
    const create = await h.api({
      method: 'POST',
      path: h.p('/vpc-endpoint-services'),
      body: {
        port_id: '4189d3c2-8882-4871-a3c2-d380272eed88',
        vpc_id: '4189d3c2-8882-4871-a3c2-d380272eed80',
        server_type: 'VM',
        ports: [{ client_port: 1, server_port: 1, protocol: 'TCP' }],
      },
      headers: { 'X-Project-Id': PROJECT },
    });
    expect(create.status).toBe(200);
    const other = await call(h.sim.url, {
      method: 'GET',
      path: '/v1/project2/vpc-endpoint-services',
      ak: 'AK2',
      sk: 'SK2',
      now: h.clock.now(),
    });
    expect(other.json.total_count).toBe(0);
    const stranger = await call(h.sim.url, {
      method: 'GET',
      path: `/v1/project2/vpc-endpoint-services/${String(create.json.id)}`,
      ak: 'AK2',
      sk: 'SK2',
      now: h.clock.now(),
    });
    expect(stranger.status).toBe(404);
    expect(stranger.json.error_code).toBe('EndPoint.0005');
    expect(h.sim.controls.services('project2')).toHaveLength(0);
    expect(h.sim.controls.services(PROJECT)).toHaveLength(1);
    expect(AK).not.toBe('AK2');
    expect(SK).not.toBe('SK2');
  });
});
