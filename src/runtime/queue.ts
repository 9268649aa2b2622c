/**
 * The basic work queue, ported from client-go `util/workqueue/queue.go`, with priorities after
 * controller-runtime's `priorityqueue` (a user's change is handed out before routine rechecks).
 *
 * Guarantees:
 * - **Priority, then FIFO:** of the keys that are ready, one of the highest priority is handed out
 *   first, and among keys of equal priority the one queued first. Default priority
 *   {@link DEFAULT_PRIORITY} (0); routine work (the initial list, resync rechecks) uses
 *   {@link LOW_PRIORITY}.
 * - **Per-key exclusion:** a key handed out by {@link Queue.get} is not handed out again until
 *   {@link Queue.done} is called for it, however many workers call `get`.
 * - **Dedup:** adding a key that is already waiting in the queue is a no-op, except that a higher
 *   priority raises the waiting key's priority (it moves ahead; a lower one never demotes it).
 * - **Rerun when dirty:** adding a key while it is being processed schedules exactly one more run,
 *   queued when `done` is called, at the highest priority it was added with meanwhile.
 * - After {@link Queue.shutDown}, adds are ignored and `get` resolves `undefined` (no new work starts;
 *   keys still queued are dropped: the level-based resync or the next leader picks them up).
 *
 * Node has no threads, but async workers interleave at every `await`, so the `processing` set is
 * still what keeps two workers off one key.
 */
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';

/** The priority of a change (a watch event after the initial list): the default. */
export const DEFAULT_PRIORITY = 0;
/** The priority of routine work: the initial list's keys and resync rechecks (controller-runtime's `LowPriority`). */
export const LOW_PRIORITY = -100;

/** Options of an add. */
export interface AddOptions {
  /** Higher is handed out first. Default {@link DEFAULT_PRIORITY}. */
  priority?: number;
}

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
  /**
   * Registers the queue's unfinished-work reader, read at scrape time for
   * `workqueue_unfinished_work_seconds` and `workqueue_longest_running_processor_seconds`.
   */
  unfinished?(read: () => { totalSeconds: number; longestSeconds: number }): void;
}

/** Options of {@link Queue}. */
export interface QueueOptions {
  clock?: Clock;
  metrics?: WorkQueueMetrics;
}

interface Entry {
  key: string;
  seq: number;
}

/** A FIFO of entries with O(1) amortised push and shift (an array with a moving head). */
class Fifo {
  private items: Entry[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(e: Entry): void {
    this.items.push(e);
  }

  shift(): Entry | undefined {
    if (this.head >= this.items.length) return undefined;
    const e = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return e;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/** See the module doc for the guarantees. */
export class Queue {
  protected readonly clock: Clock;
  protected readonly metrics: WorkQueueMetrics | undefined;
  /** One FIFO per priority; entries are valid while `queued` holds the same seq for the key. */
  private readonly buckets = new Map<number, Fifo>();
  /** Priorities that have a bucket, highest first. */
  private priorities: number[] = [];
  /** Keys ready and waiting for a worker: their priority and the seq of their live entry. */
  private readonly queued = new Map<string, { priority: number; seq: number }>();
  private seq = 0;
  /** Keys that need work, with the priority to queue them at. */
  private readonly dirty = new Map<string, number>();
  private readonly processing = new Set<string>();
  /** The priority each processing key was handed out with. */
  private readonly takenPriority = new Map<string, number>();
  private readonly addedAt = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();
  private waiters: Array<(key: string | undefined) => void> = [];
  private idleWaiters: Array<() => void> = [];
  private shutdown = false;

  constructor(opts: QueueOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.metrics = opts.metrics;
    this.metrics?.unfinished?.(() => this.unfinishedWork());
  }

  /**
   * Marks `key` as needing work at `opts.priority` (default {@link DEFAULT_PRIORITY}). See the module
   * doc for dedup, priority raising and rerun-when-dirty.
   */
  add(key: string, opts: AddOptions = {}): void {
    if (this.shutdown) return;
    const priority = opts.priority ?? DEFAULT_PRIORITY;
    const current = this.dirty.get(key);
    if (current !== undefined) {
      if (priority <= current) return;
      this.dirty.set(key, priority);
      // Waiting in the queue: move it to the higher priority's bucket (the old entry turns stale).
      if (this.queued.has(key)) this.enqueue(key, priority);
      return;
    }
    this.metrics?.add();
    this.dirty.set(key, priority);
    if (!this.addedAt.has(key)) this.addedAt.set(key, this.clock.now());
    if (this.processing.has(key)) return;
    this.push(key, priority);
  }

  private push(key: string, priority: number): void {
    this.enqueue(key, priority);
    this.handOff();
    this.metrics?.setDepth(this.queued.size);
  }

  private enqueue(key: string, priority: number): void {
    let bucket = this.buckets.get(priority);
    if (!bucket) {
      bucket = new Fifo();
      this.buckets.set(priority, bucket);
      this.priorities = [...this.buckets.keys()].sort((a, b) => b - a);
    }
    const seq = ++this.seq;
    bucket.push({ key, seq });
    this.queued.set(key, { priority, seq });
  }

  /** Gives queued keys to waiting workers, marking them processing synchronously. */
  private handOff(): void {
    while (this.waiters.length > 0 && this.queued.size > 0) {
      const waiter = this.waiters.shift()!;
      waiter(this.take());
    }
  }

  /** The next live entry of the highest non-empty priority; call only while `queued` is not empty. */
  private next(): { key: string; priority: number } {
    for (const priority of this.priorities) {
      const bucket = this.buckets.get(priority)!;
      for (let e = bucket.shift(); e; e = bucket.shift()) {
        const q = this.queued.get(e.key);
        if (q && q.seq === e.seq) return { key: e.key, priority };
      }
    }
    throw new Error('queue bookkeeping: no live entry while keys are queued');
  }

  private take(): string {
    const { key, priority } = this.next();
    this.queued.delete(key);
    this.processing.add(key);
    this.takenPriority.set(key, priority);
    this.dirty.delete(key);
    const now = this.clock.now();
    const added = this.addedAt.get(key);
    this.addedAt.delete(key);
    if (added !== undefined) this.metrics?.queueLatency((now - added) / 1000);
    this.startedAt.set(key, now);
    this.metrics?.setDepth(this.queued.size);
    return key;
  }

  /**
   * The next key to process, waiting if none is ready. The caller must call {@link done} with it.
   * Resolves `undefined` once the queue is shut down.
   */
  get(): Promise<string | undefined> {
    if (this.shutdown) return Promise.resolve(undefined);
    if (this.queued.size > 0) return Promise.resolve(this.take());
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Ends processing of `key`; if it was added meanwhile, queues it again (once, at its highest priority). */
  done(key: string): void {
    if (!this.processing.delete(key)) return;
    this.takenPriority.delete(key);
    const started = this.startedAt.get(key);
    this.startedAt.delete(key);
    if (started !== undefined) this.metrics?.workDuration((this.clock.now() - started) / 1000);
    const again = this.dirty.get(key);
    if (again !== undefined && !this.shutdown) this.push(key, again);
    if (this.processing.size === 0) {
      const idle = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of idle) w();
    }
  }

  /** Number of keys ready and waiting for a worker (not delayed, not processing). */
  len(): number {
    return this.queued.size;
  }

  /** The priority `key` waits at, if it is ready and waiting. */
  queuedPriority(key: string): number | undefined {
    return this.queued.get(key)?.priority;
  }

  /** The priority a key held by a worker was handed out with (undefined when not processing). */
  priorityOf(key: string): number | undefined {
    return this.takenPriority.get(key);
  }

  /** True while `key` is held by a worker. */
  isProcessing(key: string): boolean {
    return this.processing.has(key);
  }

  /** Keys currently held by workers. */
  processingKeys(): string[] {
    return [...this.processing];
  }

  /**
   * client-go's unfinished-work figures: the seconds all keys now held by workers have been held, in
   * total, and the longest of them (0 when none).
   */
  unfinishedWork(): { totalSeconds: number; longestSeconds: number } {
    const now = this.clock.now();
    let total = 0;
    let longest = 0;
    for (const started of this.startedAt.values()) {
      const s = Math.max(0, now - started) / 1000;
      total += s;
      longest = Math.max(longest, s);
    }
    return { totalSeconds: total, longestSeconds: longest };
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
    for (const b of this.buckets.values()) b.clear();
    this.queued.clear();
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
