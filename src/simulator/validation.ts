/**
 * Validation of request bodies and queries with the cloud's constraints and codes (vpcep-api.md §2–§4,
 * checklist §8). Bodies arrive as `unknown`; each function either returns a typed, defaulted value or
 * throws the {@link SimError} the cloud would answer with. Where the reference leaves a rule open, the
 * strict reading is enforced.
 */
import type { PortMapping, ServerType, ServiceType, Tag, TcpProxy } from '../cloud/wire.js';
import { paramError, vpcepError } from './errors.js';

/** Most port mappings per service (`EndPoint.3074` beyond). */
export const MAX_PORT_MAPPINGS = 200;
/** Most tags per service (`EndPoint.3069` beyond). */
export const MAX_TAGS = 10;
const SERVER_TYPES: readonly string[] = ['VM', 'VIP', 'LB'];
const TCP_PROXIES: readonly string[] = ['close', 'toa_open', 'proxy_open', 'open', 'proxy_vni'];
/** Service statuses accepted by the list filter. */
export const SERVICE_STATUSES: readonly string[] = ['creating', 'available', 'failed', 'deleting'];
/** Connection statuses accepted by the connection-list filter. */
export const CONNECTION_STATUSES: readonly string[] = [
  'creating',
  'pendingAcceptance',
  'accepted',
  'rejected',
  'failed',
];

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** True for a well-formed UUID (the shape of port, VPC and service ids). */
export function isUuid(v: unknown): v is string {
  return typeof v === 'string' && UUID_RE.test(v);
}

/** The body as a JSON object, else `EndPoint.0002`. */
export function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw paramError('The body must be a JSON object.');
  return body as Record<string, unknown>;
}

function optBool(o: Record<string, unknown>, key: string): boolean | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw paramError(`${key} must be a boolean.`);
  return v;
}

/** Short service name: ≤ 16 of `A-Z a-z 0-9 _ -` (`EndPoint.3076`); `""` means "no name". */
export function validateServiceName(v: unknown, allowEmpty = true): string {
  if (typeof v !== 'string') throw paramError('service_name must be a string.');
  if ((!allowEmpty && v.length === 0) || v.length > 16 || !/^[A-Za-z0-9_-]*$/.test(v))
    throw vpcepError('EndPoint.3076', 'Use at most 16 characters of A-Z a-z 0-9 _ -.');
  return v;
}

/** Description: a string without `<` or `>` (`EndPoint.0002`); no length limit is imposed. */
export function validateDescription(v: unknown): string {
  if (typeof v !== 'string') throw paramError('description must be a string.');
  if (/[<>]/.test(v)) throw paramError('description must not contain < or >.');
  return v;
}

function validatePort(v: unknown, field: string): number {
  if (v === undefined || v === null) throw paramError(`${field} is required.`);
  if (typeof v !== 'number') throw paramError(`${field} must be an integer.`);
  if (!Number.isInteger(v) || v < 1 || v > 65535)
    throw vpcepError('EndPoint.3043', `${field} must be 1-65535.`);
  return v;
}

/**
 * Port mappings: a non-empty list of `{client_port, server_port, protocol?}` (protocol defaults to
 * `TCP`, the only one allowed: `EndPoint.3075`), ports 1–65535 (`EndPoint.3043`), at most 200
 * (`EndPoint.3074`), and within the list `client_port` and `server_port` each unique per protocol
 * (`EndPoint.3044`, strict reading; `lenient` refuses only identical mappings).
 */
export function validatePorts(v: unknown, lenient = false): PortMapping[] {
  if (!Array.isArray(v) || v.length === 0) throw paramError('ports must be a non-empty array.');
  if (v.length > MAX_PORT_MAPPINGS)
    throw vpcepError('EndPoint.3074', `At most ${MAX_PORT_MAPPINGS} mappings.`);
  const out: PortMapping[] = [];
  const clientSeen = new Set<string>();
  const serverSeen = new Set<string>();
  v.forEach((item: unknown, i) => {
    const o = asObject(item);
    const client = validatePort(o.client_port, `ports[${i}].client_port`);
    const server = validatePort(o.server_port, `ports[${i}].server_port`);
    const protocol = o.protocol === undefined ? 'TCP' : o.protocol;
    if (typeof protocol !== 'string') throw paramError(`ports[${i}].protocol must be a string.`);
    if (protocol !== 'TCP') throw vpcepError('EndPoint.3075', 'Only TCP is supported.');
    const ck = lenient ? `${protocol}/${client}/${server}` : `${protocol}/${client}`;
    const sk = `${protocol}/${server}`;
    if (lenient) {
      if (clientSeen.has(ck)) throw vpcepError('EndPoint.3044', `Mapping ${client}->${server} is repeated.`);
      clientSeen.add(ck);
      out.push({ client_port: client, server_port: server, protocol });
      return;
    }
    if (clientSeen.has(ck)) throw vpcepError('EndPoint.3044', `client_port ${client} is repeated.`);
    if (serverSeen.has(sk)) throw vpcepError('EndPoint.3044', `server_port ${server} is repeated.`);
    clientSeen.add(ck);
    serverSeen.add(sk);
    out.push({ client_port: client, server_port: server, protocol });
  });
  return out;
}

const TAG_FORBIDDEN = /[=*<>\\,|/]/;

function checkTagText(s: string, what: 'key' | 'value'): void {
  if (TAG_FORBIDDEN.test(s) || s !== s.trim() || /^\s|\s$/.test(s))
    throw vpcepError(
      'EndPoint.3068',
      `The tag ${what} contains = * < > \\ , | / or begins or ends with a space.`,
    );
}

/** A tag key: 1–36 Unicode characters (`EndPoint.3072`), no forbidden characters or edge spaces (`EndPoint.3068`). */
export function validateTagKey(v: unknown): string {
  if (typeof v !== 'string') throw paramError('tag key must be a string.');
  const len = [...v].length;
  if (len < 1 || len > 36) throw vpcepError('EndPoint.3072', 'The key must be 1-36 characters.');
  checkTagText(v, 'key');
  return v;
}

/** A tag value: 0–43 Unicode characters (`EndPoint.3073`; `""` allowed), same character rules. */
export function validateTagValue(v: unknown): string {
  if (typeof v !== 'string') throw paramError('tag value must be a string.');
  if ([...v].length > 43) throw vpcepError('EndPoint.3073', 'The value must be 0-43 characters.');
  checkTagText(v, 'value');
  return v;
}

/**
 * A tag list: each tag valid, keys unique (`EndPoint.3067`), at most 10 (`EndPoint.3069`).
 * `valueOptional` (tag deletion) lets `value` be omitted.
 */
export function validateTags(v: unknown, valueOptional = false): Array<{ key: string; value?: string }> {
  if (!Array.isArray(v)) throw paramError('tags must be an array.');
  if (v.length > MAX_TAGS) throw vpcepError('EndPoint.3069', `At most ${MAX_TAGS} tags.`);
  const seen = new Set<string>();
  return v.map((item: unknown) => {
    const o = asObject(item);
    const key = validateTagKey(o.key);
    if (seen.has(key)) throw vpcepError('EndPoint.3067', `Key ${key} is repeated.`);
    seen.add(key);
    if (o.value === undefined && valueOptional) return { key };
    if (o.value === undefined) throw paramError('tag value is required.');
    return { key, value: validateTagValue(o.value) };
  });
}

/** A create request after validation, with the cloud's defaults applied. */
export interface CreateInput {
  portId: string;
  vpcId: string;
  serverType: ServerType;
  ports: PortMapping[];
  name: string;
  approvalEnabled: boolean;
  serviceType: ServiceType;
  tcpProxy: TcpProxy;
  tags: Tag[];
  description?: string;
  enablePolicy: boolean;
}

/** Validates a port id's shape (`EndPoint.3003` for a malformed one). */
export function validatePortId(v: unknown): string {
  if (typeof v !== 'string') throw paramError('port_id must be a string.');
  if (!isUuid(v)) throw vpcepError('EndPoint.3003', 'port_id must be a UUID.');
  return v;
}

/**
 * Validates a create body: required `port_id`, `vpc_id`, `server_type`, `ports` (`EndPoint.0002`),
 * then each field; defaults `approval_enabled=true`, `service_type=interface`, `tcp_proxy=close`,
 * `enable_policy=false`, `protocol=TCP`.
 */
export function validateCreate(body: unknown, lenient = false): CreateInput {
  const o = asObject(body);
  for (const k of ['port_id', 'vpc_id', 'server_type', 'ports'])
    if (o[k] === undefined || o[k] === null) throw paramError(`${k} is required.`);
  const portId = validatePortId(o.port_id);
  if (typeof o.vpc_id !== 'string') throw paramError('vpc_id must be a string.');
  if (!isUuid(o.vpc_id)) throw vpcepError('EndPoint.0020', 'vpc_id must be a UUID.');
  if (typeof o.server_type !== 'string' || !SERVER_TYPES.includes(o.server_type))
    throw vpcepError('EndPoint.3021', 'server_type must be VM, VIP or LB.');
  const ports = validatePorts(o.ports, lenient);
  const name = o.service_name === undefined ? '' : validateServiceName(o.service_name);
  const approvalEnabled = optBool(o, 'approval_enabled') ?? true;
  const enablePolicy = optBool(o, 'enable_policy') ?? false;
  const st = o.service_type ?? 'interface';
  if (st !== 'interface')
    throw paramError(
      st === 'gateway' ? 'gateway services cannot be created.' : 'service_type must be interface.',
    );
  const tp = o.tcp_proxy ?? 'close';
  if (typeof tp !== 'string' || !TCP_PROXIES.includes(tp))
    throw paramError('tcp_proxy must be close, toa_open, proxy_open, open or proxy_vni.');
  const tags = o.tags === undefined ? [] : (validateTags(o.tags) as Tag[]);
  const input: CreateInput = {
    portId,
    vpcId: o.vpc_id,
    serverType: o.server_type as ServerType,
    ports,
    name,
    approvalEnabled,
    serviceType: 'interface',
    tcpProxy: tp as TcpProxy,
    tags,
    enablePolicy,
  };
  if (o.description !== undefined) input.description = validateDescription(o.description);
  return input;
}

/** The mutable fields of an update after validation (absent = unchanged). */
export interface UpdateInput {
  approvalEnabled?: boolean;
  name?: string;
  ports?: PortMapping[];
  portId?: string;
  tcpProxy?: TcpProxy;
  description?: string;
  ip?: string;
  vipPortId?: string;
  /** Immutable fields present in the body (ignored unless the simulator is set to reject them). */
  immutable: Record<string, unknown>;
}

const IMMUTABLE_FIELDS = [
  'vpc_id',
  'server_type',
  'enable_policy',
  'service_type',
  'pool_id',
  'ip_version',
  'snat_network_id',
];

/**
 * Validates an update body with the create rules: `port_id` with `ip` → `EndPoint.3052`,
 * `vip_port_id` with `ip` → `EndPoint.3053`. Immutable fields are collected, not applied.
 */
export function validateUpdate(body: unknown, lenient = false): UpdateInput {
  const o = asObject(body);
  const out: UpdateInput = { immutable: {} };
  if (o.port_id !== undefined && o.ip !== undefined) throw vpcepError('EndPoint.3052');
  if (o.vip_port_id !== undefined && o.ip !== undefined) throw vpcepError('EndPoint.3053');
  const approval = optBool(o, 'approval_enabled');
  if (approval !== undefined) out.approvalEnabled = approval;
  if (o.service_name !== undefined) out.name = validateServiceName(o.service_name);
  if (o.ports !== undefined) out.ports = validatePorts(o.ports, lenient);
  if (o.port_id !== undefined) out.portId = validatePortId(o.port_id);
  if (o.vip_port_id !== undefined) out.vipPortId = validatePortId(o.vip_port_id);
  if (o.tcp_proxy !== undefined) {
    if (typeof o.tcp_proxy !== 'string' || !TCP_PROXIES.includes(o.tcp_proxy))
      throw paramError('Invalid tcp_proxy.');
    out.tcpProxy = o.tcp_proxy as TcpProxy;
  }
  if (o.description !== undefined) out.description = validateDescription(o.description);
  if (o.ip !== undefined) {
    if (
      typeof o.ip !== 'string' ||
      !/^(\d{1,3})(\.\d{1,3}){3}$/.test(o.ip) ||
      o.ip.split('.').some((x) => Number(x) > 255)
    )
      throw paramError('ip must be an IPv4 address.');
    out.ip = o.ip;
  }
  for (const k of IMMUTABLE_FIELDS) if (o[k] !== undefined) out.immutable[k] = o[k];
  return out;
}

/** Paging and sorting of a list query after validation. */
export interface Paging {
  limit: number;
  offset: number;
  sortKey: 'create_at' | 'update_at';
  sortDir: 'asc' | 'desc';
}

function intParam(q: URLSearchParams, key: string): number | undefined {
  const raw = q.get(key);
  if (raw === null) return undefined;
  return /^-?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
}

/**
 * `limit` (1–`maxLimit`, default 10, strict: 0 refused, `EndPoint.0006`; `lenient` accepts 0), `offset` (≥ 0,
 * `EndPoint.0010`), `sort_key` (`create_at`|`update_at`, `EndPoint.0017`), `sort_dir` (`asc`|`desc`,
 * `EndPoint.0018`); defaults `create_at desc`.
 */
export function parsePaging(q: URLSearchParams, maxLimit: number, lenient = false): Paging {
  const limit = intParam(q, 'limit') ?? 10;
  if (!Number.isInteger(limit) || limit < (lenient ? 0 : 1) || limit > maxLimit)
    throw vpcepError('EndPoint.0006', `limit must be 1-${maxLimit}.`);
  const offset = intParam(q, 'offset') ?? 0;
  if (!Number.isInteger(offset) || offset < 0) throw vpcepError('EndPoint.0010', 'offset must be >= 0.');
  const sortKey = q.get('sort_key') ?? 'create_at';
  if (sortKey !== 'create_at' && sortKey !== 'update_at')
    throw vpcepError('EndPoint.0017', 'sort_key must be create_at or update_at.');
  const sortDir = q.get('sort_dir') ?? 'desc';
  if (sortDir !== 'asc' && sortDir !== 'desc')
    throw vpcepError('EndPoint.0018', 'sort_dir must be asc or desc.');
  return { limit, offset, sortKey, sortDir };
}

/** The kind of a whitelist entry. */
export type PermissionType = 'domainId' | 'orgPath';

/**
 * A whitelist entry: `iam:domain::<id>` (≤ 64 letters/digits, or `*`) or `organizations:orgPath::<path>`
 * (≤ 1024 of letters, digits, `/`, `-`, or `*`), matching `type` (`EndPoint.3002` otherwise).
 */
export function validatePermission(v: unknown, type: PermissionType): string {
  if (typeof v !== 'string') throw vpcepError('EndPoint.3002', 'Entries must be strings.');
  const ok =
    type === 'domainId'
      ? /^iam:domain::(\*|[A-Za-z0-9]{1,64})$/.test(v)
      : /^organizations:orgPath::(\*|[A-Za-z0-9/-]{1,1024})$/.test(v);
  if (!ok) throw vpcepError('EndPoint.3002', `${JSON.stringify(v)} is not a valid ${type} entry.`);
  return v;
}

/** `limit`/`offset` given as a number or a numeric string (as Terraform sends them). */
export function looseInt(v: unknown, fallback: number): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'number') return Number.isInteger(v) ? v : Number.NaN;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v);
  return Number.NaN;
}
