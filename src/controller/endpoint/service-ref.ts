/**
 * Which endpoint service a `VpcEndpoint` connects to: `serviceRef` (a `VpcEndpointService` of this
 * cluster: its `status.id`, read from the operator's cache), `serviceId` (as written), or `serviceName`
 * (the full name the owner shares, resolved through the describe API, callable across accounts).
 * A reference that cannot be resolved yet is a {@link Wait} with a reason users read, never an error
 * loop: the service's own events wake the endpoint when it gets its id.
 */
import type { PortMappingSpec, VpcEndpoint, VpcEndpointService } from '../../api/types.js';
import type { VpcepClient } from '../../cloud/client.js';
import { isCloudError } from '../../cloud/errors.js';
import { isCloudId } from '../../cloud/ids.js';
import type { CallContext, Wait } from '../../managed/adapter.js';
import { Reason } from '../../managed/verdicts.js';

/** Reads a `VpcEndpointService` of this cluster from the operator's cache. */
export type ServiceLookup = (namespace: string, name: string) => VpcEndpointService | undefined;

/** A resolved service: its cloud id and, when it lives in this cluster, its client ports. */
export interface ResolvedService {
  id: string;
  ports?: PortMappingSpec[];
}

/** How long to wait before looking at an unresolved reference again (its events come sooner). */
export const SERVICE_WAIT_MS = 30_000;

/** `namespace/name` of the `VpcEndpointService` that `ep.spec.serviceRef` names, if it names one. */
export function serviceRefKey(ep: Pick<VpcEndpoint, 'metadata' | 'spec'>): string | undefined {
  const ref = ep.spec?.serviceRef;
  if (!ref?.name) return undefined;
  return `${ref.namespace || ep.metadata.namespace || 'default'}/${ref.name}`;
}

/**
 * The `VpcEndpointService` of this cluster that `ep.spec.serviceRef` names, as last cached; undefined
 * when `ep` names none, or the service is not cached.
 */
export function referencedService(ep: VpcEndpoint, lookup: ServiceLookup): VpcEndpointService | undefined {
  const key = serviceRefKey(ep);
  if (key === undefined) return undefined;
  const [ns = '', name = ''] = key.split('/');
  return lookup(ns, name);
}

/** Resolves the service `ep` names, or says what it waits for. */
export async function resolveService(
  client: VpcepClient,
  ep: VpcEndpoint,
  lookup: ServiceLookup,
  ctx: CallContext,
): Promise<ResolvedService | Wait> {
  const { spec } = ep;
  const key = serviceRefKey(ep);
  if (key !== undefined) {
    const svc = referencedService(ep, lookup);
    if (!svc)
      return {
        reason: Reason.ServiceNotFound,
        message: `the VpcEndpointService ${key} named by serviceRef does not exist (or is not watched by this operator)`,
        recheckMs: SERVICE_WAIT_MS,
        routine: true,
      };
    const id = svc.status?.id;
    if (!id || !isCloudId(id))
      return {
        reason: Reason.ServiceNotReady,
        message: `the VpcEndpointService ${key} has no cloud id yet; the endpoint is created once it has one`,
        recheckMs: SERVICE_WAIT_MS,
        routine: true,
      };
    return { id, ports: svc.spec.ports };
  }
  if (spec.serviceId) return { id: spec.serviceId };
  const full = spec.serviceName ?? '';
  try {
    // The decoder checks that the answer's id is a UUID.
    const found = await client.describeService({ name: full }, { signal: ctx.signal });
    return { id: found.id };
  } catch (e) {
    if (isCloudError(e) && e.kind === 'notFound')
      return {
        reason: Reason.ServiceNotFound,
        message: `no endpoint service is named ${JSON.stringify(full.slice(0, 128))} (describe by name): check serviceName with the service's owner`,
        recheckMs: SERVICE_WAIT_MS,
        routine: true,
      };
    throw e;
  }
}

/** Whether a resolution result is a wait. */
export function isWait(r: ResolvedService | Wait): r is Wait {
  return 'reason' in r;
}
