import { describe, expect, it } from 'vitest';
import { ManualClock, flush } from '../../../src/util/clock.js';
import { Queue } from '../../../src/runtime/queue.js';
import { DelayingQueue } from '../../../src/runtime/delaying-queue.js';

describe('Queue', () => {
  it('hands keys out in FIFO order and collapses repeated adds into one', async () => {
    const q = new Queue();
    for (const k of ['a', 'b', 'a', 'c', 'b', 'a']) q.add(k);
    expect(q.len()).toBe(3);
    const got = [await q.get(), await q.get(), await q.get()];
    expect(got).toEqual(['a', 'b', 'c']);
    expect(q.len()).toBe(0);
  });

  it('never gives one key to two workers at once, even under many concurrent workers', async () => {
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
        // Interleave with other workers, and re-add keys while they are processing.
        await flush(1);
        q.add(k === 'x' ? 'y' : 'x');
        await flush(1);
        running.delete(k);
        q.done(k);
      }
    };
    const workers = Array.from({ length: 8 }, () => worker());
    for (let i = 0; i < 50; i++) {
      q.add('x');
      q.add('y');
      await flush(1);
    }
    await flush(20);
    q.shutDown();
    await Promise.all(workers);
    expect(overlaps).toBe(0);
    expect(runs).toBeGreaterThan(10);
  });

  it('re-runs a key added during processing exactly once, after done', async () => {
    const q = new Queue();
    q.add('k');
    const k = await q.get();
    q.add('k');
    q.add('k');
    expect(q.len()).toBe(0); // not handed out while processing
    let second: string | undefined;
    void q.get().then((v) => (second = v));
    await flush();
    expect(second).toBeUndefined();
    q.done(k!);
    await flush();
    expect(second).toBe('k');
    q.done('k');
    expect(q.len()).toBe(0); // the two adds made one rerun, not two
  });

  it('after shutDown ignores adds and wakes waiting workers with undefined', async () => {
    const q = new Queue();
    const waiting = q.get();
    q.shutDown();
    expect(await waiting).toBeUndefined();
    q.add('a');
    expect(q.len()).toBe(0);
    expect(await q.get()).toBeUndefined();
  });
});

describe('DelayingQueue', () => {
  it('adds a delayed key when its time comes, not before', async () => {
    const clock = new ManualClock();
    const q = new DelayingQueue({ clock });
    q.addAfter('a', 1000);
    await clock.advance(999);
    expect(q.len()).toBe(0);
    await clock.advance(1);
    expect(q.len()).toBe(1);
  });

  it('keeps the earliest ready time when a waiting key is re-added', async () => {
    const clock = new ManualClock();
    const q = new DelayingQueue({ clock });
    q.addAfter('a', 5000);
    q.addAfter('a', 1000); // earlier wins
    q.addAfter('a', 8000); // later is ignored
    await clock.advance(1000);
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('a');
    q.done('a');
    await clock.advance(10_000);
    expect(q.len()).toBe(0); // the superseded 5 s and 8 s entries never fire
  });

  it('releases keys in ready-time order with one timer', async () => {
    const clock = new ManualClock();
    const q = new DelayingQueue({ clock });
    q.addAfter('c', 300);
    q.addAfter('a', 100);
    q.addAfter('b', 200);
    expect(clock.pendingTimers()).toBe(1);
    await clock.advance(300);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['a', 'b', 'c']);
  });

  it('treats a non-positive delay as an immediate add', () => {
    const q = new DelayingQueue({ clock: new ManualClock() });
    q.addAfter('a', 0);
    q.addAfter('b', -5);
    expect(q.len()).toBe(2);
  });

  it('forgets waiting keys and cancels its timer on shutDown', async () => {
    const clock = new ManualClock();
    const q = new DelayingQueue({ clock });
    q.addAfter('a', 100);
    q.shutDown();
    expect(clock.pendingTimers()).toBe(0);
    await clock.advance(200);
    expect(q.len()).toBe(0);
  });
});
