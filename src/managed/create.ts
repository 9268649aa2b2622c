/**
 * Creating, crash-safe: the finalizer and the create marker in one metadata write before the create,
 * the create sent once, and `status.id` checkpointed the moment it returns. An object that went away
 * meanwhile gets the resource it created deleted (nothing leaks, nothing is re-tagged to a successor).
 */
import { getCondition } from '../api/conditions.js';
import { isCloudError } from '../cloud/errors.js';
import { ObjectGoneError, type ReconcileResult } from '../runtime/reconcile.js';
import type { Observation } from './adapter.js';
import type { Resolved } from './credentials.js';
import type { ManagedObject, ManagedStatus } from './kind.js';
import type { ManagedReconciler } from './lifecycle.js';
import { createGuard, type Pass } from './pass.js';
import { afterWait, recheck } from './timing.js';
import { EventReason, Reason } from './verdicts.js';

export async function createOrWait<O extends ManagedObject, C, St extends ManagedStatus>(
  r: ManagedReconciler<O, C, St>,
  p: Pass<O, St>,
  resolved: Resolved<C>,
): Promise<ReconcileResult> {
  const { kind, adapter, ops } = r.opts;
  if (p.observeOnly) {
    if (!p.vanished) {
      const msg = `no ${kind.noun} to observe: set the annotation ${kind.annotations.externalId} to an existing id`;
      p.draft.condition('Ready', 'False', Reason.NotFound, msg);
    }
    p.draft.condition(
      'Synced',
      'False',
      Reason.NotFound,
      getCondition(p.draft.build().conditions, 'Ready')?.message ?? '',
    );
    p.draft.observed();
    return p.finish(recheck(r.resyncFor(p.obj)));
  }
  const wait = createGuard(p, r.opts.clock);
  if (wait > 0) {
    p.log.info(
      { decision: 'await-tag-index', waitMs: wait },
      'a recent create is not visible yet; looking again before creating',
    );
    return p.finish({ requeueAfterMs: Math.min(wait, 2_000) });
  }
  const missing = await adapter.prerequisites?.(resolved.client, p.obj, p.call);
  if (missing) {
    p.draft.condition('Ready', 'False', missing.reason, missing.message);
    p.draft.condition('Synced', 'True', Reason.ReconcileSuccess, '');
    p.draft.observed();
    p.log.info({ decision: 'create-waits', reason: missing.reason }, missing.message);
    return p.finish(afterWait(missing));
  }
  // One metadata write: the finalizer (before anything can be created) and the create marker.
  await r.ensureFinalizer(p, {
    [kind.annotations.createRequestedAt]: new Date(r.opts.clock.now()).toISOString(),
  });
  let seen: Observation<St>;
  try {
    seen = await adapter.create(resolved.client, p.obj, p.uid, p.call);
  } catch (e) {
    // Any outcome but `unknownOutcome` means the cloud did not act: nothing can surface by tag, so the
    // next create (after a spec fix, say) must not wait out the grace period for it.
    if (isCloudError(e) && e.kind !== 'unknownOutcome' && e.kind !== 'aborted')
      await ops.setAnnotations(p.obj, { [kind.annotations.createRequestedAt]: null });
    return r.fail(p, e, resolved.source);
  }
  p.draft.setCloud({ ...seen.fields, id: seen.id });
  p.draft.setProject(resolved.projectId);
  p.draft.condition('Ready', 'False', Reason.Creating, `the cloud is creating the ${kind.noun}`);
  p.draft.condition('Synced', 'True', Reason.ReconcileSuccess, '');
  // The checkpoint: status.id before anything else, so no later crash can lead to a second create.
  try {
    await p.commit();
  } catch (e) {
    if (e instanceof ObjectGoneError) await orphaned(r, p, resolved.client, seen.id);
    throw e;
  }
  const again = p.memo.recreating === true;
  p.memo.recreating = false;
  p.event(
    'Normal',
    again ? EventReason.Recreated : EventReason.Created,
    'Create',
    `${again ? 're-created' : 'created'} ${kind.noun} ${seen.id}`,
  );
  p.log.info({ decision: again ? 'recreated' : 'created', serviceId: seen.id }, `created the ${kind.noun}`);
  try {
    return await r.converge(p, resolved.client, seen);
  } catch (e) {
    return r.fail(p, e, resolved.source);
  }
}

/**
 * The object a create was for went away (or was replaced) before `status.id` could be written: the
 * resource just created carries the old UID, which no object can claim any more. Delete it (unless
 * the object asked to retain it), so nothing leaks and nothing is re-tagged.
 */
async function orphaned<O extends ManagedObject, C, St extends ManagedStatus>(
  r: ManagedReconciler<O, C, St>,
  p: Pass<O, St>,
  client: C,
  id: string,
): Promise<void> {
  if (p.obj.spec.deletionPolicy === 'Retain') {
    p.log.warn(
      { decision: 'orphan-retained', serviceId: id },
      'the resource went away while its create was in flight; deletionPolicy Retain keeps the cloud resource',
    );
    return;
  }
  try {
    await r.opts.adapter.delete(client, id, p.call);
    p.log.warn(
      { decision: 'orphan-deleted', serviceId: id },
      'the resource went away while its create was in flight; deleted the cloud resource it created',
    );
  } catch (err) {
    if (isCloudError(err) && err.kind === 'notFound') return;
    p.log.error(
      { decision: 'orphan-left', serviceId: id, err },
      'the resource went away while its create was in flight; deleting the cloud resource failed: find it by its ownership tag',
    );
  }
}
