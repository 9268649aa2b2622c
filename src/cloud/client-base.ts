/**
 * What every VPCEP client shares: the construction options, the call engine built from them, paging,
 * and the checks on ids that go into a path. The operations live in client.ts (services, tags) and
 * client-access.ts (whitelist, connections).
 */
import { systemClock } from '../util/clock.js';
import type { Clock } from '../util/clock.js';
import { TokenBucket } from '../util/token-bucket.js';
import { AkSkProvider } from './auth/aksk.js';
import type { CredentialProvider } from './auth/provider.js';
import { Caller, INVALID_ID_CODE } from './caller.js';
import type { CallEvent } from './caller.js';
import type { CloudTarget, Credentials } from './credentials.js';
import { CloudError } from './errors.js';
import { isCloudId, quoteForMessage } from './ids.js';
import { DEFAULT_MAX_INLINE_WAIT_MS, DEFAULT_RETRY_BASE_MS, DEFAULT_RETRY_MAX_MS } from './retry.js';
import type { QueryParams } from './signer.js';
import type { EndpointService } from './wire.js';

/**
 * Construction options. Defaults: qps 10, burst 20, timeout 30 s, 4 retries, backoff 500 ms…30 s,
 * inline waits up to 5 s. `target.projectId` must be 1–64 of `[A-Za-z0-9_-]` (the constructor throws).
 * `credentials` are wrapped in an {@link AkSkProvider} (on the client's `clock`, which then also decides
 * when `securityTokenExpiresAt` has passed); to authenticate otherwise, pass a provider instead
 * ({@link VpcepClientProviderOptions}).
 */
export interface VpcepClientOptions {
  target: CloudTarget;
  credentials: Credentials;
  /** Not with `credentials`: see {@link VpcepClientProviderOptions}. */
  provider?: undefined;
  qps?: number;
  burst?: number;
  /** Real-time deadline of one HTTP attempt. */
  timeoutMs?: number;
  /** Retries after the first attempt, for calls that may be retried. */
  maxRetries?: number;
  /** Drives backoff sleeps, the limiter (when built here) and event durations. */
  clock?: Clock;
  /** In [0, 1); the backoff jitter. Default `Math.random`. */
  random?: () => number;
  /** Observability hook; exceptions it throws are swallowed. */
  onCall?: (e: CallEvent) => void;
  /** A bucket shared by every client of one credential; default: a new one from qps/burst/clock. */
  limiter?: TokenBucket;
  retryBaseMs?: number;
  /** Cap of one backoff, and of any `Retry-After` the cloud sends (default 30 s). */
  retryMaxMs?: number;
  /**
   * Longest wait slept inside a call before the next attempt (default 5 s). A longer wait (a large
   * `Retry-After`, or a long backoff) ends the call instead: it rejects with the `retryable` error,
   * `retryAfterMs` set to that wait, so the caller can requeue rather than hold a worker.
   */
  maxInlineWaitMs?: number;
  /** Wall-clock time for `X-Sdk-Date` (must be within 15 min of the cloud's). Default `Date.now`. */
  signingTime?: () => number;
  /** Extra `User-Agent` (not signed). */
  userAgent?: string;
}

/**
 * Construction options with a {@link CredentialProvider} instead of static credentials (an IAM token
 * provider, workload identity, or an AK/SK provider shared by several clients). The provider is the
 * caller's: {@link VpcepClient.close} does not close it.
 */
export type VpcepClientProviderOptions = Omit<VpcepClientOptions, 'credentials' | 'provider'> & {
  provider: CredentialProvider;
  credentials?: undefined;
};

/** Either way of constructing a {@link VpcepClient}. */
export type VpcepClientInit = VpcepClientOptions | VpcepClientProviderOptions;

/** Upper bound of pages fetched by one listing call (guards against a server that never ends). */
const MAX_PAGES = 1000;

/** The engine and the shared machinery of {@link VpcepClient} (see there for the guarantees). */
export abstract class ClientBase {
  protected readonly caller: Caller;

  /** Throws when the project id or the endpoint is invalid, or when neither credentials nor a provider is given. */
  constructor(opts: VpcepClientProviderOptions);
  constructor(opts: VpcepClientOptions);
  constructor(opts: VpcepClientInit) {
    const clock = opts.clock ?? systemClock;
    let provider: CredentialProvider;
    if (opts.provider !== undefined) provider = opts.provider;
    else if (opts.credentials !== undefined) provider = new AkSkProvider(opts.credentials, { clock });
    else throw new Error('VPCEP client needs credentials or a credential provider');
    this.caller = new Caller({
      target: opts.target,
      provider,
      clock,
      random: opts.random ?? Math.random,
      limiter: opts.limiter ?? new TokenBucket(opts.qps ?? 10, opts.burst ?? 20, clock),
      timeoutMs: opts.timeoutMs ?? 30_000,
      maxRetries: Math.max(0, opts.maxRetries ?? 4),
      retryBaseMs: opts.retryBaseMs ?? DEFAULT_RETRY_BASE_MS,
      retryMaxMs: opts.retryMaxMs ?? DEFAULT_RETRY_MAX_MS,
      maxInlineWaitMs: Math.max(0, opts.maxInlineWaitMs ?? DEFAULT_MAX_INLINE_WAIT_MS),
      signingTime: opts.signingTime ?? Date.now,
      onCall: opts.onCall,
      userAgent: opts.userAgent ?? 'vpcep-operator',
    });
  }

  /** Destroys the keep-alive agents. In-flight calls fail; the client must not be used afterwards. */
  close(): void {
    this.caller.close();
  }

  // ---- machinery ----------------------------------------------------------------------------------

  /** Every page of a listing, in order; stops at `total` or at the first empty page (at most 1000 pages). */
  protected async paginate<T>(
    pageSize: number,
    fetchPage: (limit: number, offset: number) => Promise<{ items: T[]; total: number }>,
  ): Promise<T[]> {
    const all: T[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const { items, total } = await fetchPage(pageSize, all.length);
      all.push(...items);
      if (items.length === 0 || all.length >= total) break;
    }
    return all;
  }
}

/**
 * Throws a `terminal` {@link CloudError} (code `Client.InvalidId`, no request made) naming the first of
 * `ids` that is not a UUID. Runs before the caller, so no limiter token is taken either.
 */
export function requireIds(operation: string, ids: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(ids)) {
    if (isCloudId(value)) continue;
    throw new CloudError({
      kind: 'terminal',
      operation,
      message: `${operation}: ${name} ${quoteForMessage(value)} is not a valid id (expected a UUID); no request was sent`,
      code: INVALID_ID_CODE,
      attempts: 0,
    });
  }
}

/** A response check: the decoded service is the one asked for (UUIDs compare case-insensitively). */
export function sameId(asked: string): (svc: EndpointService) => string | undefined {
  return (svc) =>
    svc.id.toLowerCase() === asked.toLowerCase()
      ? undefined
      : `asked for service ${quoteForMessage(asked)} and got ${quoteForMessage(svc.id)}`;
}

/** The scalar fields of `q` as query parameters. */
export function toQuery(q: object): QueryParams {
  const out: QueryParams = {};
  for (const [k, v] of Object.entries(q) as Array<[string, unknown]>) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}
