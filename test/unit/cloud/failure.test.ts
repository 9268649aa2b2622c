import { afterEach, describe, expect, it } from 'vitest';
import { decodeEndpointService } from '../../../src/cloud/decode.js';
import { NO_FAILURE_DETAIL, describeServiceFailure } from '../../../src/cloud/failure.js';
import type { EndpointService } from '../../../src/cloud/wire.js';
import { SVC_ID, makeClient, reply, startFakeCloud } from './fake-cloud.js';
import type { FakeCloud } from './fake-cloud.js';

/** A failed service whose `error` is whatever the cloud sent (untyped on purpose). */
const failed = (error: unknown): EndpointService =>
  ({ id: SVC_ID, status: 'failed', error }) as unknown as EndpointService;

describe('describeServiceFailure', () => {
  it("reads the official SDKs' {code, message} shape", () => {
    expect(
      describeServiceFailure(
        failed([
          { code: 'EndPoint.3001', message: 'Failed to create the port.' },
          { code: 'EndPoint.0001', message: 'System error.' },
        ]),
      ),
    ).toBe('EndPoint.3001: Failed to create the port.; EndPoint.0001: System error.');
  });

  it('reads the legacy {error_code, error_message} shape', () => {
    expect(
      describeServiceFailure(
        failed([
          { error_code: 'EndPoint.3001', error_message: 'Failed to create the port.' },
          { error_code: 'EndPoint.0001', error_message: 'System error.' },
        ]),
      ),
    ).toBe('EndPoint.3001: Failed to create the port.; EndPoint.0001: System error.');
  });

  it("reads a mix, keeps the cloud's order, and prefers code/message within one entry", () => {
    expect(
      describeServiceFailure(
        failed([
          { error_code: 'Legacy.1', error_message: 'first' },
          { code: 'Sdk.2', message: 'second' },
          { code: 'Sdk.3', message: 'sdk wins', error_code: 'Legacy.3', error_message: 'legacy loses' },
          // Per field: the SDK's code, the legacy message when the SDK's is absent.
          { code: 'Sdk.4', error_message: 'legacy message' },
          // An empty SDK field falls back to the legacy one.
          { code: '', message: '  ', error_code: 'Legacy.5', error_message: 'fallback' },
        ]),
      ),
    ).toBe('Legacy.1: first; Sdk.2: second; Sdk.3: sdk wins; Sdk.4: legacy message; Legacy.5: fallback');
  });

  it('shows what there is of a partial entry and skips empty ones', () => {
    expect(
      describeServiceFailure(failed([{ code: 'EndPoint.3001' }, {}, { message: 'only a message' }])),
    ).toBe('EndPoint.3001; only a message');
  });

  it.each<[string, unknown]>([
    ['no error field', undefined],
    ['null', null],
    ['an empty array', []],
    ['entries without detail', [{}, { other: 'x' }, null, [], true]],
    ['non-string fields', [{ code: { nested: 1 }, message: ['a'], error_code: false, error_message: null }]],
    ['a non-finite number', [{ code: Number.NaN }]],
    ['whitespace and control characters only', [{ code: ' \n\t', message: '\u0000\u001b' }]],
  ])('junk (%s) → "no error detail", no throw', (_name, error) => {
    expect(describeServiceFailure(failed(error))).toBe(NO_FAILURE_DETAIL);
    expect(NO_FAILURE_DETAIL).toBe('no error detail');
  });

  it('copes with a lone object, a string, numeric codes and a non-object service', () => {
    expect(describeServiceFailure(failed({ code: 'EndPoint.3001', message: 'lone' }))).toBe(
      'EndPoint.3001: lone',
    );
    expect(describeServiceFailure(failed('it broke'))).toBe('it broke');
    expect(describeServiceFailure(failed([{ code: 3001, message: 'numeric code' }]))).toBe(
      '3001: numeric code',
    );
    expect(describeServiceFailure(null as unknown as EndpointService)).toBe(NO_FAILURE_DETAIL);
    expect(describeServiceFailure('svc' as unknown as EndpointService)).toBe(NO_FAILURE_DETAIL);
  });

  it('never throws, even on an entry whose fields throw when read', () => {
    const hostile = {};
    Object.defineProperty(hostile, 'code', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(describeServiceFailure(failed([hostile]))).toBe(NO_FAILURE_DETAIL);
    expect(
      describeServiceFailure({
        id: SVC_ID,
        get error(): never {
          throw new Error('boom');
        },
      }),
    ).toBe(NO_FAILURE_DETAIL);
  });

  it('keeps the result on one line and bounded', () => {
    const forged = describeServiceFailure(
      failed([{ code: 'E.1', message: 'line one\nFAKE LOG LINE\r\u2028x' }]),
    );
    expect(forged).toBe('E.1: line one FAKE LOG LINE x');
    const long = describeServiceFailure(failed([{ code: 'E.1', message: 'y'.repeat(5000) }]));
    expect(long).toBe(`E.1: ${'y'.repeat(300)}…`);
    const many = describeServiceFailure(failed(Array.from({ length: 13 }, (_, i) => ({ code: `E.${i}` }))));
    expect(many).toBe(`${Array.from({ length: 10 }, (_, i) => `E.${i}`).join('; ')}; … (3 more)`);
  });
});

describe('the client accepts both error[] shapes of a failed service', () => {
  let fake: FakeCloud | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('a GET answering a mixed error[] decodes, and describes as sent', async () => {
    fake = await startFakeCloud();
    const { client } = makeClient(fake);
    const error = [
      { code: 'EndPoint.3001', message: 'sdk shape' },
      { error_code: 'EndPoint.0001', error_message: 'legacy shape' },
    ];
    fake.script.push(reply(200, { id: SVC_ID, status: 'failed', error }));
    try {
      const svc = await client.getService(SVC_ID);
      expect(svc.error).toEqual(error);
      expect(describeServiceFailure(svc)).toBe('EndPoint.3001: sdk shape; EndPoint.0001: legacy shape');
    } finally {
      client.close();
    }
  });

  it('odd error[] content never fails the decode (it is diagnostic only)', () => {
    for (const error of [[{ code: 1 }], [null], 'text', { code: 'x' }, [[]]])
      expect(() => decodeEndpointService({ id: SVC_ID, status: 'failed', error })).not.toThrow();
  });
});
