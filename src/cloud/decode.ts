/**
 * The JSON edge: response bodies are parsed once into `unknown` and checked here before the client
 * hands them out as wire types. Checks are structural (required fields, types of what we rely on),
 * plus the form of every resource id the operator may later put in a URL path (a UUID, see
 * {@link isCloudId}); unknown extra fields pass through untouched, since the cloud adds fields over time.
 */
import { isCloudId, quoteForMessage } from './ids.js';
import type {
  Connection,
  DescribeServiceResponse,
  EndpointService,
  ListConnectionsResponse,
  ListPermissionsResponse,
  ListServicesResponse,
  Permission,
  PermissionActionResponse,
  QuotasResponse,
  RenameServiceResponse,
  ResourceInstance,
  ResourceInstancesResponse,
  ListEndpointsResponse,
  UpdateEndpointRouteTablesResponse,
  VpcEndpoint,
} from './wire.js';

/** A response body that does not have the documented shape. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function obj(v: unknown, what: string): Obj {
  if (!isObj(v)) throw new DecodeError(`${what}: expected an object`);
  return v;
}

function arr(v: unknown, what: string, optional = false): unknown[] {
  if (v === undefined || v === null) {
    if (optional) return [];
    throw new DecodeError(`${what}: missing array`);
  }
  if (!Array.isArray(v)) throw new DecodeError(`${what}: expected an array`);
  return v;
}

function reqString(o: Obj, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new DecodeError(`${what}.${key}: expected a string`);
  return v;
}

/** A required resource id: a string in UUID form (the cloud's answers are untrusted). */
function reqId(o: Obj, key: string, what: string): string {
  const v = reqString(o, key, what);
  if (!isCloudId(v)) throw new DecodeError(`${what}.${key}: ${quoteForMessage(v)} is not a valid id (UUID)`);
  return v;
}

function optType(o: Obj, key: string, type: 'string' | 'number' | 'boolean', what: string): void {
  const v = o[key];
  if (v !== undefined && v !== null && typeof v !== type)
    throw new DecodeError(`${what}.${key}: expected a ${type}`);
}

/** `total_count` as a number; accepts a numeric string, and falls back to `fallback` when absent. */
function count(o: Obj, what: string, fallback: number): number {
  const v = o['total_count'];
  if (v === undefined || v === null) return fallback;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0)
    throw new DecodeError(`${what}.total_count: expected a count`);
  return n;
}

/** Parses bytes as JSON into `unknown`; an empty body is `undefined`. */
export function parseJson(body: Buffer, what: string): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new DecodeError(`${what}: response body is not JSON`);
  }
}

/**
 * An endpoint service: `id` is required and must be a UUID; status, name and ports are type-checked
 * when present. Throws a {@link DecodeError} otherwise.
 */
export function decodeEndpointService(v: unknown, what = 'endpoint service'): EndpointService {
  const o = obj(v, what);
  reqId(o, 'id', what);
  optType(o, 'status', 'string', what);
  optType(o, 'service_name', 'string', what);
  optType(o, 'approval_enabled', 'boolean', what);
  if (o['ports'] !== undefined)
    arr(o['ports'], `${what}.ports`).forEach((p, i) => obj(p, `${what}.ports[${i}]`));
  if (o['tags'] !== undefined) arr(o['tags'], `${what}.tags`).forEach((t, i) => obj(t, `${what}.tags[${i}]`));
  return o as unknown as EndpointService;
}

/** A services page: each item as {@link decodeEndpointService}; `total_count` defaults to the items. */
export function decodeListServices(v: unknown): ListServicesResponse {
  const o = obj(v, 'list services');
  const items = arr(o['endpoint_services'], 'list services.endpoint_services', true).map((s, i) =>
    decodeEndpointService(s, `endpoint_services[${i}]`),
  );
  return { ...o, endpoint_services: items, total_count: count(o, 'list services', items.length) };
}

/** A rename answer: `endpoint_service_name` is required. */
export function decodeRename(v: unknown): RenameServiceResponse {
  const o = obj(v, 'rename');
  return { endpoint_service_name: reqString(o, 'endpoint_service_name', 'rename') };
}

function decodePermission(v: unknown, what: string): Permission {
  const o = obj(v, what);
  reqString(o, 'permission', what);
  optType(o, 'id', 'string', what);
  return o as unknown as Permission;
}

/** A whitelist page: each entry has a string `permission`; `total_count` defaults to the entries. */
export function decodeListPermissions(v: unknown): ListPermissionsResponse {
  const o = obj(v, 'list permissions');
  const items = arr(o['permissions'], 'list permissions.permissions', true).map((p, i) =>
    decodePermission(p, `permissions[${i}]`),
  );
  return { permissions: items, total_count: count(o, 'list permissions', items.length) };
}

/**
 * A whitelist action answer as plain permission strings (empty body: none), with `permission_type` when
 * the cloud sends it (the official SDKs' `AddOrRemoveServicePermissionsResponse` has it; older answers
 * and the team's notes do not, so it stays optional; a non-string one is dropped, never an error).
 */
export function decodePermissionAction(v: unknown): PermissionActionResponse {
  if (v === undefined) return { permissions: [] };
  const o = obj(v, 'permission action');
  const items = arr(o['permissions'], 'permission action.permissions', true);
  const type = o['permission_type'];
  return {
    permissions: items.map((p, i) => {
      if (typeof p === 'string') return p;
      // Tolerate the object form of the list API.
      return decodePermission(p, `permissions[${i}]`).permission;
    }),
    ...(typeof type === 'string' ? { permission_type: type } : {}),
  };
}

/** A connection: its `id` is the endpoint id later sent to a connection action, so it must be a UUID. */
function decodeConnection(v: unknown, what: string): Connection {
  const o = obj(v, what);
  reqId(o, 'id', what);
  optType(o, 'status', 'string', what);
  return o as unknown as Connection;
}

/** A connections page: each connection id a UUID; `total_count` defaults to the items. */
export function decodeListConnections(v: unknown): ListConnectionsResponse {
  const o = obj(v, 'list connections');
  const items = arr(o['connections'], 'list connections.connections', true).map((c, i) =>
    decodeConnection(c, `connections[${i}]`),
  );
  return { connections: items, total_count: count(o, 'list connections', items.length) };
}

/** A connection action answer (empty body: none); each connection id a UUID. */
export function decodeConnectionAction(v: unknown): Connection[] {
  if (v === undefined) return [];
  const o = obj(v, 'connection action');
  return arr(o['connections'], 'connection action.connections', true).map((c, i) =>
    decodeConnection(c, `connections[${i}]`),
  );
}

/** A tag-query match: `resource_id` is a service id the operator adopts and GETs, so a UUID. */
function decodeResourceInstance(v: unknown, what: string): ResourceInstance {
  const o = obj(v, what);
  reqId(o, 'resource_id', what);
  optType(o, 'resource_name', 'string', what);
  return o as unknown as ResourceInstance;
}

/** A tag-query page (or a count): each `resource_id` a UUID; `total_count` defaults to the items. */
export function decodeResourceInstances(v: unknown): ResourceInstancesResponse {
  const o = obj(v, 'resource instances');
  const items = arr(o['resources'], 'resource instances.resources', true).map((r, i) =>
    decodeResourceInstance(r, `resources[${i}]`),
  );
  return { resources: items, total_count: count(o, 'resource instances', items.length) };
}

/** A quotas answer: each resource has a string `type` and numeric `used` and `quota`. */
export function decodeQuotas(v: unknown): QuotasResponse {
  const o = obj(v, 'quotas');
  const q = obj(o['quotas'], 'quotas.quotas');
  const resources = arr(q['resources'], 'quotas.resources', true).map((r, i) => {
    const ro = obj(r, `quotas.resources[${i}]`);
    const type = reqString(ro, 'type', `quotas.resources[${i}]`);
    const num = (k: string): number => {
      const n = ro[k];
      if (typeof n !== 'number') throw new DecodeError(`quotas.resources[${i}].${k}: expected a number`);
      return n;
    };
    return { type, used: num('used'), quota: num('quota') };
  });
  return { quotas: { resources } };
}

/** A describe answer: `id` (a service id, possibly of another tenant) must be a UUID. */
export function decodeDescribe(v: unknown): DescribeServiceResponse {
  const o = obj(v, 'describe');
  reqId(o, 'id', 'describe');
  optType(o, 'service_name', 'string', 'describe');
  return o as unknown as DescribeServiceResponse;
}

/** Checks that `o[key]`, when present, is an array of strings. */
function optStrings(o: Obj, key: string, what: string): void {
  const v = o[key];
  if (v === undefined || v === null) return;
  const items = arr(v, `${what}.${key}`);
  if (items.some((x) => typeof x !== 'string')) throw new DecodeError(`${what}.${key}: expected strings`);
}

/** An optional resource id: absent, or a UUID (never another string that could end up in a path). */
function optId(o: Obj, key: string, what: string): void {
  const v = o[key];
  if (v === undefined || v === null) return;
  if (!isCloudId(v)) throw new DecodeError(`${what}.${key}: ${quoteForMessage(v)} is not a valid id (UUID)`);
}

/**
 * A VPC endpoint: `id` is required and a UUID, and so are `endpoint_service_id`, `vpc_id`,
 * `subnet_id` and every route table id when present (the operator may put them in a path or hand them
 * to another call); `status`, `ip`, `endpoint_service_name` strings, `marker_id` a number, `dns_names`
 * and `whitelist` string lists, `tags` objects, when present. Throws a {@link DecodeError} otherwise.
 */
export function decodeVpcEndpoint(v: unknown, what = 'endpoint'): VpcEndpoint {
  const o = obj(v, what);
  reqId(o, 'id', what);
  for (const k of ['endpoint_service_id', 'vpc_id', 'subnet_id']) optId(o, k, what);
  for (const k of ['status', 'ip', 'endpoint_service_name', 'service_type', 'description'])
    optType(o, k, 'string', what);
  optType(o, 'marker_id', 'number', what);
  optType(o, 'enable_dns', 'boolean', what);
  optType(o, 'enable_whitelist', 'boolean', what);
  optStrings(o, 'dns_names', what);
  optStrings(o, 'whitelist', what);
  decodeRouteTableIds(o, what);
  if (o['tags'] !== undefined && o['tags'] !== null)
    arr(o['tags'], `${what}.tags`).forEach((t, i) => obj(t, `${what}.tags[${i}]`));
  return o as unknown as VpcEndpoint;
}

function decodeRouteTableIds(o: Obj, what: string): void {
  const v = o['routetables'];
  if (v === undefined || v === null) return;
  arr(v, `${what}.routetables`).forEach((r, i) => {
    if (!isCloudId(r))
      throw new DecodeError(`${what}.routetables[${i}]: ${quoteForMessage(r)} is not a valid id (UUID)`);
  });
}

/** An endpoints page: each item as {@link decodeVpcEndpoint}; `total_count` defaults to the items. */
export function decodeListEndpoints(v: unknown): ListEndpointsResponse {
  const o = obj(v, 'list endpoints');
  const items = arr(o['endpoints'], 'list endpoints.endpoints', true).map((e, i) =>
    decodeVpcEndpoint(e, `endpoints[${i}]`),
  );
  return { endpoints: items, total_count: count(o, 'list endpoints', items.length) };
}

/** A route table update answer: `routetables` (UUIDs) and an optional `error[]` of objects; empty body: none. */
export function decodeRouteTablesUpdate(v: unknown): UpdateEndpointRouteTablesResponse {
  if (v === undefined) return {};
  const o = obj(v, 'route tables');
  decodeRouteTableIds(o, 'route tables');
  if (o['error'] !== undefined && o['error'] !== null)
    arr(o['error'], 'route tables.error').forEach((e, i) => obj(e, `route tables.error[${i}]`));
  return o as unknown as UpdateEndpointRouteTablesResponse;
}
