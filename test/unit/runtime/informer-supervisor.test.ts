import { describe, expect, it } from 'vitest';
import {
  KubeConfig,
  ListWatch,
  type ErrorCallback,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCallback,
  type Watch,
} from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { ManualClock, flush } from '../../../src/util/clock.js';
import {
  SupervisedInformer,
  watchPath,
  type InformerEvent,
  type InformerLike,
} from '../../../src/runtime/informer-supervisor.js';
import { RuntimeMetrics } from '../../../src/runtime/metrics.js';
import { memoryLogger, metricValue } from './fakes.js';

type Obj = KubernetesObject;
const obj = (name: string, rv = '1'): Obj => ({ metadata: { name, namespace: 'ns', resourceVersion: rv } });

/** A fake client-node informer: records start/stop calls; tests emit events and errors. */
class FakeInformer implements InformerLike<Obj> {
  starts = 0;
  stops = 0;
  private readonly cbs = new Map<string, Array<(x?: unknown) => void>>();
  readonly cache = new Map<string, Obj>();
  constructor(private readonly listFn: () => Promise<KubernetesListObject<Obj>>) {}
  on(verb: 'add' | 'update' | 'delete' | 'change', cb: ObjectCallback<Obj>): void;
  on(verb: 'error' | 'connect', cb: ErrorCallback): void;
  on(verb: string, cb: ObjectCallback<Obj> | ErrorCallback): void {
    const list = this.cbs.get(verb) ?? [];
    list.push(cb as (x?: unknown) => void);
    this.cbs.set(verb, list);
  }
  off(): void {}
  emit(verb: string, x?: unknown): void {
    for (const cb of this.cbs.get(verb) ?? []) cb(x);
  }
  async start(): Promise<void> {
    this.starts++;
    this.emit('connect');
    try {
      const l = await this.listFn();
      for (const o of l.items) {
        this.cache.set(o.metadata!.name!, o);
        this.emit('add', o);
      }
    } catch (err) {
      this.emit('error', err);
    }
  }
  async stop(): Promise<void> {
    this.stops++;
    const e = new Error('The operation was aborted.');
    e.name = 'AbortError';
    this.emit('error', e);
  }
  get(name: string): Obj | undefined {
    return this.cache.get(name);
  }
  list(): ReadonlyArray<Obj> {
    return [...this.cache.values()];
  }
}

function setup(
  opts: {
    list?: () => Promise<KubernetesListObject<Obj>>;
    onKey?: (k: string, o: Obj, e: InformerEvent) => void;
    resyncMs?: number;
  } = {},
) {
  const clock = new ManualClock();
  const registry = new Registry();
  const metrics = new RuntimeMetrics(registry, 'c');
  const { log, lines } = memoryLogger();
  let fake!: FakeInformer;
  let path = '';
  const keys: Array<[string, InformerEvent]> = [];
  const inf = new SupervisedInformer<Obj>({
    kc: new KubeConfig(),
    path: '/apis/g/v1/widgets',
    list: opts.list ?? (async () => ({ items: [obj('a'), obj('b')], metadata: { resourceVersion: '10' } })),
    onKey: opts.onKey ?? ((k, _o, e) => keys.push([k, e])),
    clock,
    log,
    metrics,
    name: 'widgets',
    resyncMs: opts.resyncMs,
    random: () => 0, // no jitter: exact delays
    makeInformer: (p, list) => {
      path = p;
      fake = new FakeInformer(list);
      return fake;
    },
  });
  return { clock, inf, fake: () => fake, path: () => path, keys, registry, lines };
}

const httpError = (statusCode: number): Error =>
  Object.assign(new Error('Internal Server Error'), { statusCode });

describe('SupervisedInformer', () => {
  it('asks the server for timeoutSeconds and bookmarks', () => {
    const { path } = setup();
    expect(path()).toBe('/apis/g/v1/widgets?timeoutSeconds=300&allowWatchBookmarks=true');
    expect(watchPath('/x?labelSelector=a', 60)).toBe(
      '/x?labelSelector=a&timeoutSeconds=60&allowWatchBookmarks=true',
    );
  });

  it('signals synced once the first list is cached, and enqueues each object', async () => {
    const { inf, keys } = setup();
    expect(inf.hasSynced()).toBe(false);
    await inf.start();
    await inf.synced;
    expect(inf.hasSynced()).toBe(true);
    expect(inf.list().map((o) => o.metadata?.name)).toEqual(['a', 'b']);
    expect(keys).toEqual([
      ['ns/a', 'add'],
      ['ns/b', 'add'],
    ]);
  });

  it('stays unsynced while the list fails, restarting with backoff 0.8 s, 1.6 s, 3.2 s… capped at 30 s', async () => {
    let calls = 0;
    const { inf, fake, clock, registry } = setup({
      list: async () => {
        calls++;
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
    });
    await inf.start();
    const startsAt: number[] = [];
    const t0 = clock.now();
    let last = fake().starts;
    for (let t = 0; t <= 120_000; t += 100) {
      await clock.advance(100);
      if (fake().starts !== last) {
        last = fake().starts;
        startsAt.push(clock.now() - t0);
      }
    }
    expect(startsAt.slice(0, 7)).toEqual([800, 2400, 5600, 12_000, 24_800, 50_400, 80_400]);
    expect(inf.hasSynced()).toBe(false);
    expect(calls).toBe(fake().starts);
    expect(
      await metricValue(registry, 'vpcep_operator_informer_restarts_total', { resource: 'widgets' }),
    ).toBeGreaterThanOrEqual(7);
  });

  it('keeps exactly one restart pending however many errors arrive', async () => {
    const { inf, fake, clock } = setup();
    await inf.start();
    await inf.synced;
    for (let i = 0; i < 20; i++) fake().emit('error', httpError(500));
    expect(clock.pendingTimers()).toBe(3); // watchdog + resync + one restart
    await clock.advance(800);
    expect(fake().starts).toBe(2);
  });

  it('does not restart on AbortError from its own stop/start (no restart storm)', async () => {
    const { inf, fake, clock } = setup();
    await inf.start();
    await inf.synced;
    for (let i = 0; i < 50; i++) {
      const e = new Error('aborted');
      e.name = 'AbortError';
      fake().emit('error', e);
    }
    await clock.advance(60_000);
    expect(fake().starts).toBe(1);
    expect(inf.restartCount()).toBe(0);
  });

  it('ignores errors after stop and cancels its timers', async () => {
    const { inf, fake, clock } = setup();
    await inf.start();
    await inf.synced;
    await inf.stop();
    fake().emit('error', httpError(500));
    expect(clock.pendingTimers()).toBe(0);
    await clock.advance(600_000);
    expect(fake().starts).toBe(1);
  });

  it('resets the backoff after two minutes healthy', async () => {
    const { inf, fake, clock } = setup();
    await inf.start();
    await inf.synced;
    const restartDelay = async (): Promise<number> => {
      const before = fake().starts;
      fake().emit('error', httpError(500));
      const t = clock.now();
      while (fake().starts === before) await clock.advance(100);
      return clock.now() - t;
    };
    expect(await restartDelay()).toBe(800);
    expect(await restartDelay()).toBe(1600);
    expect(await restartDelay()).toBe(3200);
    await clock.advance(121_000);
    fake().emit('connect'); // a reconnect after 2 healthy minutes
    expect(await restartDelay()).toBe(800);
  });

  it('restarts a watch that has gone silent, and not one that reconnects regularly', async () => {
    const { inf, fake, clock, registry } = setup();
    await inf.start();
    await inf.synced;
    // Healthy: the server ends each watch within timeoutSeconds, so connect recurs.
    for (let i = 0; i < 4; i++) {
      await clock.advance(290_000);
      fake().emit('connect');
    }
    expect(fake().stops).toBe(0);
    // Stalled: nothing for longer than timeoutSeconds + margin.
    await clock.advance(361_000);
    expect(fake().stops).toBe(1);
    await clock.advance(1_000);
    expect(fake().starts).toBe(2);
    expect(await metricValue(registry, 'vpcep_operator_informer_restarts_total', { reason: 'stalled' })).toBe(
      1,
    );
  });

  it('catches exceptions thrown by onKey so they never reach client-node', async () => {
    const { inf, fake, lines } = setup({
      onKey: () => {
        throw new Error('handler bug');
      },
    });
    await inf.start();
    await inf.synced;
    expect(() => fake().emit('update', obj('a', '2'))).not.toThrow();
    expect(lines().filter((l) => l.msg === 'event handler failed').length).toBeGreaterThanOrEqual(1);
  });

  it('requeues every cached key on each resync period', async () => {
    const { inf, keys, clock } = setup({ resyncMs: 60_000 });
    await inf.start();
    await inf.synced;
    keys.length = 0;
    await clock.advance(60_000);
    expect(keys).toEqual([
      ['ns/a', 'resync'],
      ['ns/b', 'resync'],
    ]);
    await clock.advance(60_000);
    expect(keys.length).toBe(4);
  });
});

/**
 * The real client-node ListWatch over a scripted fake Watch: proves the interplay with 1.4's own
 * restart logic (410 → relist, errors → our restart) rather than with a model of it.
 */
describe('SupervisedInformer over client-node ListWatch', () => {
  type Done = (err: unknown) => void;
  type Cb = (phase: string, obj: Obj) => void;
  class ScriptedWatch {
    calls: Array<{ path: string; rv: string; cb: Cb; done: Done }> = [];
    async watch(
      path: string,
      params: { resourceVersion?: string },
      cb: Cb,
      done: Done,
    ): Promise<AbortController> {
      const ac = new AbortController();
      ac.signal.addEventListener('abort', () => {
        const e = new Error('The operation was aborted.');
        e.name = 'AbortError';
        queueMicrotask(() => done(e));
      });
      this.calls.push({ path, rv: params.resourceVersion ?? '', cb, done });
      return ac;
    }
    last() {
      return this.calls[this.calls.length - 1]!;
    }
  }

  it('relists after 410 Gone, restarts after a 500, and reports deletes found by the relist', async () => {
    const clock = new ManualClock();
    const { log } = memoryLogger();
    const watch = new ScriptedWatch();
    let items = [obj('a', '5'), obj('b', '6')];
    let lists = 0;
    const events: Array<[string, InformerEvent]> = [];
    const inf = new SupervisedInformer<Obj>({
      kc: new KubeConfig(),
      path: '/apis/g/v1/widgets',
      list: async () => {
        lists++;
        return { items, metadata: { resourceVersion: String(10 * lists) } };
      },
      onKey: (k, _o, e) => events.push([k, e]),
      clock,
      log,
      random: () => 0,
      makeInformer: (p, list) => new ListWatch<Obj>(p, watch as unknown as Watch, list, false),
    });
    await inf.start();
    await inf.synced;
    await flush();
    expect(watch.last().path).toContain('allowWatchBookmarks=true');
    expect(watch.last().rv).toBe('10');

    // A watch event, then a 410 in the response: client-node clears the RV and relists by itself.
    watch.last().cb('MODIFIED', obj('a', '11'));
    items = [obj('a', '11')]; // 'b' was deleted while we were not watching
    watch.last().done(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await flush();
    expect(lists).toBe(2);
    expect(events).toContainEqual(['ns/b', 'delete']);
    expect(inf.get('ns', 'b')).toBeUndefined();

    // A 500 kills client-node's informer; the supervisor restarts it after the backoff, resuming from the RV.
    const callsBefore = watch.calls.length;
    watch.last().done(Object.assign(new Error('Internal Server Error'), { statusCode: 500 }));
    await flush();
    expect(watch.calls.length).toBe(callsBefore);
    await clock.advance(800);
    await flush();
    expect(watch.calls.length).toBe(callsBefore + 1);
    expect(watch.last().rv).toBe('20');
    expect(lists).toBe(2); // resumed, no relist
    expect(inf.restartCount()).toBe(1);

    await inf.stop();
    await flush();
    await clock.advance(120_000);
    expect(inf.restartCount()).toBe(1); // our own abort did not schedule a restart
  });
});
