import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ControllerBuilder, type BuiltCache, type Source } from '../../../src/runtime/builder.js';
import { ManualClock } from '../../../src/util/clock.js';
import type { Controller } from '../../../src/runtime/controller.js';
import type { SupervisedInformerOptions } from '../../../src/runtime/informer-supervisor.js';
import { silentLogger } from '../../../src/runtime/logging.js';
import type { ManagedCache } from '../../../src/runtime/manager.js';
import { RuntimeMetrics } from '../../../src/runtime/metrics.js';

const source = (name: string): Source<KubernetesObject> => ({
  name,
  path: (ns) => (ns ? `/x/namespaces/${ns}/${name}` : `/x/${name}`),
  list: async () => ({ items: [], metadata: {} }),
});

const obj = (namespace: string, name: string, labels: Record<string, string> = {}): KubernetesObject => ({
  metadata: { namespace, name, labels },
});

function built() {
  const caches: Array<SupervisedInformerOptions<KubernetesObject>> = [];
  const added: ManagedCache[] = [];
  let controller: Controller | undefined;
  const b = new ControllerBuilder('widgets', {
    kc: {} as KubeConfig,
    clock: new ManualClock(),
    log: silentLogger(),
    metrics: new RuntimeMetrics(new Registry(), 'widgets'),
    makeCache: <T extends KubernetesObject>(o: SupervisedInformerOptions<T>) => {
      caches.push(o as unknown as SupervisedInformerOptions<KubernetesObject>);
      const c: BuiltCache = {
        list: () => [],
        name: o.name,
        synced: Promise.resolve(),
        hasSynced: () => true,
        start: async () => undefined,
        stop: async () => undefined,
      };
      return c;
    },
  });
  const target = {
    addCache: (c: BuiltCache) => added.push(c),
    addController: (c: Controller) => (controller = c),
  };
  return { b, caches, added, target, controller: () => controller! };
}

describe('ControllerBuilder', () => {
  it('wires one informer per source and namespace, informer resync off, into one controller', () => {
    const t = built();
    t.b
      .forKind(source('widgets'))
      .watches(source('secrets'), () => [])
      .namespaces(['a', 'b'])
      .workers(3)
      .build(async () => undefined, t.target);
    expect(t.caches.map((c) => [c.name, c.path, c.resyncMs])).toEqual([
      ['widgets/a', '/x/namespaces/a/widgets', 0],
      ['widgets/b', '/x/namespaces/b/widgets', 0],
      ['secrets/a', '/x/namespaces/a/secrets', 0],
      ['secrets/b', '/x/namespaces/b/secrets', 0],
    ]);
    expect(t.added).toHaveLength(4);
    expect(t.controller().name).toBe('widgets');
  });

  it("filters the primary kind's events and maps other kinds' events to keys of it", () => {
    const t = built();
    const controller = t.b
      .forKind(source('widgets'), (_key, o) => o.metadata?.labels?.['skip'] !== 'yes')
      .watches(source('secrets'), (s) =>
        s.metadata?.name === 'creds' ? [`${s.metadata.namespace}/w1`, `${s.metadata.namespace}/w2`] : [],
      )
      .build(async () => undefined, t.target);
    const [widgets, secrets] = t.caches;
    widgets!.onKey('a/w0', obj('a', 'w0'), 'add');
    widgets!.onKey('a/w9', obj('a', 'w9', { skip: 'yes' }), 'update');
    secrets!.onKey('a/creds', obj('a', 'creds'), 'update');
    secrets!.onKey('a/other', obj('a', 'other'), 'update');
    expect(controller.queue.len()).toBe(3);
  });

  it('refuses to build without forKind', () => {
    const t = built();
    expect(() => t.b.build(async () => undefined, t.target)).toThrow(/forKind/);
  });
});
