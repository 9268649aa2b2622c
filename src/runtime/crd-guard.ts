/**
 * The CRD schema guard: an operator reconciles a kind only while the served CRD of that kind is at
 * least as new as the schema the operator was built for. An older CRD would make the apiserver prune
 * every field it lacks from the stored objects, **without an error**: the operator would then manage
 * the resources as if those fields had never been set.
 *
 * Each CRD carries its schema revision in an annotation (an integer; absent = 0). For every guarded
 * kind the guard reaches a {@link CrdVerdict} from what it sees of the CRD, at start and on every watch
 * event of the CRD (see {@link kubeCrdSource}):
 *
 * | served CRD                         | verdict      | reconciles? | said how                         |
 * | ---------------------------------- | ------------ | ----------- | -------------------------------- |
 * | revision equal                     | `current`    | yes         | info log                         |
 * | revision higher (a rollback)       | `newer`      | yes         | one warn log + Warning           |
 * | revision lower, or no annotation   | `stale`      | **no**      | error log + Warning, `/readyz`   |
 * | does not serve the version we use  | `unserved`   | **no**      | error log + Warning, `/readyz`   |
 * | not installed                      | `absent`     | **no**      | error log + Warning, `/readyz`   |
 * | may not be read (403)              | `unverified` | yes         | one warn log + Warning           |
 * | being deleted (any revision)       | `deleting`   | yes         | warn log                         |
 *
 * A CRD being deleted is reconciled whatever its revision: deleting a CRD waits for every resource of
 * its kind to go, and only the operator removes its finalizers (it releases them; no field matters).
 *
 * Guarantees:
 * - A refused kind is refused alone: other kinds are judged and run independently.
 * - Each message of a refusal names the CRD, both revisions and the kind's `fix` (the exact command).
 * - Logs and the `onWarning` callback fire once per change of verdict (state and served revision), not
 *   per event: a CRD that is re-read unchanged says nothing new.
 * - {@link CrdGuard.notReadyReason} is `undefined` only while no kind is refused; it is meant for a
 *   readiness gate (`Manager.addReadinessGate`).
 * - A {@link KindGate} starts the kind's informers only once its verdict allows it (so nothing is read,
 *   enqueued or reconciled before), and its reconciler wrapper refuses every reconcile while the verdict
 *   refuses (a CRD downgraded while running). When the verdict allows again, every cached key is
 *   enqueued once, so nothing waits for the next resync.
 * - The CRD is only read (a list and a watch selecting it by name), never written.
 */
import {
  ApiextensionsV1Api,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { httpStatusOf } from './api-errors.js';
import type { Clock } from '../util/clock.js';
import { SupervisedInformer } from './informer-supervisor.js';
import type { Logger } from './logging.js';
import type { ManagedCache } from './manager.js';
import { keyOf, type Reconciler } from './reconcile.js';

/** One kind the guard watches over. */
export interface GuardedKind {
  /** Kind, e.g. `VpcEndpointService` (messages and readiness reason). */
  kind: string;
  /** Name of its CRD (`plural.group`). */
  crd: string;
  /** `group/version` the operator uses; the CRD must serve that version. */
  apiVersion: string;
  /** Schema revision this build was written against. */
  revision: number;
  /** How to upgrade (or install) the CRD: an exact command, quoted in every refusal. */
  fix: string;
  /** Where the command applies (e.g. which release's files), appended in parentheses. */
  fixNote?: string;
}

/** The part of a CRD the guard reads (a `V1CustomResourceDefinition` fits). */
export interface CrdLike {
  metadata?: { annotations?: Record<string, string> | undefined; deletionTimestamp?: Date | string | null };
  spec?: { versions?: { name: string; served: boolean }[] };
}

/** What a source saw of a CRD: the object, `undefined` (not installed), or `'forbidden'` (403). */
export type CrdSighting = CrdLike | undefined | 'forbidden';

/** The guard's judgement of one kind (see the module doc's table). */
export interface CrdVerdict {
  state: 'pending' | 'current' | 'newer' | 'stale' | 'unserved' | 'absent' | 'unverified' | 'deleting';
  /** Whether the kind may be reconciled. */
  allowed: boolean;
  /** The served CRD's revision, when it was read. */
  served?: number;
  /** One sentence for logs, the readiness body and the Warning event. */
  message: string;
}

/** Reasons of the Warning events, by verdict. */
export const CRD_WARNING_REASONS = {
  stale: 'CRDSchemaStale',
  unserved: 'CRDVersionNotServed',
  absent: 'CRDMissing',
  newer: 'CRDSchemaNewer',
  unverified: 'CRDSchemaUnverified',
} as const;

const fixOf = (k: GuardedKind): string => (k.fixNote ? `${k.fix} (${k.fixNote})` : k.fix);

/**
 * The verdict for `kind` given what was seen of its CRD. Pure. A revision annotation that is absent or
 * not a decimal integer counts as revision 0 (CRDs older than the revision scheme).
 */
export function judgeCrd(kind: GuardedKind, annotation: string, seen: CrdSighting): CrdVerdict {
  const { crd, revision: need } = kind;
  if (seen === 'forbidden')
    return {
      state: 'unverified',
      allowed: true,
      message: `may not read CRD ${crd} (forbidden): its schema revision cannot be checked, so ${kind.kind} is reconciled unchecked; grant get, list and watch on it (chart: rbac.crdGuard=true)`,
    };
  if (seen === undefined)
    return {
      state: 'absent',
      allowed: false,
      message: `CRD ${crd} is not installed: ${kind.kind} is not reconciled until it is. Install it: ${fixOf(kind)}`,
    };
  const version = kind.apiVersion.slice(kind.apiVersion.indexOf('/') + 1);
  const text = seen.metadata?.annotations?.[annotation];
  const served = text !== undefined && /^\d+$/.test(text) ? Number(text) : 0;
  if (seen.metadata?.deletionTimestamp)
    return {
      state: 'deleting',
      allowed: true,
      served,
      message: `CRD ${crd} is being deleted: ${kind.kind} is reconciled whatever its schema revision (${served}), so that its resources can be released`,
    };
  if (served > need)
    return {
      state: 'newer',
      allowed: true,
      served,
      message: `CRD ${crd} has schema revision ${served}, newer than the ${need} this operator was built for (a rollback of the operator?): ${kind.kind} is reconciled; fields of the newer schema are left alone`,
    };
  if (!(seen.spec?.versions ?? []).some((v) => v.name === version && v.served))
    return {
      state: 'unserved',
      allowed: false,
      served,
      message: `CRD ${crd} does not serve ${kind.apiVersion}, which this operator uses: ${kind.kind} is not reconciled. Install this release's CRD: ${fixOf(kind)}`,
    };
  if (served < need) {
    const what =
      text === undefined ? `no ${annotation} annotation, so revision 0` : `schema revision ${served}`;
    return {
      state: 'stale',
      allowed: false,
      served,
      message: `CRD ${crd} has ${what}, older than the revision ${need} this operator needs: ${kind.kind} is not reconciled, because the apiserver would silently drop the fields the old schema lacks. Upgrade the CRD: ${fixOf(kind)}`,
    };
  }
  return {
    state: 'current',
    allowed: true,
    served,
    message: `CRD ${crd} has schema revision ${served}, as this operator needs`,
  };
}

/** Where the guard learns about CRDs ({@link kubeCrdSource}; tests call `observe` themselves). */
export interface CrdSource {
  /** Starts watching the named CRDs, reporting every sighting to `observe`. */
  start(names: string[], observe: (crd: string, seen: CrdSighting) => void): Promise<void>;
  stop(): Promise<void>;
}

/** Options of {@link CrdGuard}. */
export interface CrdGuardOptions {
  kinds: GuardedKind[];
  /** Annotation holding the schema revision, e.g. `vpcep.huaweicloud.io/schema-revision`. */
  annotation: string;
  source: CrdSource;
  log: Logger;
  /** Called once per change into a warning verdict (the operator records a Warning event on its Pod). */
  onWarning?: (kind: GuardedKind, reason: string, message: string) => void;
}

/** See the module doc. A {@link ManagedCache}: synced once every guarded kind has a verdict. */
export class CrdGuard implements ManagedCache {
  readonly name = 'crd-guard';
  readonly synced: Promise<void>;
  private readonly o: CrdGuardOptions;
  private readonly verdicts = new Map<string, CrdVerdict>();
  private readonly listeners = new Map<string, ((allowed: boolean) => void)[]>();
  private resolveSynced!: () => void;

  constructor(opts: CrdGuardOptions) {
    this.o = opts;
    this.synced = new Promise((resolve) => (this.resolveSynced = resolve));
    for (const k of opts.kinds)
      this.verdicts.set(k.kind, {
        state: 'pending',
        allowed: false,
        message: `CRD ${k.crd} not checked yet`,
      });
  }

  /** Starts the source. */
  async start(): Promise<void> {
    await this.o.source.start([...new Set(this.o.kinds.map((k) => k.crd))], (crd, seen) =>
      this.observe(crd, seen),
    );
  }

  /** Stops the source. */
  stop(): Promise<void> {
    return this.o.source.stop();
  }

  /** True once every guarded kind has a verdict. */
  hasSynced(): boolean {
    return [...this.verdicts.values()].every((v) => v.state !== 'pending');
  }

  /** The current verdict of `kind` (pending and refused for a kind the guard does not know). */
  verdict(kind: string): CrdVerdict {
    return this.verdicts.get(kind) ?? { state: 'pending', allowed: false, message: `${kind} is not guarded` };
  }

  /** The refusals, joined, or `undefined` when no kind is refused (pending kinds count as not refused). */
  notReadyReason(): string | undefined {
    const refused = [...this.verdicts.values()].filter((v) => v.state !== 'pending' && !v.allowed);
    return refused.length ? refused.map((v) => v.message).join('; ') : undefined;
  }

  /** Calls `fn` whenever `kind` turns allowed or refused (not on every sighting). */
  onChange(kind: string, fn: (allowed: boolean) => void): void {
    this.listeners.set(kind, [...(this.listeners.get(kind) ?? []), fn]);
  }

  /** Takes in a sighting of `crd` (what a source calls). Idempotent for repeated equal sightings. */
  observe(crd: string, seen: CrdSighting): void {
    for (const k of this.o.kinds) {
      if (k.crd !== crd) continue;
      const before = this.verdict(k.kind);
      const now = judgeCrd(k, this.o.annotation, seen);
      if (now.state === before.state && now.served === before.served) continue;
      this.verdicts.set(k.kind, now);
      this.report(k, now);
      if (now.allowed !== before.allowed || before.state === 'pending')
        for (const fn of this.listeners.get(k.kind) ?? []) fn(now.allowed);
    }
    if (this.hasSynced()) this.resolveSynced();
  }

  private report(k: GuardedKind, v: CrdVerdict): void {
    const fields = {
      kind: k.kind,
      crd: k.crd,
      state: v.state,
      served: v.served,
      need: k.revision,
      fix: k.fix,
    };
    if (v.state === 'current') {
      this.o.log.info(fields, v.message);
      return;
    }
    if (v.state === 'deleting') {
      this.o.log.warn(fields, v.message);
      return;
    }
    if (v.state === 'pending') return;
    if (v.allowed) this.o.log.warn(fields, v.message);
    else this.o.log.error(fields, v.message);
    try {
      this.o.onWarning?.(k, CRD_WARNING_REASONS[v.state], v.message);
    } catch (err) {
      this.o.log.warn({ err, kind: k.kind }, 'recording the CRD warning failed');
    }
  }

  /** A gate for `kind`'s informers and reconciler; `enqueue` queues a key on its controller. */
  gate(kind: string, enqueue: (key: string) => void): KindGate {
    return new KindGate(this, kind, enqueue);
  }
}

/** An informer the gate can replay (a {@link SupervisedInformer} fits). */
export interface ReplayableCache extends ManagedCache {
  list(): KubernetesObject[];
}

/** Holds one kind's informers and reconciles back while its CRD is refused; see the module doc. */
export class KindGate {
  private readonly caches: GatedCache[] = [];

  constructor(
    private readonly guard: CrdGuard,
    private readonly kind: string,
    private readonly enqueue: (key: string) => void,
  ) {
    guard.onChange(kind, (allowed) => {
      for (const c of this.caches) c.onVerdict(allowed, enqueue);
    });
  }

  /** Wraps `inner` so that it starts only once the kind is allowed. Give the result to the manager. */
  cache(inner: ReplayableCache): ManagedCache {
    const c = new GatedCache(inner, () => this.guard.verdict(this.kind));
    this.caches.push(c);
    return c;
  }

  /** Wraps `reconcile`: while the kind is refused, a reconcile does nothing (the key is replayed later). */
  reconciler(reconcile: Reconciler): Reconciler {
    return (req, ctx) => {
      const v = this.guard.verdict(this.kind);
      if (v.allowed) return reconcile(req, ctx);
      ctx.log.debug({ state: v.state }, 'not reconciled: the CRD is not usable');
      return Promise.resolve(undefined);
    };
  }
}

class GatedCache implements ManagedCache {
  readonly name: string | undefined;
  readonly synced: Promise<void>;
  private resolveSynced!: () => void;
  private wanted = false;
  private started = false;
  private stopped = false;

  constructor(
    private readonly inner: ReplayableCache,
    private readonly verdict: () => CrdVerdict,
  ) {
    this.name = inner.name;
    this.synced = new Promise((resolve) => (this.resolveSynced = resolve));
    void inner.synced.then(() => this.resolveSynced());
  }

  async start(): Promise<void> {
    this.wanted = true;
    const v = this.verdict();
    if (v.allowed) await this.startInner();
    else if (v.state !== 'pending') this.resolveSynced(); // refused: nothing to wait for here
  }

  hasSynced(): boolean {
    if (this.started) return this.inner.hasSynced();
    const v = this.verdict();
    return v.state !== 'pending' && !v.allowed;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.started) await this.inner.stop();
  }

  onVerdict(allowed: boolean, enqueue: (key: string) => void): void {
    if (!this.wanted || this.stopped) return;
    if (!allowed) {
      this.resolveSynced();
      return;
    }
    if (!this.started) {
      void this.startInner();
      return;
    }
    for (const obj of this.inner.list()) enqueue(keyOf(obj));
  }

  private async startInner(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.inner.start();
  }
}

/** Options of {@link kubeCrdSource}. */
export interface KubeCrdSourceOptions {
  kc: KubeConfig;
  clock: Clock;
  log: Logger;
  metrics?: { informerRestarted(resource: string, reason: 'error' | 'stalled'): void };
}

/**
 * A {@link CrdSource} on the apiserver: one supervised list+watch per CRD, with
 * `fieldSelector=metadata.name=<crd>` so that RBAC `resourceNames` can restrict it to those CRDs.
 * An empty list or a DELETED event reports "not installed"; a 403 on the list reports `'forbidden'`
 * once and stops that watch (no retry loop against a permission that will not appear by itself).
 */
export function kubeCrdSource(opts: KubeCrdSourceOptions): CrdSource {
  const api = opts.kc.makeApiClient(ApiextensionsV1Api);
  const informers: SupervisedInformer<V1CustomResourceDefinition>[] = [];
  return {
    async start(names, observe) {
      for (const name of names) {
        const selector = `metadata.name=${name}`;
        const informer: SupervisedInformer<V1CustomResourceDefinition> = new SupervisedInformer({
          kc: opts.kc,
          path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions?fieldSelector=${encodeURIComponent(selector)}`,
          name: `customresourcedefinitions/${name}`,
          clock: opts.clock,
          log: opts.log,
          ...(opts.metrics ? { metrics: opts.metrics } : {}),
          list: async (): Promise<KubernetesListObject<V1CustomResourceDefinition>> => {
            try {
              const list = await api.listCustomResourceDefinition({ fieldSelector: selector });
              observe(
                name,
                list.items.find((c) => c.metadata?.name === name),
              );
              return list;
            } catch (err) {
              if (httpStatusOf(err) === 403) {
                observe(name, 'forbidden');
                void informer.stop();
              }
              throw err;
            }
          },
          onKey: (_key, obj, event) => {
            if (obj.metadata?.name === name) observe(name, event === 'delete' ? undefined : obj);
          },
        });
        informers.push(informer);
        await informer.start();
      }
    },
    async stop() {
      await Promise.all(informers.map((i) => i.stop()));
    },
  };
}
