/**
 * AK/SK signing (SDK-HMAC-SHA256, docs/vpcep-api.md §6.1) as a {@link CredentialProvider}: permanent
 * credentials, or temporary ones (AK/SK + `X-Security-Token`, signed) with an optional expiry.
 */
import { inspect } from 'node:util';
import { systemClock, type Clock } from '../../util/clock.js';
import type { Credentials } from '../credentials.js';
import { CloudError } from '../errors.js';
import { signRequest } from '../signer.js';
import { CREDENTIALS_EXPIRED_CODE, type AuthRequest, type CredentialProvider } from './provider.js';

/** Options of {@link AkSkProvider}. */
export interface AkSkProviderOptions {
  /** Decides whether temporary credentials have expired (default: the real clock). */
  clock?: Clock;
}

/**
 * Signs every attempt with the access key / secret key, adding and signing `X-Security-Token` for
 * temporary credentials and `X-Project-Id`. Guarantees:
 * - the headers are exactly what `signRequest` produces for the same inputs (so signatures are
 *   byte-identical to the client's historical signing);
 * - with `securityTokenExpiresAt` set, once the clock reaches it every {@link authenticate} rejects with
 *   kind `auth`, code {@link CREDENTIALS_EXPIRED_CODE}, a message naming the expiry time (never the
 *   token or the secret key), and nothing is signed or sent; the rejection is immediate (no wait, no
 *   retry inside: the Caller never retries kind `auth`);
 * - `identity` is the access key id; `refreshable` is false (a 401 is not retried: a fresh signature
 *   with the same key would be refused again);
 * - the secret key and token live in private fields: not enumerable, not in `JSON.stringify` or
 *   `util.inspect`.
 */
export class AkSkProvider implements CredentialProvider {
  readonly identity: string;
  readonly refreshable = false;
  readonly #secretKey: string;
  readonly #securityToken: string | undefined;
  readonly #expiresAt: number | undefined;
  readonly #clock: Clock;

  constructor(credentials: Credentials, opts: AkSkProviderOptions = {}) {
    this.identity = credentials.accessKey;
    this.#secretKey = credentials.secretKey;
    this.#securityToken = credentials.securityToken;
    this.#expiresAt = credentials.securityTokenExpiresAt;
    this.#clock = opts.clock ?? systemClock;
  }

  /** True for temporary credentials (a security token is sent). */
  get temporary(): boolean {
    return this.#securityToken !== undefined;
  }

  /** Epoch ms at which the temporary credentials expire, when known. */
  get expiresAt(): number | undefined {
    return this.#expiresAt;
  }

  authenticate(req: AuthRequest): Promise<Record<string, string>> {
    if (this.#expiresAt !== undefined && this.#clock.now() >= this.#expiresAt)
      return Promise.reject(
        new CloudError({
          kind: 'auth',
          operation: 'authenticate',
          code: CREDENTIALS_EXPIRED_CODE,
          message:
            `the temporary credentials of access key ${this.identity} expired at ` +
            `${new Date(this.#expiresAt).toISOString()}: renew the security token (nothing was sent)`,
          attempts: 0,
        }),
      );
    return Promise.resolve(
      signRequest({
        method: req.method,
        path: req.path,
        query: req.query,
        headers: req.headers,
        body: req.body ?? '',
        accessKey: this.identity,
        secretKey: this.#secretKey,
        securityToken: this.#securityToken,
        projectId: req.projectId,
        date: req.date,
      }).headers,
    );
  }

  /** Nothing to drop: a signature cannot be refreshed. */
  invalidate(): void {}

  /** What `JSON.stringify` shows: the identity only. */
  toJSON(): Record<string, unknown> {
    return { kind: 'aksk', identity: this.identity, temporary: this.temporary };
  }

  [inspect.custom](): string {
    return `AkSkProvider(${this.identity}${this.temporary ? ', temporary' : ''})`;
  }
}
