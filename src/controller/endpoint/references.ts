/**
 * Which `VpcEndpoint` connects to which `VpcEndpointService` in this cluster, kept from both kinds'
 * own informer events (no extra watch): so an endpoint's change enqueues the service it connects to
 * (whose `acceptInCluster` rule then accepts it at once), a service's change enqueues its endpoints
 * (which see `accepted`, or the id they wait for, at once), and the in-cluster rule finds the
 * `VpcEndpoint` of a connection by its cloud id.
 *
 * Guarantees: after every event of both kinds has been observed, the answers reflect the latest
 * seen object of each key (a changed reference moves, a deleted object leaves); memory is
 * proportional to the objects.
 */
import type { VpcEndpoint, VpcEndpointService } from '../../api/types.js';
import { isCloudId } from '../../cloud/ids.js';
import type { InformerEvent } from '../../runtime/informer-supervisor.js';
import type { InClusterEndpoint } from '../endpoint-service/connections.js';
import { serviceRefKey } from './service-ref.js';

/** A multimap of string to keys. */
class Multi {
  private readonly m = new Map<string, Set<string>>();
  add(k: string, v: string): void {
    let s = this.m.get(k);
    if (!s) this.m.set(k, (s = new Set()));
    s.add(v);
  }
  delete(k: string, v: string): void {
    const s = this.m.get(k);
    s?.delete(v);
    if (s?.size === 0) this.m.delete(k);
  }
  get(k: string): string[] {
    return [...(this.m.get(k) ?? [])];
  }
}

interface EndpointEntry {
  /** `status.id:status.status`, for the services' {@link ConnectionReferences.serviceVersion}. */
  state: string;
  ref?: string;
  serviceId?: string;
  endpointId?: string;
  view: InClusterEndpoint;
}

/** See the module doc. */
export class ConnectionReferences {
  private readonly endpoints = new Map<string, EndpointEntry>();
  private readonly byRef = new Multi();
  private readonly byServiceId = new Multi();
  private readonly byEndpointId = new Map<string, InClusterEndpoint>();
  private readonly servicesById = new Map<string, string>();
  private readonly services = new Map<string, VpcEndpointService>();

  /** Updates the index from one event of the `VpcEndpoint` `key`. */
  observeEndpoint(key: string, ep: VpcEndpoint, event: InformerEvent): void {
    const before = this.endpoints.get(key);
    if (before) {
      if (before.ref) this.byRef.delete(before.ref, key);
      if (before.serviceId) this.byServiceId.delete(before.serviceId, key);
      if (before.endpointId && this.byEndpointId.get(before.endpointId) === before.view)
        this.byEndpointId.delete(before.endpointId);
      this.endpoints.delete(key);
    }
    if (event === 'delete') return;
    const ref = serviceRefKey(ep);
    const serviceId = ep.spec?.serviceId ?? (ref ? undefined : ep.status?.serviceId);
    const endpointId = ep.status?.id && isCloudId(ep.status.id) ? ep.status.id : undefined;
    const view: InClusterEndpoint = {
      namespace: ep.metadata.namespace ?? 'default',
      name: ep.metadata.name ?? '',
      ...(ref ? { serviceRef: ref } : {}),
      ...(serviceId ? { serviceId } : {}),
      ...(ep.status?.markerId !== undefined ? { markerId: ep.status.markerId } : {}),
    };
    const entry: EndpointEntry = {
      state: `${endpointId ?? ''}:${ep.status?.status ?? ''}`,
      view,
      ...(ref ? { ref } : {}),
      ...(serviceId ? { serviceId } : {}),
      ...(endpointId ? { endpointId } : {}),
    };
    this.endpoints.set(key, entry);
    if (ref) this.byRef.add(ref, key);
    if (serviceId) this.byServiceId.add(serviceId, key);
    if (endpointId) this.byEndpointId.set(endpointId, view);
  }

  /** Updates the index from one event of the `VpcEndpointService` `key`. */
  observeService(key: string, svc: VpcEndpointService, event: InformerEvent): void {
    const before = this.services.get(key)?.status?.id;
    if (before !== undefined && this.servicesById.get(before) === key) this.servicesById.delete(before);
    if (event === 'delete') {
      this.services.delete(key);
      return;
    }
    this.services.set(key, svc);
    const id = svc.status?.id;
    if (id) this.servicesById.set(id, key);
  }

  /** Keys of the endpoints that connect to the service `key` (by reference, or by its cloud id). */
  endpointsOf(key: string): string[] {
    const id = this.services.get(key)?.status?.id;
    return [...new Set([...this.byRef.get(key), ...(id ? this.byServiceId.get(id) : [])])].sort();
  }

  /** Key of the service the endpoint `key` connected to as last observed (before its next event). */
  serviceOfKey(key: string): string | undefined {
    const e = this.endpoints.get(key);
    if (!e) return undefined;
    return e.ref ?? (e.serviceId ? this.servicesById.get(e.serviceId) : undefined);
  }

  /** Key of the service the endpoint `ep` connects to, when it is one of this cluster's. */
  serviceOf(ep: VpcEndpoint): string | undefined {
    const ref = serviceRefKey(ep);
    if (ref) return ref;
    const id = ep.spec?.serviceId ?? ep.status?.serviceId;
    return id ? this.servicesById.get(id) : undefined;
  }

  /** The `VpcEndpointService` `namespace/name` as last seen (for `serviceRef`). */
  readonly service = (namespace: string, name: string): VpcEndpointService | undefined =>
    this.services.get(`${namespace}/${name}`);

  /**
   * Changes whenever an endpoint connecting to the service `key` changes its id or status word (so the
   * service's pass goes past its steady-state gate and the `acceptInCluster` rule acts at once).
   */
  serviceVersion(key: string): string {
    return this.endpointsOf(key)
      .map((k) => `${k}=${this.endpoints.get(k)?.state ?? ''}`)
      .join(',');
  }

  /** Changes whenever the service `ep` connects to reports another state of its connection. */
  endpointVersion(ep: VpcEndpoint): string | undefined {
    const key = this.serviceOf(ep);
    if (key === undefined) return undefined;
    const svc = this.services.get(key);
    if (!svc) return 'absent';
    const conn = svc.status?.connections?.find((c) => c.endpointId === ep.status?.id);
    return `${svc.status?.id ?? ''}:${conn?.status ?? ''}`;
  }

  /** The in-cluster `VpcEndpoint` whose `status.id` is `endpointId` (for `acceptInCluster`). */
  readonly lookup = (endpointId: string): InClusterEndpoint | undefined => this.byEndpointId.get(endpointId);
}
