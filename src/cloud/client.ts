/**
 * The VPCEP client: typed operations over signed HTTP, with rate limiting, retries and an error model.
 * The operator's only way to the cloud; knows nothing of Kubernetes. Endpoint services and their tags
 * are here; the whitelist and connections in client-access.ts; the consumer side (VPC endpoints) in
 * client-endpoints.ts.
 */
import type { CallOptions } from './caller.js';
import { EndpointClient } from './client-endpoints.js';
import { requireIds, sameId, toQuery } from './client-base.js';
import {
  decodeDescribe,
  decodeEndpointService,
  decodeListServices,
  decodeQuotas,
  decodeRename,
  decodeResourceInstances,
} from './decode.js';
import type { QueryParams } from './signer.js';
import type {
  CreateServiceRequest,
  DescribeServiceResponse,
  EndpointService,
  ListServicesQuery,
  ListServicesResponse,
  QuotasResponse,
  ResourceInstance,
  ResourceInstancesRequest,
  UpdateServiceRequest,
} from './wire.js';

/** Page sizes: the largest values valid under every documented reading. */
const SERVICES_PAGE = 1000;
const RESOURCES_PAGE = 1000;

export type { CallEvent, CallOptions } from './caller.js';
export type { VpcepClientInit, VpcepClientOptions, VpcepClientProviderOptions } from './client-base.js';
export { ABORTED_CODE } from './caller.js';

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
 * - {@link createService} and `createEndpoint` are never repeated unless the cloud certainly did not
 *   act (see there);
 * - every method takes an optional last argument {@link CallOptions}: when its `signal` aborts, the
 *   call stops where it is (no token taken or request sent if already aborted; a pending limiter wait
 *   or backoff sleep ends; an HTTP exchange in flight is cut and its socket destroyed), is never
 *   retried, and rejects with kind `aborted`, code `Client.Aborted`; only the creates
 *   ({@link createService}, `createEndpoint`), when their request may already have been sent, reject
 *   `unknownOutcome` (same code) instead. Listing
 *   methods pass the signal to every page, so they stop at the page where it aborted.
 */
export class VpcepClient extends EndpointClient {
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
}
