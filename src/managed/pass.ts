/**
 * One reconcile pass's working state: the object as read, the status being built, what this process
 * remembers about the object, the events to record, and the small rules every pass applies (owner
 * check, create grace, the gating annotations). Status is written by {@link Pass.finish} once at the
 * end of a pass (or by {@link Pass.commit} at a named checkpoint); events are recorded after it.
 */
import { getCondition } from '../api/conditions.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../runtime/logging.js';
import type { ReconcileContext, ReconcileResult } from '../runtime/reconcile.js';
import type { CallContext, Observation } from './adapter.js';
import type { KindDescriptor, ManagedObject, ManagedStatus } from './kind.js';
import type { LifecycleOptions, Memo } from './lifecycle.js';
import type { ResourceEvent, ResourceOps } from './resource-ops.js';
import { StatusDraft } from './status-draft.js';
import { CREATE_GRACE_MS } from './timing.js';

interface PendingEvent extends ResourceEvent {
  onlyIfStatusChanged: boolean;
}

/** See the module doc. */
export class Pass<O extends ManagedObject, St extends ManagedStatus> {
  readonly draft: StatusDraft<St>;
  readonly observeOnly: boolean;
  readonly paused: boolean;
  readonly uid: string;
  readonly log: Logger;
  readonly call: CallContext;
  readonly kind: KindDescriptor;
  /** The recorded cloud resource vanished in this pass. */
  vanished = false;
  private readonly events: PendingEvent[] = [];
  private readonly ops: ResourceOps<O>;
  private wrote = false;

  constructor(
    opts: LifecycleOptions<O, unknown, St>,
    readonly obj: O,
    readonly memo: Memo,
    ctx: ReconcileContext,
  ) {
    const a = obj.metadata.annotations ?? {};
    this.ops = opts.ops;
    this.kind = opts.kind;
    this.draft = new StatusDraft<St>(
      obj as unknown as ManagedObject<object, St>,
      opts.clock,
      opts.adapter.cloudFields,
    );
    this.observeOnly = a[opts.kind.annotations.managementPolicy] === 'observe';
    this.paused = a[opts.kind.annotations.paused] === 'true';
    this.uid = obj.metadata.uid ?? '';
    this.log = ctx.log;
    this.call = { signal: ctx.signal };
  }

  /** Queues an event, recorded after the status write (only if it changed status, when asked). */
  event(
    type: 'Normal' | 'Warning',
    reason: string,
    action: string,
    note: string,
    o = { onlyIfStatusChanged: false },
  ): void {
    this.events.push({ type, reason, action, note, onlyIfStatusChanged: o.onlyIfStatusChanged });
  }

  /** Writes the status built so far, if it changed (a checkpoint). Returns whether it wrote. */
  async commit(): Promise<boolean> {
    const wrote = await this.ops.writeStatus(this.obj, this.draft.build() as NonNullable<O['status']>);
    this.wrote ||= wrote;
    return wrote;
  }

  /** Ends the pass: the one status write, then the queued events; returns `result`. */
  async finish(result: ReconcileResult): Promise<ReconcileResult> {
    await this.commit();
    for (const e of this.events.splice(0))
      if (!e.onlyIfStatusChanged || this.wrote)
        await this.ops.event(this.obj, { type: e.type, reason: e.reason, action: e.action, note: e.note });
    return result;
  }

  /**
   * The message to record for a refusal with `reason`: the one already recorded when the Ready condition
   * says the same for this generation, differing only in the request id. Each attempt gets a new request
   * id; recording it would write status and emit a Warning event on every recheck while nothing changed.
   */
  repeated(reason: string, message: string): string {
    const prior = getCondition(this.obj.status?.conditions, 'Ready');
    const withoutId = (m: string): string => m.replace(/ \(request id [^)]*\)/g, '');
    return prior?.status === 'False' &&
      prior.reason === reason &&
      prior.observedGeneration === (this.obj.metadata.generation ?? 0) &&
      withoutId(prior.message) === withoutId(message)
      ? prior.message
      : message;
  }
}

/** The cloud resource carries the ownership marker of another object. */
export class OwnedByAnother extends Error {}

/**
 * Throws {@link OwnedByAnother} unless the pass's object may act on `seen`: its owner is absent or is
 * this object's UID (or the object only observes and the operator allows observing others'). The
 * message never names the other object; the log does, for administrators.
 */
export function checkOwner<O extends ManagedObject, St extends ManagedStatus>(
  p: Pass<O, St>,
  seen: Observation<St>,
  opts: { kind: KindDescriptor; allowObserveOwned?: boolean },
): void {
  if (seen.owner === undefined || seen.owner === p.uid) return;
  if (p.observeOnly && opts.allowObserveOwned) return;
  p.log.warn(
    { decision: 'owned-by-another', serviceId: seen.id, ownerUid: seen.owner },
    'refusing a cloud resource whose ownership tag names another resource',
  );
  const how = p.observeOnly
    ? 'observing the cloud resources of other resources is disabled in this operator (--allow-observe-owned)'
    : `remove the annotation ${opts.kind.annotations.externalId}, or ask an administrator if the owning resource no longer exists`;
  throw new OwnedByAnother(
    `${opts.kind.noun} ${seen.id} belongs to another resource (its ownership tag names a different ` +
      `resource): this resource never changes or deletes it; ${how}`,
  );
}

/** Milliseconds to wait before creating, while a create sent moments ago may still surface by tag. */
export function createGuard<O extends ManagedObject, St extends ManagedStatus>(
  p: Pass<O, St>,
  clock: Clock,
): number {
  const at = Date.parse(p.obj.metadata.annotations?.[p.kind.annotations.createRequestedAt] ?? '');
  if (Number.isNaN(at) || p.obj.status?.id) return 0;
  const age = clock.now() - at;
  return age >= 0 && age < CREATE_GRACE_MS ? CREATE_GRACE_MS - age : 0;
}

/** A 404 right after our own create, before the resource was ever seen past `creating`, may be read lag. */
export function withinCreateGrace<O extends ManagedObject, St extends ManagedStatus>(
  p: Pass<O, St>,
  clock: Clock,
): boolean {
  if (p.obj.status?.status !== 'creating') return false;
  const at = Date.parse(p.obj.metadata.annotations?.[p.kind.annotations.createRequestedAt] ?? '');
  const age = clock.now() - at;
  return !Number.isNaN(at) && age >= 0 && age < CREATE_GRACE_MS;
}

/** The annotations whose change may lift a terminal verdict without a spec change. */
export function gatingAnnotations(obj: ManagedObject, kind: KindDescriptor): string {
  const a = obj.metadata.annotations ?? {};
  return JSON.stringify([
    a[kind.annotations.externalId] ?? null,
    a[kind.annotations.managementPolicy] ?? null,
  ]);
}
