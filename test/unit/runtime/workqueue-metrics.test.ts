/**
 * client-go's unfinished-work gauges, read at scrape time: the seconds the keys held by workers have
 * been held (summed), and the longest of them; a stuck reconcile grows them, a finished one drops out.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { flush, ManualClock } from '../../../src/util/clock.js';
import { Controller } from '../../../src/runtime/controller.js';
import { silentLogger } from '../../../src/runtime/logging.js';
import { RuntimeMetrics } from '../../../src/runtime/metrics.js';
import { deferred, metricValue } from './fakes.js';

describe('workqueue_unfinished_work_seconds and workqueue_longest_running_processor_seconds', () => {
  it('grow while reconciles are held and fall back when they finish', async () => {
    const clock = new ManualClock();
    const registry = new Registry();
    const gates = new Map<string, () => void>();
    const c = new Controller({
      name: 'w',
      workers: 2,
      clock,
      log: silentLogger(),
      metrics: new RuntimeMetrics(registry, 'w'),
      reconciler: async (req) => {
        const d = deferred();
        gates.set(req.name, () => d.resolve());
        await d.promise;
      },
    });
    const unfinished = () => metricValue(registry, 'workqueue_unfinished_work_seconds', { controller: 'w' });
    const longest = () =>
      metricValue(registry, 'workqueue_longest_running_processor_seconds', { name: 'w', controller: 'w' });
    expect(await unfinished()).toBe(0);
    c.enqueue('ns/a');
    c.start();
    await flush();
    await clock.advance(3_000);
    c.enqueue('ns/b');
    await flush();
    await clock.advance(2_000);
    expect(await unfinished()).toBe(5 + 2);
    expect(await longest()).toBe(5);
    gates.get('a')!();
    await flush();
    expect(await unfinished()).toBe(2);
    expect(await longest()).toBe(2);
    gates.get('b')!();
    await flush();
    expect(await unfinished()).toBe(0);
    expect(await longest()).toBe(0);
    await c.stop(0);
  });
});
