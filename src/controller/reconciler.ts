/**
 * The reconcilers of the two kinds: the generic managed-resource lifecycle (src/managed/lifecycle.ts,
 * the state machine) composed with each kind's adapter (./endpoint-service/adapter.ts and
 * ./endpoint/adapter.ts, the VPCEP calls). This file only wires them together.
 */
import type {
  VpcEndpoint,
  VpcEndpointService,
  VpcEndpointServiceStatus,
  VpcEndpointStatus,
} from '../api/types.js';
import type { VpcepClient } from '../cloud/client.js';
import { ManagedReconciler, type LifecycleOptions } from '../managed/lifecycle.js';
import { endpointServiceAdapter, type EndpointServiceAdapter } from './endpoint-service/adapter.js';
import { endpointServiceKind } from './endpoint-service/kind.js';
import type { EndpointAdapter } from './endpoint/adapter.js';
import { endpointKind } from './endpoint/kind.js';

export { ANNOTATION_CREATE_REQUESTED_AT } from './endpoint-service/kind.js';

/** The lifecycle's options, less the kind; the adapter defaults to one without in-cluster consumers. */
export type ReconcilerOptions = Omit<
  LifecycleOptions<VpcEndpointService, VpcepClient, VpcEndpointServiceStatus>,
  'kind' | 'adapter'
> & { adapter?: EndpointServiceAdapter };

/** The service reconciler; `reconcile` is the runtime's `Reconciler`. */
export class VpcEndpointServiceReconciler extends ManagedReconciler<
  VpcEndpointService,
  VpcepClient,
  VpcEndpointServiceStatus
> {
  constructor(opts: ReconcilerOptions) {
    super({ ...opts, kind: endpointServiceKind, adapter: opts.adapter ?? endpointServiceAdapter });
  }
}

/** The endpoint reconciler's options: the lifecycle's, less the kind. */
export type EndpointReconcilerOptions = Omit<
  LifecycleOptions<VpcEndpoint, VpcepClient, VpcEndpointStatus>,
  'kind' | 'adapter'
> & { adapter: EndpointAdapter };

/** The `VpcEndpoint` reconciler. */
export class VpcEndpointReconciler extends ManagedReconciler<VpcEndpoint, VpcepClient, VpcEndpointStatus> {
  constructor(opts: EndpointReconcilerOptions) {
    super({ ...opts, kind: endpointKind });
  }
}
