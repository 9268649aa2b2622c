/**
 * The builder's routing of informer events to queue priorities: changes at the default priority,
 * the initial list spread at low priority unless an object is not settled, and the label selector
 * reaching the primary informer's list and watch only.
 */
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ControllerBuilder, type BuiltCache, type Source } from '../../../src/runtime/builder.js';
import { ManualClock } from '../../../src/util/clock.js';
import { spreadOffset, type Controller } from '../../../src/runtime/controller.js';
import type { SupervisedInformerOptions } from '../../../src/runtime/informer-supervisor.js';
import { silentLogger } from '../../../src/runtime/logging.js';
import { RuntimeMetrics } from '../../../src/runtime/metrics.js';
import { DEFAULT_PRIORITY, LOW_PRIORITY } from '../../../src/runtime/queue.js';

const PERIOD = 600_000;
const lists: Array<[string, string | undefined, string | undefined]> = [];
const source = (name: string): Source<KubernetesObject> => ({
  name,
  path: (ns) => (ns ? `/x/namespaces/${ns}/${name}` : `/x/${name}`),
  list: async (ns, selector) => {
    lists.push([name, ns, selector]);
    return { items: [], metadata: {} };
  },
});
const obj = (name: string, settled = true, periodMs?: number): KubernetesObject => ({
  metadata: {
    namespace: 'a',
    name,
    labels: { settled: String(settled), ...(periodMs ? { period: String(periodMs) } : {}) },
  },
});

function build(spread = PERIOD, selector?: string, seen: string[] = []) {
  const clock = new ManualClock();
  const caches: Array<SupervisedInformerOptions<KubernetesObject>> = [];
  let controller: Controller | undefined;
  const b = new ControllerBuilder('widgets', {
    kc: {} as KubeConfig,
    clock,
    log: silentLogger(),
    metrics: new RuntimeMetrics(new Registry(), 'widgets'),
    makeCache: <T extends KubernetesObject>(o: SupervisedInformerOptions<T>) => {
      caches.push(o as unknown as SupervisedInformerOptions<KubernetesObject>);
      const c: BuiltCache = {
        list: () => [],
        synced: Promise.resolve(),
        hasSynced: () => true,
        start: async () => undefined,
        stop: async () => undefined,
      };
      return c;
    },
  });
  b.forKind(source('widgets'), () => true, {
    settled: (o) => o.metadata?.labels?.['settled'] === 'true',
    spreadMs: (o) => (o.metadata?.labels?.['period'] ? Number(o.metadata.labels['period']) : undefined),
  })
    .watches(source('secrets'), (s) => [`a/${s.metadata?.name ?? ''}-user`])
    .selector(selector)
    .build(
      async (req) => {
        seen.push(req.key);
        return { requeueAfterMs: PERIOD };
      },
      {
        addCache: () => undefined,
        addController: (c) => (controller = c),
      },
      { initialSpreadMs: spread },
    );
  const [widgets, secrets] = caches;
  return { clock, widgets: widgets!, secrets: secrets!, controller: controller! };
}

describe('ControllerBuilder priorities', () => {
  it('spreads settled objects of the initial list, queues unsettled ones and later events as changes', async () => {
    const t = build();
    const initial = { initial: true };
    t.widgets.onKey('a/s1', obj('s1'), 'add', initial);
    t.widgets.onKey('a/s2', obj('s2'), 'add', initial);
    t.widgets.onKey('a/busy', obj('busy', false), 'add', initial); // e.g. a deletion the last process left
    t.widgets.onKey('a/new', obj('new'), 'add', { initial: false });
    t.widgets.onKey('a/s2', obj('s2'), 'update', { initial: false }); // a user's edit of a spread one
    t.widgets.onKey('a/r', obj('r'), 'resync', { initial: false });
    t.secrets.onKey('a/creds', obj('creds'), 'add', initial);
    const q = t.controller.queue;
    expect(q.queuedPriority('a/busy')).toBe(DEFAULT_PRIORITY);
    expect(q.queuedPriority('a/new')).toBe(DEFAULT_PRIORITY);
    expect(q.queuedPriority('a/s2')).toBe(DEFAULT_PRIORITY);
    expect(q.queuedPriority('a/r')).toBe(LOW_PRIORITY);
    expect(q.queuedPriority('a/s1')).toBeUndefined(); // held for the spread
    expect(q.queuedPriority('a/creds-user')).toBeUndefined();
    const startedAt = t.clock.now();
    t.controller.start();
    expect(q.readyTimeOf('a/s1')).toBe(startedAt + spreadOffset('a/s1', PERIOD));
    expect(q.waitingPriorityOf('a/s1')).toBe(LOW_PRIORITY);
    expect(q.readyTimeOf('a/creds-user')).toBe(startedAt + spreadOffset('a/creds-user', PERIOD));
    await t.controller.stop(0);
  });

  it('spreads each settled object over its own period, so none waits longer than it', async () => {
    const seen: string[] = [];
    const t = build(PERIOD, undefined, seen);
    const initial = { initial: true };
    const fast = Array.from({ length: 50 }, (_, i) => `fast-${i}`); // e.g. polled every 30 s
    const slow = Array.from({ length: 50 }, (_, i) => `slow-${i}`); // the operator-wide period
    const long = 'long-user'; // an annotation asks for 2 h
    for (const n of fast) t.widgets.onKey(`a/${n}`, obj(n, true, 30_000), 'add', initial);
    for (const n of slow) t.widgets.onKey(`a/${n}`, obj(n), 'add', initial);
    t.widgets.onKey(`a/${long}`, obj(long, true, 7_200_000), 'add', initial);
    // A Secret's initial list maps to the long one too (a/long -> a/long-user): its own period is kept.
    t.secrets.onKey('a/long', obj('long'), 'add', initial);
    const startedAt = t.clock.now();
    t.controller.start();
    const q = t.controller.queue;
    expect(q.readyTimeOf('a/fast-0')).toBe(startedAt + spreadOffset('a/fast-0', 30_000));
    expect(q.readyTimeOf('a/slow-0')).toBe(startedAt + spreadOffset('a/slow-0', PERIOD));
    expect(q.readyTimeOf('a/long-user')).toBe(startedAt + spreadOffset('a/long-user', 7_200_000));
    expect(q.waitingPriorityOf('a/fast-0')).toBe(LOW_PRIORITY);
    for (let s = 0; s < 30; s++) await t.clock.advance(1_000);
    // Every fast one within its 30 s, only the few slow ones whose offset fell there.
    expect(seen.filter((k) => k.startsWith('a/fast-')).length).toBe(50);
    const slowEarly = seen.filter((k) => k.startsWith('a/slow-')).length;
    expect(slowEarly).toBeLessThan(10);
    for (let s = 30; s < PERIOD / 1000; s += 10) await t.clock.advance(10_000);
    expect(new Set(seen.filter((k) => k.startsWith('a/slow-'))).size).toBe(50);
    await t.controller.stop(0);
  });

  it('passes the label selector to the primary informer only, in its list and its watch', async () => {
    lists.length = 0;
    const t = build(PERIOD, 'shard=a');
    expect(t.widgets.labelSelector).toBe('shard=a');
    expect(t.secrets.labelSelector).toBeUndefined();
    await t.widgets.list();
    await t.secrets.list();
    expect(lists).toEqual([
      ['widgets', undefined, 'shard=a'],
      ['secrets', undefined, undefined],
    ]);
  });
});
