/**
 * Deletion, for every managed kind, in order:
 *
 *   no finalizer of ours          -> nothing to do
 *   the CRD is being deleted      -> Abandoned: release, cloud resource left in place
 *   deletionPolicy Retain         -> Retained: release, cloud resource left in place
 *   observe-only                  -> Retained
 *   refused as OwnedByAnother     -> Released: no cloud call at all
 *   paused                        -> wait (Synced=False Paused)
 *   credentials / project guard   -> wait with a condition (never delete through the wrong project)
 *   find it                       -> status.id | adoption annotation | ownership lookup | none: release
 *   not ours                      -> Released without deleting (never deletes another object's resource)
 *   delete, poll until gone       -> release; `inUse` gives DeleteBlocked and a slow recheck
 */
import { getCondition } from '../api/conditions.js';
import { isCloudError } from '../cloud/errors.js';
import type { ReconcileResult } from '../runtime/reconcile.js';
import type { ManagedObject, ManagedStatus } from './kind.js';
import type { ManagedReconciler } from './lifecycle.js';
import { createGuard, type Pass } from './pass.js';
import { DELETE_BLOCKED_RECHECK_MS, jitter, pollDelay } from './timing.js';
import { describeCloudError, EventReason, Reason } from './verdicts.js';

/** The deletion pass of `p.obj` (it has a deletionTimestamp). */
export async function finalize<O extends ManagedObject, C, St extends ManagedStatus>(
  r: ManagedReconciler<O, C, St>,
  p: Pass<O, St>,
): Promise<ReconcileResult> {
  const { ops, kind, adapter, clock } = r.opts;
  const { obj } = p;
  if (!(obj.metadata.finalizers ?? []).includes(kind.finalizer)) return undefined;
  const release = async (reason: string, note: string): Promise<ReconcileResult> => {
    await ops.event(obj, { type: 'Normal', reason, action: 'Delete', note });
    await ops.removeFinalizer(obj);
    r.forget(`${obj.metadata.namespace ?? 'default'}/${obj.metadata.name ?? ''}`);
    p.log.info({ decision: reason }, note);
    return undefined;
  };
  const current = obj.status?.id ?? '(none)';
  if (await ops.crdBeingDeleted())
    return release(
      EventReason.Abandoned,
      `the CRD is being deleted: leaving ${kind.noun} ${current} in place`,
    );
  if (obj.spec.deletionPolicy === 'Retain')
    return release(EventReason.Retained, `deletionPolicy Retain: leaving ${kind.noun} ${current} in place`);
  if (p.observeOnly)
    return release(EventReason.Retained, `observe-only: leaving ${kind.noun} ${current} in place`);
  if (getCondition(obj.status?.conditions, 'Ready')?.reason === Reason.OwnedByAnother)
    return release(
      EventReason.Released,
      `this resource was refused its ${kind.noun} (owned by another resource): released without touching the cloud`,
    );
  if (p.paused) {
    p.draft.condition(
      'Synced',
      'False',
      Reason.Paused,
      `deletion waits: reconciliation is paused by the annotation ${kind.annotations.paused}`,
    );
    return p.finish(undefined);
  }
  const resolved = await r.resolve(p);
  if (!('client' in resolved)) return resolved.result;
  const { client, source } = resolved;
  try {
    const annotated = obj.metadata.annotations?.[kind.annotations.externalId];
    let id = obj.status?.id ?? (annotated && adapter.isId(annotated) ? annotated : undefined);
    if (!id) {
      // A create whose response was lost may have left a resource: find it by tag before letting go.
      id = (await adapter.findOwned(client, p.uid, p.call))[0];
      if (!id && createGuard(p, clock) > 0) return p.finish({ requeueAfterMs: 2_000 });
    }
    if (!id) return release(EventReason.Deleted, `no ${kind.noun} was created for this resource`);
    const seen = await adapter.observe(client, id, p.call);
    if (!seen) return release(EventReason.Deleted, `deleted ${kind.noun} ${id}`);
    // Deleted only when ours: marked with this UID, or unmarked but recorded in status.id (ours, then
    // its tag was lost). A resource named only by the adoption annotation and never marked is not.
    if (seen.owner !== p.uid && !(seen.owner === undefined && id === obj.status?.id)) {
      p.log.warn(
        { decision: 'release-not-owned', serviceId: id, ownerUid: seen.owner ?? null },
        'not deleting a cloud resource this resource does not own',
      );
      return release(
        EventReason.Released,
        `${kind.noun} ${id} is not owned by this resource: released without deleting it`,
      );
    }
    if (seen.phase !== 'deleting') {
      try {
        await adapter.prepareDelete?.(client, obj, seen, p.call);
        await adapter.delete(client, id, p.call);
      } catch (e) {
        if (isCloudError(e) && e.kind === 'notFound')
          return release(EventReason.Deleted, `deleted ${kind.noun} ${id}`);
        if (isCloudError(e) && e.kind === 'inUse') {
          const blocked = await adapter.describeBlocked?.(client, obj, id, p.call);
          const msg = p.repeated(
            Reason.DeleteBlocked,
            `${describeCloudError(e)}; ${blocked ?? 'reject or remove what is connected to it, or set deletionPolicy: Retain'}`,
          );
          p.draft.condition('Ready', 'False', Reason.DeleteBlocked, msg);
          p.draft.condition('Synced', 'False', Reason.DeleteBlocked, msg);
          p.event('Warning', EventReason.DeleteBlocked, 'Delete', msg, { onlyIfStatusChanged: true });
          return p.finish({ requeueAfterMs: jitter(DELETE_BLOCKED_RECHECK_MS, r.random) });
        }
        throw e;
      }
      p.memo.deleteSentAt = clock.now();
      p.log.info({ decision: 'delete-sent', serviceId: id }, 'DELETE sent');
    }
    p.draft.setCloud({ id, status: 'deleting' } as Partial<St>);
    p.draft.condition('Ready', 'False', Reason.Deleting, `deleting ${kind.noun} ${id}`);
    p.draft.condition('Synced', 'True', Reason.ReconcileSuccess, '');
    return p.finish({ requeueAfterMs: pollDelay(clock.now() - (p.memo.deleteSentAt ?? clock.now())) });
  } catch (e) {
    return r.fail(p, e, source);
  }
}
