import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { ManualClock, flush } from '../../../src/util/clock.js';
import { Controller } from '../../../src/runtime/controller.js';
import { RuntimeMetrics } from '../../../src/runtime/metrics.js';
import { ItemExponentialFailureRateLimiter } from '../../../src/runtime/rate-limiters.js';
import {
  RetryableError,
  TerminalError,
  requeueAfter,
  type Reconciler,
  type Request,
} from '../../../src/runtime/reconcile.js';
import { deferred, memoryLogger, metricValue } from './fakes.js';

function setup(reconciler: Reconciler, workers = 1) {
  const clock = new ManualClock();
  const registry = new Registry();
  const metrics = new RuntimeMetrics(registry, 'test');
  const { log, lines } = memoryLogger();
  let n = 0;
  const c = new Controller({
    name: 'test',
    reconciler,
    workers,
    clock,
    log,
    metrics,
    rateLimiter: new ItemExponentialFailureRateLimiter(100, 60_000),
    newReconcileId: () => `r${++n}`,
  });
  return { clock, registry, c, lines };
}

describe('Controller', () => {
  it('reconciles an enqueued key with namespace, name, a reconcile ID and a bound logger', async () => {
    const seen: Array<Request & { id: string }> = [];
    const { c, lines, registry } = setup(async (req, ctx) => {
      seen.push({ ...req, id: ctx.reconcileId });
      ctx.log.info('hello');
    });
    c.enqueue('ns/a');
    c.start();
    await flush();
    expect(seen).toEqual([{ namespace: 'ns', name: 'a', key: 'ns/a', id: 'r1' }]);
    expect(lines().find((l) => l.msg === 'hello')).toMatchObject({
      controller: 'test',
      namespace: 'ns',
      name: 'a',
      reconcileID: 'r1',
    });
    expect(await metricValue(registry, 'controller_runtime_reconcile_total', { result: 'success' })).toBe(1);
  });

  it('requeues after the requested delay and counts it as requeue_after', async () => {
    const times: number[] = [];
    const { c, clock, registry } = setup(async () => {
      times.push(clock.now());
      return times.length < 3 ? requeueAfter(30_000) : undefined;
    });
    const t0 = clock.now();
    c.enqueue('ns/a');
    c.start();
    await clock.advance(100_000);
    expect(times.map((t) => t - t0)).toEqual([0, 30_000, 60_000]);
    expect(
      await metricValue(registry, 'controller_runtime_reconcile_total', { result: 'requeue_after' }),
    ).toBe(2);
  });

  it('retries a thrown error with growing backoff and resets it after a success', async () => {
    const times: number[] = [];
    let fail = 3;
    const { c, clock, registry } = setup(async () => {
      times.push(clock.now());
      if (fail-- > 0) throw new Error('cloud says no');
    });
    const t0 = clock.now();
    c.enqueue('ns/a');
    c.start();
    await clock.advance(10_000);
    expect(times.map((t) => t - t0)).toEqual([0, 100, 300, 700]);
    expect(c.queue.numRequeues('ns/a')).toBe(0); // forgotten after the success
    expect(await metricValue(registry, 'controller_runtime_reconcile_errors_total')).toBe(3);
    expect(await metricValue(registry, 'workqueue_retries_total')).toBe(3);
  });

  it('waits at least retryAfterMs of a RetryableError', async () => {
    const times: number[] = [];
    const { c, clock } = setup(async () => {
      times.push(clock.now());
      if (times.length === 1) throw new RetryableError('throttled', 5_000);
    });
    const t0 = clock.now();
    c.enqueue('ns/a');
    c.start();
    await clock.advance(10_000);
    expect(times.map((t) => t - t0)).toEqual([0, 5_000]);
  });

  it('does not requeue a terminal error, but logs and counts it', async () => {
    let calls = 0;
    const { c, clock, registry, lines } = setup(async () => {
      calls++;
      throw new TerminalError('bad spec: ports empty');
    });
    c.enqueue('ns/a');
    c.start();
    await clock.advance(3_600_000);
    expect(calls).toBe(1);
    expect(await metricValue(registry, 'controller_runtime_terminal_reconcile_errors_total')).toBe(1);
    expect(await metricValue(registry, 'controller_runtime_reconcile_total', { result: 'error' })).toBe(1);
    expect(lines().some((l) => l.level === 'error' && String(l.msg).includes('terminal'))).toBe(true);
  });

  it('survives reconcilers that throw non-Errors or synchronously, and keeps working', async () => {
    const done: string[] = [];
    const { c, clock } = setup(((req: Request) => {
      if (req.name === 'sync') throw 'a string';
      if (req.name === 'undef') return Promise.reject(undefined);
      done.push(req.name);
      return Promise.resolve();
    }) as Reconciler);
    c.start();
    c.enqueue('ns/sync');
    c.enqueue('ns/undef');
    c.enqueue('ns/ok');
    await clock.advance(50);
    expect(done).toEqual(['ok']);
    c.enqueue('ns/ok2');
    await flush();
    expect(done).toEqual(['ok', 'ok2']);
    expect(c.isRunning()).toBe(true);
  });

  it('runs up to N keys concurrently, never the same key twice, and reruns a key changed meanwhile once', async () => {
    let active = 0;
    let maxActive = 0;
    const perKey = new Map<string, number>();
    const gates: Array<() => void> = [];
    const { c } = setup(async (req) => {
      active++;
      maxActive = Math.max(maxActive, active);
      perKey.set(req.key, (perKey.get(req.key) ?? 0) + 1);
      await new Promise<void>((r) => gates.push(r));
      active--;
    }, 3);
    c.start();
    for (const k of ['a', 'b', 'c', 'd', 'e']) c.enqueue(`ns/${k}`);
    await flush();
    expect(active).toBe(3);
    c.enqueue('ns/a'); // 'a' is running: must wait, then run once more
    c.enqueue('ns/a');
    while (gates.length) {
      gates.shift()!();
      await flush();
    }
    expect(maxActive).toBe(3);
    expect(perKey.get('ns/a')).toBe(2);
    expect([...perKey.values()].reduce((a, b) => a + b)).toBe(6);
  });

  it('stop drains in-flight work within the deadline and starts nothing new', async () => {
    const gate = deferred();
    const started: string[] = [];
    const { c, clock } = setup(async (req) => {
      started.push(req.name);
      if (req.name === 'slow') await gate.promise;
    });
    c.start();
    c.enqueue('ns/slow');
    await flush();
    c.enqueue('ns/later');
    let stopped = false;
    const stopping = c.stop(10_000).then(() => (stopped = true));
    await clock.advance(1_000);
    expect(stopped).toBe(false); // waiting for the in-flight reconcile
    gate.resolve();
    await flush();
    await stopping;
    expect(stopped).toBe(true);
    expect(started).toEqual(['slow']); // 'later' never started
  });

  it('stop gives up at the deadline and aborts the in-flight reconcile signal', async () => {
    let aborted = false;
    const { c, clock } = setup(async (_req, ctx) => {
      await new Promise<void>((resolve) =>
        ctx.signal.addEventListener('abort', () => ((aborted = true), resolve())),
      );
    });
    c.start();
    c.enqueue('ns/hung');
    await flush();
    const stopping = c.stop(5_000);
    await clock.advance(5_000);
    await stopping;
    expect(aborted).toBe(true);
  });

  it('aborts the signal of a reconcile that exceeds its timeout, and keeps the key exclusive until it returns', async () => {
    const clock = new ManualClock();
    const { log } = memoryLogger();
    let calls = 0;
    const release = deferred();
    const c = new Controller({
      name: 't',
      workers: 2,
      clock,
      log,
      metrics: new RuntimeMetrics(new Registry(), 't'),
      reconcileTimeoutMs: 1_000,
      reconciler: async (_req, ctx) => {
        calls++;
        await release.promise;
        if (ctx.signal.aborted) throw new Error('timed out');
      },
    });
    c.start();
    c.enqueue('ns/a');
    await clock.advance(2_000);
    c.enqueue('ns/a');
    await flush();
    expect(calls).toBe(1); // still held: no second concurrent run
    release.resolve();
    await clock.advance(10);
    expect(calls).toBeGreaterThanOrEqual(2);
  });

  it('publishes workqueue depth, adds and durations', async () => {
    const { c, clock, registry } = setup(async () => {
      await clock.sleep(2_000);
    });
    c.enqueue('ns/a');
    c.enqueue('ns/b');
    expect(await metricValue(registry, 'workqueue_depth', { name: 'test' })).toBe(2);
    c.start();
    await clock.advance(5_000);
    expect(await metricValue(registry, 'workqueue_adds_total', { name: 'test' })).toBe(2);
    expect(await metricValue(registry, 'workqueue_depth', { name: 'test' })).toBe(0);
    expect(await metricValue(registry, 'workqueue_work_duration_seconds', { name: 'test' })).toBe(2);
    expect(
      await metricValue(registry, 'controller_runtime_reconcile_time_seconds', { controller: 'test' }),
    ).toBe(2);
  });
});
