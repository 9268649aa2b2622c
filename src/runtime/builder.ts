/**
 * A small controller builder, after controller-runtime's `builder`: `forKind` names the resource the
 * controller reconciles, `watches` adds other resources whose events enqueue keys of it (a credentials
 * Secret enqueues the resources that reference it; next, a `VpcEndpoint` enqueues the service it
 * connects to), and `build` wires one supervised informer per resource and namespace into a manager,
 * with one controller draining one queue. Replaces hand-written wiring in the entry point.
 *
 * Guarantees: the primary resource's events pass through a filter (`shouldEnqueue`) before they
 * enqueue; a mapped event enqueues exactly the keys its mapper returns; there is one resync mechanism,
 * the reconciler's own `requeueAfter` (informer resyncs are off), so a period is never applied twice.
 *
 * Priorities (controller-runtime's priority queue, plus a spread): an event after the initial list is
 * a change and queues at the default priority, ahead of routine work. The initial list's objects are
 * routine: each is queued by {@link Controller.enqueueSpread} (low priority, spread from the
 * controller's start over the object's own period, `spreadMs(obj)`, else `initialSpreadMs`), except a
 * primary object that `settled` says is not settled (a deletion, a new generation, a change still
 * converging), which queues at once at the default priority: it is a user's change that the last
 * process did not finish. Mapped keys of the other sources' initial lists are spread over
 * `initialSpreadMs` unless the primary's own list named a period for the key (it covers them).
 *
 * `selector` restricts the primary resource's list and watch to a label selector (a shard); the other
 * sources are watched whole.
 */
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { Clock } from '../util/clock.js';
import { Controller } from './controller.js';
import type {
  InformerEvent,
  InformerEventInfo,
  InformerLike,
  SupervisedInformerOptions,
} from './informer-supervisor.js';
import { SupervisedInformer } from './informer-supervisor.js';
import type { Logger } from './logging.js';
import type { ManagedCache } from './manager.js';
import type { RuntimeMetrics } from './metrics.js';
import { LOW_PRIORITY } from './queue.js';
import type { Reconciler } from './reconcile.js';

/** A watchable collection: where it lives and how to list it, per namespace (undefined: all). */
export interface Source<T extends KubernetesObject> {
  /** Name in logs and metrics, e.g. `vpcendpointservices` or `secrets`. */
  name: string;
  /** Collection path, e.g. `/apis/G/V/namespaces/NS/PLURAL`. */
  path(namespace: string | undefined): string;
  /** Lists the collection; with `labelSelector`, only the matching objects. */
  list(namespace: string | undefined, labelSelector?: string): Promise<KubernetesListObject<T>>;
  /**
   * Builds the informer from the full watch path and the list (e.g. a watch that asks for metadata
   * only, see metadata-source.ts). Default: client-node's `makeInformer`.
   */
  makeInformer?(path: string, list: () => Promise<KubernetesListObject<T>>): InformerLike<T>;
}

/** Objects per page of a list (client-go's pager default). */
export const LIST_PAGE_SIZE = 500;

/**
 * The collection of a custom resource kind, listed through `CustomObjectsApi` in pages of
 * {@link LIST_PAGE_SIZE} (`limit` and `continue`: one consistent snapshot, the first page's
 * resourceVersion), each page's `managedFields` dropped as it arrives: the informer drops them anyway,
 * and a restart's list of 10,000 resources then never holds them all at once, nor one response of
 * tens of megabytes.
 */
export function customResourceSource<T extends KubernetesObject>(
  kind: { group: string; version: string; plural: string },
  custom: {
    listNamespacedCustomObject(r: {
      group: string;
      version: string;
      plural: string;
      namespace: string;
      labelSelector?: string;
      limit?: number;
      _continue?: string;
    }): Promise<unknown>;
    listCustomObjectForAllNamespaces(r: {
      group: string;
      version: string;
      plural: string;
      labelSelector?: string;
      limit?: number;
      _continue?: string;
    }): Promise<unknown>;
  },
): Source<T> {
  const base = { group: kind.group, version: kind.version, plural: kind.plural };
  return {
    name: kind.plural,
    path: (ns) =>
      ns
        ? `/apis/${kind.group}/${kind.version}/namespaces/${ns}/${kind.plural}`
        : `/apis/${kind.group}/${kind.version}/${kind.plural}`,
    list: async (ns, labelSelector) => {
      const sel = labelSelector ? { labelSelector } : {};
      let first: KubernetesListObject<T> | undefined;
      const items: T[] = [];
      let token: string | undefined;
      do {
        const page = { limit: LIST_PAGE_SIZE, ...(token ? { _continue: token } : {}) };
        const list = (await (ns
          ? custom.listNamespacedCustomObject({ ...base, namespace: ns, ...sel, ...page })
          : custom.listCustomObjectForAllNamespaces({
              ...base,
              ...sel,
              ...page,
            }))) as KubernetesListObject<T>;
        first ??= list;
        for (const item of list.items ?? []) {
          if (item.metadata?.managedFields !== undefined) delete item.metadata.managedFields;
          items.push(item);
        }
        // The wire name is `continue` (CustomObjectsApi returns the JSON as is); `_continue` is
        // client-node's name for it in its typed models.
        const meta = list.metadata as { continue?: string; _continue?: string } | undefined;
        token = meta?.continue || meta?._continue || undefined;
      } while (token);
      const rv = first.metadata?.resourceVersion;
      return { ...first, metadata: rv !== undefined ? { resourceVersion: rv } : {}, items };
    },
  };
}

/** An informer as the builder makes it: a cache the manager runs, whose objects can be listed. */
export interface BuiltCache extends ManagedCache {
  list(): KubernetesObject[];
}

/** Where the built controller and caches go (a {@link Manager} fits). */
export interface BuilderTarget {
  addCache(cache: BuiltCache): void;
  addController(controller: Controller): void;
}

/** What every informer and the controller share. */
export interface BuilderContext {
  kc: KubeConfig;
  clock: Clock;
  log: Logger;
  metrics: RuntimeMetrics;
  /** Builds informers; tests inject fakes. Default: {@link SupervisedInformer}. */
  makeCache?: <T extends KubernetesObject>(o: SupervisedInformerOptions<T>) => BuiltCache;
}

/**
 * How an event asks for a key: a change (default priority), routine (spread, low, over `periodMs` or
 * the controller's period), or low at once.
 */
type Enqueue = (key: string, how: 'change' | 'spread' | 'low', periodMs?: number) => void;

interface Watch {
  source: Source<KubernetesObject>;
  selector?: string;
  onEvent: (obj: KubernetesObject, event: InformerEvent, info: InformerEventInfo, enqueue: Enqueue) => void;
}

/** Options of {@link ControllerBuilder.forKind}. */
export interface ForKindOptions<T extends KubernetesObject> {
  /**
   * For an object of the initial list: true when it is settled (nothing a user asked for is pending),
   * so its recheck is routine and spread; false queues it at once at the default priority. Default:
   * every object of the initial list is settled.
   */
  settled?: (obj: T) => boolean;
  /**
   * For a settled object of the initial list: the window its routine recheck is spread over, in ms
   * (its own resync period, so an object polled every 30 s is rechecked within 30 s of the start, and
   * one with a longer period waits no earlier than it must). Undefined or 0: `initialSpreadMs`.
   */
  spreadMs?: (obj: T) => number | undefined;
}

/** See the module doc. */
export class ControllerBuilder {
  private primary?: Watch;
  private readonly others: Watch[] = [];
  private scopes: Array<string | undefined> = [undefined];
  private count = 1;
  private labelSelector: string | undefined;
  private readonly primaryCaches: BuiltCache[] = [];

  constructor(
    private readonly name: string,
    private readonly ctx: BuilderContext,
  ) {}

  /**
   * The reconciled resource; `shouldEnqueue` filters its events (e.g. drop our own status writes; it
   * sees every event, the initial list's too). See the module doc for priorities and `opts.settled`.
   */
  forKind<T extends KubernetesObject>(
    source: Source<T>,
    shouldEnqueue: (key: string, obj: T, event: InformerEvent, info: InformerEventInfo) => boolean = () =>
      true,
    opts: ForKindOptions<T> = {},
  ): this {
    this.primary = {
      source: source as Source<KubernetesObject>,
      onEvent: (obj, event, info, enqueue) => {
        const key = `${obj.metadata?.namespace ?? 'default'}/${obj.metadata?.name ?? ''}`;
        if (!shouldEnqueue(key, obj as T, event, info)) return;
        if (info.initial && event !== 'delete') {
          if (opts.settled && !opts.settled(obj as T)) enqueue(key, 'change');
          else enqueue(key, 'spread', opts.spreadMs?.(obj as T));
        } else enqueue(key, event === 'resync' ? 'low' : 'change');
      },
    };
    return this;
  }

  /** Events of `source` enqueue the keys `mapToKeys` returns (keys of the reconciled resource). */
  watches<T extends KubernetesObject>(
    source: Source<T>,
    mapToKeys: (obj: T, event: InformerEvent, info: InformerEventInfo) => string[],
  ): this {
    this.others.push({
      source: source as Source<KubernetesObject>,
      onEvent: (obj, event, info, enqueue) => {
        const how = info.initial ? 'spread' : event === 'resync' ? 'low' : 'change';
        for (const key of mapToKeys(obj as T, event, info)) enqueue(key, how);
      },
    });
    return this;
  }

  /**
   * Every object of the reconciled resource in the informer caches (all namespaces watched; only this
   * shard's with a selector); empty before {@link build} and until the caches have synced.
   */
  primaryObjects(): KubernetesObject[] {
    return this.primaryCaches.flatMap((c) => c.list());
  }

  /** Watch only the primary resources that match this label selector (empty: all). */
  selector(labelSelector: string | undefined): this {
    this.labelSelector = labelSelector?.trim() ? labelSelector.trim() : undefined;
    return this;
  }

  /** Watch only these namespaces (default: all). */
  namespaces(namespaces: readonly string[]): this {
    this.scopes = namespaces.length ? [...namespaces] : [undefined];
    return this;
  }

  /** Concurrent reconciles (default 1). */
  workers(n: number): this {
    this.count = n;
    return this;
  }

  /** Wires the informers and the controller into `target`; returns the controller. */
  build(
    reconciler: Reconciler,
    target: BuilderTarget,
    extra: { reconcileTimeoutMs?: number; initialSpreadMs?: number } = {},
  ): Controller {
    if (!this.primary) throw new Error(`controller ${this.name}: forKind() was not called`);
    const { clock, log, metrics } = this.ctx;
    const controller = new Controller({
      name: this.name,
      reconciler,
      workers: this.count,
      clock,
      log,
      metrics,
      ...(extra.reconcileTimeoutMs ? { reconcileTimeoutMs: extra.reconcileTimeoutMs } : {}),
      ...(extra.initialSpreadMs ? { spreadMs: extra.initialSpreadMs } : {}),
    });
    const enqueue: Enqueue = (key, how, periodMs) => {
      if (how === 'spread') controller.enqueueSpread(key, periodMs);
      else controller.enqueue(key, how === 'low' ? { priority: LOW_PRIORITY } : {});
    };
    this.primary.selector = this.labelSelector;
    const make =
      this.ctx.makeCache ??
      (<T extends KubernetesObject>(o: SupervisedInformerOptions<T>) => new SupervisedInformer<T>(o));
    for (const w of [this.primary, ...this.others]) {
      for (const ns of this.scopes) {
        const cache = make<KubernetesObject>({
          kc: this.ctx.kc,
          path: w.source.path(ns),
          list: () => (w.selector ? w.source.list(ns, w.selector) : w.source.list(ns)),
          ...(w.selector ? { labelSelector: w.selector } : {}),
          ...(w.source.makeInformer ? { makeInformer: w.source.makeInformer.bind(w.source) } : {}),
          name: ns ? `${w.source.name}/${ns}` : w.source.name,
          clock,
          log,
          metrics,
          // One resync mechanism: the reconciler's own requeueAfter (per object, jittered).
          resyncMs: 0,
          onKey: (_key, obj, event, info) => w.onEvent(obj, event, info ?? { initial: false }, enqueue),
        });
        if (w === this.primary) this.primaryCaches.push(cache);
        target.addCache(cache);
      }
    }
    target.addController(controller);
    return controller;
  }
}
