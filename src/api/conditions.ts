/**
 * Helpers for `status.conditions` in the metav1.Condition shape (KEP-1623). They keep status writes
 * quiet: `lastTransitionTime` moves only when a condition's status flips, so setting the same
 * condition twice yields a deep-equal list, and the operator can skip the status write.
 */
import type { Condition, ConditionStatus } from './types.js';

/** A condition to set; {@link setCondition} fills in `lastTransitionTime`. */
export type ConditionInput = Omit<Condition, 'lastTransitionTime'>;

/** The pattern metav1.Condition requires of `reason`. */
export const REASON_PATTERN = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
/** The pattern metav1.Condition requires of `type` (optionally DNS-prefixed, as the CRD checks it). */
const TYPE_PATTERN =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/;
const MAX_REASON = 1024;
const MAX_TYPE = 316;
/** The CRD's limit on `message`; longer messages (e.g. a cloud error body) are cut to fit. */
export const MAX_MESSAGE = 32768;
const STATUSES: readonly ConditionStatus[] = ['True', 'False', 'Unknown'];

/** RFC 3339 UTC without fractional seconds (`2026-01-01T00:00:00Z`), as metav1.Time serialises. */
export function formatConditionTime(now: Date | number): string {
  return new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Throws when `c` could never pass the CRD's condition schema: a programming error, not user input. */
function assertValid(c: ConditionInput): void {
  if (c.type.length > MAX_TYPE || !TYPE_PATTERN.test(c.type)) {
    throw new Error(`invalid condition type ${JSON.stringify(c.type)}`);
  }
  if (c.reason.length > MAX_REASON || !REASON_PATTERN.test(c.reason)) {
    throw new Error(
      `invalid condition reason ${JSON.stringify(c.reason)} (must match ${REASON_PATTERN.source})`,
    );
  }
  if (!STATUSES.includes(c.status)) {
    throw new Error(`invalid condition status ${JSON.stringify(c.status)}`);
  }
}

/**
 * Returns a new list with `next` set: the condition of the same type is replaced in place (order is
 * stable; a new type is appended). `lastTransitionTime` is kept when the status is unchanged, else set
 * to `now`. `observedGeneration` is taken from `next` (omitted when `next` has none). The message is cut
 * to {@link MAX_MESSAGE} characters. Never mutates `conditions`.
 *
 * @throws Error when `next.type`, `next.reason` or `next.status` is malformed (programming error).
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: ConditionInput,
  now: Date | number,
): Condition[] {
  assertValid(next);
  const list = conditions ?? [];
  const i = list.findIndex((c) => c.type === next.type);
  const prev = i >= 0 ? list[i] : undefined;
  const built: Condition = {
    type: next.type,
    status: next.status,
    ...(next.observedGeneration !== undefined ? { observedGeneration: next.observedGeneration } : {}),
    lastTransitionTime:
      prev !== undefined && prev.status === next.status ? prev.lastTransitionTime : formatConditionTime(now),
    reason: next.reason,
    message: next.message.length > MAX_MESSAGE ? next.message.slice(0, MAX_MESSAGE) : next.message,
  };
  if (i < 0) return [...list, built];
  return list.map((c, j) => (j === i ? built : c));
}

/** The condition of `type`, or `undefined`. */
export function getCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * Whether the condition of `type` is `True`. With `generation`, also requires that the condition was
 * computed for that generation (as `kubectl wait` does), so a stale True does not count.
 */
export function isConditionTrue(
  conditions: readonly Condition[] | undefined,
  type: string,
  generation?: number,
): boolean {
  const c = getCondition(conditions, type);
  if (c?.status !== 'True') return false;
  return generation === undefined || c.observedGeneration === generation;
}
