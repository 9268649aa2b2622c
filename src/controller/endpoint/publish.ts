/**
 * Publishing a `VpcEndpoint` as a Kubernetes Service of its namespace (`spec.publish.serviceName`):
 * an `ExternalName` Service to the endpoint's first DNS name when it has one; otherwise a selectorless
 * headless Service and an EndpointSlice holding the endpoint's IP (with the service's client ports when
 * it lives in this cluster). Both carry a controller owner reference to the `VpcEndpoint`, so the
 * garbage collector removes them with it.
 *
 * Guarantees: a Service of that name that this resource does not own is never changed
 * (`PublishConflict`); writes happen only when the desired shape differs from what exists; a
 * renamed or removed `publish` deletes the Services this resource published before (found by the
 * owner-UID label, checked against the owner reference before deleting).
 */
import type {
  CoreV1Api,
  DiscoveryV1Api,
  V1EndpointSlice,
  V1OwnerReference,
  V1Service,
} from '@kubernetes/client-node';
import { API_VERSION, ENDPOINT_KIND, GROUP } from '../../api/constants.js';
import type {
  PortMappingSpec,
  VpcEndpoint as VpcEndpointResource,
  VpcEndpointStatus,
} from '../../api/types.js';
import type { VpcEndpoint } from '../../cloud/wire.js';
import type { CallContext, Observation, Wait } from '../../managed/adapter.js';
import { Reason } from '../../managed/verdicts.js';
import { describeError, httpStatusOf, isNotFound } from '../../runtime/api-errors.js';
import { jsonEqual } from '../../runtime/json.js';
import { withSignal } from '../../runtime/kube-options.js';
import type { ResolvedService } from './service-ref.js';

/** Label on published objects: the UID of the `VpcEndpoint` that owns them. */
export const LABEL_ENDPOINT_UID = `${GROUP}/endpoint-uid`;
/** The EndpointSlice's `endpointslice.kubernetes.io/managed-by` (a label value: no `/`). */
const MANAGER = 'vpcep-operator.huaweicloud.io';
/** Recheck of a conflict or a refusal (a human must act; the resource's own events come sooner). */
export const PUBLISH_RECHECK_MS = 5 * 60_000;
/** Retry of a publish the apiserver refused (invalid, unavailable). */
export const PUBLISH_RETRY_MS = 30_000;

/** Options of {@link Publisher}. */
export interface PublisherOptions {
  core: Pick<
    CoreV1Api,
    | 'readNamespacedService'
    | 'createNamespacedService'
    | 'replaceNamespacedService'
    | 'deleteNamespacedService'
    | 'listNamespacedService'
  >;
  discovery: Pick<
    DiscoveryV1Api,
    | 'readNamespacedEndpointSlice'
    | 'createNamespacedEndpointSlice'
    | 'replaceNamespacedEndpointSlice'
    | 'deleteNamespacedEndpointSlice'
  >;
  /** `--enable-publish`: false leaves every spec.publish undone, with `PublishDisabled`. */
  enabled: boolean;
}

/** The Service and, in the IP mode, the EndpointSlice that publish an endpoint. */
interface Desired {
  service: V1Service;
  slice?: V1EndpointSlice;
}

function ownerRef(obj: VpcEndpointResource): V1OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: ENDPOINT_KIND,
    name: obj.metadata.name ?? '',
    uid: obj.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Whether `o` carries this resource's controller owner reference. */
export function ownedBy(
  o: { metadata?: { ownerReferences?: V1OwnerReference[] } },
  uid: string | undefined,
): boolean {
  return (o.metadata?.ownerReferences ?? []).some(
    (r) => r.controller === true && r.uid === uid && r.kind === ENDPOINT_KIND,
  );
}

function servicePorts(
  ports: readonly PortMappingSpec[] | undefined,
): Array<{ name: string; port: number; protocol: string }> {
  return (ports ?? []).map((p) => ({
    name: `${(p.protocol ?? 'TCP').toLowerCase()}-${p.clientPort}`,
    port: p.clientPort,
    protocol: 'TCP',
  }));
}

/** The objects that publish `obj` with `ep`'s DNS name or IP (undefined when it has neither yet). */
export function desiredObjects(
  obj: VpcEndpointResource,
  ep: VpcEndpoint,
  service: ResolvedService | undefined,
): Desired | undefined {
  const name = obj.spec.publish?.serviceName ?? '';
  const namespace = obj.metadata.namespace ?? 'default';
  const labels = {
    'app.kubernetes.io/managed-by': 'vpcep-operator',
    [LABEL_ENDPOINT_UID]: obj.metadata.uid ?? '',
  };
  const metadata = { name, namespace, labels, ownerReferences: [ownerRef(obj)] };
  const ports = servicePorts(service?.ports);
  const dns = ep.dns_names?.find((d) => d.length > 0);
  if (dns)
    return {
      service: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata,
        spec: {
          type: 'ExternalName',
          externalName: dns.replace(/\.$/, ''),
          ...(ports.length ? { ports } : {}),
        },
      },
    };
  if (!ep.ip) return undefined;
  return {
    service: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata,
      spec: { type: 'ClusterIP', clusterIP: 'None', ...(ports.length ? { ports } : {}) },
    },
    slice: {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: `${name}-vpce`,
        namespace,
        labels: {
          ...labels,
          'kubernetes.io/service-name': name,
          'endpointslice.kubernetes.io/managed-by': MANAGER,
        },
        ownerReferences: [ownerRef(obj)],
      },
      addressType: 'IPv4',
      endpoints: [{ addresses: [ep.ip], conditions: { ready: true } }],
      ...(ports.length
        ? { ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol })) }
        : {}),
    },
  };
}

/** The parts of a Service this operator sets (what is compared before writing). */
function serviceShape(s: V1Service): unknown {
  return {
    type: s.spec?.type ?? 'ClusterIP',
    externalName: s.spec?.externalName ?? null,
    headless: s.spec?.clusterIP === 'None',
    ports: (s.spec?.ports ?? []).map((p) => [p.name ?? '', p.port, p.protocol ?? 'TCP']),
    labels: s.metadata?.labels?.[LABEL_ENDPOINT_UID] ?? null,
  };
}

function sliceShape(s: V1EndpointSlice): unknown {
  return {
    addresses: (s.endpoints ?? []).map((e) => e.addresses),
    ports: (s.ports ?? []).map((p) => [p.name ?? '', p.port, p.protocol ?? 'TCP']),
    labels: s.metadata?.labels ?? {},
  };
}

/** See the module doc. */
export class Publisher {
  constructor(private readonly o: PublisherOptions) {}

  /** Brings the published objects of `obj` in line with `seen`; a Wait when it cannot (conflict, RBAC). */
  async sync(
    obj: VpcEndpointResource,
    seen: Observation<VpcEndpointStatus, VpcEndpoint>,
    service: ResolvedService | undefined,
    ctx: CallContext,
  ): Promise<Wait | undefined> {
    const wanted = obj.spec.publish?.serviceName;
    const specChanged = obj.metadata.generation !== obj.status?.observedGeneration;
    // Disabled: no call at all (the chart then grants no access to Services, so even the stale-Service
    // list would be refused and hold every endpoint at PublishDisabled, asking for a Service or not).
    if (!this.o.enabled)
      return wanted
        ? {
            reason: Reason.PublishDisabled,
            message:
              'spec.publish is set but the operator runs with --enable-publish=false (Helm value publish.enabled): no Service is published',
            recheckMs: PUBLISH_RECHECK_MS,
            routine: true,
          }
        : undefined;
    try {
      if (specChanged || !wanted) await this.removeStale(obj, wanted, ctx.signal);
      if (!wanted) return undefined;
      const desired = desiredObjects(obj, seen.raw, service);
      if (!desired)
        return {
          reason: Reason.PublishPending,
          message: 'the endpoint has neither a DNS name nor an IP address yet: nothing to publish',
          recheckMs: 10_000,
        };
      const conflict = await this.ensureService(obj, desired.service, ctx.signal);
      if (conflict) return conflict;
      await this.ensureSlice(obj, desired, ctx.signal);
      return undefined;
    } catch (e) {
      if (httpStatusOf(e) === 403)
        return {
          reason: Reason.PublishDisabled,
          message: `the operator may not manage Services or EndpointSlices in ${obj.metadata.namespace ?? 'default'} (RBAC: grant them, or set the Helm value publish.enabled)`,
          recheckMs: PUBLISH_RECHECK_MS,
          routine: true,
        };
      if (httpStatusOf(e) === 409) throw e; // a concurrent write: the next pass reads afresh
      const { message } = describeError(e);
      return {
        reason: Reason.PublishFailed,
        message: `publishing the Service failed: ${message.slice(0, 512)}`,
        recheckMs: PUBLISH_RETRY_MS,
      };
    }
  }

  private async ensureService(
    obj: VpcEndpointResource,
    want: V1Service,
    signal: AbortSignal,
  ): Promise<Wait | undefined> {
    const namespace = want.metadata?.namespace ?? '';
    const name = want.metadata?.name ?? '';
    const have = await this.read(() =>
      this.o.core.readNamespacedService({ name, namespace }, withSignal(signal)),
    );
    if (!have) {
      await this.o.core.createNamespacedService({ namespace, body: want }, withSignal(signal));
      return undefined;
    }
    if (!ownedBy(have, obj.metadata.uid))
      return {
        reason: Reason.PublishConflict,
        message: `the Service ${namespace}/${name} exists and is not published by this VpcEndpoint: it is left unchanged; choose another publish.serviceName or delete that Service`,
        recheckMs: PUBLISH_RECHECK_MS,
        routine: true,
      };
    if (jsonEqual(serviceShape(have), serviceShape(want))) return undefined;
    // ExternalName and headless differ in immutable ways (clusterIP): replace the Service whole.
    const switching = (have.spec?.type === 'ExternalName') !== (want.spec?.type === 'ExternalName');
    if (switching) {
      await this.o.core.deleteNamespacedService({ name, namespace }, withSignal(signal));
      await this.o.core.createNamespacedService({ namespace, body: want }, withSignal(signal));
      return undefined;
    }
    const body: V1Service = {
      ...have,
      metadata: { ...have.metadata, labels: { ...have.metadata?.labels, ...want.metadata?.labels } },
      spec: { ...have.spec, ...want.spec, ...(want.spec?.ports ? {} : { ports: [] }) },
    };
    await this.o.core.replaceNamespacedService({ name, namespace, body }, withSignal(signal));
    return undefined;
  }

  private async ensureSlice(obj: VpcEndpointResource, desired: Desired, signal: AbortSignal): Promise<void> {
    const namespace = obj.metadata.namespace ?? 'default';
    const name = `${obj.spec.publish?.serviceName ?? ''}-vpce`;
    const have = await this.read(() =>
      this.o.discovery.readNamespacedEndpointSlice({ name, namespace }, withSignal(signal)),
    );
    const want = desired.slice;
    if (!want) {
      if (have && ownedBy(have, obj.metadata.uid))
        await this.ignoreGone(() =>
          this.o.discovery.deleteNamespacedEndpointSlice({ name, namespace }, withSignal(signal)),
        );
      return;
    }
    if (!have) {
      await this.o.discovery.createNamespacedEndpointSlice({ namespace, body: want }, withSignal(signal));
      return;
    }
    if (!ownedBy(have, obj.metadata.uid) || jsonEqual(sliceShape(have), sliceShape(want))) return;
    const body: V1EndpointSlice = {
      ...want,
      metadata: { ...want.metadata, resourceVersion: have.metadata?.resourceVersion },
    };
    await this.o.discovery.replaceNamespacedEndpointSlice({ name, namespace, body }, withSignal(signal));
  }

  /** Deletes the Services (and their slices) this resource published under another name than `keep`. */
  private async removeStale(
    obj: VpcEndpointResource,
    keep: string | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    const namespace = obj.metadata.namespace ?? 'default';
    const list = await this.o.core.listNamespacedService(
      { namespace, labelSelector: `${LABEL_ENDPOINT_UID}=${obj.metadata.uid ?? ''}` },
      withSignal(signal),
    );
    for (const s of list.items) {
      const name = s.metadata?.name ?? '';
      if (name === keep || !ownedBy(s, obj.metadata.uid)) continue;
      await this.ignoreGone(() =>
        this.o.core.deleteNamespacedService({ name, namespace }, withSignal(signal)),
      );
      await this.ignoreGone(() =>
        this.o.discovery.deleteNamespacedEndpointSlice(
          { name: `${name}-vpce`, namespace },
          withSignal(signal),
        ),
      );
    }
  }

  private async read<T>(f: () => Promise<T>): Promise<T | undefined> {
    try {
      return await f();
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  private async ignoreGone(f: () => Promise<unknown>): Promise<void> {
    await this.read(f);
  }
}
