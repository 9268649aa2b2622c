/**
 * The consumer-side operations of the VPCEP client: VPC endpoints (create, get, list, whitelist, route
 * tables, policy, delete) and their tags. Part of {@link VpcepClient}; the same guarantees apply (see
 * there): limiter, signing, retries of idempotent calls only, cancellation, untrusted answers.
 *
 * Endpoint ids are checked to be UUIDs before they go into a path, and so are the ids a create sends
 * (service, VPC, subnet, route tables): a malformed one rejects with kind `terminal`, code
 * `Client.InvalidId`, before any token is taken or request sent. Every endpoint, service, VPC, subnet
 * and route table id in an answer must be a UUID, and a get or update must answer for the endpoint
 * asked for (else `Client.InvalidResponse`: `retryable`, or `unknownOutcome` for the create).
 */
import type { CallOptions } from './caller.js';
import { AccessClient } from './client-access.js';
import { requireIds, toQuery } from './client-base.js';
import {
  decodeListEndpoints,
  decodeResourceInstances,
  decodeRouteTablesUpdate,
  decodeVpcEndpoint,
} from './decode.js';
import { quoteForMessage } from './ids.js';
import type {
  CreateEndpointRequest,
  ListEndpointsQuery,
  ListEndpointsResponse,
  ResourceInstance,
  ResourceInstancesRequest,
  UpdateEndpointPolicyRequest,
  UpdateEndpointRouteTablesResponse,
  VpcEndpoint,
} from './wire.js';

/** Page sizes: the largest valid under every documented reading (the SDK documents 0–1000). */
const ENDPOINTS_PAGE = 1000;
const RESOURCES_PAGE = 1000;

/** A response check: the decoded endpoint is the one asked for (UUIDs compare case-insensitively). */
function sameEndpoint(asked: string): (ep: VpcEndpoint) => string | undefined {
  return (ep) =>
    ep.id.toLowerCase() === asked.toLowerCase()
      ? undefined
      : `asked for endpoint ${quoteForMessage(asked)} and got ${quoteForMessage(ep.id)}`;
}

/** `routetables[i]` → id, for {@link requireIds}. */
function routeTableIds(list: readonly unknown[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((r, i) => [`routetables[${i}]`, r]));
}

/** VPC endpoint operations (see {@link VpcepClient}). */
export abstract class EndpointClient extends AccessClient {
  /**
   * `POST /vpc-endpoints`: creates an endpoint in this client's project, connecting as its account to
   * `endpoint_service_id` (a service of any project, or a Huawei-operated one). Not idempotent, so it
   * follows {@link VpcepClient.createService}'s rules: retried inside only when the cloud certainly did
   * not act (throttled, never connected); when the request may have been applied (timeout or
   * connection lost after sending, a cut or unreadable 2xx, any 5xx, 504 `EndPoint.0011`–`0013`, an
   * abort after sending) it rejects `unknownOutcome` after exactly one send: list the endpoints (by
   * tag, or by service and VPC) before creating again. The endpoint starts `creating`; poll
   * {@link getEndpoint} for `pendingAcceptance`/`accepted`. Known refusals: `EndPoint.2012` (the
   * account is not whitelisted: `terminal`), `EndPoint.2004` (the service is not available yet:
   * `retryable`, surfaced without an internal retry), `Endpoint.1018` (quota).
   */
  async createEndpoint(req: CreateEndpointRequest, opts?: CallOptions): Promise<VpcEndpoint> {
    requireIds('createEndpoint', {
      endpoint_service_id: req.endpoint_service_id,
      vpc_id: req.vpc_id,
      ...(req.subnet_id !== undefined ? { subnet_id: req.subnet_id } : {}),
      ...routeTableIds(req.routetables),
    });
    return this.caller.call(
      {
        operation: 'createEndpoint',
        method: 'POST',
        path: '/vpc-endpoints',
        body: req,
        idempotent: false,
        decode: (b) => decodeVpcEndpoint(b),
      },
      opts,
    );
  }

  /**
   * `GET /vpc-endpoints/{id}`. 404 `EndPoint.0005` (gone, or of another project) rejects with kind
   * `notFound`. Resolves only to the endpoint asked for (another id: `retryable`
   * `Client.InvalidResponse`).
   */
  async getEndpoint(id: string, opts?: CallOptions): Promise<VpcEndpoint> {
    requireIds('getEndpoint', { id });
    return this.caller.call(
      {
        operation: 'getEndpoint',
        method: 'GET',
        path: `/vpc-endpoints/${id}`,
        idempotent: true,
        decode: (b) => decodeVpcEndpoint(b),
        check: sameEndpoint(id),
      },
      opts,
    );
  }

  /** One page of `GET /vpc-endpoints` (this project's endpoints); `total_count` counts matches before paging. */
  listEndpoints(q: ListEndpointsQuery = {}, opts?: CallOptions): Promise<ListEndpointsResponse> {
    return this.caller.call(
      {
        operation: 'listEndpoints',
        method: 'GET',
        path: '/vpc-endpoints',
        query: toQuery(q),
        idempotent: true,
        decode: decodeListEndpoints,
      },
      opts,
    );
  }

  /**
   * Every page of `GET /vpc-endpoints` (pages of 1000), in the cloud's order; stops at `total_count` or
   * the first empty page. Not a snapshot: concurrent changes may shift pages.
   */
  async listAllEndpoints(
    q: Omit<ListEndpointsQuery, 'limit' | 'offset'> = {},
    opts?: CallOptions,
  ): Promise<VpcEndpoint[]> {
    return this.paginate(ENDPOINTS_PAGE, async (limit, offset) => {
      const page = await this.listEndpoints({ ...q, limit, offset }, opts);
      return { items: page.endpoints, total: page.total_count };
    });
  }

  /**
   * `PUT /vpc-endpoints/{id}`: replaces the endpoint's whitelist (IPv4 addresses or CIDRs; `[]` clears
   * it) and/or switches it on or off: the only mutable fields of an endpoint (there is no description
   * update in the API; a description is set at create). Idempotent; resolves only to the endpoint asked
   * for. `EndPoint.2019`/`2018` (still creating / being deleted) are `retryable`.
   */
  async updateEndpointWhitelist(
    id: string,
    change: { whitelist?: string[]; enableWhitelist?: boolean },
    opts?: CallOptions,
  ): Promise<VpcEndpoint> {
    requireIds('updateEndpointWhitelist', { id });
    const body: { whitelist?: string[]; enable_whitelist?: boolean } = {};
    if (change.whitelist !== undefined) body.whitelist = change.whitelist;
    if (change.enableWhitelist !== undefined) body.enable_whitelist = change.enableWhitelist;
    return this.caller.call(
      {
        operation: 'updateEndpointWhitelist',
        method: 'PUT',
        path: `/vpc-endpoints/${id}`,
        body,
        idempotent: true,
        decode: (b) => decodeVpcEndpoint(b),
        check: sameEndpoint(id),
      },
      opts,
    );
  }

  /**
   * `PUT /vpc-endpoints/{id}/routetables`: binds exactly `routeTables` (UUIDs; gateway endpoints only).
   * Idempotent. Resolves to the cloud's answer: the route tables bound, and an `error[]` naming those it
   * could not (un)bind; the caller decides what a partial answer means.
   */
  async updateEndpointRouteTables(
    id: string,
    routeTables: string[],
    opts?: CallOptions,
  ): Promise<UpdateEndpointRouteTablesResponse> {
    requireIds('updateEndpointRouteTables', { id, ...routeTableIds(routeTables) });
    return this.caller.call(
      {
        operation: 'updateEndpointRouteTables',
        method: 'PUT',
        path: `/vpc-endpoints/${id}/routetables`,
        body: { routetables: routeTables },
        idempotent: true,
        decode: decodeRouteTablesUpdate,
      },
      opts,
    );
  }

  /**
   * `PUT /vpc-endpoints/{id}/policy`: sets `policy_statement` (gateway services with `enable_policy`)
   * and/or `policy_document` (interface services with `enable_policy`). Idempotent; resolves only to
   * the endpoint asked for.
   */
  async updateEndpointPolicy(
    id: string,
    policy: UpdateEndpointPolicyRequest,
    opts?: CallOptions,
  ): Promise<VpcEndpoint> {
    requireIds('updateEndpointPolicy', { id });
    return this.caller.call(
      {
        operation: 'updateEndpointPolicy',
        method: 'PUT',
        path: `/vpc-endpoints/${id}/policy`,
        body: policy,
        idempotent: true,
        decode: (b) => decodeVpcEndpoint(b),
        check: sameEndpoint(id),
      },
      opts,
    );
  }

  /** `DELETE /vpc-endpoints/{id}/policy`: removes the endpoint's policy. Idempotent; answers for the id asked. */
  async deleteEndpointPolicy(id: string, opts?: CallOptions): Promise<VpcEndpoint> {
    requireIds('deleteEndpointPolicy', { id });
    return this.caller.call(
      {
        operation: 'deleteEndpointPolicy',
        method: 'DELETE',
        path: `/vpc-endpoints/${id}/policy`,
        idempotent: true,
        decode: (b) => decodeVpcEndpoint(b),
        check: sameEndpoint(id),
      },
      opts,
    );
  }

  /**
   * `DELETE /vpc-endpoints/{id}`: resolves on 200/202/204. Deletion is asynchronous (the endpoint turns
   * `deleting`, and its connection leaves the service): poll {@link getEndpoint} until `notFound`. A
   * 404 `EndPoint.0005` rejects with kind `notFound` (already gone; the caller decides).
   */
  async deleteEndpoint(id: string, opts?: CallOptions): Promise<void> {
    requireIds('deleteEndpoint', { id });
    await this.caller.call(
      {
        operation: 'deleteEndpoint',
        method: 'DELETE',
        path: `/vpc-endpoints/${id}`,
        idempotent: true,
        okStatuses: [200, 202, 204],
        decode: () => undefined,
      },
      opts,
    );
  }

  // ---- endpoint tags ------------------------------------------------------------------------------

  /**
   * `POST /endpoint/{id}/tags/action` (`create` upserts by key; `delete` by key when `value` is
   * omitted). Resolves on 200 or 204. Retried like an idempotent call: repeating it converges.
   */
  async endpointTagAction(
    id: string,
    action: 'create' | 'delete',
    tags: Array<{ key: string; value?: string }>,
    opts?: CallOptions,
  ): Promise<void> {
    requireIds('endpointTagAction', { id });
    await this.caller.call(
      {
        operation: 'endpointTagAction',
        method: 'POST',
        path: `/endpoint/${id}/tags/action`,
        body: { action, tags },
        idempotent: true,
        decode: () => undefined,
      },
      opts,
    );
  }

  /**
   * Every endpoint of this project matching the tag filter (`POST /endpoint/resource_instances/action`,
   * action `filter`, all pages); each `resource_id` is a UUID.
   */
  async queryEndpointsByTags(
    req: Omit<ResourceInstancesRequest, 'action' | 'limit' | 'offset'>,
    opts?: CallOptions,
  ): Promise<ResourceInstance[]> {
    return this.paginate(RESOURCES_PAGE, async (limit, offset) => {
      const page = await this.caller.call(
        {
          operation: 'queryEndpointsByTags',
          method: 'POST',
          path: '/endpoint/resource_instances/action',
          // As for services: limit/offset as strings, the form Terraform sends and the SDK models.
          body: { ...req, action: 'filter', limit: String(limit), offset: String(offset) },
          idempotent: true,
          decode: decodeResourceInstances,
        },
        opts,
      );
      return { items: page.resources ?? [], total: page.total_count };
    });
  }

  /** Number of this project's endpoints matching the tag filter (action `count`). */
  async countEndpointsByTags(
    req: Omit<ResourceInstancesRequest, 'action' | 'limit' | 'offset'>,
    opts?: CallOptions,
  ): Promise<number> {
    const res = await this.caller.call(
      {
        operation: 'countEndpointsByTags',
        method: 'POST',
        path: '/endpoint/resource_instances/action',
        body: { ...req, action: 'count' },
        idempotent: true,
        decode: decodeResourceInstances,
      },
      opts,
    );
    return res.total_count;
  }
}
