/**
 * What the reconciler needs from Kubernetes, as one narrow interface: read the resource fresh, add and
 * remove the finalizer, write status, write the operator's own annotations, tell whether the CRD itself
 * is being deleted, and record events. The production implementation ({@link KubeResourceOps} in
 * kube-resource-ops.ts) sits on client-node and the runtime helpers; tests use an in-memory fake.
 *
 * Every write is bound to the UID of the object passed in (as read at the start of the pass): when the
 * object is gone or was replaced by a new object of the same name, the write is refused and rejects
 * with `ObjectGoneError` (runtime/reconcile.ts), so a pass never writes into a successor.
 */
import type { VpcEndpointService, VpcEndpointServiceStatus } from '../api/types.js';

/** An event about one resource (events.k8s.io/v1 semantics: repeats fold into a series). */
export interface ResourceEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  action: string;
  note: string;
}

export interface ResourceOps {
  /**
   * The resource as the apiserver has it now (a quorum read, not a cache: a status written a moment ago
   * must be visible, or a crash-safe create could be repeated). Undefined when it does not exist.
   */
  get(namespace: string, name: string): Promise<VpcEndpointService | undefined>;
  /** Adds the operator's finalizer unless present; fails on a concurrent edit (retry). Mutates `cr.metadata`. */
  addFinalizer(cr: VpcEndpointService): Promise<void>;
  /** Removes the operator's finalizer if present; fails on a concurrent edit (retry); a no-op when gone. */
  removeFinalizer(cr: VpcEndpointService): Promise<void>;
  /**
   * Makes `status` the resource's status when it differs from `cr.status` (deep compare); fields absent
   * from `status` are removed. Returns whether a write was sent. Updates `cr.status` and
   * `cr.metadata.resourceVersion` on success.
   */
  writeStatus(cr: VpcEndpointService, status: VpcEndpointServiceStatus): Promise<boolean>;
  /** Sets (string) or removes (null) the operator's own annotations. Mutates `cr.metadata.annotations`. */
  setAnnotations(cr: VpcEndpointService, annotations: Record<string, string | null>): Promise<void>;
  /** Whether the VpcEndpointService CRD has a deletionTimestamp (uninstall in progress). */
  crdBeingDeleted(): Promise<boolean>;
  /** Records an event; never throws. */
  event(cr: VpcEndpointService, e: ResourceEvent): Promise<void>;
}
