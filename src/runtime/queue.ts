/**
 * The basic work queue, ported from client-go `util/workqueue/queue.go`.
 *
 * Guarantees:
 * - **FIFO** among keys that are ready.
 * - **Per-key exclusion:** a key handed out by {@link Queue.get} is not handed out again until
 *   {@link Queue.done} is called for it, however many workers call `get`.
 * - **Dedup:** adding a key that is already waiting in the queue is a no-op.
 * - **Rerun when dirty:** adding a key while it is being processed schedules exactly one more run,
 *   queued when `done` is called.
 * - After {@link Queue.shutDown}, adds are ignored and `get` resolves `undefined` (no new work starts;
 *   keys still queued are dropped: the level-based resync or the next leader picks them up).
 *
 * Node has no threads, but async workers interleave at every `await`, so the `processing` set is
 * still what keeps two workers off one key.
 */
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';

/** Where a queue reports its activity. {@link RuntimeMetrics.workqueue} implements it. */
export interface WorkQueueMetrics {
  /** Current number of keys waiting in the queue (not delayed, not processing). */
  setDepth(n: number): void;
  /** A key became dirty (adds collapsed into an already-dirty key are not counted, like client-go). */
  add(): void;
  /** Seconds a key waited in the queue before a worker took it. */
  queueLatency(seconds: number): void;
  /** Seconds a worker held a key (get → done). */
  workDuration(seconds: number): void;
  /** A rate-limited retry was scheduled. */
  retry(): void;
}

/** Options of {@link Queue}. */
export interface QueueOptions {
  clock?: Clock;
  metrics?: WorkQueueMetrics;
}

/** See the module doc for the guarantees. */
export class Queue {
  protected readonly clock: Clock;
  protected readonly metrics: WorkQueueMetrics | undefined;
  private readonly order: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly addedAt = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();
  private waiters: Array<(key: string | undefined) => void> = [];
  private idleWaiters: Array<() => void> = [];
  private shutdown = false;

  constructor(opts: QueueOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.metrics = opts.metrics;
  }

  /** Marks `key` as needing work. See the module doc for dedup and rerun-when-dirty. */
  add(key: string): void {
    if (this.shutdown) return;
    if (this.dirty.has(key)) return;
    this.metrics?.add();
    this.dirty.add(key);
    if (!this.addedAt.has(key)) this.addedAt.set(key, this.clock.now());
    if (this.processing.has(key)) return;
    this.push(key);
  }

  private push(key: string): void {
    this.order.push(key);
    this.handOff();
    this.metrics?.setDepth(this.order.length);
  }

  /** Gives queued keys to waiting workers, marking them processing synchronously. */
  private handOff(): void {
    while (this.waiters.length > 0 && this.order.length > 0) {
      const waiter = this.waiters.shift()!;
      waiter(this.take());
    }
  }

  private take(): string {
    const key = this.order.shift()!;
    this.processing.add(key);
    this.dirty.delete(key);
    const now = this.clock.now();
    const added = this.addedAt.get(key);
    this.addedAt.delete(key);
    if (added !== undefined) this.metrics?.queueLatency((now - added) / 1000);
    this.startedAt.set(key, now);
    this.metrics?.setDepth(this.order.length);
    return key;
  }

  /**
   * The next key to process, waiting if none is ready. The caller must call {@link done} with it.
   * Resolves `undefined` once the queue is shut down.
   */
  get(): Promise<string | undefined> {
    if (this.shutdown) return Promise.resolve(undefined);
    if (this.order.length > 0) return Promise.resolve(this.take());
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Ends processing of `key`; if it was added meanwhile, queues it again (once). */
  done(key: string): void {
    if (!this.processing.delete(key)) return;
    const started = this.startedAt.get(key);
    this.startedAt.delete(key);
    if (started !== undefined) this.metrics?.workDuration((this.clock.now() - started) / 1000);
    if (this.dirty.has(key) && !this.shutdown) this.push(key);
    if (this.processing.size === 0) {
      const idle = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of idle) w();
    }
  }

  /** Number of keys ready and waiting for a worker (not delayed, not processing). */
  len(): number {
    return this.order.length;
  }

  /** True while `key` is held by a worker. */
  isProcessing(key: string): boolean {
    return this.processing.has(key);
  }

  /** Keys currently held by workers. */
  processingKeys(): string[] {
    return [...this.processing];
  }

  /** Resolves when no key is being processed. */
  whenIdle(): Promise<void> {
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops intake and wakes all waiting workers with `undefined`. Idempotent. */
  shutDown(): void {
    if (this.shutdown) return;
    this.shutdown = true;
    this.order.length = 0;
    this.dirty.clear();
    this.addedAt.clear();
    this.metrics?.setDepth(0);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w(undefined);
  }

  /** True after {@link shutDown}. */
  shuttingDown(): boolean {
    return this.shutdown;
  }
}
