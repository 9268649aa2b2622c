/**
 * A controller: a {@link WorkQueue} drained by `workers` async workers that call a {@link Reconciler},
 * after controller-runtime's `pkg/internal/controller`.
 *
 * Guarantees:
 * - A key is never reconciled by two workers at once; events during a reconcile cause exactly one
 *   rerun after it (queue semantics).
 * - A reconcile that throws (anything, even a non-`Error`) or rejects never kills its worker or the
 *   process: the outcome is mapped as documented in `reconcile.ts`, logged, and counted.
 * - {@link Controller.stop} stops intake at once, lets in-flight reconciles finish until the deadline,
 *   then aborts their `signal` and returns. It never waits longer than the deadline.
 * - A per-reconcile timeout (optional) aborts the reconcile's `signal`; the key stays held until the
 *   reconciler actually returns, so exclusion holds even for reconcilers that ignore the signal.
 * - **Priorities:** {@link Controller.enqueue} queues at the default priority (a change); a requeue or
 *   a retry keeps the priority its key was handed out with unless the result names one (see
 *   `reconcile.ts`).
 * - **Spread:** {@link Controller.enqueueSpread} (routine keys, e.g. the initial list's settled
 *   objects) queues each key at {@link LOW_PRIORITY} after `spreadOffset(key, period)`, counted from
 *   the controller's start (keys spread before it are held until then; a change of the key meanwhile
 *   replaces the held recheck). `period` is the key's own (e.g. its object's resync period), else
 *   `spreadMs`. So after a restart or a failover the rechecks of N objects of one period arrive at about
 *   `N / period` a millisecond instead of all at once, each key keeps its offset, and no key waits
 *   longer than its own period.
 */
import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from './logging.js';
import type { ReconcileResultLabel, RuntimeMetrics } from './metrics.js';
import { isTerminal, parseKey, retryAfterOf, type ReconcileResult, type Reconciler } from './reconcile.js';
import type { RateLimiter } from './rate-limiters.js';
import { LOW_PRIORITY, type AddOptions } from './queue.js';
import { WorkQueue } from './workqueue.js';

/** Options of {@link Controller}. */
export interface ControllerOptions {
  /** Used in logs and as the `controller` metric label. */
  name: string;
  reconciler: Reconciler;
  /** A ready-made queue; default a {@link WorkQueue} on `clock` with `rateLimiter` and the metrics sink. */
  queue?: WorkQueue;
  /** Used only when `queue` is not given. Default: `defaultControllerRateLimiter(clock)`. */
  rateLimiter?: RateLimiter;
  /** Concurrent reconciles (controller-runtime `MaxConcurrentReconciles`), at least 1. */
  workers: number;
  clock: Clock;
  log: Logger;
  metrics: RuntimeMetrics;
  /** Aborts a reconcile's signal after this long (0 or absent: no timeout). */
  reconcileTimeoutMs?: number;
  /** Makes reconcile IDs (tests inject a counter). Default `crypto.randomUUID`. */
  newReconcileId?: () => string;
  /**
   * Period over which {@link Controller.enqueueSpread} spreads routine keys that name none of their own
   * (0 or absent: no spread).
   */
  spreadMs?: number;
}

/**
 * Where in `[0, periodMs)` the routine recheck of `key` falls: FNV-1a of the key with murmur3's final
 * mix (sequential names would otherwise cluster), scaled. Deterministic (a key keeps its place across
 * restarts and replicas) and close to uniform over many keys.
 */
export function spreadOffset(key: string, periodMs: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return Math.floor(((h >>> 0) / 2 ** 32) * Math.max(0, periodMs));
}

/** See the module doc for the guarantees. */
export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  private readonly opts: ControllerOptions;
  private readonly log: Logger;
  private readonly inflight = new Map<string, AbortController>();
  /** Routine keys spread before the start, waiting for it, with their own period (undefined: `spreadMs`). */
  private readonly held = new Map<string, number | undefined>();
  private workers: Promise<void>[] = [];
  private started = false;
  private stopped = false;

  constructor(opts: ControllerOptions) {
    if (!Number.isInteger(opts.workers) || opts.workers < 1)
      throw new Error(`workers must be >= 1 (got ${opts.workers})`);
    this.opts = opts;
    this.name = opts.name;
    this.log = opts.log.child({ controller: opts.name });
    this.queue =
      opts.queue ??
      new WorkQueue({ clock: opts.clock, rateLimiter: opts.rateLimiter, metrics: opts.metrics.workqueue });
  }

  /** Starts the workers. Keys enqueued before start wait in the queue. Idempotent; no-op after stop. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.opts.metrics.setMaxConcurrentReconciles(this.opts.workers);
    this.log.info({ workers: this.opts.workers, spreadKeys: this.held.size }, 'starting workers');
    for (const [key, periodMs] of this.held) this.spread(key, periodMs);
    this.held.clear();
    for (let i = 0; i < this.opts.workers; i++) this.workers.push(this.worker());
  }

  /**
   * Queues `key` (`namespace/name`) for a reconcile, at the default priority unless `opts` says
   * otherwise. Safe to call from any event handler; never throws.
   */
  enqueue(key: string, opts: AddOptions = {}): void {
    this.held.delete(key);
    this.queue.add(key, opts);
  }

  /** Queues `key` after `ms`, keeping the earliest time (and highest priority) if it is already waiting. */
  enqueueAfter(key: string, ms: number, opts: AddOptions = {}): void {
    this.queue.addAfter(key, ms, opts);
  }

  /**
   * Queues a routine recheck of `key` at {@link LOW_PRIORITY}, `spreadOffset(key, periodMs)` after the
   * start (after now once started); `periodMs` is the key's own period, default `spreadMs`. Without
   * either: at once, at low priority. Held before the start, a key's own period is kept over a later
   * call without one (a mapped source's spread of a key whose own object named it); once started, the
   * earlier of two rechecks wins (queue semantics).
   */
  enqueueSpread(key: string, periodMs?: number): void {
    if (this.stopped) return;
    const own = periodMs !== undefined && periodMs > 0 ? periodMs : undefined;
    if (own === undefined && !(this.opts.spreadMs && this.opts.spreadMs > 0)) {
      if (!this.held.has(key)) this.queue.add(key, { priority: LOW_PRIORITY });
      return;
    }
    if (this.started) this.spread(key, own);
    else if (own !== undefined || !this.held.has(key)) this.held.set(key, own);
  }

  private spread(key: string, periodMs: number | undefined): void {
    const period = periodMs ?? this.opts.spreadMs ?? 0;
    this.queue.addAfter(key, spreadOffset(key, period), { priority: LOW_PRIORITY });
  }

  /** True between {@link start} and {@link stop}. */
  isRunning(): boolean {
    return this.started && !this.stopped;
  }

  /**
   * Stops intake at once and waits up to `deadlineMs` for in-flight reconciles to return. When the
   * deadline passes first, aborts their signals and resolves anyway (the keys are logged). Never rejects.
   */
  async stop(deadlineMs: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.queue.shutDown();
    const all = Promise.all(this.workers).then(() => true);
    let timer: TimerHandle | undefined;
    const deadline = new Promise<boolean>((resolve) => {
      timer = this.opts.clock.setTimer(() => resolve(false), Math.max(0, deadlineMs));
    });
    const finished = deadlineMs > 0 || this.inflight.size === 0 ? await Promise.race([all, deadline]) : false;
    timer?.cancel();
    if (!finished) {
      const keys = [...this.inflight.keys()];
      for (const ac of this.inflight.values())
        ac.abort(new Error('controller stopped: shutdown deadline passed'));
      if (keys.length > 0)
        this.log.warn({ keys, deadlineMs }, 'shutdown deadline passed; abandoning in-flight reconciles');
    }
    this.log.info('workers stopped');
  }

  /** Aborts the signal of every in-flight reconcile (used when leadership is lost). Keys stay held until they return. */
  abortInFlight(reason = 'aborted'): void {
    for (const ac of this.inflight.values()) ac.abort(new Error(reason));
  }

  /** Keys being reconciled right now. */
  inFlightKeys(): string[] {
    return [...this.inflight.keys()];
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.reconcileHandler(key);
      } catch (err) {
        // Only a bug in our own bookkeeping gets here; keep the worker alive regardless.
        try {
          this.log.error({ err, key }, 'internal error in reconcile handler');
        } catch {
          /* logging must not kill the worker */
        }
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async reconcileHandler(key: string): Promise<void> {
    const req = parseKey(key);
    const priority = this.queue.priorityOf(key);
    const keep: AddOptions = priority === undefined ? {} : { priority };
    const reconcileId = (this.opts.newReconcileId ?? randomUUID)();
    const log = this.log.child({ namespace: req.namespace, name: req.name, reconcileID: reconcileId });
    const ac = new AbortController();
    this.inflight.set(key, ac);
    const { clock, metrics } = this.opts;
    const started = clock.now();
    let timer: TimerHandle | undefined;
    if (this.opts.reconcileTimeoutMs && this.opts.reconcileTimeoutMs > 0)
      timer = clock.setTimer(() => ac.abort(new Error('reconcile timed out')), this.opts.reconcileTimeoutMs);

    let result: ReconcileResult = undefined;
    let failed = false;
    let error: unknown;
    metrics.workerActive(1);
    try {
      result = await this.opts.reconciler(req, { reconcileId, log, signal: ac.signal });
    } catch (e) {
      failed = true;
      error = e;
    } finally {
      timer?.cancel();
      metrics.workerActive(-1);
      this.inflight.delete(key);
    }
    const seconds = (clock.now() - started) / 1000;

    let label: ReconcileResultLabel;
    if (failed) {
      label = 'error';
      if (isTerminal(error)) {
        this.queue.forget(key);
        metrics.reconcileDone(label, seconds, true);
        log.error({ err: error }, 'reconcile failed with a terminal error; not requeued');
        return;
      }
      const delay = this.queue.addRateLimited(key, retryAfterOf(error) ?? 0, keep);
      log.error(
        { err: error, retryInMs: delay, retries: this.queue.numRequeues(key) },
        'reconcile failed; requeued with backoff',
      );
    } else if (result && typeof result.requeueAfterMs === 'number' && result.requeueAfterMs > 0) {
      label = 'requeue_after';
      this.queue.forget(key);
      this.queue.addAfter(
        key,
        result.requeueAfterMs,
        typeof result.priority === 'number' ? { priority: result.priority } : keep,
      );
      log.debug({ requeueAfterMs: result.requeueAfterMs }, 'reconciled; requeue scheduled');
    } else if (result && result.requeue) {
      label = 'requeue';
      this.queue.addRateLimited(
        key,
        0,
        typeof result.priority === 'number' ? { priority: result.priority } : keep,
      );
      log.debug('reconciled; requeue requested');
    } else {
      label = 'success';
      this.queue.forget(key);
      log.debug('reconciled');
    }
    metrics.reconcileDone(label, seconds);
  }
}
