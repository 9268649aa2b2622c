/**
 * Prometheus gauges of the managed resources' conditions, counted from the informer cache at scrape
 * time (level-based: nothing to keep in step with status writes, complete from the first scrape after
 * the cache synced, including after a restart):
 *
 * - `vpcep_resources{kind,condition,status,reason}`: resources by their `Ready` and their `Synced`
 *   condition (`status="Unknown", reason="NoCondition"` when the condition is not there yet).
 * - `vpcep_resources_not_ready_oldest_seconds{kind}`: how long the longest-waiting resource has not
 *   been Ready (from its `Ready` condition's last transition, or its creation when it has none); 0 when
 *   all are Ready. Resources being deleted are left out (they are not meant to be Ready).
 *
 * Guarantees: only a process that reconciles (`active()`: the leader) reports series, so a standby
 * replica adds none and sums over replicas count each resource once; each shard reports its own.
 */
import { Gauge, type Registry } from 'prom-client';
import { getCondition } from '../api/conditions.js';
import type { Condition } from '../api/types.js';
import type { Clock } from '../util/clock.js';

/** What a counted object must look like (a managed resource as the informer caches it). */
interface Counted {
  metadata?: { creationTimestamp?: Date | string; deletionTimestamp?: Date | string };
  status?: { conditions?: Condition[] };
}

/** Options of {@link resourceMetrics}. */
export interface ResourceMetricsOptions {
  /** The `kind` label, e.g. `VpcEndpointService`. */
  kind: string;
  /** The cached objects of the kind (e.g. `ControllerBuilder.primaryObjects`). */
  objects: () => readonly Counted[];
  /** True while this process reconciles (the leader); otherwise no series are reported. */
  active: () => boolean;
  clock: Clock;
}

const CONDITIONS = ['Ready', 'Synced'] as const;

function timeOf(v: Date | string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = v instanceof Date ? v.getTime() : Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/** Registers the two gauges in `registry` (see the module doc), one series set per kind. Call once per registry. */
export function resourceMetrics(registry: Registry, kinds: readonly ResourceMetricsOptions[]): void {
  new Gauge({
    name: 'vpcep_resources',
    help: 'Managed resources by condition (Ready, Synced), its status and reason, from the informer cache',
    labelNames: ['kind', 'condition', 'status', 'reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const opts of kinds) {
        if (!opts.active()) continue;
        const counts = new Map<string, { condition: string; status: string; reason: string; n: number }>();
        for (const obj of opts.objects()) {
          for (const type of CONDITIONS) {
            const c = getCondition(obj.status?.conditions, type);
            const status = c?.status ?? 'Unknown';
            const reason = c?.reason || 'NoCondition';
            const key = `${type}\u0000${status}\u0000${reason}`;
            const entry = counts.get(key) ?? { condition: type, status, reason, n: 0 };
            entry.n++;
            counts.set(key, entry);
          }
        }
        for (const e of counts.values())
          this.set({ kind: opts.kind, condition: e.condition, status: e.status, reason: e.reason }, e.n);
      }
    },
  });
  new Gauge({
    name: 'vpcep_resources_not_ready_oldest_seconds',
    help: 'Seconds since the longest-waiting resource (not being deleted) last turned not Ready, or was created; 0 when all are Ready',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset();
      for (const opts of kinds) {
        if (!opts.active()) continue;
        const now = opts.clock.now();
        let oldest = 0;
        for (const obj of opts.objects()) {
          if (obj.metadata?.deletionTimestamp) continue;
          const ready = getCondition(obj.status?.conditions, 'Ready');
          if (ready?.status === 'True') continue;
          const since = timeOf(ready?.lastTransitionTime) ?? timeOf(obj.metadata?.creationTimestamp);
          if (since !== undefined) oldest = Math.max(oldest, (now - since) / 1000);
        }
        this.set({ kind: opts.kind }, oldest);
      }
    },
  });
}
