/**
 * What an error of a pass means: a condition a user can read and a queue outcome (see
 * runtime/reconcile.ts). Decided from the error's class and kind, never from its text; kind-specific
 * codes come from the adapter (verdicts.ts has the tables).
 */
import { isCloudError } from '../cloud/errors.js';
import { ObjectGoneError, TerminalError, type ReconcileResult } from '../runtime/reconcile.js';
import type { ManagedObject, ManagedStatus } from './kind.js';
import type { ManagedReconciler } from './lifecycle.js';
import { gatingAnnotations, OwnedByAnother, type Pass } from './pass.js';
import { OWNED_RECHECK_MS, recheck, UNKNOWN_OUTCOME_RECHECK_MS } from './timing.js';
import { describeCloudError, EventReason, Reason, verdictFor, type ReasonName } from './verdicts.js';

/** Maps an error of a pass to a condition and a queue outcome (see reconcile.ts for the outcomes). */
export async function fail<O extends ManagedObject, C, St extends ManagedStatus>(
  r: ManagedReconciler<O, C, St>,
  p: Pass<O, St>,
  e: unknown,
  source: string,
): Promise<ReconcileResult> {
  if (e instanceof TerminalError || e instanceof ObjectGoneError) throw e;
  if (e instanceof OwnedByAnother) {
    await r.stop(p, Reason.OwnedByAnother, e.message, EventReason.OwnedByAnother, 'Adopt');
    return recheck(OWNED_RECHECK_MS);
  }
  if (!isCloudError(e)) throw e;
  if (e.kind === 'aborted') throw e;
  if (e.kind === 'unknownOutcome') {
    const msg = `${describeCloudError(e)}; looking the resource up by its ownership tag before anything else`;
    p.draft.condition('Synced', 'False', Reason.OutcomeUnknown, msg);
    p.log.warn({ decision: 'create-outcome-unknown', requestId: e.requestId }, msg);
    return p.finish({ requeueAfterMs: UNKNOWN_OUTCOME_RECHECK_MS });
  }
  if (e.kind === 'retryable' && e.retryAfterMs !== undefined && e.retryAfterMs > 0) {
    // The wait was too long to sleep in a worker: back to the queue for exactly that long.
    const secs = Math.ceil(e.retryAfterMs / 1000);
    const what = e.code ?? (e.httpStatus ? `HTTP ${e.httpStatus}` : 'no code');
    const msg = e.throttled
      ? `the cloud is throttling requests (${e.operation}: ${what}) and asked to wait; trying again in ${secs} s`
      : `${e.operation} failed (${what}); the cloud asked to wait, trying again in ${secs} s`;
    p.draft.condition('Synced', 'False', e.throttled ? Reason.Throttled : Reason.ReconcileError, msg);
    p.log.warn(
      {
        decision: e.throttled ? 'throttled' : 'retry-later',
        code: e.code,
        requestId: e.requestId,
        waitMs: e.retryAfterMs,
      },
      msg,
    );
    return p.finish({ requeueAfterMs: e.retryAfterMs });
  }
  const verdict = verdictFor(e, source, r.opts.adapter.verdict?.bind(r.opts.adapter));
  p.log.warn(
    {
      decision: verdict.terminal ? 'terminal' : 'retry',
      code: e.code,
      requestId: e.requestId,
      operation: e.operation,
    },
    verdict.message,
  );
  if (verdict.terminal) {
    const updating = p.obj.status?.id !== undefined;
    await r.stop(
      p,
      verdict.reason,
      p.repeated(verdict.reason, verdict.message),
      updating ? EventReason.UpdateFailed : EventReason.CreateFailed,
      updating ? 'Update' : 'Create',
    );
    if (verdict.recheckMs) return recheck(verdict.recheckMs);
    throw new TerminalError(verdict.message);
  }
  if (verdict.recheckMs) {
    // Waiting on something outside this object (an owner's whitelist, a service to appear): say so
    // and look again later, without the error backoff and without a gate, so events wake it sooner.
    p.draft.condition('Ready', 'False', verdict.reason, verdict.message);
    p.draft.condition('Synced', 'False', verdict.reason, verdict.message);
    p.draft.observed();
    return p.finish(recheck(verdict.recheckMs));
  }
  p.draft.condition('Synced', 'False', Reason.ReconcileError, verdict.message);
  await p.finish(undefined);
  throw e;
}

/**
 * Stops on a terminal verdict for this generation: Ready=False and Synced=False with `reason`, the
 * generation marked observed, status written; a Warning event only when that changed the status (a
 * repeat of the same refusal stays quiet); the time and annotations noted for the recheck gate.
 */
export async function stop<O extends ManagedObject, C, St extends ManagedStatus>(
  r: ManagedReconciler<O, C, St>,
  p: Pass<O, St>,
  reason: ReasonName,
  message: string,
  event?: string,
  action = 'Reconcile',
): Promise<void> {
  p.draft.condition('Ready', 'False', reason, message);
  p.draft.condition('Synced', 'False', reason, message);
  p.draft.observed();
  if (event) p.event('Warning', event, action, message, { onlyIfStatusChanged: true });
  await p.finish(undefined);
  p.memo.terminalAt = r.opts.clock.now();
  p.memo.terminalAnnotations = gatingAnnotations(p.obj, r.opts.kind);
}
