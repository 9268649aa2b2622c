/**
 * The simulator's in-memory store and service state machine, per project.
 *
 * Lifecycle: create stores a service as `creating` and schedules (on the injected clock) its move to
 * `available`, or to `failed` with an `error[]` for the configured share; delete marks it `deleting`
 * and schedules its removal, after which every call answers 404 `EndPoint.0005`. Backend rules span
 * projects: a port id is bound to one VPC, and services sharing a port id may not repeat a
 * `(server_port, protocol)` pair. Everything here is synchronous; only the transitions are timed.
 * The consumer side ({@link EndpointStore}, {@link SimNetwork}) hangs off the same state, so an
 * endpoint's connection is one of these services' connections.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../util/clock.js';
import type { PortMapping } from '../cloud/wire.js';
import { EndpointStore } from './endpoint-state.js';
import { notFound, paramError, vpcepError } from './errors.js';
import { SimNetwork } from './network.js';
import type { PublicService } from './public-services.js';
import {
  failedCreateError,
  sortPage,
  type FailedErrorShape,
  type Inventory,
  type StoredConnection,
  type StoredService,
} from './stored.js';
import type { CreateInput, Paging, UpdateInput } from './validation.js';

export {
  apiTime,
  failedCreateError,
  sortPage,
  type FailedErrorShape,
  type Inventory,
  type StoredConnection,
  type StoredPermission,
  type StoredService,
} from './stored.js';

/** Tunables of the state machine. */
export interface StateOptions {
  region: string;
  clock: Clock;
  createDelayMs: number;
  deleteDelayMs: number;
  /** Services per project (`Endpoint.1018` beyond). */
  quota: number;
  /** Decides, when a create completes, whether it ends `failed`. */
  decideFailure: () => boolean;
  /** Shape of a failed service's `error[]` entries (see {@link FailedErrorShape}). */
  failedErrorShape: FailedErrorShape;
  inventory?: Inventory;
  /** Services per backend port (`EndPoint.3056` beyond); 0 = no cap. */
  maxServicesPerPort: number;
  /** Looser reading: updates allowed in any state but `deleting` (strict: only `available`). */
  lenient: boolean;
  /** Huawei-operated services (listed publicly, connectable by anyone without approval). */
  publicServices: readonly PublicService[];
  /** Suffix of endpoints' private domain names. */
  dnsDomain: string;
  /** Decides, when an endpoint's create completes, whether it ends `failed`. */
  decideEndpointFailure: () => boolean;
}

/** Statuses of connections that count as live: they block deletion. */
const LIVE_CONNECTION = ['creating', 'pendingAcceptance', 'accepted'];

/** The store. One instance per simulator; projects are created on first use. */
export class SimState {
  private readonly services = new Map<string, StoredService>();
  private readonly pools = new Map<string, string>();
  private readonly portVpc = new Map<string, string>();
  private seq = 0;
  private marker = 100_000;
  /** Subnets, address pools and route tables of the consumer side. */
  readonly network: SimNetwork;
  /** The consumer side: endpoints, each driving a connection of this store's services. */
  readonly endpoints: EndpointStore;

  constructor(readonly opts: StateOptions) {
    this.network = new SimNetwork(opts.inventory);
    this.endpoints = new EndpointStore({
      clock: opts.clock,
      region: opts.region,
      createDelayMs: opts.createDelayMs,
      deleteDelayMs: opts.deleteDelayMs,
      dnsDomain: opts.dnsDomain,
      network: this.network,
      knownVpc: (vpcId) => !opts.inventory || opts.inventory.vpcs.some((v) => v.id === vpcId),
      publicServices: opts.publicServices,
      service: (id) => this.services.get(id),
      fullName: (svc) => this.fullName(svc),
      admits: (svc, domainId) => this.admits(svc, domainId),
      nextMarker: () => this.marker++,
      decideFailure: opts.decideEndpointFailure,
    });
  }

  /** Full service name: `{region}.{name}.{id}`, or `{region}.{id}` without a name. */
  fullName(svc: StoredService): string {
    return svc.name ? `${this.opts.region}.${svc.name}.${svc.id}` : `${this.opts.region}.${svc.id}`;
  }

  /** Every stored service, optionally of one project, in creation order. */
  all(projectId?: string): StoredService[] {
    return [...this.services.values()].filter((s) => projectId === undefined || s.projectId === projectId);
  }

  /** The service `id` of `projectId`, else 404 `EndPoint.0005`. */
  find(projectId: string, id: string): StoredService {
    const svc = this.services.get(id);
    if (!svc || svc.projectId !== projectId) throw notFound();
    return svc;
  }

  /** The service `id` in any project (test controls), else 404 `EndPoint.0005`. */
  findAny(id: string): StoredService {
    const svc = this.services.get(id);
    if (!svc) throw notFound();
    return svc;
  }

  private portType(portId: string): string | undefined {
    for (const vpc of this.opts.inventory?.vpcs ?? [])
      for (const p of vpc.ports) if (typeof p !== 'string' && p.id === portId) return p.lbType;
    return undefined;
  }

  /** Checks a backend (VPC, port, per-port cap, cross-service mapping conflicts); `self` is excluded. */
  private checkBackend(portId: string, vpcId: string, ports: PortMapping[], self?: StoredService): void {
    const inv = this.opts.inventory;
    if (inv) {
      const vpc = inv.vpcs.find((v) => v.id === vpcId);
      if (!vpc) throw vpcepError('EndPoint.2001');
      const owner = inv.vpcs.find((v) => v.ports.some((p) => (typeof p === 'string' ? p : p.id) === portId));
      if (!owner) throw vpcepError('EndPoint.3008');
      if (owner.id !== vpcId) throw vpcepError('EndPoint.3042');
    } else {
      const bound = this.portVpc.get(portId);
      if (bound !== undefined && bound !== vpcId)
        throw vpcepError('EndPoint.3042', `The port is in VPC ${bound}.`);
    }
    const sharing = [...this.services.values()].filter((s) => s.portId === portId && s !== self);
    const cap = this.opts.maxServicesPerPort;
    if (cap > 0 && sharing.length >= cap) throw vpcepError('EndPoint.3056');
    for (const other of sharing)
      for (const m of ports)
        if (other.ports.some((o) => o.server_port === m.server_port && o.protocol === m.protocol))
          throw vpcepError(
            'EndPoint.3044',
            `server_port ${m.server_port}/${m.protocol} is used by service ${other.id}.`,
          );
  }

  /** Stores a new service as `creating` and schedules its completion. Refuses over quota (`Endpoint.1018`). */
  create(projectId: string, domainId: string, input: CreateInput): StoredService {
    if (this.all(projectId).length >= this.opts.quota) throw vpcepError('Endpoint.1018');
    this.checkBackend(input.portId, input.vpcId, input.ports);
    if (!this.opts.inventory) this.portVpc.set(input.portId, input.vpcId);
    let poolId = this.pools.get(projectId);
    if (!poolId) this.pools.set(projectId, (poolId = randomUUID()));
    const now = this.opts.clock.now();
    const svc: StoredService = {
      id: randomUUID(),
      projectId,
      domainId,
      seq: this.seq++,
      portId: input.portId,
      vpcId: input.vpcId,
      poolId,
      name: input.name,
      serverType: input.serverType,
      serviceType: input.serviceType,
      approvalEnabled: input.approvalEnabled,
      ports: input.ports,
      tcpProxy: input.tcpProxy,
      tags: input.tags,
      enablePolicy: input.enablePolicy,
      status: 'creating',
      createdMs: now,
      updatedMs: now,
      permissions: [],
      connections: [],
    };
    if (input.description !== undefined) svc.description = input.description;
    this.services.set(svc.id, svc);
    svc.timer = this.opts.clock.setTimer(() => this.completeCreate(svc), this.opts.createDelayMs);
    return svc;
  }

  private completeCreate(svc: StoredService): void {
    svc.timer = undefined;
    if (svc.status !== 'creating' || this.services.get(svc.id) !== svc) return;
    svc.updatedMs = this.opts.clock.now();
    if (this.opts.decideFailure()) {
      svc.status = 'failed';
      svc.error = [failedCreateError(this.opts.failedErrorShape)];
    } else svc.status = 'available';
  }

  /** Services of a project matching the list filters, sorted and paged; `total` counts before paging. */
  list(
    projectId: string,
    filter: { name?: string; id?: string; status?: string; serverType?: string },
    paging: Paging,
  ): { page: StoredService[]; total: number } {
    const matched = this.all(projectId).filter(
      (s) =>
        (filter.name === undefined || this.fullName(s).toLowerCase().includes(filter.name.toLowerCase())) &&
        (filter.id === undefined || s.id === filter.id) &&
        (filter.status === undefined || s.status === filter.status) &&
        (filter.serverType === undefined || s.serverType === filter.serverType),
    );
    return {
      page: sortPage(matched, paging, (s) => [s.createdMs, s.updatedMs, s.seq]),
      total: matched.length,
    };
  }

  private requireAvailable(svc: StoredService): void {
    if (this.opts.lenient ? svc.status === 'deleting' : svc.status !== 'available')
      throw vpcepError(
        'EndPoint.3045',
        `The endpoint service is ${svc.status}; it can be modified only when available.`,
      );
  }

  /**
   * Applies an update synchronously (only while `available`, `EndPoint.3045`), re-running the backend
   * rules when `port_id` or `ports` change; bumps `updated_at`. Immutable fields are ignored unless
   * `rejectImmutable`, which refuses a change to them with `EndPoint.0002`.
   */
  update(projectId: string, id: string, input: UpdateInput, rejectImmutable: boolean): StoredService {
    const svc = this.find(projectId, id);
    this.requireAvailable(svc);
    if (rejectImmutable) {
      const current: Record<string, unknown> = {
        vpc_id: svc.vpcId,
        server_type: svc.serverType,
        enable_policy: svc.enablePolicy,
        service_type: svc.serviceType,
        pool_id: svc.poolId,
      };
      for (const [k, v] of Object.entries(input.immutable))
        if (current[k] !== v) throw paramError(`${k} cannot be modified.`);
    }
    const portId = input.portId ?? svc.portId;
    const ports = input.ports ?? svc.ports;
    if (input.portId !== undefined || input.ports !== undefined) {
      this.checkBackend(portId, svc.vpcId, ports, svc);
      if (
        input.portId !== undefined &&
        svc.serverType === 'LB' &&
        this.portType(portId) !== this.portType(svc.portId)
      )
        throw vpcepError('EndPoint.3054', 'An LB port can only move to a port of the same LB type.');
    }
    if (input.portId !== undefined && !this.opts.inventory) this.portVpc.set(portId, svc.vpcId);
    svc.portId = portId;
    svc.ports = ports;
    if (input.approvalEnabled !== undefined) svc.approvalEnabled = input.approvalEnabled;
    if (input.name !== undefined) svc.name = input.name;
    if (input.tcpProxy !== undefined) svc.tcpProxy = input.tcpProxy;
    if (input.description !== undefined) {
      if (input.description === '') delete svc.description;
      else svc.description = input.description;
    }
    if (input.ip !== undefined) svc.ip = input.ip;
    if (input.vipPortId !== undefined) svc.vipPortId = input.vipPortId;
    svc.updatedMs = this.opts.clock.now();
    return svc;
  }

  /** Renames (only while `available`); returns the service with its new full name. */
  rename(projectId: string, id: string, name: string): StoredService {
    const svc = this.find(projectId, id);
    this.requireAvailable(svc);
    svc.name = name;
    svc.updatedMs = this.opts.clock.now();
    return svc;
  }

  /**
   * Starts an asynchronous delete: refuses (changing nothing) while a connection is `creating`,
   * `pendingAcceptance` or `accepted` (`EndPoint.3006`); otherwise marks the service `deleting` and
   * removes it after the delete delay. Deleting a service already `deleting` is a no-op success.
   */
  delete(projectId: string, id: string): void {
    const svc = this.find(projectId, id);
    if (svc.status === 'deleting') return;
    if (svc.connections.some((c) => LIVE_CONNECTION.includes(c.status)))
      throw vpcepError('EndPoint.3006', 'Reject or remove its connections first.');
    svc.timer?.cancel();
    svc.status = 'deleting';
    svc.updatedMs = this.opts.clock.now();
    svc.timer = this.opts.clock.setTimer(() => {
      if (this.services.get(svc.id) === svc) this.services.delete(svc.id);
    }, this.opts.deleteDelayMs);
  }

  /** Removes a service at once, as if deleted behind the operator's back. */
  remove(id: string): void {
    const svc = this.findAny(id);
    svc.timer?.cancel();
    this.services.delete(id);
  }

  /** Number of services in a project (quota `used`). */
  used(projectId: string): number {
    return this.all(projectId).length;
  }

  /** Live connections (`creating` or `accepted`): the API's `connection_count`. */
  connectionCount(svc: StoredService): number {
    return svc.connections.filter((c) => c.status === 'creating' || c.status === 'accepted').length;
  }

  /** True if `domainId` may connect: the owner, or whitelisted by `iam:domain::<id>` or `iam:domain::*`. */
  admits(svc: StoredService, domainId: string): boolean {
    return (
      domainId === svc.domainId ||
      svc.permissions.some(
        (p) => p.permission === `iam:domain::${domainId}` || p.permission === 'iam:domain::*',
      )
    );
  }

  /**
   * A consumer endpoint connects (test control): the service must be `available` (`EndPoint.2004`) and
   * the domain whitelisted (`EndPoint.2012`). The connection is `pendingAcceptance` when approval is on,
   * else `accepted`, unless `status` forces another.
   */
  addConnection(
    serviceId: string,
    c: { domainId: string; endpointId?: string; markerId?: number; status?: string; description?: string },
  ): StoredConnection {
    const svc = this.findAny(serviceId);
    if (svc.status !== 'available') throw vpcepError('EndPoint.2004');
    if (!this.admits(svc, c.domainId)) throw vpcepError('EndPoint.2012');
    const now = this.opts.clock.now();
    const conn: StoredConnection = {
      id: c.endpointId ?? randomUUID(),
      markerId: c.markerId ?? this.marker++,
      domainId: c.domainId,
      status: c.status ?? (svc.approvalEnabled ? 'pendingAcceptance' : 'accepted'),
      createdMs: now,
      updatedMs: now,
    };
    if (c.description !== undefined) conn.description = c.description;
    if (conn.status === 'accepted') conn.acceptedOnce = true;
    if (svc.connections.some((x) => x.id === conn.id))
      throw paramError(`Endpoint ${conn.id} is already connected.`);
    svc.connections.push(conn);
    return conn;
  }

  /**
   * The consumer deletes its endpoint (test control): the connection disappears, and so does the
   * endpoint behind it when there is one (as if its delete had completed).
   */
  removeConnection(serviceId: string, endpointId: string): void {
    const svc = this.findAny(serviceId);
    const i = svc.connections.findIndex((c) => c.id === endpointId);
    const conn = svc.connections[i];
    if (i < 0 || !conn) throw notFound();
    const ep = this.endpoints.byConnection(conn);
    if (ep) this.endpoints.remove(ep);
    else svc.connections.splice(i, 1);
  }

  /**
   * Accepts (`receive`) or rejects one connection: `EndPoint.2013` for an endpoint of another service,
   * `EndPoint.2019`/`2018` for one still being created/deleted. Takes effect at once.
   */
  connectionAction(
    projectId: string,
    id: string,
    action: 'receive' | 'reject',
    endpointId: string,
  ): StoredConnection {
    const svc = this.find(projectId, id);
    const conn = svc.connections.find((c) => c.id === endpointId);
    if (!conn) throw vpcepError('EndPoint.2013');
    if (conn.status === 'creating') throw vpcepError('EndPoint.2019');
    if (conn.status === 'deleting') throw vpcepError('EndPoint.2018');
    conn.status = action === 'receive' ? 'accepted' : 'rejected';
    if (conn.status === 'accepted') conn.acceptedOnce = true;
    conn.updatedMs = this.opts.clock.now();
    return conn;
  }

  /** Clears every service, endpoint and binding (and cancels pending transitions). */
  reset(): void {
    for (const s of this.services.values()) s.timer?.cancel();
    this.services.clear();
    this.portVpc.clear();
    this.pools.clear();
    this.endpoints.reset();
    this.network.reset();
  }
}
