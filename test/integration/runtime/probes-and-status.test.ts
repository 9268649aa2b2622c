import { randomBytes } from 'node:crypto';
import {
  CoordinationV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
} from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Controller,
  Manager,
  RuntimeMetrics,
  StatusWriter,
  SupervisedInformer,
  createLogger,
  loadKubeConfig,
  systemClock,
  type Logger,
  type StatusPatcher,
} from '../../../src/runtime/index.js';
import { eventually, testKube, type TestKube } from '../support/kube.js';
import { G, P, V, createTestCR, crRef, getTestCR, setDescription, type TestCR } from '../support/test-cr.js';

// A Manager in this process, wired like the operator (informer → controller → reconciler writing status
// through a StatusWriter, leader election, probes on 127.0.0.1:0), against the real kube-apiserver.
// The reconciler reads the object from the API (not the cache), so what it compares against is
// exactly what is stored.

const CONTROLLER = 'it-status';

interface Reconciled {
  key: string;
  resourceVersion?: string;
  generation?: number;
  wrote: boolean;
}

/** The value of the sample `name{labels}` in Prometheus text, if present. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',');
    if (want.every((w) => have.includes(w))) return Number(m[3]);
  }
  return undefined;
}

describe('Manager probes, metrics and status writes on a real kube-apiserver', () => {
  let k: TestKube;
  let kc: KubeConfig;
  let custom: CustomObjectsApi;
  let ns: string;
  let manager: Manager;
  let controller: Controller;
  let informer: SupervisedInformer<TestCR>;
  let log: Logger;
  const leaseName = 'rt-probes';
  const identity = `in-process-${randomBytes(3).toString('hex')}`;
  const reconciled: Reconciled[] = [];
  const informerEvents: Array<{ key: string; event: string; resourceVersion?: string }> = [];
  /** Every status patch request the StatusWriter actually sent, by key. */
  const patchesSent: string[] = [];
  const logs: string[] = [];

  const url = (port: 'metricsPort' | 'healthPort', path: string): string =>
    `http://127.0.0.1:${manager.ports()![port]}${path}`;

  beforeAll(async () => {
    k = testKube();
    ns = await k.freshNamespace('rt-probe');
    kc = loadKubeConfig(k.kubeconfig);
    custom = kc.makeApiClient(CustomObjectsApi);
    log = createLogger({ level: 'debug', destination: { write: (s: string) => void logs.push(s) } });
    const registry = new Registry();
    const metrics = new RuntimeMetrics(registry, CONTROLLER);
    // Intercepts the API client: a call here is a request on the wire.
    const countingPatcher: StatusPatcher = {
      patchNamespacedCustomObjectStatus: (req, options) => {
        patchesSent.push(`${req.namespace}/${req.name}`);
        return custom.patchNamespacedCustomObjectStatus(req, options);
      },
    };
    const status = new StatusWriter({ api: countingPatcher, group: G, version: V, plural: P, log });
    controller = new Controller({
      name: CONTROLLER,
      workers: 1,
      clock: systemClock,
      log,
      metrics,
      reconciler: async (req) => {
        const obj = (await custom.getNamespacedCustomObject({
          ...crRef(req.namespace),
          name: req.name,
        })) as TestCR;
        // Built in another key order than the stored status on purpose: order must not matter.
        const wrote = await status.patchStatusIfChanged(req, obj, {
          status: 'reconciled',
          id: `it-${req.name}`,
          observedGeneration: obj.metadata.generation,
        });
        reconciled.push({
          key: req.key,
          resourceVersion: obj.metadata.resourceVersion,
          generation: obj.metadata.generation,
          wrote,
        });
      },
    });
    informer = new SupervisedInformer<TestCR>({
      kc,
      path: `/apis/${G}/${V}/namespaces/${ns}/${P}`,
      list: () => custom.listNamespacedCustomObject(crRef(ns)) as Promise<KubernetesListObject<TestCR>>,
      name: `${P}/${ns}`,
      clock: systemClock,
      log,
      metrics,
      onKey: (key, obj, event) => {
        informerEvents.push({ key, event, resourceVersion: obj.metadata.resourceVersion });
        controller.enqueue(key);
      },
    });
    manager = new Manager({
      clock: systemClock,
      log,
      registry,
      metricsAddress: '127.0.0.1:0',
      healthAddress: '127.0.0.1:0',
      signals: null,
      exit: () => undefined,
      gracefulShutdownMs: 5_000,
      leaderElection: {
        coordination: kc.makeApiClient(CoordinationV1Api),
        namespace: ns,
        name: leaseName,
        identity,
        leaseDurationMs: 4_000,
        renewDeadlineMs: 3_000,
        retryPeriodMs: 500,
      },
    });
    manager.addCache(informer);
    manager.addController(controller);
    await manager.start();
  });
  afterAll(async () => {
    await manager?.shutdown();
  });

  it('/healthz and /readyz answer 200 once the caches synced; /metrics serves the runtime series', async () => {
    await informer.synced;
    await eventually(
      async () => ((await fetch(url('healthPort', '/readyz'))).status === 200 ? true : undefined),
      '/readyz 200',
      10_000,
    );
    const healthz = await fetch(url('healthPort', '/healthz'));
    expect(healthz.status).toBe(200);
    expect(await healthz.text()).toBe('ok\n');

    await eventually(async () => (manager.isLeader() ? true : undefined), 'the manager to lead', 15_000);
    await createTestCR(k.custom, ns, 'probe-me');
    await eventually(
      async () => reconciled.find((r) => r.key === `${ns}/probe-me` && r.wrote),
      'a reconcile of probe-me',
      20_000,
    );

    const res = await fetch(url('metricsPort', '/metrics'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(
      sample(text, 'controller_runtime_reconcile_total', { controller: CONTROLLER, result: 'success' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'controller_runtime_reconcile_total', { controller: CONTROLLER, result: 'error' }),
    ).toBe(0);
    expect(
      sample(text, 'workqueue_depth', { name: CONTROLLER, controller: CONTROLLER }),
    ).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'workqueue_adds_total', { name: CONTROLLER })).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'controller_runtime_reconcile_time_seconds_count', { controller: CONTROLLER }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'controller_runtime_max_concurrent_reconciles', { controller: CONTROLLER })).toBe(1);
    expect(sample(text, 'controller_runtime_active_workers', { controller: CONTROLLER })).toBeDefined();
    expect(sample(text, 'leader_election_master_status', { name: leaseName })).toBe(1);
    expect(sample(text, 'process_cpu_user_seconds_total', {})).toBeGreaterThan(0);
    // Each endpoint only on its own port.
    expect((await fetch(url('healthPort', '/metrics'))).status).toBe(404);
  });

  it('a status write with nothing changed is not sent (no request, resourceVersion unchanged, no watch event)', async () => {
    const key = `${ns}/quiet`;
    const sent = (): number => patchesSent.filter((p) => p === key).length;
    await createTestCR(k.custom, ns, 'quiet');
    const written = await eventually(
      async () => {
        const cr = await getTestCR(k.custom, ns, 'quiet');
        return cr.status?.observedGeneration === 1 ? cr : undefined;
      },
      'the first status write',
      20_000,
    );
    expect(written.status).toEqual({ status: 'reconciled', id: 'it-quiet', observedGeneration: 1 });
    const rv = written.metadata.resourceVersion;
    // Our own write comes back as a watch event and is reconciled again: that reconcile must not write.
    await eventually(
      async () => reconciled.find((r) => r.key === key && r.resourceVersion === rv),
      'the reconcile triggered by our own status write',
      20_000,
    );
    expect(sent()).toBe(1);

    // More reconciles of an unchanged object: still no request.
    for (let i = 0; i < 3; i++) {
      const before = reconciled.filter((r) => r.key === key).length;
      controller.enqueue(key);
      await eventually(
        async () => (reconciled.filter((r) => r.key === key).length > before ? true : undefined),
        `forced reconcile ${i + 1}`,
        10_000,
      );
    }
    const mine = reconciled.filter((r) => r.key === key);
    expect(mine.filter((r) => r.wrote)).toHaveLength(1);
    expect(mine.length).toBeGreaterThanOrEqual(5);
    expect(sent()).toBe(1);
    expect((await getTestCR(k.custom, ns, 'quiet')).metadata.resourceVersion).toBe(rv);
    // No watch event after the one our write caused: no hot loop.
    const lastEvent = informerEvents.filter((e) => e.key === key && e.event !== 'resync').pop();
    expect(lastEvent?.resourceVersion).toBe(rv);

    // A real change (new generation) is written, exactly once.
    await setDescription(k.custom, ns, 'quiet', 'a real change');
    await eventually(
      async () =>
        (await getTestCR(k.custom, ns, 'quiet')).status?.observedGeneration === 2 ? true : undefined,
      'the status of generation 2',
      20_000,
    );
    expect(sent()).toBe(2);
  });

  it('/readyz answers 503 while a cache cannot sync, /healthz stays 200', async () => {
    const registry = new Registry();
    const broken = new SupervisedInformer<TestCR>({
      kc,
      path: `/apis/${G}/${V}/namespaces/${ns}/nosuchthings`,
      list: () =>
        custom.listNamespacedCustomObject({ ...crRef(ns), plural: 'nosuchthings' }) as Promise<
          KubernetesListObject<TestCR>
        >,
      name: 'nosuchthings',
      clock: systemClock,
      log,
      onKey: () => undefined,
    });
    const m = new Manager({
      clock: systemClock,
      log,
      registry,
      metricsAddress: '127.0.0.1:0',
      healthAddress: '127.0.0.1:0',
      signals: null,
      exit: () => undefined,
      processMetrics: false,
    });
    m.addCache(broken);
    await m.start();
    try {
      await eventually(async () => (broken.restartCount() >= 1 ? true : undefined), 'a failed list', 10_000);
      const port = m.ports()!.healthPort;
      const readyz = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(readyz.status).toBe(503);
      expect(await readyz.text()).toMatch(/not ready/);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      await m.shutdown();
    }
    expect(await m.done).toBe(0);
  });

  it('graceful shutdown releases the lease and finishes with exit code 0', async () => {
    const leases = kc.makeApiClient(CoordinationV1Api);
    expect((await leases.readNamespacedLease({ name: leaseName, namespace: ns })).spec?.holderIdentity).toBe(
      identity,
    );
    await manager.shutdown();
    expect(await manager.done).toBe(0);
    expect(manager.isLeader()).toBe(false);
    expect(
      (await leases.readNamespacedLease({ name: leaseName, namespace: ns })).spec?.holderIdentity ?? '',
    ).toBe('');
    await expect(fetch(url('healthPort', '/readyz'))).rejects.toThrow();
  });
});
