/**
 * The managed-resource lifecycle, written once for every kind. One pass reads the resource and the
 * cloud as they are now (never the event that woke it) and takes the next step:
 *
 *   paused                       -> no cloud calls; Synced=False Paused
 *   being deleted                -> finalize.ts (abandon | release | delete and poll to gone)
 *   gated                        -> nothing (a terminal verdict for this generation, or a recent sync)
 *   credentials, project guard   -> CredentialsMissing / ProjectChanged, no cloud call
 *   locate (reads only)          -> status.id | adoption annotation | ownership lookup
 *   not found                    -> one metadata write (finalizer + create marker), create, checkpoint
 *   found, not ours              -> OwnedByAnother: no write ever
 *   creating / deleting          -> poll on an adaptive cadence
 *   failed                       -> CreateFailed; a new generation deletes it and creates anew
 *   ready                        -> claim if unmarked, the adapter's update steps in order, Ready=True
 *
 * Guarantees: never two cloud resources for one object (the finalizer precedes any create, a create
 * is preceded by the ownership lookup, `status.id` is checkpointed right after the create returns, and
 * an unknown outcome is resolved by the lookup); ownership is checked on the resource just read before
 * every write; status is written once per pass (plus the create checkpoint), and not at all when
 * nothing changed; a Ready object synced less than a resync period ago costs no cloud call. Every
 * Kubernetes write is bound to the UID read at the start of the pass. The adapter only talks to the
 * cloud; everything here is kind-agnostic (see test/unit/managed/lifecycle.test.ts: a fake adapter).
 */
import { getCondition } from '../api/conditions.js';
import { CloudError, isCloudError } from '../cloud/errors.js';
import type { Clock } from '../util/clock.js';
import {
  ObjectGoneError,
  TerminalError,
  type ReconcileContext,
  type ReconcileResult,
  type Request,
} from '../runtime/reconcile.js';
import type { ExternalAdapter, Observation, Wait } from './adapter.js';
import { createOrWait } from './create.js';
import type { CredentialSource, Resolved } from './credentials.js';
import { fail, stop } from './failure.js';
import { finalize } from './finalize.js';
import type { KindDescriptor, ManagedObject, ManagedStatus } from './kind.js';
import { checkOwner, Pass, withinCreateGrace } from './pass.js';
import { noteCredentials, gate as policyGate, resolveCredentials } from './policies.js';
import type { ResourceOps } from './resource-ops.js';
import { parseDuration } from '../util/durations.js';
import { afterWait, DEFAULT_RESYNC_MS, jitter, pollDelay, recheck } from './timing.js';
import { EventReason, Reason, type ReasonName } from './verdicts.js';

/** Options of {@link ManagedReconciler}. */
export interface LifecycleOptions<O extends ManagedObject, C, St extends ManagedStatus> {
  kind: KindDescriptor;
  adapter: ExternalAdapter<O, C, St>;
  ops: ResourceOps<O>;
  credentials: CredentialSource<O, C>;
  clock: Clock;
  /** Steady-state resync period (±10 % jitter); the per-object annotation overrides it. */
  resyncMs?: number;
  random?: () => number;
  /** Let observe-only objects read a cloud resource another object owns (off by default). */
  allowObserveOwned?: boolean;
  /**
   * This process's shard (a label selector): an object it does not select is left alone, as if it
   * were gone (no call, no write, its memory forgotten); the process whose shard it moved to takes it.
   */
  inShard?: (obj: O) => boolean;
}

/**
 * What this process remembers about one object between passes, keyed by `namespace/name` and reset
 * when the UID changes. Lost on restart, harmlessly: the next pass then looks at the cloud.
 */
export interface Memo {
  uid: string;
  /** The next create replaces a cloud resource that vanished or failed (event `Recreated`). */
  recreating?: boolean;
  /** When the cloud was last fully observed in sync, and for which generation (steady-state gate). */
  syncedAt?: number;
  syncedGeneration?: number;
  /** When a terminal verdict was last reached, and the gating annotations then (slow recheck gate). */
  terminalAt?: number;
  terminalAnnotations?: string;
  /** The credential source's `version` when the last pass went past the gate (see policies.ts). */
  credentialsVersion?: string;
  /** The adapter's `relatedVersion` when the last pass went past the gate. */
  relatedVersion?: string;
  /** When this process sent the DELETE. */
  deleteSentAt?: number;
}

/** How the located cloud resource was found. */
type Via = 'status' | 'adopt' | 'owner';

/** The generic reconciler; `reconcile` is the runtime's `Reconciler`. */
export class ManagedReconciler<O extends ManagedObject, C, St extends ManagedStatus> {
  private readonly memo = new Map<string, Memo>();
  readonly resyncMs: number;
  readonly random: () => number;

  constructor(readonly opts: LifecycleOptions<O, C, St>) {
    this.resyncMs = opts.resyncMs ?? DEFAULT_RESYNC_MS;
    this.random = opts.random ?? Math.random;
  }

  /**
   * One level-based pass for `req`. Throws retryable errors (rate-limited requeue) or TerminalError.
   * A pass whose object was deleted or replaced meanwhile (a bound write refused) ends quietly; so does
   * one whose signal aborted: the next pass reads the world afresh.
   */
  readonly reconcile = async (req: Request, ctx: ReconcileContext): Promise<ReconcileResult> => {
    try {
      return await this.pass(req, ctx);
    } catch (e) {
      if (e instanceof ObjectGoneError) {
        this.memo.delete(req.key);
        ctx.log.info({ decision: 'object-gone' }, e.message);
        return undefined;
      }
      if (ctx.signal.aborted)
        ctx.log.info({ decision: 'aborted' }, 'the pass was cancelled; the next one starts afresh');
      throw e;
    }
  };

  /** Forgets `key` (the object is gone). */
  forget(key: string): void {
    this.memo.delete(key);
  }

  /** The resync period of `obj` (its annotation, else the operator's). */
  resyncFor(obj: O): number {
    const resync =
      parseDuration(obj.metadata.annotations?.[this.opts.kind.annotations.resyncPeriod]) ?? this.resyncMs;
    const poll = this.opts.adapter.syncPeriod?.(obj);
    return poll !== undefined && poll > 0 ? Math.min(resync, poll) : resync;
  }

  private async pass(req: Request, ctx: ReconcileContext): Promise<ReconcileResult> {
    const { ops, kind } = this.opts;
    const obj = await ops.get(req.namespace, req.name, ctx.signal);
    if (!obj) {
      this.memo.delete(req.key);
      return undefined;
    }
    if (this.opts.inShard && !this.opts.inShard(obj)) {
      this.memo.delete(req.key);
      ctx.log.debug({ decision: 'not-in-shard' }, "outside this operator's --selector: left to its shard");
      return undefined;
    }
    const p = new Pass(this.opts, obj, this.memoFor(req.key, obj.metadata.uid ?? ''), ctx);
    if (obj.metadata.deletionTimestamp) return finalize(this, p);
    if (p.paused) {
      p.draft.condition(
        'Synced',
        'False',
        Reason.Paused,
        `reconciliation is paused by the annotation ${kind.annotations.paused}; remove it to resume`,
      );
      return p.finish(undefined);
    }
    const gate = policyGate(this, p);
    if (gate !== 'proceed') {
      ctx.log.debug({ decision: 'gated' }, 'no cloud call needed');
      return gate;
    }
    noteCredentials(this, p);
    const resolved = await this.resolve(p);
    if (!('client' in resolved)) return resolved.result;
    try {
      const found = await this.locate(p, resolved.client);
      if (!found) return await createOrWait(this, p, resolved);
      let seen = found.seen;
      if (!p.observeOnly) {
        await this.ensureFinalizer(p);
        if (seen.owner === undefined) seen = await this.claim(p, resolved.client, seen);
      }
      if (found.via !== 'status') this.adopted(p, seen, found.via);
      p.draft.setProject(resolved.projectId);
      return await this.converge(p, resolved.client, seen);
    } catch (e) {
      return this.fail(p, e, resolved.source);
    }
  }

  // ---- finding the cloud resource (reads only) -----------------------------------------------------

  /** The cloud resource this object owns or names, or undefined when there is none (create one). */
  private async locate(p: Pass<O, St>, client: C): Promise<{ seen: Observation<St>; via: Via } | undefined> {
    const { adapter, kind } = this.opts;
    const knownId = p.obj.status?.id;
    if (knownId) {
      const seen = await adapter.observe(client, knownId, p.call);
      if (seen) {
        checkOwner(p, seen, this.opts);
        return { seen, via: 'status' };
      }
      if (getCondition(p.obj.status?.conditions, 'Ready')?.reason === Reason.Replacing) {
        // The failed resource we deleted is gone: create its replacement.
        p.draft.clearCloud();
        p.memo.recreating = true;
        return undefined;
      }
      if (withinCreateGrace(p, this.opts.clock))
        throw new CloudError({
          kind: 'retryable',
          operation: 'observe',
          message: `${kind.noun} ${knownId} not readable yet after its create`,
        });
      const note = `${kind.noun} ${knownId} no longer exists${p.observeOnly ? '' : '; creating it again'}`;
      p.event('Warning', EventReason.ServiceVanished, 'Observe', note);
      p.log.warn({ decision: 'vanished', serviceId: knownId }, 'cloud resource vanished');
      p.draft.clearCloud();
      p.draft.condition('Ready', 'False', Reason.NotFound, note);
      p.vanished = true;
      if (p.observeOnly) return undefined;
      p.memo.recreating = true;
    }
    const adoptId = p.obj.metadata.annotations?.[kind.annotations.externalId];
    if (adoptId && !knownId) {
      const shown = JSON.stringify(adoptId.slice(0, 80));
      if (!adapter.isId(adoptId))
        throw new CloudError({
          kind: 'terminal',
          operation: 'adopt',
          code: 'Client.InvalidId',
          message: `the annotation ${kind.annotations.externalId} must be a valid id, got ${shown}`,
        });
      const seen = await adapter.observe(client, adoptId, p.call);
      if (!seen)
        throw new CloudError({
          kind: 'terminal',
          operation: 'adopt',
          message: `the ${kind.noun} ${adoptId} named by ${kind.annotations.externalId} does not exist`,
        });
      checkOwner(p, seen, this.opts);
      return { seen, via: 'adopt' };
    }
    if (adoptId) return undefined;
    const ids = await adapter.findOwned(client, p.uid, p.call);
    if (ids.length === 0) return undefined;
    if (ids.length > 1)
      p.event(
        'Warning',
        EventReason.DuplicateServices,
        'Observe',
        `several cloud resources carry this resource's ownership tag: ${ids.join(', ')}; managing ${ids[0]}, leaving the others untouched`,
      );
    const seen = await adapter.observe(client, ids[0] ?? '', p.call);
    if (!seen) return undefined;
    checkOwner(p, seen, this.opts);
    return { seen, via: 'owner' };
  }

  /** Tags an unmarked resource with this object's UID before any other write, then reads it back. */
  private async claim(p: Pass<O, St>, client: C, seen: Observation<St>): Promise<Observation<St>> {
    await this.opts.adapter.claim(client, seen.id, p.uid, p.call);
    const again = await this.opts.adapter.observe(client, seen.id, p.call);
    if (!again)
      throw new CloudError({
        kind: 'retryable',
        operation: 'adopt',
        message: `${this.opts.kind.noun} ${seen.id} vanished while being claimed`,
      });
    // Of two objects claiming the same unmarked resource at once, only the one whose tag stuck goes on.
    checkOwner(p, again, this.opts);
    return again;
  }

  private adopted(p: Pass<O, St>, seen: Observation<St>, via: Via): void {
    const { noun } = this.opts.kind;
    if (via === 'adopt') {
      p.event(
        'Normal',
        EventReason.Adopted,
        'Adopt',
        `adopted existing ${noun} ${seen.id}${p.observeOnly ? ' (observe only)' : ''}`,
      );
      p.log.info({ decision: 'adopted', serviceId: seen.id, observeOnly: p.observeOnly }, 'adopted by id');
    } else {
      p.event(
        'Normal',
        EventReason.Adopted,
        'Adopt',
        `found ${noun} ${seen.id} by its ownership tag (an earlier create's response was lost)`,
      );
      p.log.info(
        { decision: 'found-by-tag', serviceId: seen.id },
        'resolved an earlier create by its ownership tag',
      );
    }
  }

  /** Adds the finalizer (with `annotations`, in the same write) unless there is nothing to write. */
  async ensureFinalizer(p: Pass<O, St>, annotations?: Record<string, string | null>): Promise<void> {
    const has = (p.obj.metadata.finalizers ?? []).includes(this.opts.kind.finalizer);
    if (has && !annotations) return;
    await this.opts.ops.addFinalizer(p.obj, annotations);
    if (!has) p.log.info({ decision: 'finalizer-added' }, 'finalizer added');
  }

  // ---- converging --------------------------------------------------------------------------------

  /** The step after the cloud resource is known and ours (or observed): poll, replace, update, Ready. */
  async converge(p: Pass<O, St>, client: C, seen: Observation<St>): Promise<ReconcileResult> {
    const { kind, adapter, clock } = this.opts;
    p.draft.setCloud({ ...seen.fields, id: seen.id });
    const replacing = getCondition(p.obj.status?.conditions, 'Ready')?.reason === Reason.Replacing;
    if (seen.phase === 'creating' || seen.phase === 'deleting') {
      if (!(seen.phase === 'deleting' && replacing)) {
        const creating = seen.phase === 'creating';
        p.draft.condition(
          'Ready',
          'False',
          creating ? Reason.Creating : Reason.Deleting,
          creating
            ? `the cloud is creating the ${kind.noun}`
            : `the ${kind.noun} is being deleted outside the operator`,
        );
      }
      p.draft.condition('Synced', 'True', Reason.ReconcileSuccess, '');
      return p.finish({ requeueAfterMs: pollDelay(clock.now() - (seen.startedAt ?? clock.now())) });
    }
    const generation = p.obj.metadata.generation ?? 0;
    if (seen.phase === 'failed') {
      const prior = getCondition(p.obj.status?.conditions, 'Ready');
      if (
        !p.observeOnly &&
        prior?.reason === Reason.CreateFailed &&
        (prior.observedGeneration ?? 0) < generation
      ) {
        // The spec changed since the failure: delete the failed resource, wait until it is gone (it may
        // hold what the replacement needs, such as ports), then create the replacement.
        try {
          await adapter.delete(client, seen.id, p.call);
        } catch (e) {
          if (!(isCloudError(e) && e.kind === 'notFound')) throw e;
        }
        p.draft.setCloud({ status: 'deleting' } as Partial<St>);
        p.draft.condition(
          'Ready',
          'False',
          Reason.Replacing,
          `deleting failed ${kind.noun} ${seen.id} to create it again with the new spec`,
        );
        p.event(
          'Normal',
          EventReason.Deleted,
          'Delete',
          `deleting failed ${kind.noun} ${seen.id}; it is created again with the new spec`,
        );
        return p.finish({ requeueAfterMs: pollDelay(0) });
      }
      const msg = `the cloud failed to create ${kind.noun} ${seen.id}: ${seen.failure ?? 'no error detail'}`;
      await this.stop(p, Reason.CreateFailed, msg, EventReason.CreateFailed, 'Create');
      throw new TerminalError(msg);
    }
    // ready (or a status word we do not know: treat it like ready, never block on it)
    const readyBefore =
      p.obj.status?.observedGeneration === generation &&
      getCondition(p.obj.status?.conditions, 'Ready')?.status === 'True';
    if (!p.observeOnly) {
      const changes: string[] = [];
      for (const step of adapter.steps) {
        const r = await step.apply(client, p.obj, seen, {
          ...p.call,
          event: (type, reason, note) => p.event(type, reason, 'Update', note),
          changing: (what: string[]) =>
            p.draft.condition('Ready', 'False', Reason.Updating, `updating ${what.join(', ')}`),
        });
        changes.push(...r.changed);
        if (r.seen) {
          seen = r.seen;
          p.draft.setCloud({ ...seen.fields, id: seen.id });
        }
      }
      if (changes.length > 0) {
        const drift = readyBefore;
        p.event(
          drift ? 'Warning' : 'Normal',
          drift ? EventReason.DriftCorrected : EventReason.Updated,
          'Update',
          `${drift ? 'corrected drift in' : 'updated'} ${changes.join(', ')} of ${kind.noun} ${seen.id}`,
        );
        p.log.info(
          { decision: drift ? 'drift-corrected' : 'updated', serviceId: seen.id, fields: changes },
          `updated the ${kind.noun}`,
        );
      }
    }
    const wait =
      seen.phase === 'waiting'
        ? (seen.wait ?? { reason: Reason.Creating, message: 'waiting', recheckMs: pollDelay(0) })
        : await adapter.dependents?.(p.obj, seen, p.call);
    if (wait) return this.waiting(p, seen, wait);
    p.draft.condition(
      'Ready',
      'True',
      Reason.Available,
      p.observeOnly
        ? `the ${kind.noun} is available (observed only, never changed)`
        : `the ${kind.noun} is available and matches the spec`,
    );
    p.draft.condition('Synced', 'True', p.observeOnly ? Reason.Observing : Reason.ReconcileSuccess, '');
    p.draft.observed();
    const result = await p.finish(recheck(jitter(this.resyncFor(p.obj), this.random)));
    if (!readyBefore)
      p.log.info({ decision: 'ready', serviceId: seen.id, generation }, 'available and in sync');
    p.memo.syncedAt = clock.now();
    p.memo.syncedGeneration = generation;
    p.memo.terminalAt = undefined;
    return result;
  }

  /**
   * The resource is in sync with the spec but waits for something outside this object (see
   * {@link Wait}): Ready=False with its reason (an event when that changed), Synced=True, the
   * generation observed, and a look again after `recheckMs`. Not a sync for the steady-state gate.
   */
  waiting(p: Pass<O, St>, seen: Observation<St>, wait: Wait): Promise<ReconcileResult> {
    p.draft.condition('Ready', 'False', wait.reason, wait.message);
    p.draft.condition('Synced', 'True', p.observeOnly ? Reason.Observing : Reason.ReconcileSuccess, '');
    p.draft.observed();
    const prior = getCondition(p.obj.status?.conditions, 'Ready');
    if (prior?.reason !== wait.reason)
      p.log.info({ decision: 'waiting', serviceId: seen.id, reason: wait.reason }, wait.message);
    p.memo.terminalAt = undefined;
    return p.finish(afterWait(wait));
  }

  // ---- steps that live in their own files (policies.ts, create.ts, failure.ts) ----------------

  /** See policies.ts. */
  resolve(p: Pass<O, St>): Promise<Resolved<C> | { result: ReconcileResult }> {
    return resolveCredentials(this, p);
  }

  /** See failure.ts. */
  fail(p: Pass<O, St>, e: unknown, source: string): Promise<ReconcileResult> {
    return fail(this, p, e, source);
  }

  /** See failure.ts. */
  stop(p: Pass<O, St>, reason: ReasonName, message: string, event?: string, action?: string): Promise<void> {
    return stop(this, p, reason, message, event, action);
  }

  private memoFor(key: string, uid: string): Memo {
    let m = this.memo.get(key);
    if (!m || m.uid !== uid) {
      m = { uid };
      this.memo.set(key, m);
    }
    return m;
  }
}
