/**
 * Which watch events deserve a reconcile. Our own status writes come back as `update` events; a
 * reconcile for them would only re-read what we just wrote, so updates pass only when something the
 * reconciler acts on changed: generation (spec), annotations (pause, adoption, policy, resync), labels,
 * finalizers or the deletion timestamp. Adds, deletes and periodic resyncs always pass.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { getCondition } from '../api/conditions.js';
import type { KindDescriptor, ManagedObject } from './kind.js';
import { Reason, TERMINAL_REASONS } from './verdicts.js';

type Event = 'add' | 'update' | 'delete' | 'resync';

function fingerprint(o: KubernetesObject): string {
  const m = o.metadata ?? {};
  return JSON.stringify([
    m.generation,
    m.annotations ?? {},
    m.labels ?? {},
    m.finalizers ?? [],
    m.deletionTimestamp ?? null,
  ]);
}

/** Remembers the last fingerprint per key; `shouldEnqueue` is called from informer handlers. */
export class TriggerFilter {
  private readonly last = new Map<string, string>();

  shouldEnqueue(key: string, obj: KubernetesObject, event: Event): boolean {
    if (event === 'delete') {
      this.last.delete(key);
      return true;
    }
    const fp = fingerprint(obj);
    const prev = this.last.get(key);
    this.last.set(key, fp);
    if (event === 'update') return prev !== fp;
    return true;
  }
}

/**
 * Whether an object found at start (the informer's initial list) is settled: nothing a user asked for
 * is pending, so its next pass is a routine recheck that may wait (spread over the resync period at
 * low priority). Settled: `Ready=True`, a terminal verdict, or a recorded pause, for the current
 * generation. Not settled, and reconciled at once ahead of routine work: a deletion, a generation the
 * operator has not acted on, or anything still converging (creating, retrying, no status yet).
 */
export function isSettled(obj: ManagedObject, kind: KindDescriptor): boolean {
  if (obj.metadata.deletionTimestamp) return false;
  const generation = obj.metadata.generation ?? 0;
  const conditions = obj.status?.conditions;
  const ready = getCondition(conditions, 'Ready');
  if (ready?.status === 'True' && (ready.observedGeneration ?? obj.status?.observedGeneration) === generation)
    return true;
  const synced = getCondition(conditions, 'Synced');
  if (synced?.status !== 'False' || synced.observedGeneration !== generation) return false;
  if (TERMINAL_REASONS.has(synced.reason)) return true;
  return synced.reason === Reason.Paused && obj.metadata.annotations?.[kind.annotations.paused] === 'true';
}
