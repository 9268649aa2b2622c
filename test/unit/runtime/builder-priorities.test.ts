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
const obj = (name: string, settled = true): KubernetesObject => ({
  metadata: { namespace: 'a', name, labels: { settled: String(settled) } },
});

function build(spread = PERIOD, selector?: string) {
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
  b.forKind(source('widgets'), () => true, { settled: (o) => o.metadata?.labels?.['settled'] === 'true' })
    .watches(source('secrets'), (s) => [`a/${s.metadata?.name ?? ''}-user`])
    .selector(selector)
    .build(
      async () => ({ requeueAfterMs: PERIOD }),
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
