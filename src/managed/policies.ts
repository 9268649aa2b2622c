/**
 * The policies a pass applies before it touches the cloud: which credentials act for the object (and
 * the project guard: never act in another project than the one the cloud resource lives in), and the
 * gates that keep the cloud quiet (a terminal verdict for this generation, a recent sync).
 */
import { getCondition } from '../api/conditions.js';
import type { ReconcileResult } from '../runtime/reconcile.js';
import { CredentialsCloudError, CredentialsError, type Resolved } from './credentials.js';
import type { ManagedObject, ManagedStatus } from './kind.js';
import type { ManagedReconciler } from './lifecycle.js';
import { gatingAnnotations, type Pass } from './pass.js';
import { CREDENTIALS_RECHECK_MS, recheck } from './timing.js';
import {
  CREDENTIALS_REASONS,
  EventReason,
  Reason,
  RECHECK_MS,
  TERMINAL_REASONS,
  type ReasonName,
} from './verdicts.js';

/** The client, or the result to return (no usable credentials, or they moved to another project). */
export async function resolveCredentials<O extends ManagedObject, C, St extends ManagedStatus>(
  r: ManagedReconciler<O, C, St>,
  p: Pass<O, St>,
): Promise<Resolved<C> | { result: ReconcileResult }> {
  let resolved: Resolved<C>;
  try {
    resolved = await r.opts.credentials.resolve(p.obj);
  } catch (e) {
    if (e instanceof CredentialsCloudError) return { result: await r.fail(p, e.cloudError, e.source) };
    if (!(e instanceof CredentialsError) || e.transient) throw e;
    p.log.warn({ decision: 'credentials-missing', source: e.source }, e.message);
    if (p.obj.metadata.deletionTimestamp) {
      p.draft.condition(
        'Synced',
        'False',
        Reason.CredentialsMissing,
        `cannot delete the ${r.opts.kind.noun}: ${e.message}`,
      );
      return { result: await p.finish(recheck(CREDENTIALS_RECHECK_MS)) };
    }
    await r.stop(p, Reason.CredentialsMissing, e.message);
    return { result: recheck(CREDENTIALS_RECHECK_MS) };
  }
  const moved = projectMoved(r, p.obj, resolved);
  if (!moved) return resolved;
  p.log.warn({ decision: 'project-changed' }, moved);
  if (p.obj.metadata.deletionTimestamp) {
    // Deleting through the other project would find nothing and let the resource leak: wait instead.
    p.draft.condition('Synced', 'False', Reason.ProjectChanged, `cannot delete: ${moved}`);
    return { result: await p.finish(recheck(CREDENTIALS_RECHECK_MS)) };
  }
  await r.stop(p, Reason.ProjectChanged, moved, EventReason.ProjectChanged, 'Observe');
  return { result: recheck(CREDENTIALS_RECHECK_MS) };
}

/**
 * Why the resolved client may not act on this object's cloud resource: it was recorded in one
 * project and the credentials now act in another. Acting anyway would see it as vanished and create
 * a second one elsewhere.
 */
function projectMoved<O extends ManagedObject, C, St extends ManagedStatus>(
  r: ManagedReconciler<O, C, St>,
  obj: O,
  resolved: Resolved<C>,
): string | undefined {
  const recorded = obj.status?.projectId;
  if (!obj.status?.id || !recorded || !resolved.projectId || recorded === resolved.projectId)
    return undefined;
  return (
    `${r.opts.kind.noun} ${obj.status.id} lives in project ${recorded}, but the credentials from ` +
    `${resolved.source} act in project ${resolved.projectId}; point them back at ${recorded} ` +
    `(or set deletionPolicy: Retain and delete this resource to let it go)`
  );
}

/**
 * `proceed`, or the result to return without touching the cloud: a terminal verdict already recorded
 * for this generation (rechecked slowly only for reasons outside the spec, or at once when the
 * adoption or policy annotation changed, or, for a credentials verdict, when the credentials changed),
 * or a sync younger than the resync period (unless the credentials, or the related objects the
 * adapter's `relatedVersion` summarizes, changed since: a rotated Secret is tried at once, and so is a
 * service whose in-cluster endpoint just asked to connect). Credentials "changed" when the source's `version(obj)` differs from the one noted
 * when the last pass went past this gate ({@link noteCredentials}).
 */
export function gate<O extends ManagedObject, C, St extends ManagedStatus>(
  r: ManagedReconciler<O, C, St>,
  p: Pass<O, St>,
): 'proceed' | ReconcileResult {
  const now = r.opts.clock.now();
  const { obj, memo } = p;
  const generation = obj.metadata.generation ?? 0;
  const version = r.opts.credentials.version?.(obj);
  const credentialsChanged =
    version !== undefined && memo.credentialsVersion !== undefined && version !== memo.credentialsVersion;
  const related = r.opts.adapter.relatedVersion?.(obj);
  const relatedChanged =
    related !== undefined && memo.relatedVersion !== undefined && related !== memo.relatedVersion;
  const synced = getCondition(obj.status?.conditions, 'Synced');
  if (
    synced?.status === 'False' &&
    TERMINAL_REASONS.has(synced.reason) &&
    synced.observedGeneration === generation
  ) {
    if (credentialsChanged && CREDENTIALS_REASONS.has(synced.reason)) return 'proceed';
    if (
      memo.terminalAnnotations !== undefined &&
      memo.terminalAnnotations !== gatingAnnotations(obj, r.opts.kind)
    )
      return 'proceed';
    const wait = RECHECK_MS[synced.reason as ReasonName];
    if (wait === undefined) return undefined;
    const since = memo.terminalAt;
    if (since !== undefined && now - since < wait) return recheck(wait - (now - since));
    return 'proceed';
  }
  const ready = getCondition(obj.status?.conditions, 'Ready');
  if (
    !credentialsChanged &&
    !relatedChanged &&
    ready?.status === 'True' &&
    memo.syncedAt !== undefined &&
    memo.syncedGeneration === generation &&
    obj.status?.observedGeneration === generation
  ) {
    const period = r.resyncFor(obj);
    const age = now - memo.syncedAt;
    if (age >= 0 && age < period * 0.9) return recheck(period - age);
  }
  return 'proceed';
}

/**
 * Notes the credentials' `version` for `obj` as this pass goes past the gate, before anything is read:
 * a change after this moment (even while the pass runs) makes the next pass proceed.
 */
export function noteCredentials<O extends ManagedObject, C, St extends ManagedStatus>(
  r: ManagedReconciler<O, C, St>,
  p: Pass<O, St>,
): void {
  p.memo.credentialsVersion = r.opts.credentials.version?.(p.obj);
  p.memo.relatedVersion = r.opts.adapter.relatedVersion?.(p.obj);
}
