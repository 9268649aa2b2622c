/**
 * A supervised informer: client-node 1.4's `makeInformer` cache and watch, plus what 1.4 lacks.
 *
 * client-node 1.4's informer stops for good after any HTTP, network or list error (it only emits
 * `error`), emits `error` with an `AbortError` on its own `stop()`/`start()`, has no client-side watch
 * timeout (half-open connections stall silently), and requests neither bookmarks nor `timeoutSeconds`.
 *
 * Guarantees:
 * - The watch path carries `timeoutSeconds` (default 300) and `allowWatchBookmarks=true`.
 * - After any error other than our own `AbortError`, exactly one restart is pending at a time, after a
 *   jittered backoff of 0.8 s → 30 s; the backoff resets once the watch has been healthy for 2 minutes.
 *   `AbortError`s and errors after {@link SupervisedInformer.stop} never schedule a restart.
 * - A watchdog restarts a watch that has been silent (no event, no reconnect) for `timeoutSeconds`
 *   plus a margin: the server ends every watch within `timeoutSeconds`, so silence means a stall.
 * - 410 Gone clears the resourceVersion inside client-node, so the next connect relists; a relist
 *   emits `delete` for vanished objects and `add`/`update` for the rest.
 * - Event handlers only call `onKey`, inside try/catch: a throwing `onKey` is logged, never crashes.
 * - `onKey` is told `initial: true` for exactly the events of the first list (the objects that were
 *   there when the informer started, before {@link SupervisedInformer.synced}), `false` for every later
 *   event (watch events, and relists after a 410 or a restart).
 * - With `labelSelector`, the list and the watch see only matching objects: an object relabelled out of
 *   the selection arrives as a `delete`, one relabelled into it as an `add`.
 * - {@link SupervisedInformer.synced} resolves once the first list is in the cache (never rejects;
 *   it stays pending while the list keeps failing).
 * - Every `resyncMs` (default 10 min) after sync, every cached key is passed to `onKey` with
 *   `'resync'`: the level-based safety net for anything a watch missed.
 * - Cached objects (and those `onKey` sees) carry no `metadata.managedFields`, as with
 *   controller-runtime's `TransformStripManagedFields`: nothing reads them from a cache, and they are
 *   more than half of a small object's memory (10,000 resources: about 23 MB).
 */
import {
  makeInformer,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCache,
} from '@kubernetes/client-node';
import { JitteredBackoff } from '../util/backoff.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { describeError, isAbortError } from './api-errors.js';
import type { Logger } from './logging.js';
import { keyOf } from './reconcile.js';

/** The part of a client-node informer we use (a `ListWatch` satisfies it). */
export type InformerLike<T extends KubernetesObject> = Informer<T> & ObjectCache<T>;

/** Why `onKey` was called. */
export type InformerEvent = 'add' | 'update' | 'delete' | 'resync';

/** What else `onKey` is told about an event. */
export interface InformerEventInfo {
  /** The event is part of the informer's first list (the objects present at start), not a change. */
  initial: boolean;
}

/** Options of {@link SupervisedInformer}. */
export interface SupervisedInformerOptions<T extends KubernetesObject> {
  kc: KubeConfig;
  /** Collection path without query, e.g. `/apis/G/V/namespaces/NS/PLURAL` or `/apis/G/V/PLURAL`. */
  path: string;
  /** Lists the collection (e.g. `listCustomObjectForAllNamespaces`), with `labelSelector` if set. */
  list: () => Promise<KubernetesListObject<T>>;
  /** Called for every change and on resync. Should only enqueue; exceptions are logged and dropped. */
  onKey: (key: string, obj: T, event: InformerEvent, info?: InformerEventInfo) => void;
  /** Label selector of the watch (the `list` must apply the same). Default: everything. */
  labelSelector?: string;
  clock: Clock;
  log: Logger;
  /** Counts restarts (a {@link RuntimeMetrics} fits). */
  metrics?: { informerRestarted(resource: string, reason: 'error' | 'stalled'): void };
  /** Name in logs and metrics. Default: `path`. */
  name?: string;
  /** Full requeue period; 0 disables. Default 10 minutes. */
  resyncMs?: number;
  /** Server-side watch timeout. Default 300 s. */
  timeoutSeconds?: number;
  /** How often the watchdog checks. Default 30 s. */
  watchdogIntervalMs?: number;
  /** Silence after which the watch counts as stalled. Default `(timeoutSeconds + 30) s`. */
  stallAfterMs?: number;
  /** Healthy time after which the restart backoff resets. Default 120 s. */
  backoffResetAfterMs?: number;
  /** Backoff source of randomness (tests). */
  random?: () => number;
  /** Builds the informer from the full watch path (tests inject a fake or a `ListWatch` on a fake `Watch`). */
  makeInformer?: (path: string, list: () => Promise<KubernetesListObject<T>>) => InformerLike<T>;
}

/** Appends watch query parameters (and the label selector, URL-encoded, if any) to a collection path. */
export function watchPath(path: string, timeoutSeconds: number, labelSelector?: string): string {
  const sep = path.includes('?') ? '&' : '?';
  const selector = labelSelector ? `&labelSelector=${encodeURIComponent(labelSelector)}` : '';
  return `${path}${sep}timeoutSeconds=${timeoutSeconds}&allowWatchBookmarks=true${selector}`;
}

/** See the module doc for the guarantees. */
export class SupervisedInformer<T extends KubernetesObject> {
  /** Resolves once the first list is in the cache. */
  readonly synced: Promise<void>;
  readonly name: string;
  private readonly opts: SupervisedInformerOptions<T>;
  private readonly log: Logger;
  private readonly informer: InformerLike<T>;
  private readonly backoff: JitteredBackoff;
  private resolveSynced!: () => void;
  private isSynced = false;
  private started = false;
  private stopping = false;
  private pending: TimerHandle | undefined;
  private watchdog: TimerHandle | undefined;
  private resync: TimerHandle | undefined;
  private lastSeen: number;
  private healthySince: number;
  private restarts = 0;

  constructor(opts: SupervisedInformerOptions<T>) {
    this.opts = opts;
    this.name = opts.name ?? opts.path;
    this.log = opts.log.child({ informer: this.name });
    this.backoff = new JitteredBackoff({ random: opts.random });
    this.synced = new Promise((resolve) => (this.resolveSynced = resolve));
    this.lastSeen = this.healthySince = opts.clock.now();
    const path = watchPath(opts.path, opts.timeoutSeconds ?? 300, opts.labelSelector);
    const list = (): Promise<KubernetesListObject<T>> => this.listAndMark();
    this.informer = opts.makeInformer ? opts.makeInformer(path, list) : makeInformer<T>(opts.kc, path, list);
    for (const ev of ['add', 'update', 'delete'] as const)
      this.informer.on(ev, (obj: T) => this.emit(obj, ev));
    this.informer.on('connect', () => this.onConnect());
    this.informer.on('error', (err?: unknown) => this.onError(err));
  }

  /**
   * Starts listing and watching, the watchdog and the resync timer. Resolves once started (it does not
   * wait for the sync: await {@link synced}); never rejects, since failures are retried. Idempotent.
   */
  async start(): Promise<void> {
    if (this.started || this.stopping) return;
    this.started = true;
    this.touch();
    this.healthySince = this.opts.clock.now();
    this.armWatchdog();
    this.runInformerStart();
  }

  /** True once the first list is in the cache. */
  hasSynced(): boolean {
    return this.isSynced;
  }

  /** The cached object, if any (cluster-scoped: `namespace` is `''`). */
  get(namespace: string, name: string): T | undefined {
    return this.informer.get(name, namespace || undefined);
  }

  /** A snapshot of all cached objects. */
  list(): T[] {
    return [...this.informer.list()];
  }

  /** Restarts since start (after errors or stalls). */
  restartCount(): number {
    return this.restarts;
  }

  /** Stops watching and all timers; later errors (our own abort) are ignored. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.pending?.cancel();
    this.watchdog?.cancel();
    this.resync?.cancel();
    this.pending = this.watchdog = this.resync = undefined;
    try {
      await this.informer.stop();
    } catch (err) {
      this.log.debug({ err }, 'informer stop failed');
    }
  }

  private async listAndMark(): Promise<KubernetesListObject<T>> {
    const result = await this.opts.list();
    for (const item of result.items ?? []) stripManagedFields(item);
    this.touch();
    if (!this.isSynced) {
      // client-node fills its cache synchronously right after this promise settles; a macrotask later
      // the list is in the cache.
      setImmediate(() => this.markSynced());
    }
    return result;
  }

  private markSynced(): void {
    if (this.isSynced || this.stopping) return;
    this.isSynced = true;
    this.log.info({ objects: this.informer.list().length }, 'cache synced');
    this.resolveSynced();
    this.armResync();
  }

  private emit(obj: T, event: InformerEvent): void {
    if (event !== 'resync') this.touch(); // a resync says nothing about the watch's health
    // A watch event's object is the one client-node just cached (the same reference): strip it there.
    if (event === 'add' || event === 'update') stripManagedFields(obj);
    try {
      // client-node fills the cache from the first list synchronously, before markSynced runs.
      this.opts.onKey(keyOf(obj), obj, event, { initial: !this.isSynced });
    } catch (err) {
      try {
        this.log.error({ err, event }, 'event handler failed');
      } catch {
        /* never let a handler failure escape into client-node */
      }
    }
  }

  private touch(): void {
    this.lastSeen = this.opts.clock.now();
  }

  private onConnect(): void {
    this.touch();
    const healthyFor = this.opts.clock.now() - this.healthySince;
    if (healthyFor >= (this.opts.backoffResetAfterMs ?? 120_000) && this.backoff.attempts > 0) {
      this.backoff.reset();
      this.log.debug('watch healthy; restart backoff reset');
    }
  }

  private onError(err: unknown): void {
    if (this.stopping || isAbortError(err)) return; // our own stop()/start(), or shutting down
    this.healthySince = this.opts.clock.now();
    this.log.warn({ error: describeError(err) }, 'watch failed; restarting with backoff');
    this.scheduleRestart('error');
  }

  private scheduleRestart(reason: 'error' | 'stalled'): void {
    if (this.pending || this.stopping) return; // at most one pending restart
    const delay = this.backoff.next();
    this.restarts++;
    this.opts.metrics?.informerRestarted(this.name, reason);
    this.pending = this.opts.clock.setTimer(() => {
      this.pending = undefined;
      if (this.stopping) return;
      this.touch();
      this.runInformerStart();
    }, delay);
  }

  private runInformerStart(): void {
    this.informer.start().catch((err: unknown) => {
      if (this.stopping || isAbortError(err)) return;
      this.log.warn({ error: describeError(err) }, 'informer start failed');
      this.healthySince = this.opts.clock.now();
      this.scheduleRestart('error');
    });
  }

  private armWatchdog(): void {
    const every = this.opts.watchdogIntervalMs ?? 30_000;
    const stallAfter = this.opts.stallAfterMs ?? ((this.opts.timeoutSeconds ?? 300) + 30) * 1000;
    const tick = (): void => {
      if (this.stopping) return;
      if (!this.pending && this.opts.clock.now() - this.lastSeen > stallAfter) {
        this.log.warn({ silentMs: this.opts.clock.now() - this.lastSeen }, 'watch silent; restarting');
        this.healthySince = this.opts.clock.now();
        this.touch();
        // stop() aborts the request; the resulting AbortError is ignored, the restart is ours.
        this.informer.stop().catch(() => undefined);
        this.scheduleRestart('stalled');
      }
      this.watchdog = this.opts.clock.setTimer(tick, every);
    };
    this.watchdog = this.opts.clock.setTimer(tick, every);
  }

  private armResync(): void {
    const every = this.opts.resyncMs ?? 600_000;
    if (!(every > 0)) return;
    const tick = (): void => {
      if (this.stopping) return;
      const objs = this.informer.list();
      this.log.debug({ objects: objs.length }, 'periodic resync');
      for (const obj of objs) this.emit(obj, 'resync');
      this.resync = this.opts.clock.setTimer(tick, every);
    };
    this.resync = this.opts.clock.setTimer(tick, every);
  }
}

/** Drops `metadata.managedFields` in place (the server-side apply bookkeeping; see the module doc). */
function stripManagedFields(obj: KubernetesObject): void {
  if (obj.metadata?.managedFields !== undefined) delete obj.metadata.managedFields;
}
