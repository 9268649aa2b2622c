/**
 * The VpcEndpointService reconciler: the generic managed-resource lifecycle (src/managed/lifecycle.ts,
 * the state machine) composed with the endpoint-service adapter (./endpoint-service/adapter.ts, the
 * VPCEP calls). This file only wires the two together.
 */
import type { VpcEndpointService, VpcEndpointServiceStatus } from '../api/types.js';
import type { VpcepClient } from '../cloud/client.js';
import type { CredentialSource } from '../managed/credentials.js';
import { ManagedReconciler } from '../managed/lifecycle.js';
import type { ResourceOps } from '../managed/resource-ops.js';
import type { Clock } from '../util/clock.js';
import { endpointServiceAdapter } from './endpoint-service/adapter.js';
import { endpointServiceKind } from './endpoint-service/kind.js';

export { ANNOTATION_CREATE_REQUESTED_AT } from './endpoint-service/kind.js';

export interface ReconcilerOptions {
  ops: ResourceOps<VpcEndpointService>;
  credentials: CredentialSource<VpcEndpointService, VpcepClient>;
  clock: Clock;
  /** Steady-state resync period (±10 % jitter); per-resource annotation overrides it. */
  resyncMs?: number;
  random?: () => number;
  /**
   * Let observe-only resources read a service that another resource owns (`--allow-observe-owned`).
   * Off by default: the status would show another team's service to the requester.
   */
  allowObserveOwned?: boolean;
  /** This process's shard (`--selector`): resources it does not select are left alone. */
  inShard?: (obj: VpcEndpointService) => boolean;
}

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
