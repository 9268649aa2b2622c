/**
 * The VpcEndpointService reconciler: the generic managed-resource lifecycle (src/managed/lifecycle.ts,
 * the state machine) composed with the endpoint-service adapter (./endpoint-service/adapter.ts, the
 * VPCEP calls). This file only wires the two together.
 */
import type { VpcEndpointService, VpcEndpointServiceStatus } from '../api/types.js';
import type { VpcepClient } from '../cloud/client.js';
import { ManagedReconciler, type LifecycleOptions } from '../managed/lifecycle.js';
import { endpointServiceAdapter } from './endpoint-service/adapter.js';
import { endpointServiceKind } from './endpoint-service/kind.js';

export { ANNOTATION_CREATE_REQUESTED_AT } from './endpoint-service/kind.js';

/** The lifecycle's options, less what this file supplies (the kind and its adapter). */
export type ReconcilerOptions = Omit<
  LifecycleOptions<VpcEndpointService, VpcepClient, VpcEndpointServiceStatus>,
  'kind' | 'adapter'
>;

/** The reconciler; `reconcile` is the runtime's `Reconciler`. */
export class VpcEndpointServiceReconciler extends ManagedReconciler<
  VpcEndpointService,
  VpcepClient,
  VpcEndpointServiceStatus
> {
  constructor(opts: ReconcilerOptions) {
    super({ ...opts, kind: endpointServiceKind, adapter: endpointServiceAdapter });
  }
}
