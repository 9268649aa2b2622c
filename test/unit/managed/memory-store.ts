/**
 * One managed object of any kind in memory, with the apiserver semantics the lifecycle relies on:
 * reads are copies, status writes are change-only, every write is bound to the UID read (else
 * `ObjectGoneError`), and writes are counted (metadata and status apart) for write budgets.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { ManagedObject } from '../../../src/managed/kind.js';
import type { ResourceEvent, ResourceOps } from '../../../src/managed/resource-ops.js';
import { ObjectGoneError } from '../../../src/runtime/reconcile.js';

/** See the module doc. */
export class MemoryStore<O extends ManagedObject> implements ResourceOps<O> {
  obj: O | undefined;
  metadataWrites = 0;
  statusWrites = 0;
  readonly events: ResourceEvent[] = [];

  constructor(private readonly finalizer: string) {}

  /** `kubectl apply` of a new object: a new UID, generation 1. Returns a copy. */
  apply(base: Omit<O, 'metadata'> & { metadata?: O['metadata'] }): O {
    this.obj = {
      ...structuredClone(base),
      metadata: { namespace: 'ns', name: 'w', uid: randomUUID(), generation: 1, ...base.metadata },
    } as O;
    return structuredClone(this.obj);
  }

  /** A user's edit of the spec (the generation moves). */
  editSpec(edit: (spec: O['spec']) => void): void {
    if (!this.obj) throw new Error('no object');
    edit(this.obj.spec);
    this.obj.metadata.generation = (this.obj.metadata.generation ?? 0) + 1;
  }

  /** The Ready condition as stored. */
  condition(type: 'Ready' | 'Synced') {
    return this.obj?.status?.conditions?.find((c) => c.type === type);
  }

  private bound(o: O): O {
    if (!this.obj || this.obj.metadata.uid !== o.metadata.uid) throw new ObjectGoneError('gone');
    return this.obj;
  }
  async get(): Promise<O | undefined> {
    return this.obj ? structuredClone(this.obj) : undefined;
  }
  async addFinalizer(o: O, annotations: Record<string, string | null> = {}): Promise<void> {
    const s = this.bound(o);
    s.metadata.finalizers = [...new Set([...(s.metadata.finalizers ?? []), this.finalizer])];
    await this.setAnnotations(o, annotations);
  }
  async setAnnotations(o: O, annotations: Record<string, string | null>): Promise<void> {
    const s = this.bound(o);
    const a = { ...(s.metadata.annotations ?? {}) };
    for (const [k, v] of Object.entries(annotations))
      if (v === null) delete a[k];
      else a[k] = v;
    s.metadata.annotations = a;
    this.metadataWrites++;
    o.metadata = structuredClone(s.metadata);
  }
  async removeFinalizer(o: O): Promise<void> {
    const s = this.bound(o);
    s.metadata.finalizers = (s.metadata.finalizers ?? []).filter((f) => f !== this.finalizer);
    this.metadataWrites++;
    if (s.metadata.deletionTimestamp && s.metadata.finalizers.length === 0) this.obj = undefined;
  }
  async writeStatus(o: O, status: NonNullable<O['status']>): Promise<boolean> {
    if (isDeepStrictEqual(o.status ?? {}, status)) return false;
    const s = this.bound(o);
    s.status = structuredClone(status);
    o.status = structuredClone(status);
    this.statusWrites++;
    return true;
  }
  async crdBeingDeleted(): Promise<boolean> {
    return false;
  }
  async event(_o: O, e: ResourceEvent): Promise<void> {
    this.events.push(e);
  }
}
