/**
 * {@link ResourceOps} on a real apiserver: quorum reads of the resource; finalizers, status and the
 * operator's annotations through JSON Patches whose first op `test`s the UID of the object read (so a
 * pass never writes into a same-name successor); status only when changed; events through the folding
 * recorder; and the CRD's own deletion state.
 */
import { type ApiextensionsV1Api, type CustomObjectsApi } from '@kubernetes/client-node';
import { API_VERSION, FINALIZER, GROUP, KIND, PLURAL, VERSION } from '../api/constants.js';
import type { VpcEndpointService, VpcEndpointServiceStatus } from '../api/types.js';
import { httpStatusOf, isNotFound } from '../runtime/api-errors.js';
import type { EventRecorder } from '../runtime/events.js';
import type { Logger } from '../runtime/logging.js';
import { addFinalizer, removeFinalizer, uidTest, type JsonPatchOp } from '../runtime/finalizer.js';
import { ConflictError, ObjectGoneError } from '../runtime/reconcile.js';
import { StatusWriter } from '../runtime/status-writer.js';
import type { ResourceEvent, ResourceOps } from './resource-ops.js';

/** Name of the CRD whose deletion means "abandon cloud resources". */
export const CRD_NAME = `${PLURAL}.${GROUP}`;

export interface KubeResourceOpsOptions {
  custom: CustomObjectsApi;
  apiextensions: Pick<ApiextensionsV1Api, 'readCustomResourceDefinition'>;
  recorder: EventRecorder;
  log?: Logger;
}

const base = { group: GROUP, version: VERSION, plural: PLURAL };

export class KubeResourceOps implements ResourceOps {
  private readonly status: StatusWriter;
  private guardWarned = false;

  constructor(private readonly o: KubeResourceOpsOptions) {
    this.status = new StatusWriter({ api: o.custom, ...base, bindToUid: true });
  }

  async get(namespace: string, name: string): Promise<VpcEndpointService | undefined> {
    try {
      return (await this.o.custom.getNamespacedCustomObject({
        ...base,
        namespace,
        name,
      })) as VpcEndpointService;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async addFinalizer(cr: VpcEndpointService): Promise<void> {
    if ((cr.metadata.finalizers ?? []).includes(FINALIZER)) return;
    const added = await this.bound(cr, () => addFinalizer(this.o.custom, this.ref(cr), cr, FINALIZER));
    // Not added although absent: the object is gone (404), and nothing may be created for it.
    if (!added) throw new ObjectGoneError(`${cr.metadata.name ?? ''} is gone`);
    cr.metadata.finalizers = [...(cr.metadata.finalizers ?? []), FINALIZER];
  }

  async removeFinalizer(cr: VpcEndpointService): Promise<void> {
    try {
      if (await this.bound(cr, () => removeFinalizer(this.o.custom, this.ref(cr), cr, FINALIZER)))
        cr.metadata.finalizers = (cr.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
    } catch (e) {
      // The object this pass read is gone: its finalizer went with it.
      if (!(e instanceof ObjectGoneError)) throw e;
    }
  }

  async writeStatus(cr: VpcEndpointService, status: VpcEndpointServiceStatus): Promise<boolean> {
    const written = await this.bound(cr, () => this.status.patchStatusIfChanged(this.ref(cr), cr, status));
    if (written) cr.status = structuredClone(status);
    return written;
  }

  async setAnnotations(cr: VpcEndpointService, annotations: Record<string, string | null>): Promise<void> {
    const current = cr.metadata.annotations;
    const ops: JsonPatchOp[] = [...uidTest(cr)];
    if (!current || Object.keys(current).length === 0) {
      const set = Object.fromEntries(Object.entries(annotations).filter(([, v]) => v !== null));
      if (Object.keys(set).length === 0) return;
      ops.push({ op: 'add', path: '/metadata/annotations', value: set });
    } else {
      for (const [k, v] of Object.entries(annotations)) {
        const path = `/metadata/annotations/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        if (v !== null) ops.push({ op: 'add', path, value: v });
        else if (k in current) ops.push({ op: 'remove', path });
      }
      if (ops.length === uidTest(cr).length) return;
    }
    await this.bound(cr, async () => {
      try {
        await this.o.custom.patchNamespacedCustomObject({ ...this.ref(cr), body: ops });
      } catch (e) {
        const status = httpStatusOf(e);
        if (isNotFound(e)) throw new ObjectGoneError(`${cr.metadata.name ?? ''} is gone`, { cause: e });
        if (status === 409 || status === 422)
          throw new ConflictError('setting annotations lost a race; re-read and retry', { cause: e });
        throw e;
      }
    });
    const next = { ...(cr.metadata.annotations ?? {}) };
    for (const [k, v] of Object.entries(annotations)) {
      if (v === null) delete next[k];
      else next[k] = v;
    }
    cr.metadata.annotations = next;
  }

  /**
   * Whether the CRD is being deleted. Gone entirely counts as deleted (its resources are being cascaded
   * away). Forbidden (the chart's `rbac.crdGuard=false`) means the guard is off: warned once, then
   * deletions proceed by `deletionPolicy` as if the CRD were staying.
   */
  async crdBeingDeleted(): Promise<boolean> {
    try {
      const crd = await this.o.apiextensions.readCustomResourceDefinition({ name: CRD_NAME });
      return crd.metadata?.deletionTimestamp !== undefined && crd.metadata.deletionTimestamp !== null;
    } catch (e) {
      if (isNotFound(e)) return true;
      if (httpStatusOf(e) === 403) {
        if (!this.guardWarned) {
          this.guardWarned = true;
          this.o.log?.warn(
            { crd: CRD_NAME },
            'may not read the CRD: the abandon-on-CRD-deletion guard is off; deleting the CRD will delete cloud services',
          );
        }
        return false;
      }
      throw e;
    }
  }

  async event(cr: VpcEndpointService, e: ResourceEvent): Promise<void> {
    await this.o.recorder.record(
      {
        apiVersion: API_VERSION,
        kind: KIND,
        name: cr.metadata.name ?? '',
        namespace: cr.metadata.namespace ?? 'default',
        ...(cr.metadata.uid ? { uid: cr.metadata.uid } : {}),
      },
      e,
    );
  }

  /**
   * Runs a write bound to `cr`'s UID. A refused precondition is told apart by one re-read: when the
   * stored object is gone or carries another UID, {@link ObjectGoneError}; otherwise the conflict
   * stands (a concurrent edit: retry).
   */
  private async bound<T>(cr: VpcEndpointService, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
      const now = await this.get(cr.metadata.namespace ?? 'default', cr.metadata.name ?? '');
      if (!now || now.metadata.uid !== cr.metadata.uid)
        throw new ObjectGoneError(
          `${cr.metadata.namespace ?? 'default'}/${cr.metadata.name ?? ''} was deleted or replaced by a new object`,
          { cause: e },
        );
      throw e;
    }
  }

  private ref(cr: VpcEndpointService): {
    group: string;
    version: string;
    plural: string;
    namespace: string;
    name: string;
  } {
    return { ...base, namespace: cr.metadata.namespace ?? 'default', name: cr.metadata.name ?? '' };
  }
}
