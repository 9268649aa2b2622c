/**
 * The VPCEP client: typed operations over signed HTTP, with rate limiting, retries and an error model.
 * The operator's only way to the cloud; knows nothing of Kubernetes.
 */
import { systemClock } from '../runtime/clock.js';
import type { Clock } from '../runtime/clock.js';
import { TokenBucket } from '../runtime/token-bucket.js';
import { AkSkProvider } from './auth/aksk.js';
import type { CredentialProvider } from './auth/provider.js';
import { Caller, INVALID_ID_CODE } from './caller.js';
import type { CallEvent, CallOptions } from './caller.js';
import type { CloudTarget, Credentials } from './credentials.js';
import {
  decodeConnectionAction,
  decodeDescribe,
  decodeEndpointService,
  decodeListConnections,
  decodeListPermissions,
  decodeListServices,
  decodePermissionAction,
  decodeQuotas,
  decodeRename,
  decodeResourceInstances,
} from './decode.js';
import { CloudError } from './errors.js';
import { isCloudId, quoteForMessage } from './ids.js';
import { DEFAULT_MAX_INLINE_WAIT_MS, DEFAULT_RETRY_BASE_MS, DEFAULT_RETRY_MAX_MS } from './retry.js';
import type { QueryParams } from './signer.js';
import type {
  Connection,
  CreateServiceRequest,
  DescribeServiceResponse,
  EndpointService,
  ListServicesQuery,
  ListServicesResponse,
  Permission,
  QuotasResponse,
  ResourceInstance,
  ResourceInstancesRequest,
  UpdateServiceRequest,
} from './wire.js';

export type { CallEvent, CallOptions } from './caller.js';
export { ABORTED_CODE } from './caller.js';

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

/** Page sizes: the largest values valid under every documented reading. */
const SERVICES_PAGE = 1000;
const PERMISSIONS_PAGE = 500;
const CONNECTIONS_PAGE = 1000;
const RESOURCES_PAGE = 1000;
/** Upper bound of pages fetched by one listing call (guards against a server that never ends). */
const MAX_PAGES = 1000;

/**
 * Typed VPCEP operations for one credential and project. Everything the cloud returns is untrusted.
 *
 * Guarantees, for every operation:
 * - each HTTP attempt first takes a token from the limiter (shared when `limiter` is passed), so the
 *   client stays under the cloud's rate limits instead of hitting them;
 * - requests are authenticated per attempt by the credential provider (an AK/SK signature with a fresh
 *   `X-Sdk-Date`, or an IAM token in `X-Auth-Token`) and send exactly the body bytes hashed; a 401
 *   with an IAM-token provider is retried once with a fresh token;
 * - every id put in a URL path (or in a connection action's body) must be a UUID ({@link isCloudId});
 *   otherwise the call rejects with kind `terminal`, code `Client.InvalidId`, before any limiter token
 *   is taken or request sent, so no id can lead a request out of the project's path;
 * - failures reject with a {@link CloudError}; successes are decoded and shape-checked, including that
 *   every resource id in an answer is a UUID and that a get/update answers for the id asked for (else
 *   `Client.InvalidResponse`, kind `retryable`, or `unknownOutcome` for the create);
 * - idempotent operations (GET, PUT, DELETE, tag and whitelist actions, tag queries, connection
 *   actions) are retried on `retryable` errors with full-jitter backoff, honouring `Retry-After`
 *   capped at `retryMaxMs` (default 30 s), up to `maxRetries` times; after that the last error
 *   surfaces with kind `retryable`;
 * - no call sleeps longer than `maxInlineWaitMs` (default 5 s) between attempts: a longer wait rejects
 *   at once with the `retryable` error and `retryAfterMs` set to the (capped) wait, `throttled` telling
 *   whether the cloud refused for rate reasons;
 * - a 3xx is never followed nor a success (`terminal`, `Client.Redirect`); a 431 and credential bytes
 *   Node will not put in a header are `auth` (`Client.HeaderTooLarge`, `Client.InvalidHeader`);
 * - {@link createService} is never repeated unless the cloud certainly did not act (see there);
 * - every method takes an optional last argument {@link CallOptions}: when its `signal` aborts, the
 *   call stops where it is (no token taken or request sent if already aborted; a pending limiter wait
 *   or backoff sleep ends; an HTTP exchange in flight is cut and its socket destroyed), is never
 *   retried, and rejects with kind `aborted`, code `Client.Aborted`; only {@link createService}, when
 *   its request may already have been sent, rejects `unknownOutcome` (same code) instead. Listing
 *   methods pass the signal to every page, so they stop at the page where it aborted.
 */
export class VpcepClient {
  private readonly caller: Caller;

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

  // ---- endpoint services ------------------------------------------------------------------------

  /**
   * `POST /vpc-endpoint-services`. Not idempotent, so never blindly repeated. Retried inside only when
   * the cloud certainly did not act: throttled (429 `APIGW.0308`, 400 `EndPoint.0022`) or the
   * connection was never established. When the request may have been applied (timeout or connection
   * lost after it was sent, a response cut short, a 2xx with an unreadable body, any 5xx including
   * 504 `EndPoint.0011`–`0013`) it rejects with kind `unknownOutcome`, after exactly one send: look the
   * service up (by its ownership tag) before creating again. Other errors surface as classified,
   * without an internal retry. An abort of `opts.signal` before the request may have left is `aborted`;
   * one after (while connected, sending or awaiting the answer) is `unknownOutcome`, code
   * `Client.Aborted`, sent at most once.
   */
  createService(req: CreateServiceRequest, opts?: CallOptions): Promise<EndpointService> {
    return this.caller.call(
      {
        operation: 'createService',
        method: 'POST',
        path: '/vpc-endpoint-services',
        body: req,
        idempotent: false,
        decode: (b) => decodeEndpointService(b),
      },
      opts,
    );
  }

  /**
   * `GET /vpc-endpoint-services/{id}`. A 404 `EndPoint.0005` rejects with kind `notFound`. Resolves
   * only to the service asked for: an answer for another id is kind `retryable`, code
   * `Client.InvalidResponse` (retried like any unreadable answer).
   */
  async getService(id: string, opts?: CallOptions): Promise<EndpointService> {
    requireIds('getService', { id });
    return this.caller.call(
      {
        operation: 'getService',
        method: 'GET',
        path: `/vpc-endpoint-services/${id}`,
        idempotent: true,
        decode: (b) => decodeEndpointService(b),
        check: sameId(id),
      },
      opts,
    );
  }

  /** One page of `GET /vpc-endpoint-services`; `total_count` counts matches before paging. */
  listServices(q: ListServicesQuery = {}, opts?: CallOptions): Promise<ListServicesResponse> {
    return this.caller.call(
      {
        operation: 'listServices',
        method: 'GET',
        path: '/vpc-endpoint-services',
        query: toQuery(q),
        idempotent: true,
        decode: decodeListServices,
      },
      opts,
    );
  }

  /**
   * Every page of `GET /vpc-endpoint-services` (pages of 1000), in the cloud's order. Stops at
   * `total_count` or at the first short/empty page. Not a snapshot: concurrent changes may shift pages.
   */
  async listAllServices(
    q: Omit<ListServicesQuery, 'limit' | 'offset'> = {},
    opts?: CallOptions,
  ): Promise<EndpointService[]> {
    return this.paginate(SERVICES_PAGE, async (limit, offset) => {
      const page = await this.listServices({ ...q, limit, offset }, opts);
      return { items: page.endpoint_services, total: page.total_count };
    });
  }

  /**
   * `PUT /vpc-endpoint-services/{id}` (mutable fields; `ports` replaces the list). Idempotent. Like
   * {@link getService}, resolves only to the service asked for.
   */
  async updateService(id: string, req: UpdateServiceRequest, opts?: CallOptions): Promise<EndpointService> {
    requireIds('updateService', { id });
    return this.caller.call(
      {
        operation: 'updateService',
        method: 'PUT',
        path: `/vpc-endpoint-services/${id}`,
        body: req,
        idempotent: true,
        decode: (b) => decodeEndpointService(b),
        check: sameId(id),
      },
      opts,
    );
  }

  /** `PUT /vpc-endpoint-services/{id}/name`; resolves to the full name `{region}.{name}.{id}`. */
  async renameService(id: string, shortName: string, opts?: CallOptions): Promise<string> {
    requireIds('renameService', { id });
    const res = await this.caller.call(
      {
        operation: 'renameService',
        method: 'PUT',
        path: `/vpc-endpoint-services/${id}/name`,
        body: { endpoint_service_name: shortName },
        idempotent: true,
        decode: decodeRename,
      },
      opts,
    );
    return res.endpoint_service_name;
  }

  /**
   * `DELETE /vpc-endpoint-services/{id}`: resolves on 200/202/204 (deletion is asynchronous: poll
   * {@link getService} until `notFound`). 404 `EndPoint.0005` rejects with kind `notFound` (already
   * gone; the caller decides); `EndPoint.3006` rejects with kind `inUse`.
   */
  async deleteService(id: string, opts?: CallOptions): Promise<void> {
    requireIds('deleteService', { id });
    await this.caller.call(
      {
        operation: 'deleteService',
        method: 'DELETE',
        path: `/vpc-endpoint-services/${id}`,
        idempotent: true,
        okStatuses: [200, 202, 204],
        decode: () => undefined,
      },
      opts,
    );
  }

  /** `GET /vpc-endpoint-services/describe` by exactly one of id or full name; callable cross-tenant. */
  describeService(
    by: { id: string } | { name: string },
    opts?: CallOptions,
  ): Promise<DescribeServiceResponse> {
    const query: QueryParams = 'id' in by ? { id: by.id } : { endpoint_service_name: by.name };
    return this.caller.call(
      {
        operation: 'describeService',
        method: 'GET',
        path: '/vpc-endpoint-services/describe',
        query,
        idempotent: true,
        decode: decodeDescribe,
      },
      opts,
    );
  }

  /** `GET /quotas[?type=]`. */
  getQuotas(type?: 'endpoint_service' | 'endpoint', opts?: CallOptions): Promise<QuotasResponse> {
    return this.caller.call(
      {
        operation: 'getQuotas',
        method: 'GET',
        path: '/quotas',
        query: type ? { type } : {},
        idempotent: true,
        decode: decodeQuotas,
      },
      opts,
    );
  }

  // ---- tags ---------------------------------------------------------------------------------------

  /**
   * `POST /endpoint_service/{id}/tags/action` (`create` upserts by key; `delete` by key when `value` is
   * omitted). Resolves on 200 or 204. Retried like an idempotent call: repeating it converges.
   */
  async tagAction(
    id: string,
    action: 'create' | 'delete',
    tags: Array<{ key: string; value?: string }>,
    opts?: CallOptions,
  ): Promise<void> {
    requireIds('tagAction', { id });
    await this.caller.call(
      {
        operation: 'tagAction',
        method: 'POST',
        path: `/endpoint_service/${id}/tags/action`,
        body: { action, tags },
        idempotent: true,
        decode: () => undefined,
      },
      opts,
    );
  }

  /** Every service matching the tag filter (`resource_instances/action`, action `filter`, all pages). */
  async queryByTags(
    req: Omit<ResourceInstancesRequest, 'action' | 'limit' | 'offset'>,
    opts?: CallOptions,
  ): Promise<ResourceInstance[]> {
    return this.paginate(RESOURCES_PAGE, async (limit, offset) => {
      const page = await this.resourceInstances({ ...req, action: 'filter', limit, offset }, opts);
      return { items: page.resources ?? [], total: page.total_count };
    });
  }

  /** Number of services matching the tag filter (action `count`). */
  async countByTags(
    req: Omit<ResourceInstancesRequest, 'action' | 'limit' | 'offset'>,
    opts?: CallOptions,
  ): Promise<number> {
    const res = await this.caller.call(
      {
        operation: 'countByTags',
        method: 'POST',
        path: '/endpoint_service/resource_instances/action',
        body: { ...req, action: 'count' },
        idempotent: true,
        decode: decodeResourceInstances,
      },
      opts,
    );
    return res.total_count;
  }

  private resourceInstances(
    req: ResourceInstancesRequest & { limit: number; offset: number },
    opts: CallOptions | undefined,
  ) {
    return this.caller.call(
      {
        operation: 'queryByTags',
        method: 'POST',
        path: '/endpoint_service/resource_instances/action',
        // Terraform sends limit/offset as strings; the cloud accepts that form.
        body: { ...req, limit: String(req.limit), offset: String(req.offset) },
        idempotent: true,
        decode: decodeResourceInstances,
      },
      opts,
    );
  }

  // ---- whitelist ----------------------------------------------------------------------------------

  /** Every whitelist entry of the service (`GET …/permissions`, pages of 500). */
  async listPermissions(id: string, opts?: CallOptions): Promise<Permission[]> {
    requireIds('listPermissions', { id });
    return this.paginate(PERMISSIONS_PAGE, async (limit, offset) => {
      const page = await this.caller.call(
        {
          operation: 'listPermissions',
          method: 'GET',
          path: `/vpc-endpoint-services/${id}/permissions`,
          query: { limit, offset },
          idempotent: true,
          decode: decodeListPermissions,
        },
        opts,
      );
      return { items: page.permissions, total: page.total_count };
    });
  }

  /**
   * `POST …/permissions/action` add/remove; resolves to the permissions the cloud echoes. Set semantics
   * (adding a present entry or removing an absent one changes nothing), so it is retried.
   */
  async permissionAction(
    id: string,
    action: 'add' | 'remove',
    permissions: string[],
    type?: 'domainId' | 'orgPath',
    opts?: CallOptions,
  ): Promise<string[]> {
    requireIds('permissionAction', { id });
    const res = await this.caller.call(
      {
        operation: 'permissionAction',
        method: 'POST',
        path: `/vpc-endpoint-services/${id}/permissions/action`,
        body: type ? { permissions, action, permission_type: type } : { permissions, action },
        idempotent: true,
        decode: decodePermissionAction,
      },
      opts,
    );
    return res.permissions;
  }

  /**
   * `POST …/permissions/batch-create`: adds entries with descriptions. Set semantics by entry, so it is
   * retried. Resolves to nothing (the whitelist is re-read by whoever needs it).
   */
  async batchCreatePermissions(
    id: string,
    permissions: Array<{ permission: string; description?: string }>,
    opts?: CallOptions,
  ): Promise<void> {
    requireIds('batchCreatePermissions', { id });
    await this.caller.call(
      {
        operation: 'batchCreatePermissions',
        method: 'POST',
        path: `/vpc-endpoint-services/${id}/permissions/batch-create`,
        body: { permissions },
        idempotent: true,
        decode: () => undefined,
      },
      opts,
    );
  }

  /** `PUT …/permissions/{permissionId}`: sets one entry's description. Idempotent. */
  async updatePermissionDescription(
    id: string,
    permissionId: string,
    description: string,
    opts?: CallOptions,
  ): Promise<void> {
    requireIds('updatePermissionDescription', { id, permissionId });
    await this.caller.call(
      {
        operation: 'updatePermissionDescription',
        method: 'PUT',
        path: `/vpc-endpoint-services/${id}/permissions/${permissionId}`,
        body: { permission: { description } },
        idempotent: true,
        decode: () => undefined,
      },
      opts,
    );
  }

  // ---- connections --------------------------------------------------------------------------------

  /** Every connection of the service (`GET …/connections`, pages of 1000), optionally filtered. */
  async listConnections(
    id: string,
    q: { status?: string; id?: string } = {},
    opts?: CallOptions,
  ): Promise<Connection[]> {
    requireIds('listConnections', { id });
    return this.paginate(CONNECTIONS_PAGE, async (limit, offset) => {
      const page = await this.caller.call(
        {
          operation: 'listConnections',
          method: 'GET',
          path: `/vpc-endpoint-services/${id}/connections`,
          query: { ...toQuery(q), limit, offset },
          idempotent: true,
          decode: decodeListConnections,
        },
        opts,
      );
      return { items: page.connections, total: page.total_count };
    });
  }

  /**
   * `POST …/connections/action` for exactly one endpoint (the cloud refuses more, `EndPoint.2031`).
   * `receive` accepts, `reject` rejects; the state converges, so it is retried. Poll
   * {@link listConnections} for `accepted`/`rejected` afterwards. Both the service id and the endpoint
   * id must be UUIDs.
   */
  async connectionAction(
    id: string,
    action: 'receive' | 'reject',
    endpointId: string,
    opts?: CallOptions,
  ): Promise<Connection[]> {
    requireIds('connectionAction', { id, endpointId });
    return this.caller.call(
      {
        operation: 'connectionAction',
        method: 'POST',
        path: `/vpc-endpoint-services/${id}/connections/action`,
        body: { action, endpoints: [endpointId] },
        idempotent: true,
        decode: decodeConnectionAction,
      },
      opts,
    );
  }

  // ---- machinery ----------------------------------------------------------------------------------

  private async paginate<T>(
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
function requireIds(operation: string, ids: Record<string, unknown>): void {
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
function sameId(asked: string): (svc: EndpointService) => string | undefined {
  return (svc) =>
    svc.id.toLowerCase() === asked.toLowerCase()
      ? undefined
      : `asked for service ${quoteForMessage(asked)} and got ${quoteForMessage(svc.id)}`;
}

function toQuery(q: object): QueryParams {
  const out: QueryParams = {};
  for (const [k, v] of Object.entries(q) as Array<[string, unknown]>) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}
