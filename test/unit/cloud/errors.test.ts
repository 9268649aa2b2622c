import { describe, it, expect } from 'vitest';
import { classifyHttpError, CloudError, isCode, parseErrorBody } from '../../../src/cloud/errors.js';
import { capRetryAfter, fullJitterDelay, parseRetryAfter, retryDelay } from '../../../src/cloud/retry.js';

describe('parseErrorBody', () => {
  it('parses the flat, nested and gateway shapes', () => {
    expect(parseErrorBody('{"error_code":"EndPoint.0002","error_msg":"Parameter error."}')).toEqual({
      code: 'EndPoint.0002',
      message: 'Parameter error.',
    });
    expect(parseErrorBody('{"error":{"code":"EndPoint.0002","message":"Parameter error."}}')).toEqual({
      code: 'EndPoint.0002',
      message: 'Parameter error.',
    });
    expect(
      parseErrorBody(
        Buffer.from(
          '{"error_code":"APIGW.0308","error_msg":"throttled","request_id":"r-1","encoded_authorization_message":"e"}',
        ),
      ),
    ).toEqual({
      code: 'APIGW.0308',
      message: 'throttled',
      requestId: 'r-1',
      encodedAuthorizationMessage: 'e',
    });
  });

  it('never throws on garbage', () => {
    expect(parseErrorBody('<html>bad gateway</html>')).toEqual({});
    expect(parseErrorBody('[1]')).toEqual({});
    expect(parseErrorBody('')).toEqual({});
  });
});

describe('classifyHttpError (vpcep-api.md §5)', () => {
  it.each([
    [500, 'EndPoint.0001', 'retryable'],
    [504, 'EndPoint.0013', 'retryable'],
    [400, 'EndPoint.0022', 'retryable'],
    [400, 'ENDPOINT.0022', 'retryable'],
    [429, 'APIGW.0308', 'retryable'],
    [400, 'EndPoint.2004', 'retryable'],
    [400, 'EndPoint.3045', 'retryable'],
    [400, 'EndPoint.3001', 'retryable'],
    [400, 'EndPoint.0002', 'terminal'],
    [400, 'EndPoint.3044', 'terminal'],
    [400, 'Endpoint.1018', 'terminal'],
    [400, 'EndPoint.3049', 'terminal'],
    [404, 'EndPoint.0005', 'notFound'],
    [404, 'endpoint.0005', 'notFound'],
    [404, 'APIGW.0101', 'terminal'],
    [404, 'EndPoint.4012', 'terminal'],
    [404, undefined, 'terminal'],
    [400, 'EndPoint.3006', 'inUse'],
    [401, 'APIGW.0301', 'auth'],
    [403, 'EndPoint.0004', 'auth'],
    [401, undefined, 'auth'],
    [502, undefined, 'retryable'],
    [503, 'APIGW.9999', 'retryable'],
    [429, undefined, 'retryable'],
  ] as const)('HTTP %i %s is %s', (status, code, kind) => {
    expect(classifyHttpError(status, code)).toBe(kind);
  });
});

describe('isCode', () => {
  it('compares case-insensitively and only on CloudErrors', () => {
    const e = new CloudError({ kind: 'terminal', operation: 'x', message: 'm', code: 'Endpoint.1018' });
    expect(isCode(e, 'EndPoint.1018')).toBe(true);
    expect(isCode(e, 'EndPoint.1019')).toBe(false);
    expect(isCode(new Error('Endpoint.1018'), 'EndPoint.1018')).toBe(false);
  });
});

describe('CloudError.throttled', () => {
  const e = (o: { httpStatus?: number; code?: string }) =>
    new CloudError({ kind: 'retryable', operation: 'x', message: 'm', ...o });
  it('is true for HTTP 429 and the throttling codes, in any case', () => {
    expect(e({ httpStatus: 429 }).throttled).toBe(true);
    expect(e({ httpStatus: 429, code: 'APIGW.0308' }).throttled).toBe(true);
    expect(e({ httpStatus: 400, code: 'EndPoint.0022' }).throttled).toBe(true);
    expect(e({ httpStatus: 400, code: 'ENDPOINT.0022' }).throttled).toBe(true);
    expect(e({ code: 'apigw.0308' }).throttled).toBe(true);
  });
  it('is false otherwise, and follows copies made by with()', () => {
    expect(e({ httpStatus: 503 }).throttled).toBe(false);
    expect(e({ httpStatus: 400, code: 'EndPoint.3045' }).throttled).toBe(false);
    expect(e({}).throttled).toBe(false);
    expect(e({ httpStatus: 429 }).with({ attempts: 2 }).throttled).toBe(true);
    expect(e({ httpStatus: 429 }).with({ httpStatus: 500 }).throttled).toBe(false);
  });
});

describe('retry timing', () => {
  it('full jitter: random() * min(max, base * 2^retry)', () => {
    expect(fullJitterDelay(0, 100, 10_000, () => 0.5)).toBe(50);
    expect(fullJitterDelay(3, 100, 10_000, () => 0.5)).toBe(400);
    expect(fullJitterDelay(20, 100, 10_000, () => 0.5)).toBe(5_000);
    expect(fullJitterDelay(2, 100, 10_000, () => 0)).toBe(0);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.UTC(2026, 0, 1, 0, 0, 0);
    expect(parseRetryAfter('7', now)).toBe(7_000);
    expect(parseRetryAfter(new Date(now + 12_000).toUTCString(), now)).toBe(12_000);
    expect(parseRetryAfter(new Date(now - 12_000).toUTCString(), now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('waits at least Retry-After, and at least 2 s after APIGW.0308', () => {
    const opts = { baseMs: 100, maxMs: 1_000, random: () => 0.5 };
    const plain = new CloudError({ kind: 'retryable', operation: 'x', message: 'm', httpStatus: 503 });
    expect(retryDelay(plain, 0, opts)).toBe(50);
    expect(retryDelay(plain.with({ retryAfterMs: 800 }), 0, opts)).toBe(800);
    expect(retryDelay(plain.with({ code: 'apigw.0308' }), 0, opts)).toBe(2_000);
  });

  it('caps a Retry-After at maxMs, wherever it is used', () => {
    const opts = { baseMs: 100, maxMs: 30_000, random: () => 0 };
    const plain = new CloudError({ kind: 'retryable', operation: 'x', message: 'm', httpStatus: 503 });
    expect(retryDelay(plain.with({ retryAfterMs: 999_999_000 }), 0, opts)).toBe(30_000);
    expect(retryDelay(plain.with({ retryAfterMs: Infinity }), 0, opts)).toBe(30_000);
    expect(capRetryAfter(999_999_000, 30_000)).toBe(30_000);
    expect(capRetryAfter(-5, 30_000)).toBe(0);
    expect(capRetryAfter(1_234, 30_000)).toBe(1_234);
    expect(capRetryAfter(undefined, 30_000)).toBeUndefined();
    expect(parseRetryAfter('9'.repeat(400), 0)).toBe(Infinity);
    expect(capRetryAfter(parseRetryAfter('9'.repeat(400), 0), 30_000)).toBe(30_000);
  });
});
