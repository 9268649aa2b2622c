/**
 * Server-side verification of Huawei's SDK-HMAC-SHA256 request signatures (vpcep-api.md §6.1) and of
 * static `X-Auth-Token`s.
 *
 * Written independently of the client's signer: the canonical request is rebuilt from what arrived on
 * the wire (raw path, raw query, raw header values, exact body bytes), so a client that signs anything
 * other than what it sends fails here as it would against the cloud.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { authError, SimError } from './errors.js';

/** Algorithm name in the `Authorization` header and the first line of the string to sign. */
export const ALGORITHM = 'SDK-HMAC-SHA256';
/** Largest tolerated distance between `X-Sdk-Date` and the server clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** An identity the simulator accepts: an AK/SK pair bound to one project and account (domain). */
export interface SimCredential {
  accessKey: string;
  secretKey: string;
  projectId: string;
  domainId: string;
  /** When set, requests signed with this AK must carry (and sign) this `X-Security-Token`. */
  securityToken?: string;
}

/** An IAM token the simulator accepts in `X-Auth-Token`, scoped to one project (static, or issued by its IAM). */
export interface SimToken {
  token: string;
  projectId: string;
  domainId: string;
  /** Issued tokens: epoch ms from which the gateway answers 401 `APIGW.0307`. */
  expiresAt?: number;
  /** Revoked (as by a password change): 401 `APIGW.0307`. */
  revoked?: boolean;
}

/** Who made a request, once authenticated. */
export interface Caller {
  projectId: string;
  domainId: string;
  accessKey?: string;
}

/** What the verifier needs of a request: everything as received. */
export interface SignedRequestParts {
  method: string;
  /** Path and query exactly as on the request line (`req.url`). */
  rawUrl: string;
  /** Header name/value pairs in arrival order (Node's `req.rawHeaders`, paired). */
  headers: Array<[string, string]>;
  body: Buffer;
}

/** RFC 3986 encoding: keeps `A-Z a-z 0-9 - _ . ~`, writes everything else as upper-case `%XY` of its UTF-8 bytes. */
export function rfc3986(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function percentDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Canonical URI: each decoded path segment re-encoded per RFC 3986, always ending with `/`. */
export function canonicalUri(rawPath: string): string {
  const joined = rawPath
    .split('/')
    .map((seg) => rfc3986(percentDecode(seg)))
    .join('/');
  return joined.endsWith('/') ? joined : joined + '/';
}

/** Canonical query string: pairs sorted by key then value, both RFC 3986-encoded (`+` in the raw query is a space). */
export function canonicalQuery(rawQuery: string): string {
  if (rawQuery === '') return '';
  const pairs = rawQuery
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      const k = eq < 0 ? p : p.slice(0, eq);
      const v = eq < 0 ? '' : p.slice(eq + 1);
      return [
        rfc3986(percentDecode(k.replace(/\+/g, ' '))),
        rfc3986(percentDecode(v.replace(/\+/g, ' '))),
      ] as const;
    });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** Values of header `name` (any case) in arrival order, each trimmed. */
function headerValues(headers: Array<[string, string]>, name: string): string[] {
  const lower = name.toLowerCase();
  return headers.filter(([k]) => k.toLowerCase() === lower).map(([, v]) => v.trim());
}

/** The first value of header `name`, or undefined. */
export function headerValue(headers: Array<[string, string]>, name: string): string | undefined {
  return headerValues(headers, name)[0];
}

/** hex(SHA-256(data)). */
export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The six-line canonical request of §6.1 for `parts`, signing `signedHeaders` (lower-case, sorted).
 * An `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` header replaces the body hash, as Huawei's SDKs allow.
 */
export function canonicalRequest(parts: SignedRequestParts, signedHeaders: string[]): string {
  const q = parts.rawUrl.indexOf('?');
  const rawPath = q < 0 ? parts.rawUrl : parts.rawUrl.slice(0, q);
  const rawQuery = q < 0 ? '' : parts.rawUrl.slice(q + 1);
  const headerLines = signedHeaders.map((h) => `${h}:${headerValues(parts.headers, h).join(',')}\n`).join('');
  const contentSha = headerValue(parts.headers, 'x-sdk-content-sha256');
  const bodyHash =
    contentSha === 'UNSIGNED-PAYLOAD'
      ? contentSha
      : parts.body.length === 0
        ? EMPTY_BODY_SHA256
        : sha256Hex(parts.body);
  return [
    parts.method.toUpperCase(),
    canonicalUri(rawPath),
    canonicalQuery(rawQuery),
    headerLines,
    signedHeaders.join(';'),
    bodyHash,
  ].join('\n');
}

/** StringToSign = algorithm, date, hex(SHA-256(canonical request)). */
export function stringToSign(canonical: string, sdkDate: string): string {
  return `${ALGORITHM}\n${sdkDate}\n${sha256Hex(canonical)}`;
}

/** hex(HMAC-SHA256(raw SK bytes, stringToSign)): no key derivation. */
export function signatureOf(secretKey: string, toSign: string): string {
  return createHmac('sha256', Buffer.from(secretKey, 'utf8')).update(toSign).digest('hex');
}

/** Parses `YYYYMMDDTHHMMSSZ` to epoch ms, or undefined when malformed. */
export function parseSdkDate(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se] = m.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, se);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Parsed `Authorization: SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…`. */
export interface AuthorizationHeader {
  access: string;
  signedHeaders: string[];
  signature: string;
}

/** Parses the `Authorization` header, or undefined when it is not an SDK-HMAC-SHA256 one. */
export function parseAuthorization(value: string): AuthorizationHeader | undefined {
  if (!value.startsWith(ALGORITHM + ' ')) return undefined;
  const fields = new Map<string, string>();
  for (const part of value.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const access = fields.get('Access');
  const signed = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!access || !signed || !signature) return undefined;
  return { access, signedHeaders: signed.split(';').map((h) => h.trim().toLowerCase()), signature };
}

function safeEqualHex(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/**
 * Authenticates a request by AK/SK signature or token. Throws 401 `APIGW.0301` (with a message
 * naming the reason: missing, unknown AK, expired/skewed date, signature mismatch, unknown token), or
 * 401 `APIGW.0307` for an expired or revoked token.
 * `now` is the server clock in epoch ms.
 */
export function authenticate(
  parts: SignedRequestParts,
  credentials: readonly SimCredential[],
  tokens: readonly SimToken[],
  now: number,
): Caller {
  const authz = headerValue(parts.headers, 'authorization');
  if (authz === undefined) {
    const token = headerValue(parts.headers, 'x-auth-token');
    if (token === undefined) throw authError('Authorization not found.');
    const t = tokens.find((x) => x.token.length === token.length && safeEqualHex(x.token, token));
    if (!t) throw authError('decrypt token fail');
    if (t.revoked || (t.expiresAt !== undefined && now >= t.expiresAt))
      throw new SimError(401, 'APIGW.0307', 'The token must be updated.');
    return { projectId: t.projectId, domainId: t.domainId };
  }
  const parsed = parseAuthorization(authz);
  if (!parsed) throw authError('Authorization format error.');
  const cred = credentials.find((c) => c.accessKey === parsed.access);
  if (!cred) throw authError('verify aksk signature fail, access key not found');
  const sdkDate = headerValue(parts.headers, 'x-sdk-date');
  if (sdkDate === undefined || !parsed.signedHeaders.includes('x-sdk-date'))
    throw authError('X-Sdk-Date is missing or not signed.');
  const at = parseSdkDate(sdkDate);
  if (at === undefined) throw authError('X-Sdk-Date format error.');
  if (Math.abs(now - at) > MAX_CLOCK_SKEW_MS) throw authError('signature expired');
  if (cred.securityToken !== undefined) {
    const st = headerValue(parts.headers, 'x-security-token');
    if (st !== cred.securityToken || !parsed.signedHeaders.includes('x-security-token'))
      throw authError('security token missing or invalid');
  }
  const sorted = [...parsed.signedHeaders].sort();
  const expected = signatureOf(cred.secretKey, stringToSign(canonicalRequest(parts, sorted), sdkDate));
  if (!safeEqualHex(expected, parsed.signature.toLowerCase())) throw authError('verify aksk signature fail');
  return { projectId: cred.projectId, domainId: cred.domainId, accessKey: cred.accessKey };
}
