/**
 * Test controls: the programmatic {@link SimulatorControls} and the same operations over HTTP under
 * `/_sim/` (loopback clients only, no signature).
 *
 * | HTTP | control |
 * |---|---|
 * | `GET /_sim/counters`, `DELETE /_sim/counters` | `counters()`, `resetCounters()` |
 * | `GET /_sim/throttled` | `throttled()` |
 * | `GET` / `POST` / `DELETE /_sim/faults` | `faults()`, `setFaults(f)`, `clearFaults()` |
 * | `GET` / `POST /_sim/throttle` `{qps?, mode?}` | `throttle()`, `setThrottle(t)` |
 * | `POST /_sim/reset` | `reset()` |
 * | `GET /_sim/services[?project_id=]` | `services(projectId?)` |
 * | `PATCH /_sim/services/{id}` | `mutateService(id, patch)` |
 * | `DELETE /_sim/services/{id}` | `removeService(id)` |
 * | `POST /_sim/services/{id}/connections` `{domainId, endpointId?, markerId?, status?, description?}` | `addConnection(id, c)` |
 * | `DELETE /_sim/services/{id}/connections/{endpointId}` | `removeConnection(id, endpointId)` |
 * | `GET /_sim/endpoints[?project_id=]` | `endpoints(projectId?)` |
 * | `PATCH /_sim/endpoints/{id}` `{status?, error?}` | `mutateEndpoint(id, patch)` |
 * | `POST /_sim/endpoints/{id}/complete` | `completeEndpoint(id)` (200 with the endpoint, 204 once gone) |
 * | `DELETE /_sim/endpoints/{id}` | `removeEndpoint(id)` |
 */
import { randomUUID } from 'node:crypto';
import type {
  CloudErrorItem,
  Connection,
  EndpointService,
  Permission,
  PortMapping,
  ServiceErrorItem,
  Tag,
  VpcEndpoint,
} from '../cloud/wire.js';
import { renderEndpoint } from './endpoint-render.js';
import { apiNotFound, paramError } from './errors.js';
import { parseFaults, type FaultEngine, type Faults, type Throttle } from './faults.js';
import { renderConnection, renderPermission, renderService } from './render.js';
import type { SimState } from './state.js';

/** A change made behind the operator's back (drift); fields are written as given, unvalidated. */
export interface ServicePatch {
  status?: string;
  /** Entries in either shape (`{code, message}` or `{error_code, error_message}`); `null` removes it. */
  error?: ServiceErrorItem[] | null;
  approval_enabled?: boolean;
  ports?: PortMapping[];
  /** `null` removes the description. */
  description?: string | null;
  tcp_proxy?: string;
  tags?: Tag[];
  /** The short name (`""` for none). */
  service_name?: string;
  port_id?: string;
}

/** A consumer endpoint connecting to a service. */
export interface ConnectionRequest {
  /** The consumer's account (domain) id: must be the owner's or whitelisted (else `EndPoint.2012`). */
  domainId: string;
  /** Endpoint id (default: a fresh UUID). */
  endpointId?: string;
  markerId?: number;
  /** Force a status instead of `pendingAcceptance`/`accepted` (e.g. `creating`). */
  status?: string;
  description?: string;
}

/** Drift of an endpoint (and so of its connection); fields are written as given, unvalidated. */
export interface EndpointPatch {
  /** The endpoint's and its connection's status (cancels a pending create or delete). */
  status?: string;
  /** The connection's `error[]` (shown while `failed`); `null` removes it. */
  error?: CloudErrorItem[] | null;
}

/** Test controls of a running simulator. All take effect at once. */
export interface SimulatorControls {
  /** Replaces the fault set (see {@link Faults}). */
  setFaults(f: Faults): void;
  /** The fault set in force, with remaining counts. */
  faults(): Faults;
  /** Removes every fault. */
  clearFaults(): void;
  /** Changes the per-operation QPS limit (0 = off) and/or the refusal mode. */
  setThrottle(t: Partial<Throttle>): void;
  /** The throttle in force. */
  throttle(): Throttle;
  /** Calls received per operation name (every routed call, whatever its outcome). */
  counters(): Record<string, number>;
  /** Calls refused by throttling per operation name. */
  throttled(): Record<string, number>;
  /** Zeroes call and throttle counters. */
  resetCounters(): void;
  /** Forgets every service, binding, fault and counter; restores the startup throttle. */
  reset(): void;
  /** A consumer endpoint connects to service `serviceId` (any project). */
  addConnection(serviceId: string, c: ConnectionRequest): Connection;
  /** The consumer deletes its endpoint: the connection vanishes. */
  removeConnection(serviceId: string, endpointId: string): void;
  /** Drift: changes a service (any project) as the console would; bumps `updated_at`. */
  mutateService(id: string, patch: ServicePatch): EndpointService;
  /** The stored services (list view), optionally of one project. */
  services(projectId?: string): EndpointService[];
  /** Deletes a service at once, without passing through `deleting`. */
  removeService(id: string): void;
  /** Every connection of every service (any project), with its service's id. */
  allConnections(): Array<Connection & { serviceId: string }>;
  /** The whitelist of a service (any project), as the API lists it. */
  permissions(serviceId: string): Permission[];
  /** A hand-made whitelist entry (as the console would add it), e.g. `iam:domain::<id>`. */
  addPermission(serviceId: string, p: { permission: string; description?: string }): Permission;
  /** The account (domain) id of the simulator's first project: the owner of its services. */
  domainId(): string;
  /** The stored endpoints (detail view), optionally of one project, in creation order. */
  endpoints(projectId?: string): VpcEndpoint[];
  /** Drift: changes an endpoint's status (any project), as the cloud might; bumps `updated_at`. */
  mutateEndpoint(id: string, patch: EndpointPatch): VpcEndpoint;
  /**
   * Runs an endpoint's pending transition now instead of after its delay: a `creating` one becomes
   * `pendingAcceptance`/`accepted`/`failed` as its create delay would make it, a `deleting` one is
   * removed (undefined is returned). Otherwise nothing changes.
   */
  completeEndpoint(id: string): VpcEndpoint | undefined;
  /** Deletes an endpoint at once (with its connection and address), without passing through `deleting`. */
  removeEndpoint(id: string): void;
}

/** Everything the controls act on. */
export interface ControlDeps {
  state: SimState;
  faults: FaultEngine;
  counters: Map<string, number>;
  initialThrottle: Throttle;
  /** The account of the simulator's first project. */
  ownerDomainId: string;
}

/** Builds the programmatic controls. */
export function createControls(d: ControlDeps): SimulatorControls {
  const { state, faults } = d;
  return {
    setFaults: (f) => faults.set(parseFaults(f)),
    faults: () => faults.get(),
    clearFaults: () => faults.set({}),
    setThrottle: (t) => faults.setThrottle(t),
    throttle: () => faults.getThrottle(),
    counters: () => Object.fromEntries(d.counters),
    throttled: () => faults.throttled(),
    resetCounters: () => {
      d.counters.clear();
      faults.resetCounters();
    },
    reset: () => {
      state.reset();
      faults.set({});
      faults.setThrottle(d.initialThrottle);
      d.counters.clear();
      faults.resetCounters();
    },
    addConnection: (id, c) => renderConnection(state.addConnection(id, c)),
    permissions: (id) => state.findAny(id).permissions.map(renderPermission),
    allConnections: () =>
      state
        .all()
        .flatMap((svc) => svc.connections.map((c) => ({ ...renderConnection(c), serviceId: svc.id }))),
    addPermission: (id, p) => {
      const svc = state.findAny(id);
      const stored = {
        id: randomUUID(),
        permission: p.permission,
        type: p.permission.startsWith('organizations:') ? ('orgPath' as const) : ('domainId' as const),
        createdMs: state.opts.clock.now(),
        ...(p.description !== undefined ? { description: p.description } : {}),
      };
      svc.permissions.push(stored);
      return renderPermission(stored);
    },
    domainId: () => d.ownerDomainId,
    removeConnection: (id, endpointId) => state.removeConnection(id, endpointId),
    mutateService: (id, patch) => {
      const svc = state.findAny(id);
      if (patch.status !== undefined) {
        svc.timer?.cancel();
        svc.timer = undefined;
        svc.status = patch.status;
      }
      if (patch.error === null) delete svc.error;
      else if (patch.error !== undefined) svc.error = patch.error;
      if (patch.approval_enabled !== undefined) svc.approvalEnabled = patch.approval_enabled;
      if (patch.ports !== undefined) svc.ports = patch.ports.map((p) => ({ ...p }));
      if (patch.description === null) delete svc.description;
      else if (patch.description !== undefined) svc.description = patch.description;
      if (patch.tcp_proxy !== undefined) svc.tcpProxy = patch.tcp_proxy;
      if (patch.tags !== undefined) svc.tags = patch.tags.map((t) => ({ ...t }));
      if (patch.service_name !== undefined) svc.name = patch.service_name;
      if (patch.port_id !== undefined) svc.portId = patch.port_id;
      svc.updatedMs = state.opts.clock.now();
      return renderService(state, svc, 'list');
    },
    services: (projectId) => state.all(projectId).map((s) => renderService(state, s, 'list')),
    removeService: (id) => state.remove(id),
    endpoints: (projectId) =>
      state.endpoints.all(projectId).map((e) => renderEndpoint(state.endpoints, e, 'get')),
    mutateEndpoint: (id, patch) => {
      const ep = state.endpoints.findAny(id);
      const c = ep.connection;
      if (patch.status !== undefined) {
        ep.timer?.cancel();
        ep.timer = undefined;
        c.status = patch.status;
        if (c.status === 'accepted') c.acceptedOnce = true;
      }
      if (patch.error === null) delete c.error;
      else if (patch.error !== undefined) c.error = patch.error.map((e) => ({ ...e }));
      c.updatedMs = state.opts.clock.now();
      return renderEndpoint(state.endpoints, ep, 'get');
    },
    completeEndpoint: (id) =>
      state.endpoints.complete(id)
        ? renderEndpoint(state.endpoints, state.endpoints.findAny(id), 'get')
        : undefined,
    removeEndpoint: (id) => state.endpoints.remove(state.endpoints.findAny(id)),
  };
}

function obj(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw paramError('The body must be a JSON object.');
  return body as Record<string, unknown>;
}

function parseConnection(body: unknown): ConnectionRequest {
  const o = obj(body);
  if (typeof o.domainId !== 'string' || o.domainId === '') throw paramError('domainId is required.');
  const c: ConnectionRequest = { domainId: o.domainId };
  if (typeof o.endpointId === 'string') c.endpointId = o.endpointId;
  if (typeof o.markerId === 'number') c.markerId = o.markerId;
  if (typeof o.status === 'string') c.status = o.status;
  if (typeof o.description === 'string') c.description = o.description;
  return c;
}

function parseEndpointPatch(body: unknown): EndpointPatch {
  const o = obj(body);
  const p: EndpointPatch = {};
  if (o.status !== undefined) {
    if (typeof o.status !== 'string' || o.status === '') throw paramError('status must be a string.');
    p.status = o.status;
  }
  if (o.error === null) p.error = null;
  else if (o.error !== undefined) {
    if (!Array.isArray(o.error)) throw paramError('error must be an array or null.');
    p.error = o.error as CloudErrorItem[];
  }
  return p;
}

/** The result of a control route: a status and an optional JSON body. */
export interface ControlResult {
  status: number;
  body?: unknown;
}

/**
 * Serves one `/_sim/` request (the caller has checked it came from loopback). Throws `SimError` for
 * a bad body or an unknown service, 404 `APIGW.0101` for an unknown control.
 */
export function handleControl(
  c: SimulatorControls,
  method: string,
  path: string,
  query: URLSearchParams,
  body: unknown,
): ControlResult {
  const parts = path
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  // parts[0] === '_sim'
  const [, what, id, sub, subId] = parts;
  const key = `${method} ${what ?? ''}${id !== undefined ? '/:id' : ''}${sub !== undefined ? `/${sub}` : ''}${subId !== undefined ? '/:sub' : ''}`;
  switch (key) {
    case 'GET counters':
      return { status: 200, body: c.counters() };
    case 'DELETE counters':
      c.resetCounters();
      return { status: 204 };
    case 'GET throttled':
      return { status: 200, body: c.throttled() };
    case 'GET faults':
      return { status: 200, body: c.faults() };
    case 'POST faults':
      c.setFaults(parseFaults(body));
      return { status: 200, body: c.faults() };
    case 'DELETE faults':
      c.clearFaults();
      return { status: 204 };
    case 'GET throttle':
      return { status: 200, body: c.throttle() };
    case 'POST throttle': {
      const o = obj(body);
      const t: Partial<Throttle> = {};
      if (o.qps !== undefined) {
        if (typeof o.qps !== 'number' || o.qps < 0) throw paramError('qps must be a number >= 0.');
        t.qps = o.qps;
      }
      if (o.mode !== undefined) {
        if (o.mode !== '429' && o.mode !== '0022') throw paramError('mode must be 429 or 0022.');
        t.mode = o.mode;
      }
      if (o.scope !== undefined) {
        if (o.scope !== 'operation' && o.scope !== 'total')
          throw paramError('scope must be operation or total.');
        t.scope = o.scope;
      }
      c.setThrottle(t);
      return { status: 200, body: c.throttle() };
    }
    case 'POST reset':
      c.reset();
      return { status: 204 };
    case 'GET services':
      return { status: 200, body: { services: c.services(query.get('project_id') ?? undefined) } };
    case 'PATCH services/:id':
      return { status: 200, body: c.mutateService(id ?? '', obj(body) as ServicePatch) };
    case 'DELETE services/:id':
      c.removeService(id ?? '');
      return { status: 204 };
    case 'POST services/:id/connections':
      return { status: 200, body: c.addConnection(id ?? '', parseConnection(body)) };
    case 'DELETE services/:id/connections/:sub':
      c.removeConnection(id ?? '', subId ?? '');
      return { status: 204 };
    case 'GET endpoints':
      return { status: 200, body: { endpoints: c.endpoints(query.get('project_id') ?? undefined) } };
    case 'PATCH endpoints/:id':
      return { status: 200, body: c.mutateEndpoint(id ?? '', parseEndpointPatch(body)) };
    case 'POST endpoints/:id/complete': {
      const ep = c.completeEndpoint(id ?? '');
      return ep ? { status: 200, body: ep } : { status: 204 };
    }
    case 'DELETE endpoints/:id':
      c.removeEndpoint(id ?? '');
      return { status: 204 };
    default:
      throw apiNotFound();
  }
}

/** True for loopback peer addresses (IPv4 127/8, `::1`, and IPv4-mapped 127/8). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}
