/**
 * {@link ResourceOps} on a real apiserver, for any managed kind: quorum reads of the resource;
 * finalizer, status and the operator's annotations through JSON Patches whose first op `test`s the UID
 * of the object read (so a pass never writes into a same-name successor); status only when changed;
 * events through the folding recorder; and the kind's CRD deletion state.
 */
import type { ApiextensionsV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { httpStatusOf, isNotFound } from '../runtime/api-errors.js';
import type { EventRecorder } from '../runtime/events.js';
import { removeFinalizer, uidTest, type JsonPatchOp } from '../runtime/finalizer.js';
import { withSignal } from '../runtime/kube-options.js';
import type { Logger } from '../runtime/logging.js';
import { ConflictError, ObjectGoneError } from '../runtime/reconcile.js';
import { StatusWriter } from '../runtime/status-writer.js';
import { apiVersionOf, crdNameOf, keyOf, type KindDescriptor, type ManagedObject } from './kind.js';
import type { ResourceEvent, ResourceOps } from './resource-ops.js';

export interface KubeResourceOpsOptions {
  kind: KindDescriptor;
  custom: CustomObjectsApi;
  apiextensions: Pick<ApiextensionsV1Api, 'readCustomResourceDefinition'>;
  recorder: EventRecorder;
  log?: Logger;
}

/** `/metadata/annotations/<key>` with RFC 6901 escaping. */
const annotationPath = (k: string): string =>
  `/metadata/annotations/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;

export class KubeResourceOps<O extends ManagedObject> implements ResourceOps<O> {
  private readonly status: StatusWriter;
  private readonly base: { group: string; version: string; plural: string };
  private guardWarned = false;

  constructor(private readonly o: KubeResourceOpsOptions) {
    this.base = { group: o.kind.group, version: o.kind.version, plural: o.kind.plural };
    this.status = new StatusWriter({ api: o.custom, ...this.base, bindToUid: true });
  }

  async get(namespace: string, name: string, signal?: AbortSignal): Promise<O | undefined> {
    try {
      return (await this.o.custom.getNamespacedCustomObject(
        { ...this.base, namespace, name },
        withSignal(signal),
      )) as O;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async addFinalizer(obj: O, annotations: Record<string, string | null> = {}): Promise<void> {
    const finalizers = obj.metadata.finalizers ?? [];
    const ops: JsonPatchOp[] = [...uidTest(obj)];
    if (!finalizers.includes(this.o.kind.finalizer)) {
      // `test` against null also matches an absent field (json-patch semantics on the apiserver).
      ops.push({ op: 'test', path: '/metadata/finalizers', value: finalizers.length ? finalizers : null });
      ops.push(
        finalizers.length
          ? { op: 'add', path: '/metadata/finalizers/-', value: this.o.kind.finalizer }
          : { op: 'add', path: '/metadata/finalizers', value: [this.o.kind.finalizer] },
      );
    }
    ops.push(...this.annotationOps(obj, annotations));
    if (ops.length === uidTest(obj).length) return;
    await this.patch(obj, ops);
    if (!finalizers.includes(this.o.kind.finalizer))
      obj.metadata.finalizers = [...finalizers, this.o.kind.finalizer];
    this.applyAnnotations(obj, annotations);
  }

  async removeFinalizer(obj: O): Promise<void> {
    try {
      if (
        await this.bound(obj, () => removeFinalizer(this.o.custom, this.ref(obj), obj, this.o.kind.finalizer))
      )
        obj.metadata.finalizers = (obj.metadata.finalizers ?? []).filter((f) => f !== this.o.kind.finalizer);
    } catch (e) {
      // The object this pass read is gone: its finalizer went with it.
      if (!(e instanceof ObjectGoneError)) throw e;
    }
  }

  async writeStatus(obj: O, status: NonNullable<O['status']>): Promise<boolean> {
    const written = await this.bound(obj, () => this.status.patchStatusIfChanged(this.ref(obj), obj, status));
    if (written) obj.status = structuredClone(status);
    return written;
  }

  async setAnnotations(obj: O, annotations: Record<string, string | null>): Promise<void> {
    const ops = [...uidTest(obj), ...this.annotationOps(obj, annotations)];
    if (ops.length === uidTest(obj).length) return;
    await this.patch(obj, ops);
    this.applyAnnotations(obj, annotations);
  }

  /**
   * Whether the CRD is being deleted. Gone entirely counts as deleted (its resources are being cascaded
   * away). Forbidden (the chart's `rbac.crdGuard=false`) means the guard is off: warned once, then
   * deletions proceed by `deletionPolicy` as if the CRD were staying.
   */
  async crdBeingDeleted(): Promise<boolean> {
    const name = crdNameOf(this.o.kind);
    try {
      const crd = await this.o.apiextensions.readCustomResourceDefinition({ name });
      return crd.metadata?.deletionTimestamp !== undefined && crd.metadata.deletionTimestamp !== null;
    } catch (e) {
      if (isNotFound(e)) return true;
      if (httpStatusOf(e) === 403) {
        if (!this.guardWarned) {
          this.guardWarned = true;
          this.o.log?.warn(
            { crd: name },
            'may not read the CRD: the abandon-on-CRD-deletion guard is off; deleting the CRD will delete cloud resources',
          );
        }
        return false;
      }
      throw e;
    }
  }

  async event(obj: O, e: ResourceEvent): Promise<void> {
    await this.o.recorder.record(
      {
        apiVersion: apiVersionOf(this.o.kind),
        kind: this.o.kind.kind,
        name: obj.metadata.name ?? '',
        namespace: obj.metadata.namespace ?? 'default',
        ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
      },
      e,
    );
  }

  private annotationOps(obj: O, annotations: Record<string, string | null>): JsonPatchOp[] {
    const current = obj.metadata.annotations;
    const set = Object.entries(annotations).filter(([, v]) => v !== null) as Array<[string, string]>;
    if (!current || Object.keys(current).length === 0)
      return set.length ? [{ op: 'add', path: '/metadata/annotations', value: Object.fromEntries(set) }] : [];
    const ops: JsonPatchOp[] = [];
    for (const [k, v] of Object.entries(annotations)) {
      if (v !== null) ops.push({ op: 'add', path: annotationPath(k), value: v });
      else if (k in current) ops.push({ op: 'remove', path: annotationPath(k) });
    }
    return ops;
  }

  private applyAnnotations(obj: O, annotations: Record<string, string | null>): void {
    const next = { ...(obj.metadata.annotations ?? {}) };
    for (const [k, v] of Object.entries(annotations)) {
      if (v === null) delete next[k];
      else next[k] = v;
    }
    obj.metadata.annotations = next;
  }

  private async patch(obj: O, ops: JsonPatchOp[]): Promise<void> {
    await this.bound(obj, async () => {
      try {
        await this.o.custom.patchNamespacedCustomObject({ ...this.ref(obj), body: ops });
      } catch (e) {
        const status = httpStatusOf(e);
        if (isNotFound(e)) throw new ObjectGoneError(`${keyOf(obj)} is gone`, { cause: e });
        if (status === 409 || status === 422)
          throw new ConflictError(`a metadata patch of ${keyOf(obj)} lost a race; re-read and retry`, {
            cause: e,
          });
        throw e;
      }
    });
  }

  /**
   * Runs a write bound to `obj`'s UID. A refused precondition is told apart by one re-read: when the
   * stored object is gone or carries another UID, {@link ObjectGoneError}; otherwise the conflict
   * stands (a concurrent edit: retry).
   */
  private async bound<T>(obj: O, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
      const now = await this.get(obj.metadata.namespace ?? 'default', obj.metadata.name ?? '');
      if (!now || now.metadata.uid !== obj.metadata.uid)
        throw new ObjectGoneError(`${keyOf(obj)} was deleted or replaced by a new object`, { cause: e });
      throw e;
    }
  }

  private ref(obj: O): { group: string; version: string; plural: string; namespace: string; name: string } {
    return { ...this.base, namespace: obj.metadata.namespace ?? 'default', name: obj.metadata.name ?? '' };
  }
}
