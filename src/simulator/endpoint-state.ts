/**
 * The consumer side's store: VPC endpoints per project, and the connection each one drives on its
 * service.
 *
 * An endpoint's connection is the very object in its service's `connections` (the one
 * `GET …/connections` lists and `connections/action` moves), so the endpoint's `status` is its
 * connection's: `creating` until the create delay has passed, then `pendingAcceptance` (approval on)
 * or `accepted` (approval off, or a Huawei-operated service), or `failed`; `receive`/`reject` on the
 * service side move it to `accepted`/`rejected`; delete turns it `deleting` and, after the delete
 * delay, removes the endpoint and the connection and frees the address. Everything is synchronous but
 * the two timed transitions (on the injected clock).
 */
import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { PolicyStatement, Tag } from '../cloud/wire.js';
import { endpointQuotaError, notFound, paramError, vpcepError } from './errors.js';
import type {
  EndpointCreateInput,
  EndpointPolicyInput,
  EndpointWhitelistInput,
} from './endpoint-validation.js';
import type { SimNetwork } from './network.js';
import type { PublicService } from './public-services.js';
import type { StoredConnection, StoredService } from './stored.js';

/** A VPC endpoint as stored (rendered to the wire by `endpoint-render.ts`). */
export interface StoredEndpoint {
  id: string;
  projectId: string;
  /** The consumer's account. */
  domainId: string;
  seq: number;
  serviceId: string;
  serviceType: 'interface' | 'gateway';
  /** Full name of the service at create time (used once the service is gone). */
  serviceName: string;
  vpcId: string;
  subnetId?: string;
  /** Reserved in the subnet from create to removal (interface services). */
  ip?: string;
  enableDns: boolean;
  /** The private domain name (interface services with `enable_dns`), fixed at create. */
  dnsName?: string;
  enableWhitelist: boolean;
  whitelist: string[];
  routeTables?: string[];
  description?: string;
  tags: Tag[];
  policyStatement?: PolicyStatement[];
  policyDocument?: Record<string, unknown>;
  /** Carries the status; for a user service it is also in the service's `connections`. */
  connection: StoredConnection;
  createdMs: number;
  updatedMs: number;
  timer?: TimerHandle;
}

/** What the endpoint store needs of the rest of the simulator. */
export interface EndpointEnv {
  clock: Clock;
  region: string;
  createDelayMs: number;
  deleteDelayMs: number;
  /** Suffix of private domain names (see {@link EndpointStore.create}). */
  dnsDomain: string;
  network: SimNetwork;
  /** Known VPC ids when an inventory is set (unknown VPC: `EndPoint.2001`). */
  knownVpc: (vpcId: string) => boolean;
  publicServices: readonly PublicService[];
  /** A user service of any project, or undefined. */
  service: (id: string) => StoredService | undefined;
  fullName: (svc: StoredService) => string;
  admits: (svc: StoredService, domainId: string) => boolean;
  nextMarker: () => number;
  /** Decides, when a create completes, whether the endpoint ends `failed`. */
  decideFailure: () => boolean;
}

/** The service an endpoint connects to, resolved. */
interface Target {
  type: 'interface' | 'gateway';
  name: string;
  shortName: string;
  enablePolicy: boolean;
  approval: boolean;
  svc?: StoredService;
}

/** The `error[]` of an endpoint whose create failed (the connection's `QueryError` shape). */
export const FAILED_ENDPOINT_ERROR = {
  error_code: 'EndPoint.3001',
  error_message: 'Failed to create the port for the endpoint.',
} as const;

/** The store of every project's endpoints. */
export class EndpointStore {
  private readonly endpoints = new Map<string, StoredEndpoint>();
  private seq = 0;

  constructor(private readonly env: EndpointEnv) {}

  private target(serviceId: string): Target | undefined {
    const svc = this.env.service(serviceId);
    if (svc) {
      const name = this.env.fullName(svc);
      return {
        type: svc.serviceType === 'gateway' ? 'gateway' : 'interface',
        name,
        shortName: svc.name || svc.id,
        enablePolicy: svc.enablePolicy,
        approval: svc.approvalEnabled,
        svc,
      };
    }
    const p = this.env.publicServices.find((x) => x.id === serviceId);
    if (!p) return undefined;
    return {
      type: p.serviceType ?? 'interface',
      name: `${this.env.region}.${p.name}.${p.id}`,
      shortName: p.name,
      enablePolicy: p.enablePolicy ?? false,
      approval: false,
    };
  }

  /** The current full name and type of an endpoint's service (the create-time copy once it is gone). */
  serviceOf(ep: StoredEndpoint): { name: string; type: 'interface' | 'gateway' } {
    const t = this.target(ep.serviceId);
    return { name: t?.name ?? ep.serviceName, type: ep.serviceType };
  }

  /** Every endpoint, optionally of one project, in creation order. */
  all(projectId?: string): StoredEndpoint[] {
    return [...this.endpoints.values()].filter((e) => projectId === undefined || e.projectId === projectId);
  }

  /** The endpoint `id` of `projectId`, else 404 `EndPoint.0005`. */
  find(projectId: string, id: string): StoredEndpoint {
    const ep = this.endpoints.get(id);
    if (!ep || ep.projectId !== projectId) throw notFound();
    return ep;
  }

  /** The endpoint `id` of any project (test controls), else 404 `EndPoint.0005`. */
  findAny(id: string): StoredEndpoint {
    const ep = this.endpoints.get(id);
    if (!ep) throw notFound();
    return ep;
  }

  /** The endpoint that owns `connection`, if any (a test-control connection has none). */
  byConnection(connection: StoredConnection): StoredEndpoint | undefined {
    const ep = this.endpoints.get(connection.id);
    return ep?.connection === connection ? ep : undefined;
  }

  private checkPolicies(t: Target, statement: unknown, document: unknown): void {
    if (statement !== undefined && !(t.type === 'gateway' && t.enablePolicy))
      throw paramError('policy_statement is supported only for gateway services with enable_policy.');
    if (document !== undefined && !(t.type === 'interface' && t.enablePolicy))
      throw paramError('policy_document is supported only for interface services with enable_policy.');
  }

  /**
   * Creates an endpoint in `projectId` for the consumer account `domainId`, refusing (and changing
   * nothing) in this order: an unknown service (404 `EndPoint.0005`, the simulator's pick), a user
   * service not `available` (`EndPoint.2004`) or not admitting the account (`EndPoint.2012`), the
   * project's endpoint quota (`Endpoint.1018`), an unknown VPC (`EndPoint.2001`, with an inventory),
   * fields that do not fit the service's type (`EndPoint.0002`: interface needs `subnet_id` and takes no
   * route tables or `policy_statement`; gateway takes no `port_ip`, whitelist or `policy_document`;
   * policies need the service's `enable_policy`), the subnet (`EndPoint.4004`) and the address
   * (`EndPoint.0002` outside the subnet, `EndPoint.3046` taken). The endpoint starts `creating`, with
   * its connection (same id, next marker id) on a user service; DNS names are
   * `{endpoint id}.{service short name, else service id}.{region}.{dnsDomain}`, lower-case.
   */
  create(projectId: string, domainId: string, quota: number, input: EndpointCreateInput): StoredEndpoint {
    const t = this.target(input.serviceId);
    if (!t) throw vpcepError('EndPoint.0005', `The endpoint service ${input.serviceId} does not exist.`);
    if (t.svc && t.svc.status !== 'available')
      throw vpcepError('EndPoint.2004', `The endpoint service is ${t.svc.status}.`);
    if (t.svc && !this.env.admits(t.svc, domainId)) throw vpcepError('EndPoint.2012');
    if (this.all(projectId).length >= quota) throw endpointQuotaError(quota);
    if (!this.env.knownVpc(input.vpcId)) throw vpcepError('EndPoint.2001');
    if (t.type === 'interface') {
      if (input.subnetId === undefined) throw paramError('subnet_id is required for an interface service.');
      if (input.routeTables !== undefined) throw paramError('routetables apply to gateway services only.');
    } else {
      if (input.portIp !== undefined) throw paramError('port_ip applies to interface services only.');
      if (input.whitelistGiven || input.enableWhitelist)
        throw paramError('whitelist and enable_whitelist apply to interface services only.');
    }
    this.checkPolicies(t, input.policyStatement, input.policyDocument);
    const id = randomUUID();
    const routeTables =
      t.type === 'gateway' ? this.env.network.routeTables(input.vpcId, input.routeTables) : undefined;
    const subnetId = t.type === 'interface' ? input.subnetId : undefined;
    const ip =
      subnetId !== undefined ? this.env.network.allocate(input.vpcId, subnetId, input.portIp) : undefined;
    const now = this.env.clock.now();
    const connection: StoredConnection = {
      id,
      markerId: this.env.nextMarker(),
      domainId,
      status: 'creating',
      createdMs: now,
      updatedMs: now,
    };
    const ep: StoredEndpoint = {
      id,
      projectId,
      domainId,
      seq: this.seq++,
      serviceId: input.serviceId,
      serviceType: t.type,
      serviceName: t.name,
      vpcId: input.vpcId,
      enableDns: input.enableDns,
      enableWhitelist: input.enableWhitelist,
      whitelist: input.whitelist,
      tags: input.tags,
      connection,
      createdMs: now,
      updatedMs: now,
    };
    if (subnetId !== undefined) ep.subnetId = subnetId;
    if (ip !== undefined) ep.ip = ip;
    if (routeTables !== undefined) ep.routeTables = routeTables;
    if (input.enableDns && t.type === 'interface')
      ep.dnsName = `${id}.${t.shortName}.${this.env.region}.${this.env.dnsDomain}`.toLowerCase();
    if (input.description !== undefined) ep.description = input.description;
    if (input.policyStatement !== undefined) ep.policyStatement = input.policyStatement;
    if (input.policyDocument !== undefined) ep.policyDocument = input.policyDocument;
    t.svc?.connections.push(connection);
    this.endpoints.set(id, ep);
    ep.timer = this.env.clock.setTimer(() => this.completeCreate(ep), this.env.createDelayMs);
    return ep;
  }

  /** Ends `creating`: `failed` (fault), else `pendingAcceptance` when the service asks for approval, else `accepted`. */
  private completeCreate(ep: StoredEndpoint): void {
    ep.timer = undefined;
    const c = ep.connection;
    if (c.status !== 'creating' || this.endpoints.get(ep.id) !== ep) return;
    c.updatedMs = this.env.clock.now();
    if (this.env.decideFailure()) {
      c.status = 'failed';
      c.error = [{ ...FAILED_ENDPOINT_ERROR }];
      return;
    }
    const t = this.target(ep.serviceId);
    c.status = t?.approval ? 'pendingAcceptance' : 'accepted';
    if (c.status === 'accepted') c.acceptedOnce = true;
  }

  private requireSettled(ep: StoredEndpoint): void {
    if (ep.connection.status === 'creating') throw vpcepError('EndPoint.2019');
    if (ep.connection.status === 'deleting') throw vpcepError('EndPoint.2018');
  }

  /** Replaces the whitelist and/or its switch (interface endpoints; not while creating/deleting: 2019/2018). */
  updateWhitelist(projectId: string, id: string, input: EndpointWhitelistInput): StoredEndpoint {
    const ep = this.find(projectId, id);
    this.requireSettled(ep);
    if (ep.serviceType !== 'interface') throw paramError('A gateway endpoint has no whitelist.');
    if (input.whitelist !== undefined) ep.whitelist = input.whitelist;
    if (input.enableWhitelist !== undefined) ep.enableWhitelist = input.enableWhitelist;
    ep.updatedMs = this.env.clock.now();
    return ep;
  }

  /** Replaces the route tables (gateway endpoints only, `EndPoint.0002`); `[]` unbinds all. */
  updateRouteTables(projectId: string, id: string, routeTables: string[]): StoredEndpoint {
    const ep = this.find(projectId, id);
    this.requireSettled(ep);
    if (ep.serviceType !== 'gateway') throw paramError('routetables apply to gateway endpoints only.');
    ep.routeTables = this.env.network.routeTables(ep.vpcId, routeTables);
    ep.updatedMs = this.env.clock.now();
    return ep;
  }

  /** Sets the given policy parts (the create rules on which part fits which service). */
  updatePolicy(projectId: string, id: string, input: EndpointPolicyInput): StoredEndpoint {
    const ep = this.find(projectId, id);
    this.requireSettled(ep);
    const t = this.target(ep.serviceId) ?? {
      type: ep.serviceType,
      name: ep.serviceName,
      shortName: '',
      enablePolicy: false,
      approval: false,
    };
    this.checkPolicies(t, input.policyStatement, input.policyDocument);
    if (input.policyStatement !== undefined) ep.policyStatement = input.policyStatement;
    if (input.policyDocument !== undefined) ep.policyDocument = input.policyDocument;
    ep.updatedMs = this.env.clock.now();
    return ep;
  }

  /** Removes both policy parts (idempotent). */
  deletePolicy(projectId: string, id: string): StoredEndpoint {
    const ep = this.find(projectId, id);
    this.requireSettled(ep);
    delete ep.policyStatement;
    delete ep.policyDocument;
    ep.updatedMs = this.env.clock.now();
    return ep;
  }

  /**
   * Starts an asynchronous delete in any state: the endpoint and its connection turn `deleting`, and
   * after the delete delay both vanish and the address is freed. Already `deleting`: a no-op success.
   */
  delete(projectId: string, id: string): void {
    const ep = this.find(projectId, id);
    const c = ep.connection;
    if (c.status === 'deleting') return;
    ep.timer?.cancel();
    c.status = 'deleting';
    c.updatedMs = this.env.clock.now();
    ep.timer = this.env.clock.setTimer(() => this.remove(ep), this.env.deleteDelayMs);
  }

  /** Removes an endpoint at once: from the store, its connection from its service, its address from the pool. */
  remove(ep: StoredEndpoint): void {
    ep.timer?.cancel();
    ep.timer = undefined;
    if (this.endpoints.get(ep.id) !== ep) return;
    this.endpoints.delete(ep.id);
    const svc = this.env.service(ep.serviceId);
    if (svc) {
      const i = svc.connections.indexOf(ep.connection);
      if (i >= 0) svc.connections.splice(i, 1);
    }
    if (ep.subnetId !== undefined && ep.ip !== undefined) this.env.network.release(ep.subnetId, ep.ip);
  }

  /**
   * Runs the pending timed transition of an endpoint now (test control): a `creating` one completes as
   * after the create delay, a `deleting` one is removed. Returns false when it is gone afterwards.
   */
  complete(id: string): boolean {
    const ep = this.findAny(id);
    if (ep.connection.status === 'deleting') {
      this.remove(ep);
      return false;
    }
    if (ep.connection.status === 'creating') {
      ep.timer?.cancel();
      this.completeCreate(ep);
    }
    return true;
  }

  /** Cancels every pending transition and forgets every endpoint. */
  reset(): void {
    for (const ep of this.endpoints.values()) ep.timer?.cancel();
    this.endpoints.clear();
    this.seq = 0;
  }
}
