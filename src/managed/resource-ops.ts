/**
 * What the lifecycle needs from Kubernetes, as one narrow interface, generic over the kind: read the
 * resource fresh, add (together with the operator's annotations, in one write) and remove the
 * finalizer, write status, write the operator's own annotations, tell whether the kind's CRD itself is
 * being deleted, and record events. The production implementation ({@link KubeResourceOps} in
 * kube-resource-ops.ts) sits on client-node and the runtime helpers; tests use an in-memory fake.
 *
 * Every write is bound to the UID of the object passed in (as read at the start of the pass): when the
 * object is gone or was replaced by a new object of the same name, the write is refused and rejects
 * with `ObjectGoneError` (runtime/reconcile.ts), so a pass never writes into a successor.
 */
import type { ManagedObject } from './kind.js';

/** An event about one resource (events.k8s.io/v1 semantics: repeats fold into a series). */
export interface ResourceEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  action: string;
  note: string;
}

export interface ResourceOps<O extends ManagedObject = ManagedObject> {
  /**
   * The resource as the apiserver has it now (a quorum read, not a cache: a status written a moment ago
   * must be visible, or a crash-safe create could be repeated). Undefined when it does not exist.
   * `signal` aborts the read.
   */
  get(namespace: string, name: string, signal?: AbortSignal): Promise<O | undefined>;
  /**
   * Adds the operator's finalizer unless present and, in the same metadata write, sets (string) or
   * removes (null) the operator's `annotations`; fails on a concurrent edit (retry). Mutates `obj`.
   */
  addFinalizer(obj: O, annotations?: Record<string, string | null>): Promise<void>;
  /** Removes the operator's finalizer if present; fails on a concurrent edit (retry); a no-op when gone. */
  removeFinalizer(obj: O): Promise<void>;
  /**
   * Makes `status` the resource's status when it differs from `obj.status` (deep compare); fields absent
   * from `status` are removed. Returns whether a write was sent. Updates `obj.status` on success.
   */
  writeStatus(obj: O, status: NonNullable<O['status']>): Promise<boolean>;
  /** Sets (string) or removes (null) the operator's own annotations. Mutates `obj.metadata.annotations`. */
  setAnnotations(obj: O, annotations: Record<string, string | null>): Promise<void>;
  /** Whether the kind's CRD has a deletionTimestamp (uninstall in progress). */
  crdBeingDeleted(): Promise<boolean>;
  /** Records an event; never throws. */
  event(obj: O, e: ResourceEvent): Promise<void>;
}
