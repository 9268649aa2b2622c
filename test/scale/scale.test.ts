/**
 * `make bench-scale`: N resources on the real control plane (kube-apiserver + etcd from the integration
 * global setup), the operator binary from dist/, and the simulator in this process. N resources are
 * applied at once and driven to Ready, left alone for a steady-state window, the operator is restarted,
 * and all of them are deleted. Printed: the time to Ready and to gone against the lower bound that the
 * cloud rate limit and the simulator's delays allow, cloud calls per resource by operation (simulator
 * counters), Kubernetes writes per resource (the apiserver's own `apiserver_request_total`), the
 * steady-state writes and calls, the operator's RSS, and what a restart costs. The restart runs at the
 * operator's default `--cloud-qps 10 --cloud-burst 20 --resync-period 10m`: one new resource applied
 * 3 s after it is ready, its time to Ready against the same on an idle operator (same flags, measured
 * before the apply), the highest cloud calls in any second of the first minute against the QPS, and
 * the rechecks in that minute against `N · window / resync` (spread over the period, not a burst).
 *
 * Never fails on time; fails only on wrong behaviour: a resource never Ready, a resource without
 * exactly one cloud service carrying its UID as ownership tag, a service or resource left after the
 * deletion, an unclean exit on SIGTERM.
 *
 * Knobs (environment): VPCEP_SCALE_N (resources, default 300; `make bench-scale N=100`),
 * VPCEP_SCALE_QPS / VPCEP_SCALE_BURST (the operator's --cloud-qps / --cloud-burst, default 50 / 50),
 * VPCEP_SCALE_CREATE_DELAY_MS / VPCEP_SCALE_DELETE_DELAY_MS (simulator, default 3000 / 2000),
 * VPCEP_SCALE_RESYNC_S (--resync-period, default 10), VPCEP_SCALE_STEADY_S (steady window, default 20),
 * VPCEP_SCALE_APPLY_CONCURRENCY (parallel creates, default 16), VPCEP_SCALE_RESTART_QPS /
 * VPCEP_SCALE_RESTART_BURST (the restarted operator's, default 10 / 20: the operator's defaults),
 * VPCEP_SCALE_RESTART_WINDOW_S (window after the restart, default 60), VPCEP_SCALE_WORKERS (the
 * operator's --max-concurrent-reconciles, default its own 4), VPCEP_IT_OPERATOR_LOGS=1.
 *
 * Under a cloud quota: VPCEP_SCALE_SIM_QPS=Q (`make bench-scale SIM_QPS=Q`) has the simulator throttle
 * all VPCEP calls together at Q a second (`qpsScope: 'total'`; refusals 429 `APIGW.0308`, or 400
 * `EndPoint.0022` with VPCEP_SCALE_SIM_THROTTLE_MODE=0022). The operator's --cloud-qps then defaults to
 * Q and its --cloud-burst to Q/2 (the simulator's bucket holds Q: the half left over absorbs the jitter
 * between the operator's token and the call's arrival), the restart's to at most the same; the bench
 * prints the achieved calls a second over each wave against Q and the throttled answers per phase.
 * Set VPCEP_SCALE_QPS above Q (e.g. 2Q) to watch the operator back off on the refusals.
 */
import { readFileSync } from 'node:fs';
import type { KubernetesListObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP, OWNERSHIP_TAG_KEY, PLURAL, VERSION } from '../../src/api/constants.js';
import type { VpcEndpointService } from '../../src/api/types.js';
import { spreadOffset } from '../../src/runtime/controller.js';
import type { Simulator } from '../../src/simulator/index.js';
import { machine, median, nowMs, num, printTable, ratio, type Cell } from '../bench/harness.js';
import { intEnv } from '../chaos/support/chaos.js';
import { testKube, type TestKube } from '../integration/support/kube.js';
import {
  createCR,
  deleteCR,
  isReady,
  specFor,
  startOperator,
  startTestSimulator,
  uuid,
  type OperatorProcess,
} from '../integration/support/operator.js';
import { diffWrites, sampleWrites, splitWrites, type RequestSample } from './support/apiserver-metrics.js';
import { describeCpu, readCpu } from './support/cpu.js';
import { ResourceTracker } from './support/tracker.js';

const N = Math.max(1, intEnv('VPCEP_SCALE_N', 300));
/** The simulator's quota on all VPCEP calls together, a second (0: none). */
const SIM_QPS = Math.max(0, intEnv('VPCEP_SCALE_SIM_QPS', 0));
const SIM_THROTTLE_MODE = process.env.VPCEP_SCALE_SIM_THROTTLE_MODE === '0022' ? '0022' : '429';
const QPS = Math.max(1, intEnv('VPCEP_SCALE_QPS', SIM_QPS || 50));
const BURST = Math.max(1, intEnv('VPCEP_SCALE_BURST', SIM_QPS ? Math.max(1, Math.floor(SIM_QPS / 2)) : QPS));
const CREATE_DELAY_MS = intEnv('VPCEP_SCALE_CREATE_DELAY_MS', 3_000);
const DELETE_DELAY_MS = intEnv('VPCEP_SCALE_DELETE_DELAY_MS', 2_000);
const RESYNC_S = Math.max(1, intEnv('VPCEP_SCALE_RESYNC_S', 10));
const STEADY_S = Math.max(1, intEnv('VPCEP_SCALE_STEADY_S', 20));
const APPLY_CONCURRENCY = Math.max(1, intEnv('VPCEP_SCALE_APPLY_CONCURRENCY', 16));
/** The operator's --max-concurrent-reconciles (0: its default, 4). */
const WORKERS = intEnv('VPCEP_SCALE_WORKERS', 0);
/** Up to this many resources are deleted with one DELETE of the collection; more, one by one. */
const DELETE_COLLECTION_MAX = 3_000;
/** The restarted operator (and the idle baseline): the operator's defaults. */
const RESTART_RESYNC = '10m';
const RESTART_RESYNC_MS = 600_000;
const RESTART_QPS = Math.max(1, intEnv('VPCEP_SCALE_RESTART_QPS', SIM_QPS ? Math.min(10, SIM_QPS) : 10));
const RESTART_BURST = Math.max(
  1,
  intEnv('VPCEP_SCALE_RESTART_BURST', SIM_QPS ? Math.min(20, Math.max(1, Math.floor(SIM_QPS / 2))) : 20),
);
const RESTART_WINDOW_MS = Math.max(10, intEnv('VPCEP_SCALE_RESTART_WINDOW_S', 60)) * 1000;
/** A new resource is applied this long after the (restarted or idle) operator is ready. */
const PROBE_DELAY_MS = 3_000;

/**
 * The fewest cloud calls that take one resource to Ready: the ownership-tag lookup that must precede
 * any create (it is what prevents a duplicate), the create, one GET that sees `available` (with a
 * create delay above zero the create answers `creating`), and the list of its connections that every
 * sync of an available service makes (status.connections, the approval rules). The first two come
 * before the cloud's create delay, the last two after it.
 */
const MIN_READY_CALLS: Record<string, number> = { queryTags: 1, create: 1, get: 1, listConnections: 1 };
const READY_CALLS_BEFORE_WAIT = 2;
/**
 * The fewest cloud calls that delete one resource's service: a GET of the service (its ownership tag is
 * checked before the DELETE), the DELETE (the cloud answers at once and keeps the service `deleting`),
 * and one GET that answers 404.
 */
const MIN_DELETE_CALLS: Record<string, number> = { get: 2, delete: 1 };
const DELETE_CALLS_BEFORE_WAIT = 2;

const sum = (r: Record<string, number>): number => Object.values(r).reduce((s, n) => s + n, 0);
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Lower bound (ms) of a phase that needs `perResource` calls for each of `n` resources, `beforeWait` of
 * them (up to the create or the DELETE) before a cloud-side wait of `delayMs` after which the rest (the
 * GET that sees the result, the connection list) can succeed. The operator's token bucket grants at most
 * `burst + qps·t` calls in `t` seconds, so all the calls need `(calls − burst)/qps`, and the last create
 * (or DELETE) is not sent before the calls up to it of every resource, `(beforeWait·n − burst)/qps`,
 * plus the wait. Under a cloud quota the cloud's own bucket (`Q + Q·t` answered calls) bounds it too:
 * the slower of the two.
 */
function lowerBound(
  n: number,
  perResource: number,
  beforeWait: number,
  delayMs: number,
): { ms: number; formula: string } {
  const all = n * perResource;
  const beforeLast = n * beforeWait;
  const rate = (calls: number): number => (Math.max(0, calls - BURST) / QPS) * 1000;
  const cloud = (calls: number): number => (SIM_QPS ? (Math.max(0, calls - SIM_QPS) / SIM_QPS) * 1000 : 0);
  const operatorMs = Math.max(rate(all), rate(beforeLast) + delayMs);
  const cloudMs = Math.max(cloud(all), cloud(beforeLast) + delayMs);
  const ms = Math.max(operatorMs, cloudMs);
  const formula =
    `max((${perResource}·N − burst)/qps, (${beforeWait}·N − burst)/qps + delay) = ` +
    `max(${secs(rate(all))}, ${secs(rate(beforeLast))} + ${secs(delayMs)}) = ${secs(operatorMs)}` +
    (SIM_QPS ? `; the cloud's quota, burst = qps = Q = ${SIM_QPS}: ${secs(cloudMs)}; bound ${secs(ms)}` : '');
  return { ms, formula };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Polls `pred` (cheap, in memory) every 50 ms; throws after `timeoutMs` with `what()` in the message. */
async function waitUntil(pred: () => boolean, what: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${secs(timeoutMs)} waiting for ${what()}`);
    await sleep(50);
  }
}

/** VmRSS and VmHWM (peak) of a process, in MiB; undefined where /proc is not there. */
function rssOf(pid: number | undefined): { rss: number; hwm: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1]);
    const rss = kb('VmRSS');
    const hwm = kb('VmHWM');
    return Number.isFinite(rss) ? { rss: rss / 1024, hwm: hwm / 1024 } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The operator's V8 heap from its own /metrics (prom-client's default `nodejs_heap_size_*_bytes`), in
 * MiB: what of the RSS is live JavaScript objects (used) and what the heap holds (total).
 */
async function heapOf(op: OperatorProcess | undefined): Promise<{ used: number; total: number } | undefined> {
  const line = op?.lines.find((l) => l.includes('operator started') && l.includes('metricsPort'));
  if (!line) return undefined;
  try {
    const port = (JSON.parse(line) as { metricsPort?: number }).metricsPort;
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const val = (name: string): number =>
      Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1]) / 2 ** 20;
    const used = val('nodejs_heap_size_used_bytes');
    const total = val('nodejs_heap_size_total_bytes');
    return Number.isFinite(used) ? { used, total } : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves once the operator logged its health port and `/readyz` answers 200 (caches synced). */
async function operatorReady(op: OperatorProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let port: number | undefined;
  while (port === undefined) {
    for (const line of op.lines) {
      if (!line.includes('operator started')) continue;
      try {
        const j = JSON.parse(line) as { healthPort?: unknown };
        if (typeof j.healthPort === 'number') port = j.healthPort;
      } catch {
        // not JSON: keep looking
      }
    }
    if (op.proc.exitCode !== null)
      throw new Error(`operator exited (${op.proc.exitCode}): ${op.lines.slice(-5).join('\n')}`);
    if (Date.now() > deadline) throw new Error('operator did not log its health port');
    if (port === undefined) await sleep(50);
  }
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error('operator never answered /readyz with 200');
    await sleep(50);
  }
}

/** Every resource's services by ownership tag, and whatever is wrong about them. */
function ownershipProblems(crs: VpcEndpointService[], sim: Simulator, want: number): string[] {
  const problems: string[] = [];
  const services = sim.controls.services();
  const byOwner = new Map<string, string[]>();
  for (const s of services) {
    const owner = s.tags?.find((t) => t.key === OWNERSHIP_TAG_KEY)?.value ?? '';
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), s.id]);
  }
  if (crs.length !== want) problems.push(`${crs.length} resources, expected ${want}`);
  const uids = new Set<string>();
  for (const cr of crs) {
    const uid = cr.metadata.uid ?? '';
    uids.add(uid);
    const owned = byOwner.get(uid) ?? [];
    if (owned.length !== 1 || owned[0] !== cr.status?.id)
      problems.push(
        `${cr.metadata.name}: owns [${owned.join(', ')}], status.id ${cr.status?.id ?? '(none)'}`,
      );
  }
  for (const [owner, ids] of byOwner)
    if (!uids.has(owner)) problems.push(`services [${ids.join(', ')}] owned by ${owner || '(no tag)'}`);
  if (services.length !== want) problems.push(`${services.length} cloud services, expected ${want}`);
  return problems;
}

/** Samples a counter every 100 ms; `maxPerSecond` is the largest rise within any 1-second span. */
class RateSampler {
  private readonly samples: Array<{ t: number; n: number }> = [];
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly read: () => number) {}
  start(): void {
    this.samples.push({ t: nowMs(), n: this.read() });
    this.timer = setInterval(() => this.samples.push({ t: nowMs(), n: this.read() }), 100);
  }
  stop(): void {
    clearInterval(this.timer);
    this.samples.push({ t: nowMs(), n: this.read() });
  }
  /** The largest rise over any span of at most 1 s between samples, and when it started (ms from the first sample). */
  maxPerSecond(): { calls: number; at: number } {
    let best = { calls: 0, at: 0 };
    let j = 0;
    for (let i = 0; i < this.samples.length; i++) {
      const a = this.samples[i]!;
      if (j < i) j = i;
      while (j + 1 < this.samples.length && this.samples[j + 1]!.t - a.t <= 1000) j++;
      const rise = this.samples[j]!.n - a.n;
      if (rise > best.calls) best = { calls: rise, at: a.t - this.samples[0]!.t };
    }
    return best;
  }
}

/** Shortens a problem list for an assertion message. */
const firstFew = (xs: string[]): string[] =>
  xs.length > 10 ? [...xs.slice(0, 10), `… ${xs.length - 10} more`] : xs;

const p = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

describe(`scale: ${N} resources to Ready and back, on the real control plane`, () => {
  let k: TestKube;
  let ns: string;
  let sim: Simulator;
  let op: OperatorProcess | undefined;
  let tracker: ResourceTracker | undefined;

  const opArgs = (resync: string, qps = QPS, burst = BURST): string[] => [
    '--log-level=info',
    `--cloud-qps=${qps}`,
    `--cloud-burst=${burst}`,
    `--resync-period=${resync}`,
    ...(WORKERS ? [`--max-concurrent-reconciles=${WORKERS}`] : []),
  ];
  const launch = (resync: string, qps = QPS, burst = BURST): OperatorProcess =>
    startOperator({
      kubeconfig: k.kubeconfig,
      simUrl: sim.url,
      namespaces: [ns],
      args: opArgs(resync, qps, burst),
    });
  /** The operator as the restart runs it: the defaults `--cloud-qps 10 --cloud-burst 20 --resync-period 10m`. */
  const launchDefaults = (): OperatorProcess => launch(RESTART_RESYNC, RESTART_QPS, RESTART_BURST);

  beforeAll(async () => {
    k = testKube();
    ns = await k.freshNamespace('scale');
    sim = await startTestSimulator({
      createDelayMs: CREATE_DELAY_MS,
      deleteDelayMs: DELETE_DELAY_MS,
      quota: N + 10,
      ...(SIM_QPS ? { qps: SIM_QPS, qpsScope: 'total' as const, throttleMode: SIM_THROTTLE_MODE } : {}),
    });
  });
  afterAll(async () => {
    tracker?.stop();
    await op?.kill();
    await sim?.close();
  });

  const readyBound = lowerBound(N, sum(MIN_READY_CALLS), READY_CALLS_BEFORE_WAIT, CREATE_DELAY_MS);
  const deleteBound = lowerBound(N, sum(MIN_DELETE_CALLS), DELETE_CALLS_BEFORE_WAIT, DELETE_DELAY_MS);
  // Budgets for "never Ready" / "never gone": generous multiples of the bounds (a failure here is
  // wrong behaviour or a machine far too loaded to say anything), and the whole test's timeout.
  const readyTimeout = Math.max(180_000, 20 * readyBound.ms);
  const deleteTimeout = Math.max(180_000, 20 * deleteBound.ms);
  const testTimeout = readyTimeout + deleteTimeout + (STEADY_S + 420) * 1000 + 2 * RESTART_WINDOW_MS;

  it('applies, holds, restarts and deletes; prints the cost', { timeout: testTimeout }, async () => {
    const header = [
      '',
      `== scale: ${N} VpcEndpointService resources, real kube-apiserver + etcd, operator from dist/`,
      `   machine: ${machine()}`,
      `   N ${N}; operator --cloud-qps ${QPS} --cloud-burst ${BURST} --resync-period ${RESYNC_S}s ` +
        `(restarted operator: --resync-period ${RESTART_RESYNC}), ` +
        `${WORKERS ? `--max-concurrent-reconciles ${WORKERS}` : 'default --max-concurrent-reconciles'}; ` +
        `simulator create delay ${secs(CREATE_DELAY_MS)}, delete delay ${secs(DELETE_DELAY_MS)}, ` +
        (SIM_QPS
          ? `throttling all calls together at ${SIM_QPS}/s (${SIM_THROTTLE_MODE === '429' ? '429 APIGW.0308' : '400 EndPoint.0022'}); `
          : 'no throttling; ') +
        `apply: ${APPLY_CONCURRENCY} parallel creates`,
      `   restart and idle baseline: --cloud-qps ${RESTART_QPS} --cloud-burst ${RESTART_BURST} --resync-period ${RESTART_RESYNC}; ` +
        `window ${secs(RESTART_WINDOW_MS)}; a new resource applied ${secs(PROBE_DELAY_MS)} after ready; ` +
        `the delete phase runs on an operator with the apply's flags`,
    ];
    console.log(header.join('\n'));

    // Refusals by the simulator's quota: per phase, and all of them over the run (counters reset per phase).
    let throttledAll = 0;
    const throttledNow = (): number => sum(sim.controls.throttled());
    const resetCounters = (): void => {
      throttledAll += throttledNow();
      sim.controls.resetCounters();
    };

    // ---- setup: the idle baseline (one new resource on an operator with nothing else to do); the tracker
    op = launchDefaults();
    await operatorReady(op, 60_000);
    tracker = new ResourceTracker(k.kc, k.custom, ns, nowMs);
    await tracker.start();
    const t = tracker;
    const vpcId = uuid();
    /** Applies `name` and waits for it Ready; ms from the create's return to Ready (the tracker's times). */
    const probe = async (name: string): Promise<number> => {
      const at = nowMs();
      await createCR(k.custom, ns, name, specFor({ vpcId, portId: uuid() }));
      await waitUntil(
        () => t.seen.get(name)?.readyAt !== undefined,
        () => `${name} Ready`,
        120_000,
      );
      return (t.seen.get(name)?.readyAt ?? NaN) - at;
    };
    /** Deletes `name` and waits until it and its cloud service are gone (`services` left after it). */
    const unprobe = async (name: string, services: number): Promise<void> => {
      await deleteCR(k.custom, ns, name);
      await waitUntil(
        () => t.seen.get(name)?.goneAt !== undefined && sim.controls.services().length === services,
        () => `${name} gone (${sim.controls.services().length} services)`,
        120_000,
      );
    };
    await sleep(PROBE_DELAY_MS);
    resetCounters();
    const idleProbeMs = await probe('probe-idle');
    const idleProbeCalls = sim.controls.counters();
    await unprobe('probe-idle', 0);
    const idleProbeStop = await op.stop();

    op = launch(`${RESYNC_S}s`);
    await operatorReady(op, 60_000);
    await sleep(2_000);
    const idleRss = rssOf(op.proc.pid);

    const names = Array.from({ length: N }, (_, i) => `scale-${String(i).padStart(4, '0')}`);
    const specs = new Map(names.map((n) => [n, specFor({ vpcId, portId: uuid() })]));

    // ---- apply -> all Ready ------------------------------------------------------------------------------
    const kubeBefore = await sampleWrites(k.kc, GROUP, PLURAL);
    resetCounters();
    const cpuApply = readCpu(op.proc.pid);
    const t0 = nowMs();
    let applyPosts = 0;
    await pool(names, APPLY_CONCURRENCY, async (name) => {
      applyPosts++;
      await createCR(k.custom, ns, name, specs.get(name) ?? specFor());
    });
    const applyReturned = nowMs() - t0;
    await waitUntil(
      () => t.readyCount() >= N,
      () => `all ${N} Ready (${t.readyCount()} Ready so far)`,
      readyTimeout,
    );
    const readyMs = Math.max(...names.map((n) => t.seen.get(n)?.readyAt ?? Infinity)) - t0;
    const cpuReady = readCpu(op.proc.pid);
    const cloudReady = sim.controls.counters();
    const throttledReady = throttledNow();
    resetCounters();
    const steadyStart = nowMs();
    await sleep(500); // lets the response of the last write be counted before the scrape
    const kubeReady = await sampleWrites(k.kc, GROUP, PLURAL);

    const ref = { group: GROUP, version: VERSION, plural: PLURAL, namespace: ns };
    const listCRs = async (): Promise<VpcEndpointService[]> =>
      ((await k.custom.listNamespacedCustomObject(ref)) as KubernetesListObject<VpcEndpointService>).items;
    const atReady = await listCRs();
    const notReady = atReady.filter((c) => !isReady(c)).map((c) => c.metadata.name ?? '');
    const ownedAtReady = ownershipProblems(atReady, sim, N);

    // ---- steady state ----------------------------------------------------------------------------------
    const rssSamples: number[] = [];
    while (nowMs() - steadyStart < STEADY_S * 1000) {
      await sleep(Math.min(2_000, STEADY_S * 1000 - (nowMs() - steadyStart)));
      const r = rssOf(op.proc.pid);
      if (r) rssSamples.push(r.rss);
    }
    const cloudSteady = sim.controls.counters();
    const throttledSteady = throttledNow();
    const steadyMs = nowMs() - steadyStart;
    const kubeSteady = await sampleWrites(k.kc, GROUP, PLURAL);
    const steadyRss = rssOf(op.proc.pid);
    const steadyHeap = await heapOf(op);

    // ---- restart: SIGTERM, a new operator at the defaults; a new resource 3 s after it is ready ----------
    resetCounters();
    const kubeBeforeRestart = await sampleWrites(k.kc, GROUP, PLURAL);
    const stopCode = await op.stop();
    const calls = new RateSampler(() => sum(sim.controls.counters()));
    calls.start();
    const spawnedAt = nowMs();
    op = launchDefaults();
    await operatorReady(op, 60_000);
    const restartReady = nowMs();
    await sleep(PROBE_DELAY_MS);
    const restartProbeMs = await probe('probe-restart');
    while (nowMs() - restartReady < RESTART_WINDOW_MS) await sleep(100);
    calls.stop();
    const restartRss = rssOf(op.proc.pid);
    const restartHeap = await heapOf(op);
    const restartWindowMs = nowMs() - restartReady;
    const cloudRestart = sim.controls.counters();
    const throttledRestart = throttledNow();
    const kubeRestart = await sampleWrites(k.kc, GROUP, PLURAL);
    await unprobe('probe-restart', N);
    const afterRestart = await listCRs();
    const ownedAfterRestart = ownershipProblems(afterRestart, sim, N);
    const restartStopCode = await op.stop();
    op = launch(`${RESYNC_S}s`);
    await operatorReady(op, 60_000);

    // ---- delete all -> every resource gone, no service left -------------------------------------------------
    resetCounters();
    const kubeBeforeDelete = await sampleWrites(k.kc, GROUP, PLURAL);
    const cpuDelete = readCpu(op.proc.pid);
    const d0 = nowMs();
    // One DELETE of the collection; beyond DELETE_COLLECTION_MAX the apiserver's 60 s request timeout
    // cuts a collection delete short (504), so the resources are deleted one by one, in parallel.
    const deleteRequests = N > DELETE_COLLECTION_MAX ? N : 1;
    if (deleteRequests === 1) await k.custom.deleteCollectionNamespacedCustomObject(ref);
    else await pool(names, APPLY_CONCURRENCY, (name) => deleteCR(k.custom, ns, name));
    const deleteReturned = nowMs() - d0;
    let simEmptyAt: number | undefined;
    await waitUntil(
      () => {
        const left = sim.controls.services().length;
        if (left === 0 && simEmptyAt === undefined) simEmptyAt = nowMs();
        if (left > 0) simEmptyAt = undefined;
        return t.presentCount() === 0 && left === 0;
      },
      () => `all gone (${t.presentCount()} resources, ${sim.controls.services().length} services left)`,
      deleteTimeout,
    );
    const lastGone = Math.max(...names.map((n) => t.seen.get(n)?.goneAt ?? Infinity));
    const goneMs = Math.max(lastGone, simEmptyAt ?? Infinity) - d0;
    const cpuGone = readCpu(op.proc.pid);
    const cloudDelete = sim.controls.counters();
    const throttledDelete = throttledNow();
    throttledAll += throttledDelete;
    await sleep(500);
    const kubeDelete = await sampleWrites(k.kc, GROUP, PLURAL);
    const leftCRs = await listCRs();
    const leftServices = sim.controls.services();

    // ---- print -------------------------------------------------------------------------------------------
    const readyTimes = names.map((n) => (t.seen.get(n)?.readyAt ?? NaN) - t0);
    // Where the client is the bottleneck: the last resource exists only once the apply returned, and is
    // not Ready before the cloud's create delay after that (likewise the delete), whatever the operator.
    const readyBoundMs = Math.max(readyBound.ms, applyReturned + CREATE_DELAY_MS);
    const deleteBoundMs = Math.max(deleteBound.ms, deleteReturned + DELETE_DELAY_MS);
    const clientBound = (boundMs: number, rateMs: number, returned: number, delay: number): string[] =>
      boundMs > rateMs
        ? [
            `   client-bound: the request(s) returned after ${secs(returned)}, so the bound is ${secs(returned)} + delay ` +
              `${secs(delay)} = ${secs(boundMs)} (the rate bound ${secs(rateMs)} is lower)`,
          ]
        : [];
    printTable(
      `scale: time to all Ready / all gone (N ${N}, qps ${QPS}, burst ${BURST})`,
      ['phase', 'actual', 'lower bound', 'bound/actual'],
      [
        ['apply -> all Ready', secs(readyMs), secs(readyBoundMs), ratio(readyBoundMs, readyMs)],
        ['delete -> all gone', secs(goneMs), secs(deleteBoundMs), ratio(deleteBoundMs, goneMs)],
      ],
      [
        `Ready bound:  ${readyBound.formula}`,
        ...clientBound(readyBoundMs, readyBound.ms, applyReturned, CREATE_DELAY_MS),
        `   with ${sum(MIN_READY_CALLS)} calls per resource at least (${JSON.stringify(MIN_READY_CALLS)}), delay = create delay`,
        `Delete bound: ${deleteBound.formula}`,
        `   with ${sum(MIN_DELETE_CALLS)} calls per resource at least (${JSON.stringify(MIN_DELETE_CALLS)}), delay = delete delay;`,
        ...clientBound(deleteBoundMs, deleteBound.ms, deleteReturned, DELETE_DELAY_MS),
        `   gone = every resource deleted (finalizer released) and the simulator holding no service`,
        `the apply (${applyPosts} creates) returned after ${secs(applyReturned)} = ${ratio(applyReturned, readyMs)} of the time to all Ready; ` +
          `the delete (${deleteRequests === 1 ? 'one DELETE of the collection' : `${N} DELETEs, ${APPLY_CONCURRENCY} in parallel`}) after ${secs(deleteReturned)}`,
        `CPU, apply -> all Ready: ${describeCpu(cpuApply, cpuReady, N)}`,
        `CPU, delete -> all gone: ${describeCpu(cpuDelete, cpuGone, N)}`,
        `per resource, apply start -> Ready: p50 ${secs(median(readyTimes))}, p90 ${secs(p(readyTimes, 0.9))}, ` +
          `max ${secs(readyMs)}; watch re-lists: ${t.relists}`,
        ...(readyMs < readyBoundMs || goneMs < deleteBoundMs
          ? [
              'NOTE: faster than the bound: the operator made fewer calls than assumed, or exceeded --cloud-qps',
            ]
          : []),
      ],
    );

    if (SIM_QPS) {
      // Answered calls (the refusals taken out) a second over each wave, against the quota.
      const answered = (c: Record<string, number>, refused: number): number => sum(c) - refused;
      const rateOf = (c: Record<string, number>, refused: number, ms: number): number =>
        answered(c, refused) / (ms / 1000);
      const readyRate = rateOf(cloudReady, throttledReady, readyMs);
      const deleteRate = rateOf(cloudDelete, throttledDelete, goneMs);
      const refusal = SIM_THROTTLE_MODE === '429' ? '429 APIGW.0308' : '400 EndPoint.0022';
      printTable(
        `scale: under a cloud quota of ${SIM_QPS} calls/s (all operations together; operator --cloud-qps ${QPS} --cloud-burst ${BURST})`,
        ['figure', 'value', 'note'],
        [
          [
            'apply -> all Ready: answered calls/s ÷ Q',
            `${num(readyRate)} / ${SIM_QPS} = ${ratio(readyRate, SIM_QPS)}`,
            `${answered(cloudReady, throttledReady)} answered calls over ${secs(readyMs)} (target >= 0.90x)`,
          ],
          [
            'delete -> all gone: answered calls/s ÷ Q',
            `${num(deleteRate)} / ${SIM_QPS} = ${ratio(deleteRate, SIM_QPS)}`,
            `${answered(cloudDelete, throttledDelete)} answered calls over ${secs(goneMs)}`,
          ],
          [
            `throttled answers (${refusal})`,
            `apply ${throttledReady}, steady ${throttledSteady}, restart ${throttledRestart}, delete ${throttledDelete}`,
            `whole run (idle baseline and probes too): ${throttledAll}` +
              (QPS <= SIM_QPS
                ? ' (target 0 with --cloud-qps <= Q)'
                : ' (--cloud-qps above Q: refused, backed off, retried)'),
          ],
        ],
        [
          `the waves include their tails (the last creates, or DELETEs, waiting out the cloud delay): at the bound, ` +
            `the minimum calls would give ${ratio((sum(MIN_READY_CALLS) * N * 1000) / readyBound.ms, SIM_QPS)} (Ready) ` +
            `and ${ratio((sum(MIN_DELETE_CALLS) * N * 1000) / deleteBound.ms, SIM_QPS)} (delete)`,
        ],
      );
    }

    const ops = [...new Set([...Object.keys(cloudReady), ...Object.keys(cloudDelete)])].sort();
    const cloudRow = (op: string): Cell[] => [
      op,
      cloudReady[op] ?? 0,
      num((cloudReady[op] ?? 0) / N),
      MIN_READY_CALLS[op] ?? 0,
      cloudDelete[op] ?? 0,
      num((cloudDelete[op] ?? 0) / N),
      MIN_DELETE_CALLS[op] ?? 0,
    ];
    printTable(
      'scale: cloud calls per resource by operation (simulator counters)',
      ['operation', 'apply->Ready', 'per resource', 'minimum', 'delete', 'per resource', 'minimum'],
      [
        ...ops.map(cloudRow),
        [
          'total',
          sum(cloudReady),
          num(sum(cloudReady) / N),
          sum(MIN_READY_CALLS),
          sum(cloudDelete),
          num(sum(cloudDelete) / N),
          sum(MIN_DELETE_CALLS),
        ],
      ],
      [
        `minimum/actual: to Ready ${ratio(sum(MIN_READY_CALLS) * N, sum(cloudReady))}, ` +
          `delete ${ratio(sum(MIN_DELETE_CALLS) * N, sum(cloudDelete))} ` +
          `(the --resync-period of ${RESYNC_S}s also requeues resources still creating)`,
      ],
    );

    // Kubernetes writes: the benchmark's own (N POSTs, one delete of the collection) taken out. The
    // apiserver files a collection delete under DELETECOLLECTION or DELETE (namespace scope) by version.
    const own = (s: RequestSample, keys: string[], n: number): RequestSample => {
      const writes = new Map(s.writes);
      const key = keys.find((k) => (writes.get(k) ?? 0) >= n) ?? keys[0] ?? '';
      const left = (writes.get(key) ?? 0) - n;
      if (left === 0) writes.delete(key);
      else writes.set(key, left);
      return { writes, failed: s.failed };
    };
    const wReady = own(diffWrites(kubeBefore, kubeReady), ['POST'], applyPosts);
    const wSteady = diffWrites(kubeReady, kubeSteady);
    const wRestart = own(diffWrites(kubeBeforeRestart, kubeRestart), ['POST'], 1); // the probe's POST
    const wDelete = own(
      diffWrites(kubeBeforeDelete, kubeDelete),
      deleteRequests === 1 ? ['DELETECOLLECTION', 'DELETE'] : ['DELETE'],
      deleteRequests,
    );
    const phases = [wReady, wSteady, wRestart, wDelete];
    const keys = [...new Set(phases.flatMap((w) => [...w.writes.keys()]))].sort();
    const total = (w: RequestSample): number => [...w.writes.values()].reduce((s, n) => s + n, 0);
    const failedTotal = (w: RequestSample): number => [...w.failed.values()].reduce((s, n) => s + n, 0);
    const split = splitWrites(wReady.writes);
    const splitDelete = splitWrites(wDelete.writes);
    const readyPerResource = total(wReady) / N;
    printTable(
      'scale: Kubernetes writes to vpcendpointservices (apiserver_request_total, by verb and subresource)',
      ['write', 'apply->Ready', 'per resource', 'steady', 'restart', 'delete', 'per resource'],
      [
        ...keys.map((key): Cell[] => [
          key,
          wReady.writes.get(key) ?? 0,
          num((wReady.writes.get(key) ?? 0) / N),
          wSteady.writes.get(key) ?? 0,
          wRestart.writes.get(key) ?? 0,
          wDelete.writes.get(key) ?? 0,
          num((wDelete.writes.get(key) ?? 0) / N),
        ]),
        [
          'metadata (main resource)',
          split.metadata,
          num(split.metadata / N),
          splitWrites(wSteady.writes).metadata,
          splitWrites(wRestart.writes).metadata,
          splitDelete.metadata,
          num(splitDelete.metadata / N),
        ],
        [
          'status (subresource)',
          split.status,
          num(split.status / N),
          splitWrites(wSteady.writes).status,
          splitWrites(wRestart.writes).status,
          splitDelete.status,
          num(splitDelete.status / N),
        ],
        [
          'total',
          total(wReady),
          num(readyPerResource),
          total(wSteady),
          total(wRestart),
          total(wDelete),
          num(total(wDelete) / N),
        ],
      ],
      [
        `excluding the benchmark's own ${applyPosts} POSTs (the apply) and its ${deleteRequests === 1 ? 'one DELETECOLLECTION' : `${deleteRequests} DELETEs`} (the delete);`,
        `   all response codes counted; of them non-2xx: apply->Ready ${failedTotal(wReady)}, steady ${failedTotal(wSteady)}, ` +
          `restart ${failedTotal(wRestart)}, delete ${failedTotal(wDelete)}`,
        `writes per resource to Ready: metadata ${num(split.metadata / N)} + status ${num(split.status / N)} = ${num(readyPerResource)} ` +
          `(goal of the reconciler work: <= 3.0, i.e. goal/actual ${ratio(3, readyPerResource)})`,
        `steady window (${secs(steadyMs)}): 0 writes expected; restart window: only the new resource's writes to Ready`,
      ],
    );

    const steadyGets = cloudSteady['get'] ?? 0;
    // One GET and one connection list per resource per resync, unless --cloud-qps cannot grant that many.
    const expectedGets = Math.min((N * steadyMs) / (RESYNC_S * 1000), (QPS * steadyMs) / 1000 / 2);
    const rssRow = (
      label: string,
      r: { rss: number; hwm: number } | undefined,
      h?: { used: number; total: number },
    ): Cell[] => [
      label,
      r ? `${num(r.rss)} MiB` : 'n/a',
      r ? `${num(r.hwm)} MiB` : 'n/a',
      h ? `${num(h.used)} / ${num(h.total)} MiB` : 'n/a',
    ];
    printTable(
      `scale: steady state (${secs(steadyMs)} window after all Ready, --resync-period ${RESYNC_S}s)`,
      ['figure', 'value', 'note'],
      [
        [
          'Kubernetes writes',
          total(wSteady),
          total(wSteady) === 0 ? 'expected 0: ok' : 'expected 0: UNEXPECTED',
        ],
        ['cloud calls by operation', JSON.stringify(cloudSteady), ''],
        [
          'cloud GETs vs N·window/resync',
          `${steadyGets} / ${num(expectedGets)}`,
          `${ratio(steadyGets, expectedGets)} (about 1.00x = one GET per resource per resync, ` +
            `or half of --cloud-qps when that is less)`,
        ],
      ],
    );
    printTable(
      'scale: operator memory (/proc/<pid>/status)',
      ['operator', 'VmRSS', 'VmHWM (peak)', 'V8 heap used / total'],
      [
        rssRow('idle, 0 resources', idleRss),
        rssRow(`steady, ${N} Ready`, steadyRss, steadyHeap),
        rssRow(`restarted, end of its ${secs(RESTART_WINDOW_MS)} window`, restartRss, restartHeap),
      ],
      [
        idleRss && steadyRss
          ? `steady/idle ${ratio(steadyRss.rss, idleRss.rss)}; ${num(((steadyRss.rss - idleRss.rss) * 1024) / N)} KiB per resource ` +
            `above idle; RSS over the window: min ${num(Math.min(...rssSamples))}, max ${num(Math.max(...rssSamples))} MiB`
          : 'RSS not readable here (no /proc)',
      ],
    );
    // The rechecks: the window's GETs but the new resource's own (as many as it took on the idle operator).
    const probeGets = idleProbeCalls['get'] ?? 0;
    const restartGets = Math.max(0, (cloudRestart['get'] ?? 0) - probeGets);
    const spreadGets = (N * restartWindowMs) / RESTART_RESYNC_MS;
    // The schedule itself: the resources whose place in the spread falls within the window (counted
    // from the spawn: the controller starts between the spawn and /readyz 200).
    const scheduled = names.filter(
      (n) => spreadOffset(`${ns}/${n}`, RESTART_RESYNC_MS) < restartWindowMs + (restartReady - spawnedAt),
    ).length;
    const peak = calls.maxPerSecond();
    const probeCalls = sum(idleProbeCalls);
    const probeWrites = Math.round(readyPerResource);
    printTable(
      `scale: restart (SIGTERM, new operator at --cloud-qps ${RESTART_QPS} --cloud-burst ${RESTART_BURST} ` +
        `--resync-period ${RESTART_RESYNC}; window ${secs(restartWindowMs)} after it was ready)`,
      ['figure', 'value', 'note'],
      [
        ['old operator exit code on SIGTERM', String(stopCode), stopCode === 0 ? 'ok' : 'UNEXPECTED'],
        [
          'new resource: apply -> Ready, after the restart',
          secs(restartProbeMs),
          `applied ${secs(PROBE_DELAY_MS)} after /readyz 200, with ${N} resources to recheck`,
        ],
        [
          'new resource: apply -> Ready, idle operator',
          secs(idleProbeMs),
          `same flags, 0 other resources; after-restart/idle ${ratio(restartProbeMs, idleProbeMs)}`,
        ],
        [
          'cloud calls in the busiest second',
          `${peak.calls}`,
          `at ${secs(peak.at)} from spawn; vs --cloud-qps ${RESTART_QPS}: ${ratio(peak.calls, RESTART_QPS)} ` +
            `(the operator's bucket starts empty: at most ${RESTART_QPS} in its first second, ` +
            `then up to burst + qps = ${RESTART_QPS + RESTART_BURST} in a second after a quiet spell)`,
        ],
        [
          'Kubernetes writes',
          total(wRestart),
          total(wRestart) <= probeWrites
            ? `expected only the new resource's ${probeWrites} (its POST excluded): ok`
            : `expected only the new resource's ${probeWrites} (its POST excluded): UNEXPECTED`,
        ],
        [
          'cloud calls by operation',
          JSON.stringify(cloudRestart),
          `including the new resource's (on the idle operator ${probeCalls}: ${JSON.stringify(idleProbeCalls)})`,
        ],
        [
          `rechecks (GETs but the new resource's ${probeGets}) in the window vs N·window/resync`,
          `${restartGets} / ${num(spreadGets)}`,
          `${ratio(restartGets, spreadGets)} (about 1.00x: spread over the period; the spread's own schedule ` +
            `puts ${scheduled} in the window, ${ratio(restartGets, scheduled)}; all at once would be ` +
            `min(N, burst + qps·window) = ${Math.round(Math.min(N, RESTART_BURST + (RESTART_QPS * restartWindowMs) / 1000))})`,
        ],
        [
          'spawn to /readyz 200',
          secs(restartReady - spawnedAt),
          `restarted operator exit code on SIGTERM ${restartStopCode}`,
        ],
      ],
    );

    // ---- wrong behaviour fails the run (figures printed first) ----------------------------------------------
    expect(firstFew(notReady), 'resources not Ready when all were seen Ready').toEqual([]);
    expect(firstFew(ownedAtReady), 'exactly one owned service per resource at Ready').toEqual([]);
    expect(firstFew(ownedAfterRestart), 'exactly one owned service per resource after the restart').toEqual(
      [],
    );
    expect(
      leftCRs.map((c) => c.metadata.name),
      'resources left after the deletion',
    ).toEqual([]);
    expect(
      leftServices.map((s) => s.id),
      'cloud services left after the deletion',
    ).toEqual([]);
    expect(stopCode, 'operator exit code on SIGTERM').toBe(0);
    expect(idleProbeStop, 'idle-baseline operator exit code on SIGTERM').toBe(0);
    expect(restartStopCode, 'restarted operator exit code on SIGTERM').toBe(0);
    expect(await op.stop(), 'restarted operator exit code on SIGTERM').toBe(0);
    op = undefined;
  });
});
