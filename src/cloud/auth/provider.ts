/**
 * The one way the VPCEP client authenticates a request: a {@link CredentialProvider}, asked afresh for
 * every HTTP attempt. Implementations: AK/SK signing (static or temporary credentials), an IAM
 * password token, and an IAM token obtained with the pod's OIDC ID token (workload identity).
 *
 * Knows nothing of Kubernetes. No secret (secret key, security token, password, IAM token, ID token)
 * ever appears in an error message a provider produces; {@link redact} is the last line of defence
 * for text that comes from outside (an IAM error message, a Node error).
 */
import type { QueryParams } from '../signer.js';

/** What a provider sees of one HTTP attempt: everything it may need to sign or decorate it. */
export interface AuthRequest {
  method: string;
  /** The URL exactly as it will be sent (encoded path and canonical query). */
  url: URL;
  /** The decoded path that was encoded into `url` (what SDK-HMAC-SHA256 canonicalises). */
  path: string;
  /** The query parameters behind `url.search`. */
  query?: QueryParams;
  /** Headers to send so far (`Host`, `Content-Type` when there is a body). */
  headers: Record<string, string>;
  /** The exact body bytes that will be sent, if any. */
  body: Uint8Array | undefined;
  /** The project the request is for (sent as `X-Project-Id`). */
  projectId: string;
  /** Signing time (`X-Sdk-Date`); wall clock, within 15 minutes of the cloud's. */
  date: Date;
  /** The caller's cancellation: a provider waiting on I/O (a token request) stops when it aborts. */
  signal?: AbortSignal;
}

/**
 * Authenticates VPCEP requests for one identity.
 *
 * Contract for implementations:
 * - {@link authenticate} resolves to the complete header set to send (the request's headers plus the
 *   authentication ones), or rejects with a `CloudError` (kind `auth` when retrying cannot help,
 *   `retryable` when it may, `aborted` when the request's signal aborted); it never sends a VPCEP
 *   request itself, and it may be called concurrently;
 * - {@link invalidate} tells it that the cloud refused what it produced (HTTP 401): a token-based
 *   provider drops its cached token so the next {@link authenticate} fetches a fresh one; given the
 *   headers of the refused attempt, it drops the cache only if it still holds that credential (so a
 *   late 401 cannot throw away a newer token). A signing provider ignores it;
 * - {@link identity} is a stable, non-secret key of the identity (an access key id, `user@domain`),
 *   fit for rate limiting and logs;
 * - {@link refreshable}: true when a 401 may be cured by {@link invalidate} and one retry;
 * - nothing secret is reachable through enumerable properties, `JSON.stringify` or `util.inspect`.
 */
export interface CredentialProvider {
  authenticate(req: AuthRequest): Promise<Record<string, string>>;
  invalidate(rejected?: Record<string, string>): void;
  readonly identity: string;
  readonly refreshable: boolean;
  /** Releases what the provider holds (keep-alive sockets to IAM); optional. */
  close?(): void;
}

/** Code of a call refused before sending because the temporary credentials have expired. */
export const CREDENTIALS_EXPIRED_CODE = 'Client.CredentialsExpired';
/** Code of an IAM refusal whose body carries no string error code (e.g. Keystone's numeric one). */
export const IAM_REFUSED_CODE = 'Client.IamRefused';
/** Code of an IAM answer that carries no usable token (no `X-Subject-Token`, no `expires_at`). */
export const IAM_INVALID_RESPONSE_CODE = 'Client.IamInvalidResponse';
/** Code of a workload-identity ID token file that cannot be read or holds no JWT. */
export const ID_TOKEN_UNREADABLE_CODE = 'Client.IdTokenUnreadable';

/** Longest secret fragment still worth scrubbing; shorter ones (a 1–3 character test value) are not. */
const MIN_REDACT_LENGTH = 4;

/**
 * `text` with every occurrence of each secret replaced by `[REDACTED]`. Secrets shorter than 4
 * characters are left alone (replacing them would garble ordinary words); callers never put such
 * values into messages in the first place.
 */
export function redact(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const s of secrets) {
    if (s === undefined || s.length < MIN_REDACT_LENGTH) continue;
    out = out.split(s).join('[REDACTED]');
  }
  return out;
}

/** True when `v` holds only printable ASCII (what may go verbatim into an HTTP header value). */
export function isHeaderSafe(v: string): boolean {
  return /^[\x20-\x7e]+$/.test(v);
}
