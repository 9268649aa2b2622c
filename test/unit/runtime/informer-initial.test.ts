/**
 * The informer tells the initial list's events from later ones (the queue's priorities depend on it),
 * and carries a label selector into its watch. Over client-node's real ListWatch and a scripted Watch.
 */
import { KubeConfig, ListWatch, type KubernetesObject, type Watch } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { flush, ManualClock } from '../../../src/util/clock.js';
import { SupervisedInformer, type InformerEvent } from '../../../src/runtime/informer-supervisor.js';
import { silentLogger } from '../../../src/runtime/logging.js';

type Obj = KubernetesObject;
const obj = (name: string, rv: string): Obj => ({ metadata: { name, namespace: 'ns', resourceVersion: rv } });
type Done = (err: unknown) => void;
type Cb = (phase: string, obj: Obj) => void;

class ScriptedWatch {
  calls: Array<{ path: string; cb: Cb; done: Done }> = [];
  async watch(path: string, _params: object, cb: Cb, done: Done): Promise<AbortController> {
    this.calls.push({ path, cb, done });
    return new AbortController();
  }
  last() {
    return this.calls[this.calls.length - 1]!;
  }
}

describe('SupervisedInformer initial-list events', () => {
  it('flags exactly the first list as initial; watch events and relists are not', async () => {
    const watch = new ScriptedWatch();
    let items = [obj('a', '1'), obj('b', '2')];
    let lists = 0;
    const events: Array<[string, InformerEvent, boolean]> = [];
    const inf = new SupervisedInformer<Obj>({
      kc: new KubeConfig(),
      path: '/apis/g/v1/widgets',
      labelSelector: 'shard=a',
      list: async () => {
        lists++;
        return { items, metadata: { resourceVersion: String(10 * lists) } };
      },
      onKey: (k, _o, e, info) => events.push([k, e, info?.initial ?? false]),
      clock: new ManualClock(),
      log: silentLogger(),
      makeInformer: (p, list) => new ListWatch<Obj>(p, watch as unknown as Watch, list, false),
    });
    await inf.start();
    await inf.synced;
    await flush();
    expect(watch.last().path).toBe(
      '/apis/g/v1/widgets?timeoutSeconds=300&allowWatchBookmarks=true&labelSelector=shard%3Da',
    );
    watch.last().cb('ADDED', obj('c', '11'));
    watch.last().cb('MODIFIED', obj('a', '12'));
    items = [obj('a', '12'), obj('c', '11'), obj('d', '13')]; // b gone, d new while not watching
    watch.last().done(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await flush();
    expect(lists).toBe(2);
    expect(events).toEqual([
      ['ns/a', 'add', true],
      ['ns/b', 'add', true],
      ['ns/c', 'add', false],
      ['ns/a', 'update', false],
      ['ns/b', 'delete', false],
      ['ns/d', 'add', false],
    ]);
    await inf.stop();
  });

  it('caches objects without managedFields, from the list and from the watch', async () => {
    const watch = new ScriptedWatch();
    const managed = (name: string, rv: string): Obj => ({
      metadata: {
        ...obj(name, rv).metadata,
        managedFields: [{ manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:spec': {} } }],
      },
    });
    const seen: Obj[] = [];
    const inf = new SupervisedInformer<Obj>({
      kc: new KubeConfig(),
      path: '/apis/g/v1/widgets',
      list: async () => ({ items: [managed('a', '1')], metadata: { resourceVersion: '5' } }),
      onKey: (_k, o) => seen.push(o),
      clock: new ManualClock(),
      log: silentLogger(),
      makeInformer: (p, list) => new ListWatch<Obj>(p, watch as unknown as Watch, list, false),
    });
    await inf.start();
    await inf.synced;
    await flush();
    watch.last().cb('ADDED', managed('b', '6'));
    watch.last().cb('MODIFIED', managed('a', '7'));
    expect(seen.map((o) => o.metadata?.name)).toEqual(['a', 'b', 'a']);
    expect(seen.every((o) => o.metadata?.managedFields === undefined)).toBe(true);
    expect(inf.list().map((o) => [o.metadata?.name, o.metadata?.resourceVersion])).toEqual([
      ['a', '7'],
      ['b', '6'],
    ]);
    expect(inf.list().every((o) => o.metadata && !('managedFields' in o.metadata))).toBe(true);
    await inf.stop();
  });
});
