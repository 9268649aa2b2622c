/**
 * What the generic managed-resource machinery needs to know about a kind: where it lives in the API,
 * its finalizer, the operator's annotations on it, and the shape every managed resource shares (the
 * spec fields the lifecycle reads, the status fields it owns). A kind is described once, as data; the
 * lifecycle, the resource operations, the status draft and the trigger filter take the descriptor.
 */
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { Condition } from '../api/types.js';

/** Annotation keys the lifecycle reads or writes on every object of a kind. */
export interface ManagedAnnotations {
  /** `"true"` pauses reconciliation (no cloud calls). */
  paused: string;
  /** The id of an existing cloud resource to adopt. */
  externalId: string;
  /** Management policy; `observe` means read-only. */
  managementPolicy: string;
  /** Per-object resync period (a duration). */
  resyncPeriod: string;
  /** Written by the operator: when the last create was sent (guards against a lagging owner index). */
  createRequestedAt: string;
}

/** One managed kind, as data. */
export interface KindDescriptor {
  group: string;
  version: string;
  kind: string;
  plural: string;
  /** Added before anything can be created in the cloud; removed once the cloud resource is gone. */
  finalizer: string;
  annotations: ManagedAnnotations;
  /** What users call the cloud resource in messages, e.g. `cloud endpoint service`. */
  noun: string;
}

/** `group/version` of the kind. */
export function apiVersionOf(k: KindDescriptor): string {
  return `${k.group}/${k.version}`;
}

/** Name of the kind's CRD (`plural.group`). */
export function crdNameOf(k: KindDescriptor): string {
  return `${k.plural}.${k.group}`;
}

/** Spec fields every managed kind has (the rest is the adapter's business). */
export interface ManagedSpec {
  deletionPolicy?: 'Delete' | 'Retain';
  credentialsSecretRef?: { name: string };
  region?: string;
  projectId?: string;
}

/** Status fields the lifecycle owns (the adapter adds its own cloud fields). */
export interface ManagedStatus {
  /** The cloud resource's id, recorded as soon as it is known. */
  id?: string;
  /** The cloud's status word, verbatim. */
  status?: string;
  /** The project the cloud resource lives in (the project guard compares against it). */
  projectId?: string;
  observedGeneration?: number;
  conditions?: Condition[];
}

/** A managed custom resource. */
export interface ManagedObject<
  S extends ManagedSpec = ManagedSpec,
  St extends ManagedStatus = ManagedStatus,
> {
  apiVersion?: string;
  kind?: string;
  metadata: V1ObjectMeta;
  spec: S;
  status?: St;
}

/** `namespace/name` of an object. */
export function keyOf(o: { metadata: V1ObjectMeta }): string {
  return `${o.metadata.namespace ?? 'default'}/${o.metadata.name ?? ''}`;
}
