/**
 * SDK-HMAC-SHA256 request signing (Huawei Cloud API gateway), per docs/vpcep-api.md §6.1.
 *
 * Pure: no I/O, no clock of its own (the date is an input). The published vectors of §6.2 are unit tests.
 */
import { createHash, createHmac } from 'node:crypto';

/** Algorithm name written at the start of the `Authorization` header and of the string to sign. */
export const SIGNING_ALGORITHM = 'SDK-HMAC-SHA256';
/** `hex(SHA-256(""))`: the body hash of a request without a body. */
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Headers never signed: ones the HTTP stack may add or rewrite after signing. */
const UNSIGNED_HEADERS = new Set(['authorization', 'user-agent', 'content-length', 'connection']);

/** Query parameters: one value or several (repeated keys). Order is irrelevant: the canonical form sorts. */
export type QueryParams = Record<
  string,
  string | number | boolean | ReadonlyArray<string | number | boolean>
>;

/**
 * RFC 3986 encoding as the gateway expects it: keeps `A-Z a-z 0-9 - _ . ~` and writes every other UTF-8
 * byte as upper-case `%XY` (space is `%20`, never `+`; `*` is `%2A`; `/` is `%2F`).
 */
export function rfc3986Encode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * Canonical URI of a *decoded* path: each segment RFC 3986-encoded, always ending with `/` (the request
 * itself is sent without the added slash). `encodePath` gives the matching form to put on the wire.
 */
export function canonicalUri(path: string): string {
  const encoded = encodePath(path);
  return encoded.endsWith('/') ? encoded : `${encoded}/`;
}

/** The wire form of a decoded path: each `/`-separated segment RFC 3986-encoded, no slash added. */
export function encodePath(path: string): string {
  const p = path.startsWith('/') ? path : `/${path}`;
  return p.split('/').map(rfc3986Encode).join('/');
}

/**
 * Flattens query parameters into encoded `[key, value]` pairs sorted by key, then by value, both compared
 * *before* encoding, as Huawei's official SDKs sort them: `a.b` comes before `a/b` although `%2F` sorts
 * before `.` once encoded. The comparison is on UTF-8 bytes, the Go SDK's; the Node SDK's (UTF-16 code
 * units) gives the same order except between characters above U+FFFF and U+E000–U+FFFF.
 */
function encodedQueryPairs(query: QueryParams | undefined): Array<[string, string]> {
  const pairs: Array<[Buffer, Buffer, string, string]> = [];
  for (const [key, raw] of Object.entries(query ?? {})) {
    const values = Array.isArray(raw) ? raw : [raw];
    for (const v of values as ReadonlyArray<string | number | boolean>) {
      const value = String(v);
      pairs.push([
        Buffer.from(key, 'utf8'),
        Buffer.from(value, 'utf8'),
        rfc3986Encode(key),
        rfc3986Encode(value),
      ]);
    }
  }
  return pairs
    .sort((a, b) => Buffer.compare(a[0], b[0]) || Buffer.compare(a[1], b[1]))
    .map((p) => [p[2], p[3]]);
}

/**
 * Canonical query string: keys sorted, repeated keys emitted sorted by value (both by their unencoded
 * UTF-8 bytes, the official SDKs' order), keys and values RFC 3986 encoded, `k=v` joined with `&`; `""`
 * for no query. The same string is what the client sends, so the signed and the sent query are
 * byte-identical.
 */
export function canonicalQueryString(query: QueryParams | undefined): string {
  return encodedQueryPairs(query)
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** `YYYYMMDDTHHMMSSZ` (UTC), the `X-Sdk-Date` format. */
export function formatSdkDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** Lower-case hex SHA-256 of the exact bytes (strings are taken as UTF-8). */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** What {@link signRequest} needs. `path` is decoded (segments are encoded while signing). */
export interface SignInput {
  method: string;
  /** Decoded path, e.g. `/v1/{project}/vpc-endpoint-services`, without the query. */
  path: string;
  query?: QueryParams;
  /**
   * Headers to send. All are signed except names containing `_` and those the HTTP stack owns
   * (`authorization`, `user-agent`, `content-length`, `connection`). Include `Host` exactly as sent.
   */
  headers: Record<string, string>;
  /** The exact body bytes that will be sent (strings are hashed as UTF-8); omitted = empty body. */
  body?: string | Uint8Array;
  accessKey: string;
  secretKey: string;
  /** Added and signed as `X-Security-Token` when set (temporary credentials). */
  securityToken?: string;
  /** Added and signed as `X-Project-Id` when set. */
  projectId?: string;
  /** Signing time; used only when `headers` has no `X-Sdk-Date` already. */
  date?: Date;
}

/** The outcome of signing: the headers to send (input headers + date, token, project, Authorization). */
export interface SignedRequest {
  headers: Record<string, string>;
  canonicalRequest: string;
  stringToSign: string;
  signedHeaders: string;
  signature: string;
  authorization: string;
}

function findHeader(headers: Record<string, string>, name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/**
 * Signs one request with SDK-HMAC-SHA256. Guarantees: deterministic for equal inputs; the returned
 * headers contain `X-Sdk-Date` (from the input headers, else from `date`), `X-Project-Id` and
 * `X-Security-Token` when given, and `Authorization: SDK-HMAC-SHA256 Access=…, SignedHeaders=…,
 * Signature=…`. The caller must send exactly `body`, the encoded path and {@link canonicalQueryString}.
 * Throws if neither an `X-Sdk-Date` header nor `date` is supplied.
 */
export function signRequest(input: SignInput): SignedRequest {
  const headers: Record<string, string> = { ...input.headers };
  if (findHeader(headers, 'x-sdk-date') === undefined) {
    if (!input.date) throw new Error('signRequest needs an X-Sdk-Date header or a date');
    headers['X-Sdk-Date'] = formatSdkDate(input.date);
  }
  if (input.projectId !== undefined && findHeader(headers, 'x-project-id') === undefined)
    headers['X-Project-Id'] = input.projectId;
  if (input.securityToken && findHeader(headers, 'x-security-token') === undefined)
    headers['X-Security-Token'] = input.securityToken;
  const sdkDate = findHeader(headers, 'x-sdk-date') ?? '';

  const signed = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower.includes('_') || UNSIGNED_HEADERS.has(lower)) continue;
    signed.set(lower, value.trim());
  }
  const names = [...signed.keys()].sort();
  const canonicalHeaders = names.map((n) => `${n}:${signed.get(n) ?? ''}\n`).join('');
  const signedHeaders = names.join(';');

  const canonicalRequest = [
    input.method.toUpperCase(),
    canonicalUri(input.path),
    canonicalQueryString(input.query),
    canonicalHeaders,
    signedHeaders,
    sha256Hex(input.body ?? ''),
  ].join('\n');
  const stringToSign = `${SIGNING_ALGORITHM}\n${sdkDate}\n${sha256Hex(canonicalRequest)}`;
  const signature = createHmac('sha256', Buffer.from(input.secretKey, 'utf8'))
    .update(stringToSign)
    .digest('hex');
  const authorization = `${SIGNING_ALGORITHM} Access=${input.accessKey}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  headers['Authorization'] = authorization;
  return { headers, canonicalRequest, stringToSign, signedHeaders, signature, authorization };
}
