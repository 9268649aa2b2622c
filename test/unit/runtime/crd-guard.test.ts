import http from 'node:http';
import { EventEmitter } from 'node:events';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ManualClock, flush } from '../../../src/util/clock.js';
import { Controller } from '../../../src/runtime/controller.js';
import {
  CrdGuard,
  judgeCrd,
  type CrdLike,
  type CrdSighting,
  type CrdSource,
  type GuardedKind,
  type ReplayableCache,
} from '../../../src/runtime/crd-guard.js';
import { Manager } from '../../../src/runtime/manager.js';
import { RuntimeMetrics } from '../../../src/runtime/metrics.js';
import { deferred, memoryLogger } from './fakes.js';

const ANN = 'example.com/schema-revision';
const WIDGET: GuardedKind = {
  kind: 'Widget',
  crd: 'widgets.example.com',
  apiVersion: 'example.com/v1alpha1',
  revision: 3,
  fix: 'kubectl apply --server-side --force-conflicts -f crds/example.com_widgets.yaml',
  fixNote: 'the crds/ of release 1.2.3',
};
// A second kind the operator lists but whose CRD may not be installed (the VpcEndpoint case).
const GADGET: GuardedKind = { ...WIDGET, kind: 'Gadget', crd: 'gadgets.example.com', revision: 1 };

function crd(revision: string | undefined, versions = [{ name: 'v1alpha1', served: true }]): CrdLike {
  return { metadata: { annotations: revision === undefined ? {} : { [ANN]: revision } }, spec: { versions } };
}

const objects = [{ metadata: { namespace: 'ns', name: 'a' } }, { metadata: { namespace: 'ns', name: 'b' } }];

describe('judgeCrd', () => {
  it.each([
    ['an equal revision', crd('3'), 'current', true, 3],
    ['a newer revision (rollback)', crd('4'), 'newer', true, 4],
    ['an older revision', crd('2'), 'stale', false, 2],
    ['no annotation (0.1.0 and before)', crd(undefined), 'stale', false, 0],
    ['a malformed annotation', crd('three'), 'stale', false, 0],
    [
      'a CRD that does not serve our version',
      crd('3', [{ name: 'v1beta1', served: true }]),
      'unserved',
      false,
      3,
    ],
    [
      'our version present but not served',
      crd('3', [{ name: 'v1alpha1', served: false }]),
      'unserved',
      false,
      3,
    ],
    ['no CRD at all', undefined, 'absent', false, undefined],
    ['a CRD we may not read', 'forbidden' as const, 'unverified', true, undefined],
    // Deleting a CRD waits for its resources, whose finalizers only the operator removes.
    [
      'a stale CRD being deleted',
      { ...crd(undefined), metadata: { deletionTimestamp: '2026-01-01T00:00:00Z' } },
      'deleting',
      true,
      0,
    ],
  ] as [string, CrdSighting, string, boolean, number | undefined][])(
    '%s → %s',
    (_what, seen, state, allowed, served) => {
      const v = judgeCrd(WIDGET, ANN, seen);
      expect(v).toMatchObject({ state, allowed });
      expect(v.served).toBe(served);
      expect(v.message).toContain(WIDGET.crd);
      // Every refusal tells the user exactly what to run, and where the file comes from.
      if (!allowed) expect(v.message).toContain(`${WIDGET.fix} (${WIDGET.fixNote})`);
    },
  );

  it('a stale verdict says both revisions and why it refuses', () => {
    expect(judgeCrd(WIDGET, ANN, crd(undefined)).message).toMatch(
      /has no example\.com\/schema-revision annotation, so revision 0, older than the revision 3 this operator needs: Widget is not reconciled, because the apiserver would silently drop the fields the old schema lacks/,
    );
    expect(judgeCrd(WIDGET, ANN, crd('2')).message).toContain(
      'has schema revision 2, older than the revision 3',
    );
  });
});

/** A source the test drives by hand. */
class FakeSource implements CrdSource {
  names: string[] = [];
  observe: (crd: string, seen: CrdSighting) => void = () => undefined;
  stopped = false;
  async start(names: string[], observe: (crd: string, seen: CrdSighting) => void): Promise<void> {
    this.names = names;
    this.observe = observe;
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
}

/** An informer stand-in: counts starts, syncs on demand, lists what it was given. */
class FakeInformer implements ReplayableCache {
  readonly name = 'widgets';
  private readonly gate = deferred();
  readonly synced = this.gate.promise;
  starts = 0;
  stopped = false;
  private isSynced = false;
  constructor(private readonly objects: KubernetesObject[] = []) {}
  async start(): Promise<void> {
    this.starts++;
  }
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
  list(): KubernetesObject[] {
    return this.objects;
  }
}

function guardWith(kinds: GuardedKind[]) {
  const source = new FakeSource();
  const mem = memoryLogger();
  const warnings: { kind: string; reason: string; message: string }[] = [];
  const guard = new CrdGuard({
    kinds,
    annotation: ANN,
    source,
    log: mem.log,
    onWarning: (k, reason, message) => warnings.push({ kind: k.kind, reason, message }),
  });
  return { guard, source, mem, warnings };
}

describe('CrdGuard', () => {
  it('judges each kind on its own: a missing CRD disables only its kind, loudly', async () => {
    const { guard, source, mem, warnings } = guardWith([WIDGET, GADGET]);
    await guard.start();
    expect(source.names).toEqual([WIDGET.crd, GADGET.crd]);
    expect(guard.hasSynced()).toBe(false);
    expect(guard.notReadyReason()).toBeUndefined(); // pending is "caches not synced", not a refusal

    source.observe(WIDGET.crd, crd('3'));
    expect(guard.hasSynced()).toBe(false);
    source.observe(GADGET.crd, undefined);
    expect(guard.hasSynced()).toBe(true);
    await guard.synced;

    expect(guard.verdict('Widget')).toMatchObject({ state: 'current', allowed: true });
    expect(guard.verdict('Gadget')).toMatchObject({ state: 'absent', allowed: false });
    expect(guard.notReadyReason()).toBe(guard.verdict('Gadget').message);
    expect(guard.notReadyReason()).toContain(
      'CRD gadgets.example.com is not installed: Gadget is not reconciled',
    );
    expect(warnings).toEqual([
      { kind: 'Gadget', reason: 'CRDMissing', message: guard.verdict('Gadget').message },
    ]);
    const errors = mem.lines().filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ kind: 'Gadget', crd: GADGET.crd, state: 'absent', fix: GADGET.fix });
  });

  it('says a verdict once: repeated equal sightings (relists, resyncs) are silent', async () => {
    const { guard, source, mem, warnings } = guardWith([WIDGET]);
    await guard.start();
    for (let i = 0; i < 5; i++) source.observe(WIDGET.crd, crd('2'));
    expect(warnings.map((w) => w.reason)).toEqual(['CRDSchemaStale']);
    expect(mem.lines().filter((l) => l.level === 'error')).toHaveLength(1);
    source.observe(WIDGET.crd, crd('1')); // another stale revision is news
    expect(warnings.map((w) => w.reason)).toEqual(['CRDSchemaStale', 'CRDSchemaStale']);
    source.observe(WIDGET.crd, crd('3'));
    expect(guard.notReadyReason()).toBeUndefined();
    expect(mem.lines().at(-1)).toMatchObject({ level: 'info', state: 'current', served: 3, need: 3 });
  });

  it('a newer CRD (rollback) runs and warns once; a forbidden one runs unchecked and warns once', async () => {
    const { guard, source, warnings } = guardWith([WIDGET, GADGET]);
    await guard.start();
    source.observe(WIDGET.crd, crd('9'));
    source.observe(WIDGET.crd, crd('9'));
    source.observe(GADGET.crd, 'forbidden');
    source.observe(GADGET.crd, 'forbidden');
    expect(guard.verdict('Widget')).toMatchObject({ state: 'newer', allowed: true, served: 9 });
    expect(guard.verdict('Gadget')).toMatchObject({ state: 'unverified', allowed: true });
    expect(guard.notReadyReason()).toBeUndefined();
    expect(warnings.map((w) => w.reason)).toEqual(['CRDSchemaNewer', 'CRDSchemaUnverified']);
  });

  it('a failing warning sink is logged, never thrown into the source', async () => {
    const source = new FakeSource();
    const mem = memoryLogger();
    const guard = new CrdGuard({
      kinds: [WIDGET],
      annotation: ANN,
      source,
      log: mem.log,
      onWarning: () => {
        throw new Error('events API down');
      },
    });
    await guard.start();
    expect(() => source.observe(WIDGET.crd, undefined)).not.toThrow();
    expect(mem.text()).toContain('recording the CRD warning failed');
    await guard.stop();
    expect(source.stopped).toBe(true);
  });
});

describe('KindGate', () => {
  const objects = [
    { metadata: { namespace: 'ns', name: 'a' } },
    { metadata: { namespace: 'ns', name: 'b' } },
  ];

  it('a stale CRD: the informer never starts and nothing is reconciled; upgraded: it starts by itself', async () => {
    const { guard, source } = guardWith([WIDGET]);
    const enqueued: string[] = [];
    const gate = guard.gate('Widget', (k) => enqueued.push(k));
    const inner = new FakeInformer(objects);
    const cache = gate.cache(inner);
    const calls: string[] = [];
    const reconcile = gate.reconciler(async (req) => void calls.push(req.key));

    await guard.start();
    await cache.start(); // the manager starts it while the verdict is pending
    expect(inner.starts).toBe(0);
    expect(cache.hasSynced()).toBe(false);

    source.observe(WIDGET.crd, crd(undefined));
    await cache.synced; // refused: nothing to wait for, so the manager may start the other kinds
    expect(cache.hasSynced()).toBe(true);
    expect(inner.starts).toBe(0);
    const { log } = memoryLogger();
    await reconcile(
      { namespace: 'ns', name: 'a', key: 'ns/a' },
      { reconcileId: '1', log, signal: new AbortController().signal },
    );
    expect(calls).toEqual([]);

    source.observe(WIDGET.crd, crd('3'));
    await flush();
    expect(inner.starts).toBe(1);
    expect(cache.hasSynced()).toBe(false); // now it waits for the real list
    inner.sync();
    expect(cache.hasSynced()).toBe(true);
    await reconcile(
      { namespace: 'ns', name: 'a', key: 'ns/a' },
      { reconcileId: '2', log, signal: new AbortController().signal },
    );
    expect(calls).toEqual(['ns/a']);
    expect(enqueued).toEqual([]); // a fresh informer lists everything itself
  });

  it('a current CRD at start: the informer starts at once', async () => {
    const { guard, source } = guardWith([WIDGET]);
    const inner = new FakeInformer();
    const cache = guard.gate('Widget', () => undefined).cache(inner);
    await guard.start();
    source.observe(WIDGET.crd, crd('3'));
    await cache.start();
    expect(inner.starts).toBe(1);
    await cache.stop();
    expect(inner.stopped).toBe(true);
  });

  it('a CRD downgraded while running stops reconciles; upgraded again, every cached key is enqueued once', async () => {
    const { guard, source } = guardWith([WIDGET]);
    const enqueued: string[] = [];
    const gate = guard.gate('Widget', (k) => enqueued.push(k));
    const inner = new FakeInformer(objects);
    const cache = gate.cache(inner);
    const calls: string[] = [];
    const reconcile = gate.reconciler(async (req) => void calls.push(req.key));
    const { log } = memoryLogger();
    const ctx = { reconcileId: 'r', log, signal: new AbortController().signal };
    await guard.start();
    source.observe(WIDGET.crd, crd('3'));
    await cache.start();
    inner.sync();

    source.observe(WIDGET.crd, crd('2'));
    await reconcile({ namespace: 'ns', name: 'a', key: 'ns/a' }, ctx);
    expect(calls).toEqual([]);
    expect(guard.notReadyReason()).toContain('has schema revision 2, older than the revision 3');

    source.observe(WIDGET.crd, crd('3'));
    expect(enqueued).toEqual(['ns/a', 'ns/b']);
    source.observe(WIDGET.crd, crd('3'));
    expect(enqueued).toEqual(['ns/a', 'ns/b']);
    expect(inner.starts).toBe(1);
  });
});

describe('Manager readiness gate with the CRD guard', () => {
  function get(port: number, path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) =>
      http
        .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        })
        .on('error', reject),
    );
  }

  it('/readyz is 503 with the reason while the CRD is stale, no reconcile runs, and it turns 200 once upgraded', async () => {
    const clock = new ManualClock();
    const registry = new Registry();
    const { log } = memoryLogger();
    const signals = new EventEmitter();
    const { guard, source } = guardWith([WIDGET]);
    const calls: string[] = [];
    const gate = guard.gate('Widget', (k) => controller.enqueue(k));
    const controller = new Controller({
      name: 'widgets',
      reconciler: gate.reconciler(async (req) => void calls.push(req.key)),
      workers: 1,
      clock,
      log,
      metrics: new RuntimeMetrics(registry, 'widgets'),
    });
    const inner = new FakeInformer(objects);
    const mgr = new Manager({
      clock,
      log,
      registry,
      metricsAddress: '0',
      healthAddress: '127.0.0.1:0',
      signals,
      exit: () => undefined,
      processMetrics: false,
    });
    mgr.addCache(guard);
    mgr.addReadinessGate('CRD schema', () => guard.notReadyReason());
    mgr.addCache(gate.cache(inner));
    mgr.addController(controller);
    await mgr.start();
    const port = mgr.ports()!.healthPort;
    expect(await get(port, '/readyz')).toEqual({ status: 503, body: 'not ready: caches not synced\n' });

    source.observe(WIDGET.crd, crd('2'));
    await flush();
    const stale = await get(port, '/readyz');
    expect(stale.status).toBe(503);
    expect(stale.body).toBe(`not ready: CRD schema: ${guard.verdict('Widget').message}\n`);
    expect(stale.body).toContain(WIDGET.fix);
    controller.enqueue('ns/a'); // even a stray key is not reconciled
    await flush();
    expect(calls).toEqual([]);
    expect(inner.starts).toBe(0);
    expect((await get(port, '/healthz')).status).toBe(200); // alive: a restart would not help

    source.observe(WIDGET.crd, crd('3'));
    await flush();
    expect(inner.starts).toBe(1);
    inner.sync();
    await flush();
    expect(await get(port, '/readyz')).toEqual({ status: 200, body: 'ok\n' });
    controller.enqueue('ns/b');
    await flush();
    expect(calls).toContain('ns/b');
    signals.emit('SIGTERM');
    expect(await mgr.done).toBe(0);
  });

  it('a gate that throws holds readiness down with the error, never crashes the probe', async () => {
    const { log } = memoryLogger();
    const mgr = new Manager({
      clock: new ManualClock(),
      log,
      registry: new Registry(),
      metricsAddress: '0',
      healthAddress: '0',
      signals: null,
      exit: () => undefined,
      processMetrics: false,
    });
    mgr.addReadinessGate('broken', () => {
      throw new Error('boom');
    });
    expect(mgr.ready()).toBe(false);
    expect(mgr.notReadyReason()).toBe('broken: check failed: boom');
  });
});
