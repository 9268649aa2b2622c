/**
 * The simulator's stored shapes (camelCase; rendered to the wire by `render.ts` and
 * `endpoint-render.ts`) and the small helpers every store and handler shares: the API's timestamp
 * format and list sorting/paging. Pure data and pure functions; `state.ts` holds the behaviour.
 */
import type { TimerHandle } from '../util/clock.js';
import type {
  CloudErrorItem,
  PortMapping,
  ServerType,
  ServiceErrorItem,
  Tag,
  TcpProxy,
} from '../cloud/wire.js';
import type { InventorySubnet } from './network.js';
import type { Paging } from './validation.js';

/** A fixed set of VPCs and their ports; when given, unknown VPCs and ports are refused. */
export interface Inventory {
  vpcs: Array<{
    id: string;
    /** Port ids, or ports with the type of load balancer they belong to (LB ports move only to the same type). */
    ports: Array<string | { id: string; lbType?: 'shared' | 'dedicated' }>;
    /**
     * Subnets with their CIDRs, where endpoints get their addresses. When listed, only these are
     * subnets of the VPC (`EndPoint.4004` otherwise); when absent, any subnet id not listed under
     * another VPC is one, with the derived CIDR `10.x.y.0/24`.
     */
    subnets?: InventorySubnet[];
    /** Route table ids (the first is the default); when absent, any UUID is one. */
    routeTables?: string[];
  }>;
}

/** A whitelist entry as stored. */
export interface StoredPermission {
  id: string;
  permission: string;
  type: 'domainId' | 'orgPath';
  createdMs: number;
  description?: string;
}

/** A consumer endpoint's connection to a service. */
export interface StoredConnection {
  id: string;
  markerId: number;
  domainId: string;
  status: string;
  createdMs: number;
  updatedMs: number;
  description?: string;
  error?: CloudErrorItem[];
  /** Has been `accepted` at some time (an endpoint shows its `ip` from then on, even once rejected). */
  acceptedOnce?: boolean;
}

/** An endpoint service as stored (camelCase; rendered to the wire by `render.ts`). */
export interface StoredService {
  id: string;
  projectId: string;
  domainId: string;
  seq: number;
  portId: string;
  vpcId: string;
  poolId: string;
  name: string;
  serverType: ServerType;
  serviceType: string;
  approvalEnabled: boolean;
  ports: PortMapping[];
  tcpProxy: TcpProxy | string;
  tags: Tag[];
  description?: string;
  enablePolicy: boolean;
  status: string;
  error?: ServiceErrorItem[];
  ip?: string;
  vipPortId?: string;
  createdMs: number;
  updatedMs: number;
  permissions: StoredPermission[];
  connections: StoredConnection[];
  timer?: TimerHandle;
}

/**
 * Shape of the entries of a failed service's `error[]`: `sdk` = `{code, message}`, as Huawei's official
 * Go and Node SDKs model it (`Error`, `ModelError`); `legacy` = `{error_code, error_message}`, as the
 * team's API notes said.
 */
export type FailedErrorShape = 'sdk' | 'legacy';

/** The `error[]` entry of a create that ended `failed`, in `shape`. */
export function failedCreateError(shape: FailedErrorShape): ServiceErrorItem {
  const code = 'EndPoint.3001';
  const message = 'Failed to create the port for the endpoint service.';
  return shape === 'legacy' ? { error_code: code, error_message: message } : { code, message };
}

/** Formats epoch ms as the API's `YYYY-MM-DDTHH:MM:SSZ`. */
export function apiTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Sorts by `create_at`/`update_at` (ties by creation order) and cuts the page. */
export function sortPage<T>(items: T[], paging: Paging, keys: (t: T) => [number, number, number]): T[] {
  const dir = paging.sortDir === 'asc' ? 1 : -1;
  const idx = paging.sortKey === 'create_at' ? 0 : 1;
  const sorted = [...items].sort((a, b) => {
    const ka = keys(a);
    const kb = keys(b);
    return dir * (ka[idx] - kb[idx] || ka[2] - kb[2]);
  });
  return sorted.slice(paging.offset, paging.offset + paging.limit);
}
