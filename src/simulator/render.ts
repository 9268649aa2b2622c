/**
 * Stored objects to wire objects. Unset optional fields are omitted (never `null`), timestamps are
 * `YYYY-MM-DDTHH:MM:SSZ`, and `service_name` is always the full form.
 */
import type { Connection, EndpointService, Permission } from '../cloud/wire.js';
import {
  apiTime,
  type SimState,
  type StoredConnection,
  type StoredPermission,
  type StoredService,
} from './state.js';

/**
 * Which response a service appears in: `write` (create/update: the §2 response fields), `get` (adds
 * `connection_count`, `supported_editions`, `cidr_type`) or `list` (adds `connection_count`,
 * `supported_editions`, `domain_id` and `public_border_group`, but not `cidr_type`: the official SDKs'
 * `ServiceList` has no such field). `error[]` appears in every view while the service is `failed`.
 */
export type ServiceView = 'write' | 'get' | 'list';

/** The wire form of a service in `view`. */
export function renderService(state: SimState, svc: StoredService, view: ServiceView): EndpointService {
  const out: EndpointService = {
    id: svc.id,
    port_id: svc.portId,
    vpc_id: svc.vpcId,
    pool_id: svc.poolId,
    service_name: state.fullName(svc),
    server_type: svc.serverType,
    service_type: svc.serviceType,
    status: svc.status,
    approval_enabled: svc.approvalEnabled,
    created_at: apiTime(svc.createdMs),
    updated_at: apiTime(svc.updatedMs),
    project_id: svc.projectId,
    ports: svc.ports.map((p) => ({ ...p })),
    tcp_proxy: svc.tcpProxy,
    enable_policy: svc.enablePolicy,
  };
  if (svc.tags.length > 0) out.tags = svc.tags.map((t) => ({ ...t }));
  if (svc.description !== undefined) out.description = svc.description;
  if (svc.ip !== undefined) out.ip = svc.ip;
  if (svc.vipPortId !== undefined) out.vip_port_id = svc.vipPortId;
  if (svc.status === 'failed' && svc.error) out.error = svc.error.map((e) => ({ ...e }));
  if (view === 'write') return out;
  out.connection_count = state.connectionCount(svc);
  out.supported_editions = ['default'];
  if (view === 'get') out.cidr_type = 'internal';
  if (view === 'list') {
    out.domain_id = svc.domainId;
    out.public_border_group = 'center';
  }
  return out;
}

/** The wire form of a connection. */
export function renderConnection(c: StoredConnection): Connection {
  const out: Connection = {
    id: c.id,
    marker_id: c.markerId,
    domain_id: c.domainId,
    status: c.status,
    created_at: apiTime(c.createdMs),
    updated_at: apiTime(c.updatedMs),
  };
  if (c.description !== undefined) out.description = c.description;
  if (c.error) out.error = c.error.map((e) => ({ ...e }));
  return out;
}

/** The wire form of a whitelist entry. */
export function renderPermission(p: StoredPermission): Permission {
  const out: Permission = {
    id: p.id,
    permission: p.permission,
    permission_type: p.type,
    created_at: apiTime(p.createdMs),
  };
  if (p.description !== undefined) out.description = p.description;
  return out;
}
