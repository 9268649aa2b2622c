/**
 * One token request to IAM (docs/iam-auth.md): `POST` a JSON body, read the token from the
 * `X-Subject-Token` response header and its expiry from `token.expires_at` in the body. Shared by the
 * password and the OIDC ID-token providers. Classifies IAM's refusals into `CloudError`s and keeps
 * every secret out of their messages.
 */
import { CloudError, type CloudErrorInit } from '../errors.js';
import { quoteForMessage } from '../ids.js';
import { HttpTransport, TransportError, type HttpResponse } from '../transport.js';
import { IAM_INVALID_RESPONSE_CODE, IAM_REFUSED_CODE, isHeaderSafe, redact } from './provider.js';

/** Operation name of token requests, in errors and events. */
export const IAM_TOKEN_OPERATION = 'iamToken';
/** Longest token accepted from `X-Subject-Token` (real PKI tokens run to a few KB). */
const MAX_TOKEN_LENGTH = 64 * 1024;

/** What one successful exchange yields. Times are the server's, epoch ms. */
export interface IamTokenGrant {
  token: string;
  expiresAt: number;
  issuedAt?: number;
  /** `token.project.id`: the project the token is scoped to, when the answer says. */
  projectId?: string;
}

/** One request to send. */
export interface IamExchange {
  /** IAM endpoint: scheme + host[:port], no trailing slash (checked by the caller). */
  endpoint: string;
  /** Path and query below the endpoint, e.g. `/v3/auth/tokens?nocatalog=true`. */
  path: string;
  headers?: Record<string, string>;
  body: unknown;
  timeoutMs: number;
  userAgent: string;
  /** Says whose token it is, for messages (non-secret: `password token for alice@acme`). */
  what: string;
  /** Values to scrub from every message (password, ID token). */
  secrets: ReadonlyArray<string | undefined>;
  signal?: AbortSignal;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** IAM's error body in any of its shapes: `{error_code, error_msg}`, `{error:{code, message, title}}`. */
export interface IamErrorBody {
  /** A string code (`IAM.0001`), when the body has one. */
  code?: string;
  /** Keystone's numeric `error.code` (e.g. 401), when that is what the body has. */
  numericCode?: number;
  title?: string;
  message?: string;
}

/** Parses IAM's error body; never throws (a body that is not JSON yields `{}`). */
export function parseIamError(body: Buffer | string): IamErrorBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    return {};
  }
  if (!isRecord(parsed)) return {};
  const nested = isRecord(parsed['error']) ? parsed['error'] : undefined;
  const out: IamErrorBody = {};
  const code = str(nested?.['code']) ?? str(parsed['error_code']);
  if (code !== undefined) out.code = code.trim();
  const numeric = nested?.['code'];
  if (typeof numeric === 'number' && Number.isFinite(numeric)) out.numericCode = numeric;
  const title = str(nested?.['title']);
  if (title !== undefined) out.title = title;
  const message = str(nested?.['message']) ?? str(parsed['error_msg']);
  if (message !== undefined) out.message = message;
  return out;
}

const header = (res: HttpResponse, name: string): string | undefined => {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * Sends one token request and returns the grant. Rejects with a `CloudError` (operation
 * {@link IAM_TOKEN_OPERATION}, `attempts: 1`):
 * - an IAM refusal: HTTP 408, 429 and 5xx are `retryable`, every other 4xx is `auth`; `code` is IAM's
 *   string code (`IAM.0001`), else {@link IAM_REFUSED_CODE}; the message carries the status, IAM's code
 *   (string or Keystone's numeric one and title) and IAM's message, quoted and redacted;
 * - a 2xx without a usable `X-Subject-Token` (missing, not printable ASCII, > 64 KiB) or without a
 *   parsable `token.expires_at`: `retryable`, {@link IAM_INVALID_RESPONSE_CODE};
 * - a transport failure: `retryable` (`aborted` when `signal` aborted), with the transport's code.
 * No message ever contains the request body, the token or any of `secrets`; no redirect is followed.
 */
export async function exchangeIamToken(t: HttpTransport, x: IamExchange): Promise<IamTokenGrant> {
  const url = new URL(`${x.endpoint}${x.path}`);
  const body = Buffer.from(JSON.stringify(x.body), 'utf8');
  const fail = (init: Omit<CloudErrorInit, 'operation'>): CloudError =>
    new CloudError({
      ...init,
      operation: IAM_TOKEN_OPERATION,
      message: redact(`IAM ${x.what}: ${init.message}`, x.secrets),
      attempts: 1,
    });
  let res: HttpResponse;
  try {
    res = await t.send({
      method: 'POST',
      url,
      headers: {
        Host: url.host,
        'Content-Type': 'application/json;charset=UTF-8',
        'User-Agent': x.userAgent,
        ...(x.headers ?? {}),
      },
      body,
      timeoutMs: x.timeoutMs,
      signal: x.signal,
    });
  } catch (e) {
    const te = e instanceof TransportError ? e : undefined;
    if (te?.aborted)
      throw fail({ kind: 'aborted', code: 'Client.Aborted', message: 'aborted by the caller' });
    // The transport's message names the method, path and reason, never a header value.
    const reason = e instanceof Error ? e.message : String(e);
    throw fail({
      kind: 'retryable',
      code: te?.code,
      message: `${reason} (IAM endpoint ${x.endpoint})`,
    });
  }
  const requestId = header(res, 'x-request-id');
  if (res.status < 200 || res.status >= 300) {
    const e = parseIamError(res.body);
    const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
    const codeText =
      e.code !== undefined
        ? ` ${e.code}`
        : e.numericCode !== undefined
          ? ` (code ${e.numericCode}${e.title ? ` ${e.title}` : ''})`
          : '';
    const redirect =
      res.status >= 300 && res.status < 400 ? ' (redirect not followed: check the IAM endpoint)' : '';
    throw fail({
      kind: retryable ? 'retryable' : 'auth',
      code: e.code ?? IAM_REFUSED_CODE,
      httpStatus: res.status,
      requestId,
      message: `HTTP ${res.status}${codeText}: ${
        e.message !== undefined ? quoteForMessage(e.message, 300) : 'no error message'
      }${redirect}`,
    });
  }
  const invalid = (what: string): CloudError =>
    fail({
      kind: 'retryable',
      code: IAM_INVALID_RESPONSE_CODE,
      httpStatus: res.status,
      requestId,
      message: `HTTP ${res.status} without a usable token: ${what}`,
    });
  const token = header(res, 'x-subject-token')?.trim();
  if (!token) throw invalid('no X-Subject-Token header');
  if (token.length > MAX_TOKEN_LENGTH || !isHeaderSafe(token))
    throw invalid('X-Subject-Token is not a printable ASCII value of at most 64 KiB');
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.body.toString('utf8'));
  } catch {
    throw invalid('the body is not JSON');
  }
  const tok = isRecord(parsed) && isRecord(parsed['token']) ? parsed['token'] : undefined;
  const expiresAt = Date.parse(str(tok?.['expires_at']) ?? '');
  if (!Number.isFinite(expiresAt)) throw invalid('no parsable token.expires_at');
  const grant: IamTokenGrant = { token, expiresAt };
  const issuedAt = Date.parse(str(tok?.['issued_at']) ?? '');
  if (Number.isFinite(issuedAt)) grant.issuedAt = issuedAt;
  const project = isRecord(tok?.['project']) ? tok['project'] : undefined;
  const projectId = str(project?.['id']);
  if (projectId !== undefined) grant.projectId = projectId;
  return grant;
}
