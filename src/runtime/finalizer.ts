/**
 * Finalizer helpers with optimistic concurrency, after kube-rs `finalizer.rs`.
 *
 * Both helpers send a JSON Patch (client-node 1.4's default patch type) whose first op `test`s the
 * finalizers we based the change on. If anyone changed them since we read the object, the server
 * refuses the whole patch (422, or 409) and we throw a {@link ConflictError}: the reconcile is retried
 * with backoff and re-reads the object. Concurrent edits therefore fail safely instead of clobbering.
 *
 * When the object carries a UID, the patch also `test`s it first: a pass that read an object which was
 * since deleted and re-created under the same name never edits the successor's finalizers.
 *
 * Guarantees: idempotent (no request when nothing would change, returning `false`); a 404 (object
 * gone) returns `false`; other API errors propagate unchanged (retryable by the controller).
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { httpStatusOf, isNotFound } from './api-errors.js';
import { ConflictError } from './reconcile.js';

/** Where a namespaced custom object lives. */
export interface CustomObjectRef {
  group: string;
  version: string;
  plural: string;
  namespace: string;
  name: string;
}

/** The subset of `CustomObjectsApi` used here (JSON Patch body, default content type). */
export interface CustomObjectsPatcher {
  patchNamespacedCustomObject(req: CustomObjectRef & { body: object }): Promise<object>;
}

/** One JSON Patch operation (RFC 6902) as used here. */
export type JsonPatchOp =
  | { op: 'test'; path: string; value: unknown }
  | { op: 'add'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/** `[test uid]` when `obj` has a UID: binds a patch to the object that was read. */
export function uidTest(obj: KubernetesObject): JsonPatchOp[] {
  const uid = obj.metadata?.uid;
  return uid ? [{ op: 'test', path: '/metadata/uid', value: uid }] : [];
}

/** The patch {@link addFinalizer} sends, or `undefined` if `finalizer` is already present. */
export function addFinalizerPatch(obj: KubernetesObject, finalizer: string): JsonPatchOp[] | undefined {
  const current = obj.metadata?.finalizers;
  if (current?.includes(finalizer)) return undefined;
  if (!current || current.length === 0) {
    // `test` against null also matches an absent field on the API server (json-patch semantics).
    return [
      ...uidTest(obj),
      { op: 'test', path: '/metadata/finalizers', value: current ?? null },
      { op: 'add', path: '/metadata/finalizers', value: [finalizer] },
    ];
  }
  return [
    ...uidTest(obj),
    { op: 'test', path: '/metadata/finalizers', value: current },
    { op: 'add', path: '/metadata/finalizers/-', value: finalizer },
  ];
}

/** The patch {@link removeFinalizer} sends, or `undefined` if `finalizer` is absent. */
export function removeFinalizerPatch(obj: KubernetesObject, finalizer: string): JsonPatchOp[] | undefined {
  const i = obj.metadata?.finalizers?.indexOf(finalizer) ?? -1;
  if (i < 0) return undefined;
  return [
    ...uidTest(obj),
    { op: 'test', path: `/metadata/finalizers/${i}`, value: finalizer },
    { op: 'remove', path: `/metadata/finalizers/${i}` },
  ];
}

async function send(
  api: CustomObjectsPatcher,
  ref: CustomObjectRef,
  ops: JsonPatchOp[],
  what: string,
): Promise<boolean> {
  try {
    await api.patchNamespacedCustomObject({ ...ref, body: ops });
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    const status = httpStatusOf(err);
    if (status === 409 || status === 422)
      throw new ConflictError(
        `${what} on ${ref.namespace}/${ref.name} lost a race (HTTP ${status}); re-read and retry`,
        {
          cause: err,
        },
      );
    throw err;
  }
}

/**
 * Adds `finalizer` to `obj` (as last read) unless present. Returns true if a patch was written.
 * Throws {@link ConflictError} if the finalizers changed since `obj` was read.
 */
export async function addFinalizer(
  api: CustomObjectsPatcher,
  ref: CustomObjectRef,
  obj: KubernetesObject,
  finalizer: string,
): Promise<boolean> {
  const ops = addFinalizerPatch(obj, finalizer);
  return ops ? send(api, ref, ops, `adding finalizer ${finalizer}`) : false;
}

/**
 * Removes `finalizer` from `obj` (as last read) if present. Returns true if a patch was written.
 * Throws {@link ConflictError} if the finalizer moved or vanished since `obj` was read.
 */
export async function removeFinalizer(
  api: CustomObjectsPatcher,
  ref: CustomObjectRef,
  obj: KubernetesObject,
  finalizer: string,
): Promise<boolean> {
  const ops = removeFinalizerPatch(obj, finalizer);
  return ops ? send(api, ref, ops, `removing finalizer ${finalizer}`) : false;
}

/** True if `obj` carries `finalizer`. */
export function hasFinalizer(obj: KubernetesObject, finalizer: string): boolean {
  return obj.metadata?.finalizers?.includes(finalizer) ?? false;
}
