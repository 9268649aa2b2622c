/**
 * The machinery every IAM-token provider shares: one cached token per provider instance, refreshed
 * shortly before it expires, fetched by one request however many callers want it at once, dropped on a
 * 401, and a short hold after IAM refused the credentials (so a wrong password is not hammered into an
 * account lock). Subclasses say only how to ask IAM for a token.
 */
import { inspect } from 'node:util';
import { systemClock, type Clock } from '../../util/clock.js';
import { CloudError } from '../errors.js';
import { HttpTransport } from '../transport.js';
import { IAM_TOKEN_OPERATION, type IamTokenGrant } from './iam-exchange.js';
import { IAM_INVALID_RESPONSE_CODE, type AuthRequest, type CredentialProvider } from './provider.js';

/** Refresh no later than this long before expiry (unless that is before half the token's life). */
export const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;
/** Refresh no later than this share of the token's life. */
export const REFRESH_AT_LIFE_SHARE = 0.9;
/** After a failed refresh while the old token is still valid: wait this long before asking again. */
const REFRESH_RETRY_MS = 30_000;
/** Default time an IAM refusal (kind `auth`) is remembered before IAM is asked again. */
export const DEFAULT_AUTH_FAILURE_HOLD_MS = 60_000;

/** Options every IAM-token provider accepts. */
export interface IamTokenProviderOptions {
  /** Expiry, refresh and hold decisions (default: the real clock). */
  clock?: Clock;
  /** Real-time deadline of one token request (default 30 s). */
  timeoutMs?: number;
  /** How long a refusal by IAM (kind `auth`) is returned without asking IAM again (default 60 s). */
  authFailureHoldMs?: number;
  /** `User-Agent` of token requests (default `vpcep-operator`). */
  userAgent?: string;
}

/** A cached token. Times are local (the provider's clock), epoch ms. */
interface Cached {
  token: string;
  refreshAt: number;
  expiresAt: number;
  projectId?: string;
}

/** Counters of one provider (for tests and metrics). */
export interface IamTokenStats {
  /** Token requests sent to IAM (each one HTTP exchange, whatever its outcome). */
  tokenRequests: number;
  /** Tokens obtained. */
  tokensObtained: number;
  /** Token requests that failed. */
  tokenFailures: number;
}

/**
 * When a token obtained at local time `start`, valid for `lifeMs`, is refreshed: at 90 % of its life
 * or 5 minutes before expiry, whichever is earlier, but never before half its life (so a very short
 * token cannot make every call a token request).
 */
export function refreshTime(start: number, lifeMs: number): number {
  const byShare = lifeMs * REFRESH_AT_LIFE_SHARE;
  const byMargin = lifeMs - REFRESH_BEFORE_EXPIRY_MS;
  return start + Math.max(lifeMs / 2, Math.min(byShare, byMargin));
}

/** Resolves like `p`, or rejects with kind `aborted` as soon as `signal` aborts (`p` runs on). */
function raceSignal<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  const aborted = (): CloudError =>
    new CloudError({
      kind: 'aborted',
      operation: IAM_TOKEN_OPERATION,
      code: 'Client.Aborted',
      message: 'aborted by the caller while waiting for an IAM token',
      attempts: 0,
      cause: signal.reason,
    });
  if (signal.aborted) return Promise.reject(aborted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * Base of the IAM-token providers. Guarantees, per instance (share one instance to share the token):
 * - {@link authenticate} adds `X-Auth-Token` (and `X-Project-Id`) to the request's headers and no
 *   AK/SK signature;
 * - one cached token serves every caller until its refresh time ({@link refreshTime}); the first
 *   caller at or after it starts a refresh, and every caller arriving while a token request is in
 *   flight waits for that same request (single flight: N concurrent callers, one request);
 * - a failed refresh while the cached token is still valid is not an error: the old token keeps
 *   serving and IAM is asked again 30 s later (or at expiry); past expiry the error is the caller's;
 * - a refusal by IAM (kind `auth`: wrong password, unknown user, bad ID token) is remembered for
 *   `authFailureHoldMs`: during the hold, callers get that error at once and IAM is not asked;
 * - a caller's `signal` ends only that caller's wait (kind `aborted`); the request runs on for others;
 * - {@link invalidate} drops the cached token (only if it is the one in `rejected`, when given);
 * - the token and the credentials sit in private fields; errors never contain them.
 */
export abstract class IamTokenProvider implements CredentialProvider {
  abstract readonly identity: string;
  readonly refreshable = true;
  protected readonly clock: Clock;
  protected readonly timeoutMs: number;
  protected readonly userAgent: string;
  protected readonly transport = new HttpTransport({ maxSockets: 2 });
  readonly #holdMs: number;
  #cached: Cached | undefined;
  #inflight: Promise<Cached> | undefined;
  #failure: { error: CloudError; until: number } | undefined;
  #stats: IamTokenStats = { tokenRequests: 0, tokensObtained: 0, tokenFailures: 0 };

  protected constructor(opts: IamTokenProviderOptions) {
    this.clock = opts.clock ?? systemClock;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.userAgent = opts.userAgent ?? 'vpcep-operator';
    this.#holdMs = Math.max(0, opts.authFailureHoldMs ?? DEFAULT_AUTH_FAILURE_HOLD_MS);
  }

  /** One token request to IAM (an HTTP exchange); rejects with a `CloudError`. */
  protected abstract requestToken(): Promise<IamTokenGrant>;

  /** Counters since construction. */
  stats(): IamTokenStats {
    return { ...this.#stats };
  }

  /** Token requests sent to IAM so far. */
  get tokenRequests(): number {
    return this.#stats.tokenRequests;
  }

  async authenticate(req: AuthRequest): Promise<Record<string, string>> {
    const t = await this.token(req.signal);
    return { ...req.headers, 'X-Project-Id': req.projectId, 'X-Auth-Token': t.token };
  }

  /**
   * The project id of the token (`token.project.id` of IAM's answer), obtaining a token if none is
   * cached. Rejects like {@link authenticate}, or with kind `auth` when IAM's answer names no project.
   */
  async projectId(signal?: AbortSignal): Promise<string> {
    const t = await this.token(signal);
    if (t.projectId === undefined)
      throw new CloudError({
        kind: 'auth',
        operation: IAM_TOKEN_OPERATION,
        code: IAM_INVALID_RESPONSE_CODE,
        message: `IAM token of ${this.identity}: the answer names no project (token.project.id); set the project id`,
        attempts: 0,
      });
    return t.projectId;
  }

  invalidate(rejected?: Record<string, string>): void {
    const c = this.#cached;
    if (!c) return;
    if (rejected) {
      const key = Object.keys(rejected).find((k) => k.toLowerCase() === 'x-auth-token');
      if (key === undefined || rejected[key] !== c.token) return;
    }
    this.#cached = undefined;
  }

  close(): void {
    this.transport.close();
  }

  toJSON(): Record<string, unknown> {
    return { kind: 'iamToken', identity: this.identity };
  }

  [inspect.custom](): string {
    return `${this.constructor.name}(${this.identity})`;
  }

  private async token(signal: AbortSignal | undefined): Promise<Cached> {
    const now = this.clock.now();
    const c = this.#cached;
    if (c && now < c.refreshAt) return c;
    const f = this.#failure;
    if (f && now < f.until) {
      if (c && now < c.expiresAt) return c;
      throw f.error.with({
        message: `${f.error.message} (IAM is not asked again before ${new Date(f.until).toISOString()})`,
        attempts: 0,
      });
    }
    try {
      return await raceSignal(this.shared(), signal);
    } catch (e) {
      if (e instanceof CloudError && e.kind === 'aborted') throw e;
      const still = this.#cached;
      const at = this.clock.now();
      if (still && at < still.expiresAt) {
        still.refreshAt = Math.min(still.expiresAt, at + REFRESH_RETRY_MS);
        return still;
      }
      throw e;
    }
  }

  /** The in-flight token request, or a new one. */
  private shared(): Promise<Cached> {
    if (this.#inflight) return this.#inflight;
    const p = this.fetch().finally(() => {
      if (this.#inflight === p) this.#inflight = undefined;
    });
    // Callers that gave up (aborted) leave nobody listening: that must not be an unhandled rejection.
    p.catch(() => undefined);
    this.#inflight = p;
    return p;
  }

  private async fetch(): Promise<Cached> {
    this.#stats.tokenRequests++;
    const start = this.clock.now();
    let grant: IamTokenGrant;
    try {
      grant = await this.requestToken();
    } catch (e) {
      this.#stats.tokenFailures++;
      if (e instanceof CloudError && e.kind === 'auth' && this.#holdMs > 0)
        this.#failure = { error: e, until: this.clock.now() + this.#holdMs };
      throw e;
    }
    // The token's life by the server's own clock (issued → expires), so a skewed local clock does not
    // shorten or stretch it; measured from when we asked, which errs on the early side.
    const life = grant.expiresAt - (grant.issuedAt ?? start);
    if (!(life > 0)) {
      this.#stats.tokenFailures++;
      throw new CloudError({
        kind: 'retryable',
        operation: IAM_TOKEN_OPERATION,
        code: IAM_INVALID_RESPONSE_CODE,
        message: `IAM token of ${this.identity}: the token expires at ${new Date(grant.expiresAt).toISOString()}, before it was issued or obtained`,
        attempts: 1,
      });
    }
    const cached: Cached = {
      token: grant.token,
      refreshAt: refreshTime(start, life),
      expiresAt: start + life,
    };
    if (grant.projectId !== undefined) cached.projectId = grant.projectId;
    this.#cached = cached;
    this.#failure = undefined;
    this.#stats.tokensObtained++;
    return cached;
  }
}
