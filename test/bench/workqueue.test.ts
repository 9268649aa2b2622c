/**
 * Workqueue throughput, in real time: the controller's {@link WorkQueue} (client-go semantics: dedup,
 * per-key exclusion, rerun when dirty) against a naive array queue doing the same work, with 1, 4 and
 * 16 async workers; and the dedup effect (how many reconciles 10 000 adds of 100 keys cost).
 */
import { describe, expect, it } from 'vitest';
import { WorkQueue } from '../../src/runtime/workqueue.js';
import { interleaved, med, nextTurn, nowMs, printTable, ratio, type Cell } from './harness.js';

/** What a worker pool needs from a queue. */
interface BenchQueue {
  add(key: string): void;
  get(): Promise<string | undefined>;
  done(key: string): void;
  shutDown(): void;
  /** Resolves once nothing is queued or being processed. */
  drained(): Promise<void>;
}

/** The baseline: an array, `push` on add, `shift` on get; no dedup, no exclusion. */
class NaiveQueue implements BenchQueue {
  private readonly items: string[] = [];
  private waiters: Array<(k: string | undefined) => void> = [];
  private inFlight = 0;
  private closed = false;
  private idle: Array<() => void> = [];

  add(key: string): void {
    if (this.closed) return;
    const w = this.waiters.shift();
    if (w) {
      this.inFlight++;
      w(key);
    } else this.items.push(key);
  }

  get(): Promise<string | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const key = this.items.shift();
    if (key !== undefined) {
      this.inFlight++;
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(_key: string): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.items.length === 0) for (const f of this.idle.splice(0)) f();
  }

  shutDown(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  drained(): Promise<void> {
    if (this.inFlight === 0 && this.items.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }
}

/** The WorkQueue under test, adapted to {@link BenchQueue}. */
function workQueue(): BenchQueue {
  const q = new WorkQueue();
  return {
    add: (k) => q.add(k),
    get: () => q.get(),
    done: (k) => q.done(k),
    shutDown: () => q.shutDown(),
    async drained() {
      for (;;) {
        await q.whenIdle();
        if (q.len() === 0 && q.processingKeys().length === 0) return;
        await nextTurn();
      }
    },
  };
}

/** What a worker's "reconcile" costs: one microtask, or one macrotask turn (like awaiting I/O). */
type Work = 'microtask' | 'turn';

interface RunResult {
  ms: number;
  adds: number;
  gets: number;
  /** Largest number of workers that held the same key at once (must be 1 for the WorkQueue). */
  maxSameKey: number;
}

/**
 * `adds` adds over `keys` distinct keys (round-robin order, so every key repeats), in batches of
 * `batch` with a macrotask turn between batches, drained by `workers` workers whose "reconcile" is
 * `work` (one microtask: the queue's own cost; one macrotask turn: like a reconcile awaiting I/O,
 * so adds pile up while workers are busy). Ends when the producer is done and the queue is drained.
 */
async function run(
  q: BenchQueue,
  o: { workers: number; adds: number; keys: number; batch: number; work: Work },
): Promise<RunResult> {
  let gets = 0;
  let maxSameKey = 0;
  const holding = new Map<string, number>();
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await q.get();
      if (key === undefined) return;
      gets++;
      const h = (holding.get(key) ?? 0) + 1;
      holding.set(key, h);
      if (h > maxSameKey) maxSameKey = h;
      if (o.work === 'turn') await nextTurn();
      else await Promise.resolve();
      holding.set(key, h - 1);
      q.done(key);
    }
  };
  const names = Array.from({ length: o.keys }, (_, i) => `ns/key-${i}`);
  const start = nowMs();
  const pool = Array.from({ length: o.workers }, worker);
  for (let i = 0; i < o.adds;) {
    const end = Math.min(o.adds, i + o.batch);
    for (; i < end; i++) q.add(names[i % o.keys] ?? '');
    await nextTurn();
  }
  await q.drained();
  const ms = nowMs() - start;
  q.shutDown();
  await Promise.all(pool);
  return { ms, adds: o.adds, gets, maxSameKey };
}

const ADDS = 50_000;
const KEYS = 2_500;
const BATCH = 250;
/** Alternating rounds per figure; fewer for the slow naive macrotask runs (one turn per add). */
const ROUNDS = { microtask: 5, turn: 3 } as const;

describe('workqueue throughput (real time)', () => {
  it('WorkQueue vs a naive array queue, 1 / 4 / 16 workers', async () => {
    const rows: Cell[][] = [];
    for (const work of ['microtask', 'turn'] as const) {
      for (const workers of [1, 4, 16]) {
        const o = { workers, adds: ADDS, keys: KEYS, batch: BATCH, work };
        const last: { ours?: RunResult; naive?: RunResult } = {};
        // Warm up both (JIT), then alternate.
        await run(workQueue(), o);
        await run(new NaiveQueue(), o);
        const res = await interleaved(ROUNDS[work], [
          {
            name: 'ours',
            measure: async () => {
              const r = await run(workQueue(), o);
              last.ours = r;
              return r.ms;
            },
          },
          {
            name: 'naive',
            measure: async () => {
              const r = await run(new NaiveQueue(), o);
              last.naive = r;
              return r.ms;
            },
          },
        ]);
        const ours = last.ours;
        const naive = last.naive;
        if (!ours || !naive) throw new Error('no measurement');
        expect(ours.maxSameKey).toBe(1);
        expect(naive.gets).toBe(ADDS);
        expect(ours.gets).toBeGreaterThanOrEqual(KEYS);
        const oursMs = med(res, 'ours');
        const naiveMs = med(res, 'naive');
        rows.push([
          work === 'turn' ? 'macrotask' : work,
          String(workers),
          (ADDS / oursMs) * 1000,
          (ours.gets / oursMs) * 1000,
          ours.gets,
          (ADDS / naiveMs) * 1000,
          naive.gets,
          ratio(naiveMs, oursMs),
          ratio(ours.gets, naive.gets),
          String(ours.maxSameKey),
          String(naive.maxSameKey),
        ]);
      }
    }
    printTable(
      `Workqueue throughput: ${ADDS.toLocaleString('en-US')} adds over ${KEYS.toLocaleString('en-US')} keys (each added ${ADDS / KEYS} times), ${BATCH} adds per macrotask turn`,
      [
        'reconcile',
        'workers',
        'ours adds/s',
        'ours gets=done/s',
        'ours gets',
        'naive adds/s',
        'naive gets',
        'speed ours/naive',
        'gets ours/naive',
        'ours max/key',
        'naive max/key',
      ],
      rows,
      [
        `adds/s = adds / time until drained, median of ${ROUNDS.microtask} (microtask) or ${ROUNDS.turn} (macrotask) alternating rounds; speed ours/naive = naive time / our time.`,
        'reconcile = one microtask (the queue bookkeeping alone) or one macrotask turn (like awaiting I/O: adds pile up).',
        'naive = array push/shift: no dedup, no per-key exclusion (max/key = workers holding one key at once).',
      ],
    );
  });

  it('dedup: 10 000 adds of 100 keys -> reconciles', async () => {
    const rows: Cell[][] = [];
    const scenarios: Array<{ name: string; batch: number; workers: number; work: Work }> = [
      { name: 'burst: all adds at once, 4 workers', batch: 10_000, workers: 4, work: 'turn' },
      { name: '100 adds/turn, 1 worker, reconcile = 1 turn', batch: 100, workers: 1, work: 'turn' },
      { name: '100 adds/turn, 4 workers, reconcile = 1 turn', batch: 100, workers: 4, work: 'turn' },
      { name: '100 adds/turn, 16 workers, reconcile = 1 turn', batch: 100, workers: 16, work: 'turn' },
      { name: '10 adds/turn, 4 workers, reconcile = 1 turn', batch: 10, workers: 4, work: 'turn' },
      {
        name: '100 adds/turn, 4 workers, reconcile = 1 microtask',
        batch: 100,
        workers: 4,
        work: 'microtask',
      },
    ];
    for (const s of scenarios) {
      const o = { workers: s.workers, adds: 10_000, keys: 100, batch: s.batch, work: s.work };
      const ours = await run(workQueue(), o);
      const naive = await run(new NaiveQueue(), o);
      expect(ours.maxSameKey).toBe(1);
      rows.push([s.name, ours.gets, naive.gets, ratio(ours.gets, naive.gets), ratio(ours.gets, 100)]);
    }
    printTable(
      'Workqueue dedup: 10 000 adds of 100 keys',
      ['scenario', 'ours reconciles', 'naive reconciles', 'ours/naive', 'ours per key'],
      rows,
      [
        'A key already waiting absorbs new adds; a key added while being processed runs exactly once more.',
        'Counts depend on interleaving (adds per turn vs reconciles per turn), not on machine speed.',
      ],
    );
  });
});
