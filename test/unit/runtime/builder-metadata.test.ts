/** The builder hands a source's own informer factory (a metadata-only watch) to the informer it builds. */
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ControllerBuilder, type BuiltCache, type Source } from '../../../src/runtime/builder.js';
import { ManualClock } from '../../../src/util/clock.js';
import type { InformerLike, SupervisedInformerOptions } from '../../../src/runtime/informer-supervisor.js';
import { silentLogger } from '../../../src/runtime/logging.js';
import { RuntimeMetrics } from '../../../src/runtime/metrics.js';

describe('ControllerBuilder with a source that builds its own informer', () => {
  it('passes Source.makeInformer through; other sources keep the default', () => {
    const caches: Array<SupervisedInformerOptions<KubernetesObject>> = [];
    const made: string[] = [];
    const plain: Source<KubernetesObject> = {
      name: 'widgets',
      path: (ns) => `/x/namespaces/${ns ?? ''}/widgets`,
      list: async () => ({ items: [], metadata: {} }),
    };
    const metadataOnly: Source<KubernetesObject> = {
      name: 'secrets',
      path: (ns) => `/api/v1/namespaces/${ns ?? ''}/secrets`,
      list: async () => ({ items: [], metadata: {} }),
      makeInformer(path) {
        made.push(`${this.name} ${path}`);
        return {} as InformerLike<KubernetesObject>;
      },
    };
    new ControllerBuilder('widgets', {
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
    })
      .forKind(plain)
      .watches(metadataOnly, () => [])
      .namespaces(['team'])
      .build(async () => undefined, { addCache: () => undefined, addController: () => undefined });
    expect(caches.map((c) => [c.name, c.makeInformer !== undefined])).toEqual([
      ['widgets/team', false],
      ['secrets/team', true],
    ]);
    caches[1]?.makeInformer?.('/api/v1/namespaces/team/secrets?timeoutSeconds=300', async () => ({
      items: [],
      metadata: {},
    }));
    expect(made).toEqual(['secrets /api/v1/namespaces/team/secrets?timeoutSeconds=300']);
  });
});
