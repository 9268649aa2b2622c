/**
 * {@link ResourceOps} on a real apiserver: quorum reads of the resource, finalizers through JSON Patch
 * with `test` ops, status through the change-only merge-patch writer, the operator's annotations through
 * a merge patch, events through the folding recorder, and the CRD's own deletion state.
 */
import {
  PatchStrategy,
  setHeaderOptions,
  type ApiextensionsV1Api,
  type CustomObjectsApi,
} from '@kubernetes/client-node';
import { API_VERSION, FINALIZER, GROUP, KIND, PLURAL, VERSION } from '../api/constants.js';
import type { VpcEndpointService, VpcEndpointServiceStatus } from '../api/types.js';
import { httpStatusOf, isNotFound } from '../runtime/api-errors.js';
import type { EventRecorder } from '../runtime/events.js';
import type { Logger } from '../runtime/logging.js';
import { addFinalizer, removeFinalizer } from '../runtime/finalizer.js';
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
    this.status = new StatusWriter({ api: o.custom, ...base });
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
    if (await addFinalizer(this.o.custom, this.ref(cr), cr, FINALIZER))
      cr.metadata.finalizers = [...(cr.metadata.finalizers ?? []), FINALIZER];
  }

  async removeFinalizer(cr: VpcEndpointService): Promise<void> {
    if (await removeFinalizer(this.o.custom, this.ref(cr), cr, FINALIZER))
      cr.metadata.finalizers = (cr.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
  }

  async writeStatus(cr: VpcEndpointService, status: VpcEndpointServiceStatus): Promise<boolean> {
    const written = await this.status.patchStatusIfChanged(this.ref(cr), cr, status);
    if (written) cr.status = structuredClone(status);
    return written;
  }

  async setAnnotations(cr: VpcEndpointService, annotations: Record<string, string | null>): Promise<void> {
    await this.o.custom.patchNamespacedCustomObject(
      { ...this.ref(cr), body: { metadata: { annotations } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
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
