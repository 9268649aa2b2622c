import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import { Registry } from 'prom-client';
import { ManualClock, flush } from '../../../src/util/clock.js';
import { Controller } from '../../../src/runtime/controller.js';
import { Manager, type ManagedCache } from '../../../src/runtime/manager.js';
import { RuntimeMetrics } from '../../../src/runtime/metrics.js';
import type { Reconciler } from '../../../src/runtime/reconcile.js';
import { FakeLeaseStore, apiError, deferred, memoryLogger } from './fakes.js';

class FakeCache implements ManagedCache {
  readonly name = 'widgets';
  private readonly gate = deferred();
  readonly synced = this.gate.promise;
  private isSynced = false;
  stopped = false;
  async start(): Promise<void> {}
  async stop(): Promise<void> {
    this.stopped = true;
  }
  hasSynced(): boolean {
    return this.isSynced;
  }
  sync(): void {
    this.isSynced = true;
    this.gate.resolve();
  }
}

function setup(reconciler: Reconciler, opts: { leader?: FakeLeaseStore; health?: string } = {}) {
  const clock = new ManualClock();
  const registry = new Registry();
  const { log } = memoryLogger();
  const signals = new EventEmitter();
  const exits: number[] = [];
  const cache = new FakeCache();
  const controller = new Controller({
    name: 'widgets',
    reconciler,
    workers: 2,
    clock,
    log,
    metrics: new RuntimeMetrics(registry, 'widgets'),
  });
  const mgr = new Manager({
    clock,
    log,
    registry,
    metricsAddress: '0',
    healthAddress: opts.health ?? '0',
    signals,
    exit: (c) => exits.push(c),
    processMetrics: false,
    gracefulShutdownMs: 10_000,
    leaderElection: opts.leader
      ? {
          coordination: opts.leader.client(),
          namespace: 'ns',
          name: 'lease',
          identity: 'pod-a',
          random: () => 0,
        }
      : undefined,
  });
  mgr.addCache(cache);
  mgr.addController(controller);
  return { clock, mgr, cache, controller, signals, exits };
}

function status(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) =>
    http
      .get(
        { host: '127.0.0.1', port, path, agent: false },
        (res) => (res.resume(), resolve(res.statusCode ?? 0)),
      )
      .on('error', reject),
  );
}

describe('Manager', () => {
  it('starts controllers only after caches sync, and /readyz follows the sync', async () => {
    const seen: string[] = [];
    const { mgr, cache, controller, signals } = setup(async (req) => void seen.push(req.key), {
      health: '127.0.0.1:0',
    });
    await mgr.start();
    controller.enqueue('ns/a');
    await flush();
    expect(seen).toEqual([]);
    const port = mgr.ports()!.healthPort;
    expect(await status(port, '/readyz')).toBe(503);
    cache.sync();
    await flush();
    expect(seen).toEqual(['ns/a']);
    expect(await status(port, '/readyz')).toBe(200);
    signals.emit('SIGTERM');
    expect(await mgr.done).toBe(0);
  });

  it('on SIGTERM stops intake, finishes in-flight work, releases the lease and exits 0', async () => {
    const store = new FakeLeaseStore();
    const gate = deferred();
    const started: string[] = [];
    let finished = 0;
    const { mgr, cache, controller, signals, exits, clock } = setup(
      async (req) => {
        started.push(req.key);
        await gate.promise;
        finished++;
      },
      { leader: store },
    );
    await mgr.start();
    cache.sync();
    await flush();
    expect(mgr.isLeader()).toBe(true);
    controller.enqueue('ns/a');
    await flush();
    signals.emit('SIGTERM');
    controller.enqueue('ns/b'); // intake stopped
    await clock.advance(1_000);
    expect(exits).toEqual([]); // still draining
    gate.resolve();
    expect(await mgr.done).toBe(0);
    expect(exits).toEqual([0]);
    expect(started).toEqual(['ns/a']);
    expect(finished).toBe(1);
    expect(store.lease!.spec!.holderIdentity).toBe(''); // released for a fast handover
    expect(cache.stopped).toBe(true);
  });

  it('exits 1 when a second signal arrives during a slow drain', async () => {
    const { mgr, cache, controller, signals } = setup(() => new Promise(() => undefined));
    await mgr.start();
    cache.sync();
    await flush();
    controller.enqueue('ns/stuck');
    await flush();
    signals.emit('SIGINT');
    await flush();
    signals.emit('SIGINT');
    expect(await mgr.done).toBe(1);
  });

  it('when the lease is lost, aborts in-flight reconciles at once and exits 1', async () => {
    const store = new FakeLeaseStore();
    let aborted = false;
    const { mgr, cache, controller, exits, clock } = setup(
      (_req, ctx) =>
        new Promise<void>((resolve) =>
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            resolve();
          }),
        ),
      { leader: store },
    );
    await mgr.start();
    cache.sync();
    await flush();
    controller.enqueue('ns/a');
    await flush();
    store.fail = apiError(500, 'InternalError');
    await clock.advance(13_000);
    expect(await mgr.done).toBe(1);
    expect(exits).toEqual([1]);
    expect(aborted).toBe(true);
    expect(controller.isRunning()).toBe(false);
  });

  it('a standby replica is ready but does not reconcile until it leads', async () => {
    const store = new FakeLeaseStore();
    store.put({
      holderIdentity: 'pod-b',
      leaseDurationSeconds: 15,
      renewTime: '2026-01-01T00:00:00.000000Z' as never,
    });
    const seen: string[] = [];
    const { mgr, cache, controller, clock, signals } = setup(async (req) => void seen.push(req.key), {
      leader: store,
    });
    await mgr.start();
    cache.sync();
    controller.enqueue('ns/a');
    await clock.advance(10_000);
    expect(mgr.ready()).toBe(true);
    expect(mgr.isLeader()).toBe(false);
    expect(seen).toEqual([]);
    await clock.advance(10_000); // pod-b never renewed: take over
    expect(mgr.isLeader()).toBe(true);
    expect(seen).toEqual(['ns/a']);
    signals.emit('SIGTERM');
    expect(await mgr.done).toBe(0);
  });
});
