/**
 * The queue's priorities (controller-runtime's priority queue, on client-go's semantics): the highest
 * priority first, FIFO within one, dedup that raises and never lowers, the rerun of a dirty key at the
 * highest priority asked for, and the delaying queue keeping the earliest time and highest priority.
 */
import { describe, expect, it } from 'vitest';
import { flush, ManualClock } from '../../../src/util/clock.js';
import { DelayingQueue } from '../../../src/runtime/delaying-queue.js';
import { DEFAULT_PRIORITY, LOW_PRIORITY, Queue } from '../../../src/runtime/queue.js';
import { WorkQueue } from '../../../src/runtime/workqueue.js';

const low = { priority: LOW_PRIORITY };

async function drain(q: Queue): Promise<string[]> {
  const out: string[] = [];
  while (q.len() > 0) {
    const k = (await q.get())!;
    out.push(k);
    q.done(k);
  }
  return out;
}

describe('Queue priorities', () => {
  it('hands out the highest priority first, FIFO among equals', async () => {
    const q = new Queue();
    q.add('r1', low);
    q.add('r2', low);
    q.add('u1');
    q.add('r3', low);
    q.add('u2', { priority: DEFAULT_PRIORITY });
    q.add('urgent', { priority: 50 });
    expect(await drain(q)).toEqual(['urgent', 'u1', 'u2', 'r1', 'r2', 'r3']);
  });

  it('a re-add at a higher priority moves a waiting key ahead, once; a lower one never demotes it', async () => {
    const q = new Queue();
    for (const k of ['a', 'b', 'c']) q.add(k, low);
    q.add('x');
    q.add('c'); // raised: now ahead of a and b, behind x (queued earlier at that priority)
    q.add('x', low); // not demoted
    expect(q.len()).toBe(4);
    expect(q.queuedPriority('c')).toBe(DEFAULT_PRIORITY);
    expect(q.queuedPriority('x')).toBe(DEFAULT_PRIORITY);
    expect(await drain(q)).toEqual(['x', 'c', 'a', 'b']);
  });

  it('reruns a key added while processing once, at the highest priority it was added with', async () => {
    const q = new Queue();
    q.add('k', low);
    const k = (await q.get())!;
    expect(q.priorityOf(k)).toBe(LOW_PRIORITY);
    q.add('k', low);
    q.add('k'); // raised while dirty
    q.add('k', low);
    q.add('other', low);
    expect(q.len()).toBe(1); // never handed out while processing
    q.done(k);
    expect(q.len()).toBe(2);
    expect(q.queuedPriority('k')).toBe(DEFAULT_PRIORITY);
    expect(await drain(q)).toEqual(['k', 'other']);
    expect(q.len()).toBe(0);
  });

  it('keeps one key off two workers at once whatever the priorities', async () => {
    const q = new Queue();
    const running = new Set<string>();
    let overlaps = 0;
    let runs = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const k = await q.get();
        if (k === undefined) return;
        if (running.has(k)) overlaps++;
        running.add(k);
        runs++;
        await flush(1);
        q.add(k, runs % 2 ? low : {});
        await flush(1);
        running.delete(k);
        q.done(k);
      }
    };
    const workers = Array.from({ length: 6 }, () => worker());
    for (let i = 0; i < 30; i++) {
      q.add(`k${i % 4}`, i % 3 ? low : {});
      await flush(1);
    }
    await flush(20);
    q.shutDown();
    await Promise.all(workers);
    expect(overlaps).toBe(0);
    expect(runs).toBeGreaterThan(10);
  });

  it('reports the unfinished work of keys held by workers (client-go figures)', async () => {
    const clock = new ManualClock();
    const q = new Queue({ clock });
    expect(q.unfinishedWork()).toEqual({ totalSeconds: 0, longestSeconds: 0 });
    q.add('a');
    q.add('b');
    const a = (await q.get())!;
    await clock.advance(3_000);
    const b = (await q.get())!;
    await clock.advance(1_000);
    expect(q.unfinishedWork()).toEqual({ totalSeconds: 5, longestSeconds: 4 });
    q.done(a);
    expect(q.unfinishedWork()).toEqual({ totalSeconds: 1, longestSeconds: 1 });
    q.done(b);
    expect(q.unfinishedWork()).toEqual({ totalSeconds: 0, longestSeconds: 0 });
  });
});

describe('DelayingQueue priorities', () => {
  it('adds a delayed key at its priority when its time comes, behind waiting changes', async () => {
    const clock = new ManualClock();
    const q = new DelayingQueue({ clock });
    q.addAfter('recheck', 1_000, low);
    q.add('change-1');
    await clock.advance(1_000);
    q.add('change-2');
    expect(await drain(q)).toEqual(['change-1', 'change-2', 'recheck']);
  });

  it('keeps the earliest time and the highest priority of repeated delayed adds', async () => {
    const clock = new ManualClock();
    const q = new DelayingQueue({ clock });
    q.addAfter('k', 5_000, low);
    q.addAfter('k', 9_000); // later: does not delay it, but raises its priority
    expect(q.readyTimeOf('k')).toBe(clock.now() + 5_000);
    expect(q.waitingPriorityOf('k')).toBe(DEFAULT_PRIORITY);
    q.addAfter('j', 5_000, low);
    await clock.advance(5_000);
    expect(q.waitingLen()).toBe(0);
    expect(q.queuedPriority('k')).toBe(DEFAULT_PRIORITY);
    expect(q.queuedPriority('j')).toBe(LOW_PRIORITY);
  });

  it('a rate-limited retry is added at the priority it is given', async () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock });
    q.addRateLimited('r', 0, low);
    q.addRateLimited('u', 0);
    await clock.advance(10);
    expect(await drain(q)).toEqual(['u', 'r']);
  });
});
