/**
 * A {@link Queue} that can also add a key later, ported from client-go `delaying_queue.go`.
 *
 * Guarantees:
 * - `addAfter(key, ms, opts)` with `ms <= 0` is a plain {@link Queue.add}.
 * - A key waiting for its time keeps the **earliest** ready time: re-adding it with a later time does
 *   not delay it, with an earlier time moves it forward. It is added once when its time comes, at the
 *   **highest** priority any of those adds asked for.
 * - One timer, set for the earliest ready time, drives all delayed keys.
 * - {@link shutDown} cancels the timer and forgets waiting keys.
 */
import type { TimerHandle } from '../util/clock.js';
import { DEFAULT_PRIORITY, Queue, type AddOptions, type QueueOptions } from './queue.js';

interface Waiting {
  key: string;
  readyAt: number;
}

/** A binary min-heap of waiting keys by ready time (lazy deletion: stale entries are skipped). */
class MinHeap {
  private readonly items: Waiting[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Waiting | undefined {
    return this.items[0];
  }

  push(w: Waiting): void {
    const a = this.items;
    a.push(w);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]!.readyAt <= a[i]!.readyAt) break;
      [a[parent], a[i]] = [a[i]!, a[parent]!];
      i = parent;
    }
  }

  pop(): Waiting | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]!.readyAt < a[m]!.readyAt) m = l;
        if (r < a.length && a[r]!.readyAt < a[m]!.readyAt) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }

  clear(): void {
    this.items.length = 0;
  }
}

/** See the module doc for the guarantees. */
export class DelayingQueue extends Queue {
  private readonly heap = new MinHeap();
  /** The effective ready time of each waiting key. */
  private readonly readyAt = new Map<string, number>();
  /** The priority each waiting key is added with when its time comes. */
  private readonly waitingPriority = new Map<string, number>();
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;

  constructor(opts: QueueOptions = {}) {
    super(opts);
  }

  /**
   * Adds `key` after `ms` milliseconds at `opts.priority`, keeping the earliest time and the highest
   * priority if it is already waiting.
   */
  addAfter(key: string, ms: number, opts: AddOptions = {}): void {
    if (this.shuttingDown()) return;
    if (!(ms > 0)) {
      this.add(key, opts);
      return;
    }
    const priority = opts.priority ?? DEFAULT_PRIORITY;
    const at = this.clock.now() + ms;
    const current = this.readyAt.get(key);
    const waiting = this.waitingPriority.get(key);
    this.waitingPriority.set(key, waiting === undefined ? priority : Math.max(waiting, priority));
    if (current !== undefined && current <= at) return;
    this.readyAt.set(key, at);
    this.heap.push({ key, readyAt: at });
    this.arm();
  }

  /** Number of keys waiting for their time. */
  waitingLen(): number {
    return this.readyAt.size;
  }

  /** The priority `key` will be added with when its time comes, if it is waiting. */
  waitingPriorityOf(key: string): number | undefined {
    return this.waitingPriority.get(key);
  }

  /** When `key` becomes ready (epoch ms), if it is waiting. */
  readyTimeOf(key: string): number | undefined {
    return this.readyAt.get(key);
  }

  private arm(): void {
    const head = this.heap.peek();
    if (!head) return;
    if (this.timer && this.timerAt <= head.readyAt) return;
    this.timer?.cancel();
    this.timerAt = head.readyAt;
    this.timer = this.clock.setTimer(() => this.fire(), head.readyAt - this.clock.now());
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    for (;;) {
      const head = this.heap.peek();
      if (!head || head.readyAt > now) break;
      this.heap.pop();
      // Skip stale entries: the key moved to an earlier time (already fired) or was re-added.
      if (this.readyAt.get(head.key) !== head.readyAt) continue;
      this.readyAt.delete(head.key);
      const priority = this.waitingPriority.get(head.key);
      this.waitingPriority.delete(head.key);
      this.add(head.key, priority === undefined ? {} : { priority });
    }
    this.arm();
  }

  override shutDown(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.heap.clear();
    this.readyAt.clear();
    this.waitingPriority.clear();
    super.shutDown();
  }
}
