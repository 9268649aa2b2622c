/**
 * Handlers of the endpoint-service operations proper: create, get, list, update, rename, delete,
 * describe, public services and quotas. Each takes a parsed request ({@link ApiContext}), validates
 * it, drives {@link SimState} and returns the status and body the cloud would send.
 */
import type { DescribeServiceResponse, ListServicesResponse, QuotasResponse } from '../cloud/wire.js';
import type { Caller } from './auth.js';
import { notFound, paramError, vpcepError } from './errors.js';
import { renderService } from './render.js';
import { apiTime, sortPage, type SimState } from './state.js';
import {
  asObject,
  parsePaging,
  SERVICE_STATUSES,
  validateCreate,
  validateServiceName,
  validateUpdate,
} from './validation.js';

/** Stable names of the simulated operations, used by counters, faults and throttling. */
export type OperationName =
  | 'create'
  | 'get'
  | 'list'
  | 'update'
  | 'rename'
  | 'delete'
  | 'describe'
  | 'listPublic'
  | 'quotas'
  | 'tags'
  | 'queryTags'
  | 'projectTags'
  | 'listPermissions'
  | 'permissionAction'
  | 'permissionBatchCreate'
  | 'permissionBatchDelete'
  | 'permissionUpdate'
  | 'listConnections'
  | 'connectionAction'
  | 'connectionDescription'
  | 'createEndpoint'
  | 'getEndpoint'
  | 'listEndpoints'
  | 'updateEndpointWhitelist'
  | 'updateEndpointRouteTables'
  | 'updateEndpointPolicy'
  | 'deleteEndpointPolicy'
  | 'deleteEndpoint'
  | 'endpointTags'
  | 'endpointQueryTags'
  | 'endpointProjectTags';

/** Settings the handlers read (fixed for the simulator's life). */
export interface ApiConfig {
  region: string;
  /** Status of a successful DELETE (204 by default, 200 by switch). */
  deleteSuccessStatus: 200 | 204;
  /** Whitelist entries per service (`EndPoint.3049` beyond). */
  whitelistCap: number;
  /** Refuse immutable fields in a PUT body that differ from the stored value (default: ignore them). */
  rejectImmutableUpdates: boolean;
  /** Services per project, reported by `GET /quotas`. */
  quota: number;
  /** Endpoints per project (`Endpoint.1018` beyond), reported by `GET /quotas`. */
  endpointQuota: number;
  /**
   * The looser reading of unconfirmed rules: list `limit=0` accepted, only identical port mappings
   * refused within a service, PUT/rename allowed in any state but `deleting`. Default false (strict).
   */
  lenient: boolean;
}

/** One authenticated request, routed. */
export interface ApiContext {
  state: SimState;
  config: ApiConfig;
  caller: Caller;
  /** The project id in the path (already checked against the caller's). */
  projectId: string;
  /** Path parameters: `id` (service), `pid` (permission). */
  params: Record<string, string>;
  query: URLSearchParams;
  /** Parsed JSON body; undefined when the request had none. */
  body: unknown;
}

/** What a handler answers: a status and, unless 204, a JSON body. */
export interface ApiResult {
  status: number;
  body?: unknown;
}

/** A handler of one operation. Throws `SimError` for refusals. */
export type Handler = (ctx: ApiContext) => ApiResult;

function id(ctx: ApiContext): string {
  return ctx.params.id ?? '';
}

/** `POST /vpc-endpoint-services`: 200 with the stored service, status `creating`. */
export const createService: Handler = (ctx) => {
  const input = validateCreate(ctx.body, ctx.config.lenient);
  const svc = ctx.state.create(ctx.projectId, ctx.caller.domainId, input);
  return { status: 200, body: renderService(ctx.state, svc, 'write') };
};

/** `GET /vpc-endpoint-services/{id}`. */
export const getService: Handler = (ctx) => ({
  status: 200,
  body: renderService(ctx.state, ctx.state.find(ctx.projectId, id(ctx)), 'get'),
});

/** `GET /vpc-endpoint-services`: filters, sorting, paging; `total_count` counts matches before paging. */
export const listServices: Handler = (ctx) => {
  const q = ctx.query;
  const status = q.get('status') ?? undefined;
  if (status !== undefined && !SERVICE_STATUSES.includes(status)) throw vpcepError('EndPoint.0019');
  const paging = parsePaging(q, 1000, ctx.config.lenient);
  const { page, total } = ctx.state.list(
    ctx.projectId,
    {
      name: q.get('endpoint_service_name') || undefined,
      id: q.get('id') || undefined,
      status,
      serverType: q.get('server_type') || undefined,
    },
    paging,
  );
  const body: ListServicesResponse = {
    endpoint_services: page.map((s) => renderService(ctx.state, s, 'list')),
    total_count: total,
  };
  return { status: 200, body };
};

/**
 * `PUT /vpc-endpoint-services/{id}`: mutable fields only, applied at once; 200 with the full object in
 * the create answer's field set (the official SDKs' `UpdateEndpointServiceResponse`: no
 * `connection_count`, `supported_editions` or `cidr_type`, which only GET has).
 */
export const updateService: Handler = (ctx) => {
  const input = validateUpdate(ctx.body, ctx.config.lenient);
  const svc = ctx.state.update(ctx.projectId, id(ctx), input, ctx.config.rejectImmutableUpdates);
  return { status: 200, body: renderService(ctx.state, svc, 'write') };
};

/** `PUT /vpc-endpoint-services/{id}/name`: 200 `{"endpoint_service_name": <full name>}`. */
export const renameService: Handler = (ctx) => {
  const o = asObject(ctx.body);
  if (o.endpoint_service_name === undefined) throw paramError('endpoint_service_name is required.');
  const name = validateServiceName(o.endpoint_service_name, false);
  const svc = ctx.state.rename(ctx.projectId, id(ctx), name);
  return { status: 200, body: { endpoint_service_name: ctx.state.fullName(svc) } };
};

/** `DELETE /vpc-endpoint-services/{id}`: 204 (or 200) with no body; the service turns `deleting`. */
export const deleteService: Handler = (ctx) => {
  ctx.state.delete(ctx.projectId, id(ctx));
  return { status: ctx.config.deleteSuccessStatus };
};

/**
 * `GET /vpc-endpoint-services/describe`: exactly one of `endpoint_service_name` (full name, 1–128) or
 * `id` (1–64); searches every project (consumers describe other tenants' services) and returns no
 * backend details.
 */
export const describeService: Handler = (ctx) => {
  const name = ctx.query.get('endpoint_service_name');
  const sid = ctx.query.get('id');
  if ((name === null) === (sid === null))
    throw paramError('Give exactly one of endpoint_service_name and id.');
  if (name !== null && (name.length < 1 || name.length > 128))
    throw paramError('endpoint_service_name must be 1-128 characters.');
  if (sid !== null && (sid.length < 1 || sid.length > 64)) throw paramError('id must be 1-64 characters.');
  const svc = ctx.state.all().find((s) => (sid !== null ? s.id === sid : ctx.state.fullName(s) === name));
  if (!svc) throw notFound();
  const body: DescribeServiceResponse = {
    id: svc.id,
    service_name: ctx.state.fullName(svc),
    service_type: svc.serviceType,
    created_at: apiTime(svc.createdMs),
    is_charge: false,
    enable_policy: svc.enablePolicy,
    public_border_group: 'center',
  };
  return { status: 200, body };
};

/**
 * `GET /vpc-endpoint-services/public`: Huawei-operated services (the built-in DNS one and those of the
 * `publicServices` option), with name/id filters and paging.
 */
export const listPublicServices: Handler = (ctx) => {
  const paging = parsePaging(ctx.query, 1000, ctx.config.lenient);
  const name = ctx.query.get('endpoint_service_name');
  const sid = ctx.query.get('id');
  const items = ctx.state.opts.publicServices
    .map((p) => ({
      id: p.id,
      owner: 'huaweicloud',
      service_name: `${ctx.config.region}.${p.name}.${p.id}`,
      service_type: p.serviceType ?? 'interface',
      created_at: apiTime(p.createdMs ?? Date.UTC(2020, 0, 1)),
      is_charge: false,
      enable_policy: p.enablePolicy ?? false,
      created: p.createdMs ?? Date.UTC(2020, 0, 1),
    }))
    .filter((p) => (!name || p.service_name.includes(name)) && (!sid || p.id === sid));
  const page = sortPage(items, paging, (p) => [p.created, p.created, 0]).map(
    ({ created: _c, ...rest }) => rest,
  );
  return { status: 200, body: { endpoint_services: page, total_count: items.length } };
};

/** `GET /quotas[?type=endpoint_service|endpoint]`: `used` is the project's stored services / endpoints. */
export const getQuotas: Handler = (ctx) => {
  const type = ctx.query.get('type');
  if (type !== null && type !== 'endpoint_service' && type !== 'endpoint')
    throw paramError('type must be endpoint_service or endpoint.');
  const all = [
    { type: 'endpoint_service', used: ctx.state.used(ctx.projectId), quota: ctx.config.quota },
    {
      type: 'endpoint',
      used: ctx.state.endpoints.all(ctx.projectId).length,
      quota: ctx.config.endpointQuota,
    },
  ];
  const body: QuotasResponse = { quotas: { resources: all.filter((r) => type === null || r.type === type) } };
  return { status: 200, body };
};
