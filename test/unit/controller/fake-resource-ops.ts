/**
 * An in-memory {@link ResourceOps} with the apiserver semantics the reconciler relies on: reads are
 * deep copies (a quorum read, never shared with the caller), status writes are change-only, metadata
 * and status writes bump `resourceVersion`, spec changes bump `metadata.generation`, an object
 * marked for deletion disappears once its last finalizer is removed, and every write is bound to the
 * UID of the object passed in (`ObjectGoneError` when it is gone or was replaced under the same name).
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { API_VERSION, FINALIZER, KIND } from '../../../src/api/constants.js';
import type {
  VpcEndpointService,
  VpcEndpointServiceSpec,
  VpcEndpointServiceStatus,
} from '../../../src/api/types.js';
import type { ResourceEvent, ResourceOps } from '../../../src/managed/resource-ops.js';
import { ObjectGoneError } from '../../../src/runtime/reconcile.js';

/** Names of the {@link ResourceOps} methods, as recorded in {@link FakeResourceOps.calls}. */
export type OpName = keyof ResourceOps;

/** One recorded call: which operation, on which object, and what the caller passed. */
export interface OpCall {
  op: OpName;
  key: string;
  /** For `writeStatus`: the status asked for (a copy), and whether a write was sent. */
  status?: VpcEndpointServiceStatus;
  written?: boolean;
  /** For `setAnnotations`: the annotations asked for. */
  annotations?: Record<string, string | null>;
}

/** An event as recorded, with the object it is about. */
export interface RecordedEvent extends ResourceEvent {
  key: string;
}

const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`;
const crKey = (cr: VpcEndpointService): string =>
  keyOf(cr.metadata.namespace ?? 'default', cr.metadata.name ?? '');

/**
 * Fake Kubernetes side of the reconciler. Every call is appended to {@link calls} (and reported to
 * {@link onCall}, so a test can snapshot other state, such as cloud counters, at that moment).
 */
export class FakeResourceOps implements ResourceOps {
  private readonly store = new Map<string, VpcEndpointService>();
  private rv = 0;
  /** Every call, in order. */
  readonly calls: OpCall[] = [];
  /** Every event recorded, in order. */
  readonly events: RecordedEvent[] = [];
  /** What {@link crdBeingDeleted} answers. */
  crdDeleting = false;
  /** Metadata writes sent (finalizer and annotation patches), for write budgets. */
  metadataWrites = 0;
  /** Called after each recorded call. */
  onCall: ((call: OpCall) => void) | undefined;
  /** Called as each write starts, before it looks at the store (a test may change the store there). */
  beforeWrite: ((op: OpName, key: string) => void) | undefined;

  /** Creates an object as `kubectl apply` would: new UID, generation 1, no status. Returns a copy. */
  create(namespace: string, name: string, spec: VpcEndpointServiceSpec): VpcEndpointService {
    const cr: VpcEndpointService = {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: {
        namespace,
        name,
        uid: randomUUID(),
        generation: 1,
        resourceVersion: this.nextRv(),
      },
      spec: structuredClone(spec),
    };
    this.store.set(keyOf(namespace, name), cr);
    return structuredClone(cr);
  }

  /**
   * The finalizers are forced off and the object deleted, then a new object of the same name is created
   * (new UID, generation 1): what `kubectl patch` of the finalizers plus a re-apply does. Returns a copy.
   */
  replace(namespace: string, name: string, spec: VpcEndpointServiceSpec): VpcEndpointService {
    this.store.delete(keyOf(namespace, name));
    return this.create(namespace, name, spec);
  }

  /** The stored object (a copy), without recording a call. */
  peek(namespace: string, name: string): VpcEndpointService | undefined {
    const cr = this.store.get(keyOf(namespace, name));
    return cr ? structuredClone(cr) : undefined;
  }

  /** A user edit of the spec: bumps `metadata.generation` (as the apiserver does for spec changes). */
  updateSpec(namespace: string, name: string, edit: (spec: VpcEndpointServiceSpec) => void): void {
    const cr = this.must(namespace, name);
    edit(cr.spec);
    cr.metadata.generation = (cr.metadata.generation ?? 0) + 1;
    cr.metadata.resourceVersion = this.nextRv();
  }

  /** A user edit of the annotations (no generation bump). `null` removes a key. */
  annotate(namespace: string, name: string, annotations: Record<string, string | null>): void {
    const cr = this.must(namespace, name);
    cr.metadata.annotations = merge(cr.metadata.annotations, annotations);
    cr.metadata.resourceVersion = this.nextRv();
  }

  /** `kubectl delete`: sets `deletionTimestamp`, or removes the object at once when it has no finalizer. */
  markDeleted(namespace: string, name: string, at: Date): void {
    const cr = this.must(namespace, name);
    if ((cr.metadata.finalizers ?? []).length === 0) {
      this.store.delete(keyOf(namespace, name));
      return;
    }
    cr.metadata.deletionTimestamp ??= at;
    cr.metadata.resourceVersion = this.nextRv();
  }

  /** Number of `writeStatus` calls that sent a write, in total or for one object. */
  statusWrites(key?: string): number {
    return this.calls.filter((c) => c.op === 'writeStatus' && c.written && (!key || c.key === key)).length;
  }

  async get(namespace: string, name: string): Promise<VpcEndpointService | undefined> {
    this.record({ op: 'get', key: keyOf(namespace, name) });
    const cr = this.store.get(keyOf(namespace, name));
    return cr ? structuredClone(cr) : undefined;
  }

  async addFinalizer(cr: VpcEndpointService, annotations: Record<string, string | null> = {}): Promise<void> {
    this.beforeWrite?.('addFinalizer', crKey(cr));
    const stored = this.bound(cr);
    const finalizers = stored.metadata.finalizers ?? [];
    const adding = !finalizers.includes(FINALIZER);
    if (adding && stored.metadata.deletionTimestamp)
      throw new Error('the apiserver refuses new finalizers on an object being deleted');
    if (adding || Object.keys(annotations).length > 0) {
      // One metadata write: the finalizer and the annotations together.
      if (adding) stored.metadata.finalizers = [...finalizers, FINALIZER];
      stored.metadata.annotations = merge(stored.metadata.annotations, annotations);
      stored.metadata.resourceVersion = this.nextRv();
      this.metadataWrites++;
    }
    cr.metadata.finalizers = [...(stored.metadata.finalizers ?? [])];
    cr.metadata.annotations = merge(cr.metadata.annotations, annotations);
    cr.metadata.resourceVersion = stored.metadata.resourceVersion;
    this.record({ op: 'addFinalizer', key: crKey(cr), annotations: { ...annotations } });
  }

  async removeFinalizer(cr: VpcEndpointService): Promise<void> {
    this.beforeWrite?.('removeFinalizer', crKey(cr));
    const key = crKey(cr);
    const found = this.store.get(key);
    const stored = found?.metadata.uid === cr.metadata.uid ? found : undefined;
    if (stored && (stored.metadata.finalizers ?? []).includes(FINALIZER)) {
      stored.metadata.finalizers = (stored.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
      stored.metadata.resourceVersion = this.nextRv();
      if (stored.metadata.deletionTimestamp && stored.metadata.finalizers.length === 0)
        this.store.delete(key);
    }
    cr.metadata.finalizers = (cr.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
    this.record({ op: 'removeFinalizer', key });
  }

  async writeStatus(cr: VpcEndpointService, status: VpcEndpointServiceStatus): Promise<boolean> {
    this.beforeWrite?.('writeStatus', crKey(cr));
    const key = crKey(cr);
    const written = !isDeepStrictEqual(cr.status ?? {}, status);
    if (written) {
      const stored = this.bound(cr);
      stored.status = structuredClone(status);
      stored.metadata.resourceVersion = this.nextRv();
      cr.status = structuredClone(status);
      cr.metadata.resourceVersion = stored.metadata.resourceVersion;
    }
    this.record({ op: 'writeStatus', key, status: structuredClone(status), written });
    return written;
  }

  async setAnnotations(cr: VpcEndpointService, annotations: Record<string, string | null>): Promise<void> {
    this.beforeWrite?.('setAnnotations', crKey(cr));
    const key = crKey(cr);
    const stored = this.bound(cr);
    stored.metadata.annotations = merge(stored.metadata.annotations, annotations);
    stored.metadata.resourceVersion = this.nextRv();
    this.metadataWrites++;
    cr.metadata.annotations = merge(cr.metadata.annotations, annotations);
    this.record({ op: 'setAnnotations', key, annotations: { ...annotations } });
  }

  async crdBeingDeleted(): Promise<boolean> {
    this.record({ op: 'crdBeingDeleted', key: '' });
    return this.crdDeleting;
  }

  async event(cr: VpcEndpointService, e: ResourceEvent): Promise<void> {
    const key = crKey(cr);
    this.events.push({ ...e, key });
    this.record({ op: 'event', key });
  }

  private record(call: OpCall): void {
    this.calls.push(call);
    this.onCall?.(call);
  }

  /** The stored object `cr` was read from, or ObjectGoneError (gone, or another UID by that name). */
  private bound(cr: VpcEndpointService): VpcEndpointService {
    const stored = this.store.get(crKey(cr));
    if (!stored || stored.metadata.uid !== cr.metadata.uid)
      throw new ObjectGoneError(`${crKey(cr)} was deleted or replaced`);
    return stored;
  }

  private must(namespace: string, name: string): VpcEndpointService {
    const cr = this.store.get(keyOf(namespace, name));
    if (!cr) throw new Error(`${keyOf(namespace, name)} not found`);
    return cr;
  }

  private nextRv(): string {
    return String(++this.rv);
  }
}

function merge(
  current: Record<string, string> | undefined,
  patch: Record<string, string | null>,
): Record<string, string> {
  const next = { ...(current ?? {}) };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  return next;
}
