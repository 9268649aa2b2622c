/**
 * When the reconciler looks at the cloud again: the adaptive poll while a service is `creating` or
 * `deleting`, the jittered steady-state resync, and the slow rechecks of blocked states.
 */
import { LOW_PRIORITY } from '../runtime/queue.js';

/**
 * A routine recheck after `ms`: queued at low priority, so users' changes (and the polls of a change
 * still converging, which keep their priority) are handed out first.
 */
export function recheck(ms: number): { requeueAfterMs: number; priority: number } {
  return { requeueAfterMs: ms, priority: LOW_PRIORITY };
}

/**
 * The requeue of a wait (adapter.ts `Wait`): a routine recheck at low priority, or a poll that keeps the
 * key's priority (a user's change still converging).
 */
export function afterWait(w: { recheckMs: number; routine?: boolean }): {
  requeueAfterMs: number;
  priority?: number;
} {
  return w.routine ? recheck(w.recheckMs) : { requeueAfterMs: w.recheckMs };
}

/** Floor of the poll interval while the cloud works on a create or delete. */
export const POLL_FLOOR_MS = 2_000;
/** Share of the elapsed time added to the floor: the notice delay stays within ~10 % of the wait. */
export const POLL_GROWTH = 0.1;
/** Ceiling of the poll interval (a stuck create is still looked at twice a minute). */
export const POLL_CEILING_MS = 30_000;
/** Default steady-state resync period. */
export const DEFAULT_RESYNC_MS = 10 * 60_000;
/** Recheck of a quota-exceeded create (quota may be raised without a spec change). */
export const QUOTA_RECHECK_MS = 5 * 60_000;
/** Recheck while a delete is refused because endpoints are still connected. */
export const DELETE_BLOCKED_RECHECK_MS = 30_000;
/** Recheck after a credentials problem (the Secret may be fixed without a spec change). */
export const CREDENTIALS_RECHECK_MS = 60_000;
/** Recheck after the cloud refused the credentials (keys or clock may be fixed outside the spec). */
export const AUTH_RECHECK_MS = 5 * 60_000;
/** Recheck of a refusal because another resource owns the service (its owner may let it go). */
export const OWNED_RECHECK_MS = 5 * 60_000;
/** Delay before resolving a create whose outcome is unknown, by looking the service up by its tag. */
export const UNKNOWN_OUTCOME_RECHECK_MS = 1_000;
/**
 * How long after a create an unfound tag lookup or a 404 is trusted less than the create itself: the
 * cloud's tag index and reads may lag the write. Within it we look again rather than create again.
 */
export const CREATE_GRACE_MS = 30_000;

/**
 * Next poll delay while the cloud says `creating` (or `deleting`), `elapsedMs` after the operation
 * started: `2 s + 0.1 × elapsed`, capped at 30 s. Polling at `t_{k+1} = 1.1·t_k + 2 s` means a service
 * that becomes available at time `a` is seen by `1.1·a + 2 s` at the latest (within `0.1·a + 2 s`), and a
 * 90-second create costs 18 GETs (Terraform's fixed 3 s poll costs 30).
 */
export function pollDelay(elapsedMs: number): number {
  const e = Math.max(0, elapsedMs);
  return Math.min(POLL_CEILING_MS, Math.round(POLL_FLOOR_MS + POLL_GROWTH * e));
}

/** `base` spread by ±`spread` (default ±10 %) with `random()` in [0, 1). */
export function jitter(baseMs: number, random: () => number = Math.random, spread = 0.1): number {
  return Math.round(baseMs * (1 - spread + 2 * spread * random()));
}

/** Parses the cloud's `YYYY-MM-DDTHH:MM:SSZ` (or any ISO form) into epoch ms; undefined if unparsable. */
export function parseCloudTime(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}
