/**
 * The generic lifecycle against a fake adapter of a made-up kind (`Widget`): no VPCEP anywhere. If the
 * lifecycle needed anything VPCEP-specific, this suite could not be written. It proves the write
 * budget to Ready, crash-safe create, the ownership invariant, ordered update steps, deletion, and
 * that a cancelled pass writes nothing.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CloudError } from '../../../src/cloud/errors.js';
import type { ExternalAdapter, Observation } from '../../../src/managed/adapter.js';
import {
  CredentialsCloudError,
  CredentialsError,
  type CredentialSource,
} from '../../../src/managed/credentials.js';
import type { KindDescriptor, ManagedObject, ManagedStatus } from '../../../src/managed/kind.js';
import { ManagedReconciler } from '../../../src/managed/lifecycle.js';
import type { ResourceEvent, ResourceOps } from '../../../src/managed/resource-ops.js';
import { ManualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/runtime/logging.js';
import { ObjectGoneError } from '../../../src/runtime/reconcile.js';

interface WidgetSpec {
  size: number;
  colour?: string;
  deletionPolicy?: 'Delete' | 'Retain';
}
interface WidgetStatus extends ManagedStatus {
  size?: number;
}
type Widget = ManagedObject<WidgetSpec, WidgetStatus>;

const kind: KindDescriptor = {
  group: 'example.test',
  version: 'v1',
  kind: 'Widget',
  plural: 'widgets',
  finalizer: 'example.test/finalizer',
  annotations: {
    paused: 'example.test/paused',
    externalId: 'example.test/widget-id',
    managementPolicy: 'example.test/management-policy',
    resyncPeriod: 'example.test/resync-period',
    createRequestedAt: 'example.test/create-requested-at',
  },
  noun: 'cloud widget',
};

/** A cloud of widgets: each has a phase, an owner marker, a size and a colour. */
class FakeCloud {
  readonly items = new Map<
    string,
    { phase: 'creating' | 'ready' | 'deleting'; owner?: string; size: number; colour?: string }
  >();
  readonly calls: string[] = [];
  /** The next create is applied, then its answer lost. */
  loseNextCreate = false;
  /** Calls hang until their signal aborts. */
  hang = false;
  /** The next N calls are refused with kind `auth` (wrong keys). */
  refuse = 0;

  private async enter(op: string, signal: AbortSignal): Promise<void> {
    this.calls.push(op);
    const aborted = (): CloudError =>
      new CloudError({ kind: 'aborted', operation: op, message: `${op} aborted`, code: 'Client.Aborted' });
    if (signal.aborted) throw aborted();
    if (this.refuse > 0) {
      this.refuse--;
      throw new CloudError({ kind: 'auth', operation: op, code: 'APIGW.0301', message: 'bad key' });
    }
    if (this.hang)
      await new Promise((_, reject) => signal.addEventListener('abort', () => reject(aborted())));
  }

  seen(id: string): Observation<WidgetStatus, { size: number; colour?: string }> | undefined {
    const w = this.items.get(id);
    if (!w) return undefined;
    return {
      id,
      raw: { size: w.size, ...(w.colour ? { colour: w.colour } : {}) },
      phase: w.phase,
      owner: w.owner,
      fields: { size: w.size, status: w.phase },
    };
  }

  adapter(): ExternalAdapter<Widget, FakeCloud, WidgetStatus, { size: number; colour?: string }> {
    return {
      observe: async (_c, id, ctx) => {
        await this.enter('observe', ctx.signal);
        return this.seen(id);
      },
      findOwned: async (_c, uid, ctx) => {
        await this.enter('findOwned', ctx.signal);
        return [...this.items]
          .filter(([, w]) => w.owner === uid)
          .map(([id]) => id)
          .sort();
      },
      create: async (_c, obj, uid, ctx) => {
        await this.enter('create', ctx.signal);
        const id = randomUUID();
        this.items.set(id, { phase: 'creating', owner: uid, size: obj.spec.size });
        if (this.loseNextCreate) {
          this.loseNextCreate = false;
          throw new CloudError({ kind: 'unknownOutcome', operation: 'create', message: 'answer lost' });
        }
        return this.seen(id)!;
      },
      claim: async (_c, id, uid, ctx) => {
        await this.enter('claim', ctx.signal);
        this.items.get(id)!.owner = uid;
      },
      steps: [
        {
          name: 'size',
          apply: async (_c, obj, seen, ctx) => {
            if (seen.raw.size === obj.spec.size) return { changed: [] };
            ctx.changing(['size']);
            await this.enter('resize', ctx.signal);
            this.items.get(seen.id)!.size = obj.spec.size;
            return { changed: ['size'], seen: this.seen(seen.id)! };
          },
        },
        {
          name: 'colour',
          apply: async (_c, obj, seen, ctx) => {
            if (seen.raw.colour === obj.spec.colour) return { changed: [] };
            await this.enter('paint', ctx.signal);
            this.items.get(seen.id)!.colour = obj.spec.colour;
            return { changed: ['colour'] };
          },
        },
      ],
      delete: async (_c, id, ctx) => {
        await this.enter('delete', ctx.signal);
        const w = this.items.get(id);
        if (!w) throw new CloudError({ kind: 'notFound', operation: 'delete', message: 'gone' });
        w.phase = 'deleting';
      },
      isId: (id) => /^[0-9a-f-]{36}$/.test(id),
      cloudFields: ['size'],
    };
  }
}

/** Kubernetes in memory for widgets: UID-bound writes, change-only status, counted writes. */
class WidgetStore implements ResourceOps<Widget> {
  obj: Widget | undefined;
  metadataWrites = 0;
  statusWrites = 0;
  readonly events: ResourceEvent[] = [];

  apply(spec: WidgetSpec, annotations: Record<string, string> = {}): Widget {
    this.obj = {
      metadata: { namespace: 'ns', name: 'w', uid: randomUUID(), generation: 1, annotations },
      spec,
    };
    return structuredClone(this.obj);
  }
  private bound(o: Widget): Widget {
    if (!this.obj || this.obj.metadata.uid !== o.metadata.uid) throw new ObjectGoneError('gone');
    return this.obj;
  }
  async get(): Promise<Widget | undefined> {
    return this.obj ? structuredClone(this.obj) : undefined;
  }
  async addFinalizer(o: Widget, annotations: Record<string, string | null> = {}): Promise<void> {
    const s = this.bound(o);
    s.metadata.finalizers = [...new Set([...(s.metadata.finalizers ?? []), kind.finalizer])];
    const a = { ...(s.metadata.annotations ?? {}) };
    for (const [k, v] of Object.entries(annotations))
      if (v === null) delete a[k];
      else a[k] = v;
    s.metadata.annotations = a;
    this.metadataWrites++;
    o.metadata = structuredClone(s.metadata);
  }
  async removeFinalizer(o: Widget): Promise<void> {
    const s = this.bound(o);
    s.metadata.finalizers = (s.metadata.finalizers ?? []).filter((f) => f !== kind.finalizer);
    this.metadataWrites++;
    if (s.metadata.deletionTimestamp && s.metadata.finalizers.length === 0) this.obj = undefined;
  }
  async writeStatus(o: Widget, status: WidgetStatus): Promise<boolean> {
    if (isDeepStrictEqual(o.status ?? {}, status)) return false;
    const s = this.bound(o);
    s.status = structuredClone(status);
    o.status = structuredClone(status);
    this.statusWrites++;
    return true;
  }
  async setAnnotations(o: Widget, annotations: Record<string, string | null>): Promise<void> {
    await this.addFinalizer(o, annotations);
  }
  async crdBeingDeleted(): Promise<boolean> {
    return false;
  }
  async event(_o: Widget, e: ResourceEvent): Promise<void> {
    this.events.push(e);
  }
}

function rig(credentials?: (cloud: FakeCloud) => CredentialSource<Widget, FakeCloud>) {
  const clock = new ManualClock();
  const cloud = new FakeCloud();
  const store = new WidgetStore();
  const reconciler = new ManagedReconciler<Widget, FakeCloud, WidgetStatus>({
    kind,
    adapter: cloud.adapter(),
    ops: store,
    credentials: credentials?.(cloud) ?? {
      resolve: async () => ({ client: cloud, source: 'test', projectId: 'p1' }),
    },
    clock,
    random: () => 0.5,
  });
  const pass = async (signal = new AbortController().signal) =>
    reconciler.reconcile(
      { namespace: 'ns', name: 'w', key: 'ns/w' },
      { reconcileId: 'r', log: silentLogger(), signal },
    );
  const ready = (): boolean =>
    store.obj?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  return { clock, cloud, store, pass, ready };
}

describe('the generic lifecycle, on a kind that is not VPCEP', () => {
  it('reaches Ready in 3 Kubernetes writes: finalizer + marker, status.id checkpoint, Ready', async () => {
    const r = rig();
    r.store.apply({ size: 3 });
    const first = await r.pass();
    expect(r.store.metadataWrites).toBe(1);
    expect(r.store.obj?.metadata.finalizers).toEqual([kind.finalizer]);
    expect(r.store.obj?.metadata.annotations?.[kind.annotations.createRequestedAt]).toBeDefined();
    expect(r.store.statusWrites).toBe(1);
    expect(r.store.obj?.status?.id).toBeDefined();
    expect(r.store.obj?.status?.projectId).toBe('p1');
    // Polls while creating write nothing.
    await r.pass();
    expect(r.store.statusWrites).toBe(1);
    r.cloud.items.get(r.store.obj!.status!.id!)!.phase = 'ready';
    await r.clock.advance((first as { requeueAfterMs: number }).requeueAfterMs);
    await r.pass();
    expect(r.ready()).toBe(true);
    expect(r.store.metadataWrites + r.store.statusWrites).toBe(3);
    // Steady state: no write, no cloud call within the resync period.
    const calls = r.cloud.calls.length;
    await r.pass();
    expect(r.store.metadataWrites + r.store.statusWrites).toBe(3);
    expect(r.cloud.calls.length).toBe(calls);
  });

  it('a lost create answer is resolved by the ownership lookup: one cloud resource, never two', async () => {
    const r = rig();
    r.store.apply({ size: 1 });
    r.cloud.loseNextCreate = true;
    await r.pass();
    expect(r.store.obj?.status?.id).toBeUndefined();
    await r.pass();
    expect(r.cloud.calls.filter((c) => c === 'create')).toHaveLength(1);
    expect(r.store.obj?.status?.id).toBe([...r.cloud.items.keys()][0]);
    expect(r.cloud.items.size).toBe(1);
  });

  it('runs the update steps in order, and never writes a resource another object owns', async () => {
    const r = rig();
    const theirs = randomUUID();
    r.cloud.items.set(theirs, { phase: 'ready', owner: 'someone-else', size: 1 });
    r.store.apply({ size: 9, colour: 'red' }, { [kind.annotations.externalId]: theirs });
    await r.pass();
    expect(r.store.obj?.status?.conditions?.find((c) => c.type === 'Ready')?.reason).toBe('OwnedByAnother');
    expect(r.cloud.calls).toEqual(['observe']);
    expect(r.cloud.items.get(theirs)?.size).toBe(1);

    const mine = randomUUID();
    r.cloud.items.set(mine, { phase: 'ready', size: 1 });
    r.cloud.calls.length = 0;
    r.store.apply({ size: 9, colour: 'red' }, { [kind.annotations.externalId]: mine });
    await r.pass();
    expect(r.cloud.calls).toEqual(['observe', 'claim', 'observe', 'resize', 'paint']);
    expect(r.ready()).toBe(true);
    expect(r.cloud.items.get(mine)).toMatchObject({
      size: 9,
      colour: 'red',
      owner: r.store.obj?.metadata.uid,
    });
  });

  it('deletes what it owns and polls until it is gone, then releases the object', async () => {
    const r = rig();
    r.store.apply({ size: 1 });
    await r.pass();
    const id = r.store.obj!.status!.id!;
    r.cloud.items.get(id)!.phase = 'ready';
    r.store.obj!.metadata.deletionTimestamp = new Date();
    await r.pass();
    expect(r.cloud.items.get(id)?.phase).toBe('deleting');
    r.cloud.items.delete(id);
    await r.pass();
    expect(r.store.obj).toBeUndefined();
  });

  it('a cancelled pass stops at the call in flight and writes nothing', async () => {
    const r = rig();
    r.store.apply({ size: 1 });
    await r.pass();
    const writes = r.store.metadataWrites + r.store.statusWrites;
    r.cloud.hang = true;
    await r.clock.advance(11 * 60_000);
    const ac = new AbortController();
    const pending = r.pass(ac.signal);
    ac.abort();
    await expect(pending).rejects.toMatchObject({ kind: 'aborted' });
    expect(r.store.metadataWrites + r.store.statusWrites).toBe(writes);
  });
});

/** A credential source whose outcome and version a test sets; counts its resolves. */
class Creds implements CredentialSource<Widget, FakeCloud> {
  current = 'v1';
  resolves = 0;
  failure: Error | undefined;
  constructor(private readonly cloud: FakeCloud) {}
  async resolve() {
    this.resolves++;
    if (this.failure) throw this.failure;
    return { client: this.cloud, source: 'Secret ns/creds', projectId: 'p1' };
  }
  version(): string {
    return this.current;
  }
}

describe('the gates and a change of credentials (a watched Secret)', () => {
  const reason = (r: ReturnType<typeof rig>): string | undefined =>
    r.store.obj?.status?.conditions?.find((c) => c.type === 'Ready')?.reason;

  it('CredentialsMissing waits for its slow recheck, unless the credentials change: then at once', async () => {
    let creds!: Creds;
    const r = rig((cloud) => (creds = new Creds(cloud)));
    creds.failure = new CredentialsError('Secret ns/creds not found', 'Secret ns/creds');
    r.store.apply({ size: 1 });
    await r.pass();
    expect(reason(r)).toBe('CredentialsMissing');
    expect(creds.resolves).toBe(1);
    // An event with nothing changed (say a relist): gated, not even a Secret read.
    await r.clock.advance(1_000);
    expect(await r.pass()).toMatchObject({ requeueAfterMs: 59_000 });
    expect(creds.resolves).toBe(1);
    // The Secret appears: the watch reports a new version, the pass goes through and creates.
    creds.failure = undefined;
    creds.current = 'v2';
    await r.pass();
    expect(creds.resolves).toBe(2);
    expect(r.cloud.calls).toContain('create');
  });

  it('AuthFailed (the cloud refused the keys) is retried at once when the credentials change', async () => {
    let creds!: Creds;
    const r = rig((cloud) => (creds = new Creds(cloud)));
    r.cloud.refuse = 1;
    r.store.apply({ size: 1 });
    expect(await r.pass()).toMatchObject({ requeueAfterMs: 5 * 60_000 });
    expect(reason(r)).toBe('AuthFailed');
    const calls = r.cloud.calls.length;
    await r.clock.advance(1_000);
    await r.pass();
    expect(r.cloud.calls.length).toBe(calls); // gated: the slow recheck is minutes away
    creds.current = 'v2'; // the Secret was fixed
    await r.pass();
    expect(r.cloud.calls.slice(calls)).toEqual(['findOwned', 'create']);
    expect(reason(r)).toBe('Creating');
  });

  it('a Ready object inside its resync costs nothing, until the credentials change', async () => {
    let creds!: Creds;
    const r = rig((cloud) => (creds = new Creds(cloud)));
    r.store.apply({ size: 1 });
    const first = await r.pass();
    r.cloud.items.get(r.store.obj!.status!.id!)!.phase = 'ready';
    await r.clock.advance((first as { requeueAfterMs: number }).requeueAfterMs);
    await r.pass();
    expect(r.ready()).toBe(true);
    const calls = r.cloud.calls.length;
    await r.pass();
    expect(r.cloud.calls.length).toBe(calls);
    creds.current = 'v2'; // the Secret was rotated
    await r.pass();
    expect(r.cloud.calls.slice(calls)).toEqual(['observe']);
    expect(r.ready()).toBe(true);
    // Noted: the next pass is gated again.
    await r.pass();
    expect(r.cloud.calls.length).toBe(calls + 1);
  });

  it('a CredentialsCloudError from the source is judged as its cloud error, naming the source', async () => {
    let creds!: Creds;
    const r = rig((cloud) => (creds = new Creds(cloud)));
    creds.failure = new CredentialsCloudError(
      new CloudError({ kind: 'auth', operation: 'iamToken', code: 'IAM.0001', message: 'refused' }),
      'Secret ns/creds',
    );
    r.store.apply({ size: 1 });
    const result = await r.pass();
    expect(reason(r)).toBe('AuthFailed');
    const ready = r.store.obj?.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.message).toBe(
      'iamToken failed: IAM.0001: refused; check the credentials from Secret ns/creds',
    );
    expect(result).toMatchObject({ requeueAfterMs: 5 * 60_000 });
    expect(r.cloud.calls).toEqual([]);
  });
});
