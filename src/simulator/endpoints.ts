/**
 * Handlers of the consumer endpoint operations (`/v1/{project_id}/vpc-endpoints…`, and the tag APIs
 * for resource type `endpoint`). Each validates its request, drives the {@link EndpointStore} of the
 * caller's project and answers in the official Go SDK's response model for the call (see
 * `endpoint-render.ts`). A refused request changes nothing.
 */
import type { ListEndpointsResponse, UpdateEndpointRouteTablesResponse } from '../cloud/wire.js';
import type { Handler } from './api.js';
import { paramError } from './errors.js';
import { renderEndpoint } from './endpoint-render.js';
import {
  validateEndpointCreate,
  validateEndpointPolicy,
  validateEndpointWhitelistUpdate,
  validateRouteTables,
} from './endpoint-validation.js';
import { applyTagAction, collectTags, queryResources } from './relations.js';
import { sortPage } from './stored.js';
import { asObject, parsePaging } from './validation.js';

function id(ctx: Parameters<Handler>[0]): string {
  return ctx.params.id ?? '';
}

/**
 * `POST /vpc-endpoints`: 200 with the endpoint, status `creating` (`CreateEndpointResponse`). The
 * endpoint lives in the caller's project and connects as the caller's account (see
 * `EndpointStore.create` for the refusals, in order).
 */
export const createEndpoint: Handler = (ctx) => {
  const input = validateEndpointCreate(ctx.body);
  const store = ctx.state.endpoints;
  const ep = store.create(ctx.projectId, ctx.caller.domainId, ctx.config.endpointQuota, input);
  return { status: 200, body: renderEndpoint(store, ep, 'create') };
};

/** `GET /vpc-endpoints/{id}` (`ListEndpointInfoDetailsResponse`); another project's endpoint is 404 `EndPoint.0005`. */
export const getEndpoint: Handler = (ctx) => {
  const store = ctx.state.endpoints;
  return { status: 200, body: renderEndpoint(store, store.find(ctx.projectId, id(ctx)), 'get') };
};

/**
 * `GET /vpc-endpoints`: the project's endpoints filtered by `endpoint_service_name` (fuzzy,
 * case-insensitive, on the full name), `vpc_id` and `id`, sorted and paged as service lists (`limit`
 * 1–1000, 0 with `lenient`); `total_count` counts matches before paging.
 */
export const listEndpoints: Handler = (ctx) => {
  const q = ctx.query;
  const paging = parsePaging(q, 1000, ctx.config.lenient);
  const name = (q.get('endpoint_service_name') || '').toLowerCase();
  const vpc = q.get('vpc_id') || undefined;
  const eid = q.get('id') || undefined;
  const store = ctx.state.endpoints;
  const matched = store
    .all(ctx.projectId)
    .filter(
      (e) =>
        (name === '' || store.serviceOf(e).name.toLowerCase().includes(name)) &&
        (vpc === undefined || e.vpcId === vpc) &&
        (eid === undefined || e.id === eid),
    );
  const page = sortPage(matched, paging, (e) => [
    e.createdMs,
    Math.max(e.updatedMs, e.connection.updatedMs),
    e.seq,
  ]);
  const body: ListEndpointsResponse = {
    endpoints: page.map((e) => renderEndpoint(store, e, 'list')),
    total_count: matched.length,
  };
  return { status: 200, body };
};

/**
 * `PUT /vpc-endpoints/{id}`: `whitelist` (replaces it; `[]` clears it) and `enable_whitelist`, the
 * only fields of the SDK's `UpdateEndpointWhiteRequestBody`; applied at once. Answers
 * `UpdateEndpointWhiteResponse`.
 */
export const updateEndpointWhitelist: Handler = (ctx) => {
  const input = validateEndpointWhitelistUpdate(ctx.body);
  const store = ctx.state.endpoints;
  const ep = store.updateWhitelist(ctx.projectId, id(ctx), input);
  return { status: 200, body: renderEndpoint(store, ep, 'whitelist') };
};

/** `PUT /vpc-endpoints/{id}/routetables` `{"routetables":[…]}` (required): `{"routetables":[…]}` now bound. */
export const updateEndpointRouteTables: Handler = (ctx) => {
  const o = asObject(ctx.body);
  if (o.routetables === undefined) throw paramError('routetables is required.');
  const routeTables = validateRouteTables(o.routetables);
  const ep = ctx.state.endpoints.updateRouteTables(ctx.projectId, id(ctx), routeTables);
  const body: UpdateEndpointRouteTablesResponse = { routetables: [...(ep.routeTables ?? [])] };
  return { status: 200, body };
};

/** `PUT /vpc-endpoints/{id}/policy`: sets `policy_statement` and/or `policy_document` (`UpdateEndpointPolicyResponse`). */
export const updateEndpointPolicy: Handler = (ctx) => {
  const input = validateEndpointPolicy(ctx.body);
  const store = ctx.state.endpoints;
  const ep = store.updatePolicy(ctx.projectId, id(ctx), input);
  return { status: 200, body: renderEndpoint(store, ep, 'policy') };
};

/** `DELETE /vpc-endpoints/{id}/policy`: removes both policy parts; 200 with the endpoint (`DeleteEndpointPolicyResponse`). */
export const deleteEndpointPolicy: Handler = (ctx) => {
  const store = ctx.state.endpoints;
  const ep = store.deletePolicy(ctx.projectId, id(ctx));
  return { status: 200, body: renderEndpoint(store, ep, 'policy') };
};

/** `DELETE /vpc-endpoints/{id}`: 204 (or 200) with no body; `deleting`, then gone (404 `EndPoint.0005`). */
export const deleteEndpoint: Handler = (ctx) => {
  ctx.state.endpoints.delete(ctx.projectId, id(ctx));
  return { status: ctx.config.deleteSuccessStatus };
};

/** `POST /endpoint/{id}/tags/action`: as for services (upsert/delete by key, ≤ 10); 204, no body. */
export const endpointTagAction: Handler = (ctx) => {
  const ep = ctx.state.endpoints.find(ctx.projectId, id(ctx));
  ep.tags = applyTagAction(ctx.body, ep.tags);
  return { status: 204 };
};

/**
 * `POST /endpoint/resource_instances/action`: the service tag query over the project's endpoints. An
 * endpoint has no name, so `resource_name` is its id (the SDK's `ResourceInstance`: "the id when the
 * resource has no name") and `matches` looks in the id.
 */
export const endpointQueryTags: Handler = (ctx) =>
  queryResources(
    ctx.body,
    ctx.state.endpoints.all(ctx.projectId).map((e) => ({ id: e.id, name: e.id, tags: e.tags })),
  );

/** `GET /endpoint/tags`: the tag keys of the project's endpoints with their values. */
export const endpointProjectTags: Handler = (ctx) =>
  collectTags(ctx.state.endpoints.all(ctx.projectId).map((e) => e.tags));
