/**
 * The lifecycle's hooks for kinds that depend on other objects, against a fake adapter of a made-up
 * kind (`Gadget`, no VPCEP anywhere): the `waiting` phase of an observation, `prerequisites` before
 * any write, `dependents` after the steps, `relatedVersion` through the steady-state gate, and a
 * non-terminal verdict that waits on something outside the object.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CloudError, isCode } from '../../../src/cloud/errors.js';
import type { ExternalAdapter, Observation, Wait } from '../../../src/managed/adapter.js';
import type { KindDescriptor, ManagedObject, ManagedStatus } from '../../../src/managed/kind.js';
import { ManagedReconciler } from '../../../src/managed/lifecycle.js';
import type { ErrorVerdict } from '../../../src/managed/verdicts.js';
import { LOW_PRIORITY } from '../../../src/runtime/queue.js';
import { silentLogger, type Logger } from '../../../src/runtime/logging.js';
import { ManualClock } from '../../../src/util/clock.js';
import { memoryLogger } from '../runtime/fakes.js';
import { MemoryStore } from './memory-store.js';

interface GadgetSpec {
  size: number;
  deletionPolicy?: 'Delete' | 'Retain';
}
type Gadget = ManagedObject<GadgetSpec, ManagedStatus>;
type Phase = Observation<ManagedStatus>['phase'];

const kind: KindDescriptor = {
  group: 'example.test',
  version: 'v1',
  kind: 'Gadget',
  plural: 'gadgets',
  finalizer: 'example.test/finalizer',
  annotations: {
    paused: 'example.test/paused',
    externalId: 'example.test/gadget-id',
    managementPolicy: 'example.test/management-policy',
    resyncPeriod: 'example.test/resync-period',
    createRequestedAt: 'example.test/create-requested-at',
  },
  noun: 'cloud gadget',
};

/** A cloud of gadgets plus the adapter's optional hooks, each set by a test. */
class Fake {
  readonly items = new Map<string, { phase: Phase; owner: string; size: number; wait?: Wait }>();
  readonly calls: string[] = [];
  prerequisites: Wait | undefined;
  dependents: Wait | undefined;
  related: string | undefined;
  /** The next create fails with this. */
  createError: CloudError | undefined;

  seen(id: string): Observation<ManagedStatus, { size: number }> | undefined {
    const g = this.items.get(id);
    if (!g) return undefined;
    return {
      id,
      raw: { size: g.size },
      phase: g.phase,
      owner: g.owner,
      fields: { status: g.phase },
      ...(g.wait ? { wait: g.wait } : {}),
    };
  }

  only(): { phase: Phase; owner: string; size: number; wait?: Wait } {
    const [g] = [...this.items.values()];
    if (!g) throw new Error('no gadget');
    return g;
  }

  adapter(): ExternalAdapter<Gadget, Fake, ManagedStatus, { size: number }> {
    return {
      observe: async (_c, id) => {
        this.calls.push('observe');
        return this.seen(id);
      },
      findOwned: async (_c, uid) => {
        this.calls.push('findOwned');
        return [...this.items].filter(([, g]) => g.owner === uid).map(([id]) => id);
      },
      create: async (_c, obj, uid) => {
        this.calls.push('create');
        if (this.createError) throw this.createError;
        const id = randomUUID();
        this.items.set(id, { phase: 'creating', owner: uid, size: obj.spec.size });
        return this.seen(id)!;
      },
      claim: async () => {
        this.calls.push('claim');
      },
      steps: [
        {
          name: 'size',
          apply: async (_c, obj, seen) => {
            if (seen.raw.size === obj.spec.size) return { changed: [] };
            this.calls.push('resize');
            this.items.get(seen.id)!.size = obj.spec.size;
            return { changed: ['size'] };
          },
        },
      ],
      delete: async () => {
        this.calls.push('delete');
      },
      isId: () => true,
      prerequisites: async () => {
        this.calls.push('prerequisites');
        return this.prerequisites;
      },
      dependents: async () => {
        this.calls.push('dependents');
        return this.dependents;
      },
      relatedVersion: () => this.related,
      verdict: (err: CloudError): ErrorVerdict | undefined =>
        isCode(err, 'Gadget.2012')
          ? {
              reason: 'NotWhitelisted',
              terminal: false,
              recheckMs: 30_000,
              message: 'the owner must let this account in',
            }
          : undefined,
      cloudFields: [],
    };
  }
}

function rig() {
  const clock = new ManualClock();
  const fake = new Fake();
  const store = new MemoryStore<Gadget>(kind.finalizer);
  const reconciler = new ManagedReconciler<Gadget, Fake, ManagedStatus>({
    kind,
    adapter: fake.adapter(),
    ops: store,
    credentials: { resolve: async () => ({ client: fake, source: 'test', projectId: 'p1' }) },
    clock,
    random: () => 0.5,
  });
  const pass = async (log: Logger = silentLogger()) =>
    reconciler.reconcile(
      { namespace: 'ns', name: 'w', key: 'ns/w' },
      { reconcileId: 'r', log, signal: new AbortController().signal },
    );
  /** Applies a gadget, creates it and lets the cloud finish creating it in `phase`. */
  const created = async (phase: Phase = 'ready', wait?: Wait) => {
    store.apply({ spec: { size: 1 } });
    await pass();
    const g = fake.only();
    g.phase = phase;
    if (wait) g.wait = wait;
    fake.calls.length = 0;
  };
  return { clock, fake, store, pass, created };
}

const pending: Wait = {
  reason: 'PendingAcceptance',
  message: "the connection waits for its owner's approval",
  recheckMs: 7_000,
};

describe('the waiting phase of an observation', () => {
  it('reads Ready=False with the wait, Synced=True, the generation observed, and looks again after recheckMs keeping its priority', async () => {
    const r = rig();
    await r.created('waiting', pending);
    const result = await r.pass();
    expect(r.store.condition('Ready')).toMatchObject({
      status: 'False',
      reason: 'PendingAcceptance',
      message: "the connection waits for its owner's approval",
    });
    expect(r.store.condition('Synced')).toMatchObject({ status: 'True', reason: 'ReconcileSuccess' });
    expect(r.store.obj?.status?.observedGeneration).toBe(1);
    // Not routine: the requeue keeps the priority the key was handed out with (no priority named).
    expect(result).toEqual({ requeueAfterMs: 7_000 });
    // Not a sync for the gate: the next pass looks at the cloud again.
    await r.pass();
    expect(r.fake.calls.filter((c) => c === 'observe')).toHaveLength(2);
  });

  it('a routine wait is rechecked at low priority', async () => {
    const r = rig();
    await r.created('waiting', {
      reason: 'Rejected',
      message: 'rejected',
      recheckMs: 300_000,
      routine: true,
    });
    expect(await r.pass()).toEqual({ requeueAfterMs: 300_000, priority: LOW_PRIORITY });
    expect(r.store.condition('Ready')).toMatchObject({ status: 'False', reason: 'Rejected' });
  });

  it('still runs the update steps (a changed spec reaches the cloud while waiting), but not the dependents', async () => {
    const r = rig();
    await r.created('waiting', pending);
    r.store.editSpec((s) => (s.size = 5));
    await r.pass();
    expect(r.fake.only().size).toBe(5);
    expect(r.fake.calls).toContain('resize');
    expect(r.fake.calls).not.toContain('dependents');
    expect(r.store.obj?.status?.observedGeneration).toBe(2);
    expect(r.store.condition('Ready')?.reason).toBe('PendingAcceptance');
  });

  it('logs a transition into the wait once, not on every look', async () => {
    const r = rig();
    await r.created('waiting', pending);
    const mem = memoryLogger('info');
    await r.pass(mem.log);
    await r.pass(mem.log);
    await r.pass(mem.log);
    const waits = mem.lines().filter((l) => l.decision === 'waiting');
    expect(waits).toHaveLength(1);
    expect(waits[0]).toMatchObject({ reason: 'PendingAcceptance' });
    // A change of what it waits for is a new transition.
    r.fake.only().wait = { ...pending, reason: 'Rejected' };
    await r.pass(mem.log);
    expect(mem.lines().filter((l) => l.decision === 'waiting')).toHaveLength(2);
  });

  it('once the wait is over the object turns Ready', async () => {
    const r = rig();
    await r.created('waiting', pending);
    await r.pass();
    r.fake.only().phase = 'ready';
    await r.pass();
    expect(r.store.condition('Ready')).toMatchObject({ status: 'True', reason: 'Available' });
  });
});

describe('prerequisites', () => {
  it('a wait comes before any write: no finalizer, no create marker, no create call', async () => {
    const r = rig();
    r.fake.prerequisites = {
      reason: 'ServiceNotReady',
      message: 'the service has no id yet',
      recheckMs: 30_000,
      routine: true,
    };
    r.store.apply({ spec: { size: 1 } });
    const result = await r.pass();
    expect(result).toEqual({ requeueAfterMs: 30_000, priority: LOW_PRIORITY });
    expect(r.fake.calls).toEqual(['findOwned', 'prerequisites']);
    expect(r.fake.items.size).toBe(0);
    expect(r.store.metadataWrites).toBe(0);
    expect(r.store.obj?.metadata.finalizers ?? []).toEqual([]);
    expect(r.store.obj?.metadata.annotations?.[kind.annotations.createRequestedAt]).toBeUndefined();
    expect(r.store.condition('Ready')).toMatchObject({
      status: 'False',
      reason: 'ServiceNotReady',
      message: 'the service has no id yet',
    });
    expect(r.store.condition('Synced')).toMatchObject({ status: 'True' });
    expect(r.store.obj?.status?.observedGeneration).toBe(1);
  });

  it('a wait that is not routine keeps the priority', async () => {
    const r = rig();
    r.fake.prerequisites = { reason: 'ServiceNotReady', message: 'soon', recheckMs: 2_000 };
    r.store.apply({ spec: { size: 1 } });
    expect(await r.pass()).toEqual({ requeueAfterMs: 2_000 });
  });

  it('once satisfied, the create goes ahead (finalizer and marker first, one create)', async () => {
    const r = rig();
    r.fake.prerequisites = { reason: 'ServiceNotReady', message: 'no id yet', recheckMs: 30_000 };
    r.store.apply({ spec: { size: 1 } });
    await r.pass();
    await r.pass();
    expect(r.fake.calls).not.toContain('create');
    r.fake.prerequisites = undefined;
    await r.pass();
    expect(r.fake.calls.filter((c) => c === 'create')).toHaveLength(1);
    expect(r.fake.items.size).toBe(1);
    expect(r.store.obj?.metadata.finalizers).toEqual([kind.finalizer]);
    expect(r.store.obj?.metadata.annotations?.[kind.annotations.createRequestedAt]).toBeDefined();
    expect(r.store.obj?.status?.id).toBe([...r.fake.items.keys()][0]);
    expect(r.store.condition('Ready')?.reason).toBe('Creating');
  });
});

describe('dependents', () => {
  it('run after the update steps on a ready resource; none: Ready=True', async () => {
    const r = rig();
    await r.created();
    r.store.editSpec((s) => (s.size = 2));
    await r.pass();
    expect(r.fake.calls).toEqual(['observe', 'resize', 'dependents']);
    expect(r.store.condition('Ready')).toMatchObject({ status: 'True', reason: 'Available' });
  });

  it('a wait keeps Ready=False with its reason, and the next pass looks again (no gate)', async () => {
    const r = rig();
    await r.created();
    r.fake.dependents = {
      reason: 'PublishConflict',
      message: 'the Service exists and is not ours',
      recheckMs: 300_000,
      routine: true,
    };
    expect(await r.pass()).toEqual({ requeueAfterMs: 300_000, priority: LOW_PRIORITY });
    expect(r.store.condition('Ready')).toMatchObject({
      status: 'False',
      reason: 'PublishConflict',
      message: 'the Service exists and is not ours',
    });
    expect(r.store.condition('Synced')?.status).toBe('True');
    await r.pass();
    expect(r.fake.calls.filter((c) => c === 'dependents')).toHaveLength(2);
    // Resolved: Ready.
    r.fake.dependents = undefined;
    await r.pass();
    expect(r.store.condition('Ready')?.status).toBe('True');
  });
});

describe('relatedVersion and the steady-state gate', () => {
  it('a changed value lets a pass through the gate of a Ready object; an unchanged one is gated', async () => {
    const r = rig();
    r.fake.related = 'a';
    await r.created();
    await r.pass();
    expect(r.store.condition('Ready')?.status).toBe('True');
    r.fake.calls.length = 0;
    // Same value: gated, no cloud call.
    const gated = await r.pass();
    expect(r.fake.calls).toEqual([]);
    expect(gated).toMatchObject({ priority: LOW_PRIORITY });
    // A related object changed: the pass goes through at once.
    r.fake.related = 'b';
    await r.pass();
    expect(r.fake.calls).toEqual(['observe', 'dependents']);
    // Noted: gated again.
    r.fake.calls.length = 0;
    await r.pass();
    expect(r.fake.calls).toEqual([]);
  });
});

describe('a non-terminal verdict with recheckMs', () => {
  it('reads Ready=False and Synced=False with the reason, throws nothing, is not gated, and looks again after recheckMs', async () => {
    const r = rig();
    r.fake.createError = new CloudError({
      kind: 'terminal',
      operation: 'create',
      code: 'Gadget.2012',
      message: 'not whitelisted',
    });
    r.store.apply({ spec: { size: 1 } });
    const result = await r.pass();
    expect(result).toEqual({ requeueAfterMs: 30_000, priority: LOW_PRIORITY });
    for (const type of ['Ready', 'Synced'] as const)
      expect(r.store.condition(type)).toMatchObject({
        status: 'False',
        reason: 'NotWhitelisted',
        message: 'the owner must let this account in',
      });
    expect(r.store.obj?.status?.observedGeneration).toBe(1);
    // No gate: an event (the owner changed the whitelist) retries the create at once.
    r.fake.createError = undefined;
    await r.pass();
    expect(r.fake.calls.filter((c) => c === 'create')).toHaveLength(2);
    expect(r.fake.items.size).toBe(1);
    expect(r.store.condition('Ready')?.reason).toBe('Creating');
  });
});
