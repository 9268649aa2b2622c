/**
 * Which watch events deserve a reconcile. Our own status writes come back as `update` events; a
 * reconcile for them would only re-read what we just wrote, so updates pass only when something the
 * reconciler acts on changed: generation (spec), annotations (pause, adoption, policy, resync), labels,
 * finalizers or the deletion timestamp. Adds, deletes and periodic resyncs always pass.
 */
import type { KubernetesObject } from '@kubernetes/client-node';

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
