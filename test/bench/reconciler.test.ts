/**
 * Reconciler throughput, in real time over loopback, without an apiserver: N resources created at
 * once and driven to Ready by the real {@link Controller} (workqueue + 4 workers, the operator's
 * default) running the real reconciler, with the in-memory ResourceOps of the unit tests, the real
 * VPCEP client and the simulator (create delay 0).
 *
 * Time: everything (controller, reconciler, client, simulator) shares a clock that runs 1000x fast,
 * so a 2 s poll waits 2 ms of real time and the wall time is the machinery's, not the cloud's. The
 * resync period is 24 h so no resync fires during the ramp; steady state is measured by moving the
 * clock one period ahead and requeueing every resource (what the resync timer would do).
 *
 * Baseline, measured in alternating rounds: the same cloud calls per resource (tag lookup, create,
 * GET), sent directly with the client by 4 async loops: no workqueue, no reconciler, no status.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { OWNERSHIP_TAG_KEY, ConditionType } from '../../src/api/constants.js';
import { getCondition } from '../../src/api/conditions.js';
import { toCreateRequest } from '../../src/controller/endpoint-service/mapping.js';
import { VpcepClient } from '../../src/cloud/client.js';
import { VpcEndpointServiceReconciler } from '../../src/controller/reconciler.js';
import type { Clock, TimerHandle } from '../../src/util/clock.js';
import { Controller } from '../../src/runtime/controller.js';
import { silentLogger } from '../../src/runtime/logging.js';
import { RuntimeMetrics } from '../../src/runtime/metrics.js';
import type { Reconciler } from '../../src/runtime/reconcile.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { FakeResourceOps } from '../unit/controller/fake-resource-ops.js';
import { AK, benchSpec, NS, PROJECT, SK } from './fixtures.js';
import { cpuMsSince, median, nowMs, printTable, ratio, type Cell } from './harness.js';

const WARP = 1000;
const WORKERS = 4;
const RESYNC_MS = 24 * 3_600_000;
const ROUNDS = 3;
/** A hang guard (a broken harness), not a time limit on the figures. */
const HANG_MS = 60_000;

/** A clock running `factor` times faster than real time, whose `now` can also be moved ahead. */
class WarpClock implements Clock {
  private readonly origin = Date.now();
  private readonly realOrigin = performance.now();
  private offset = 0;

  constructor(private readonly factor: number) {}

  now(): number {
    return Math.floor(this.origin + (performance.now() - this.realOrigin) * this.factor + this.offset);
  }

  /** Moves time ahead by `ms` at once (timers already set keep their real-time deadline). */
  jump(ms: number): void {
    this.offset += ms;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const t = setTimeout(fn, Math.max(0, ms) / this.factor);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = (): void => {
        timer.cancel();
        reject(signal?.reason);
      };
      const timer = this.setTimer(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** A simulator and a client on a warp clock (limiter lifted: the default 10 qps would measure itself). */
async function cloud(
  clock: WarpClock,
): Promise<{ sim: Simulator; client: VpcepClient; close(): Promise<void> }> {
  const sim = await startSimulator({
    accessKey: AK,
    secretKey: SK,
    projectId: PROJECT,
    createDelayMs: 0,
    quota: 100_000,
    clock,
  });
  const client = new VpcepClient({
    target: { endpoint: sim.url, projectId: PROJECT },
    credentials: { accessKey: AK, secretKey: SK },
    clock,
    signingTime: () => clock.now(),
    qps: 1e6,
    burst: 1e6,
  });
  return {
    sim,
    client,
    close: async () => {
      client.close();
      await sim.close();
    },
  };
}

const total = (c: Record<string, number>): number => Object.values(c).reduce((a, b) => a + b, 0);

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}

/** Resolves when `cond()` holds, checking every millisecond; rejects after {@link HANG_MS}. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const start = nowMs();
  while (!cond()) {
    if (nowMs() - start > HANG_MS) throw new Error(`bench harness stuck: ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

interface ReconcilerRun {
  wallMs: number;
  cpuMs: number;
  callsToReady: Record<string, number>;
  passesToReady: number[];
  k8s: { reads: number; statusWrites: number; otherWrites: number; events: number };
  withinPeriod: { calls: number; passes: number };
  resync: { calls: Record<string, number>; passes: number };
}

async function reconcilerRun(n: number): Promise<ReconcilerRun> {
  const clock = new WarpClock(WARP);
  const c = await cloud(clock);
  const ops = new FakeResourceOps();
  const rec = new VpcEndpointServiceReconciler({
    ops,
    credentials: { resolve: async () => ({ client: c.client, source: 'bench' }) },
    clock,
    resyncMs: RESYNC_MS,
  });
  const passes = new Map<string, number>();
  const passesToReady = new Map<string, number>();
  let totalPasses = 0;
  let after: Set<string> | undefined;
  let callsToReady: Record<string, number> = {};
  const counted: Reconciler = async (req, ctx) => {
    const p = (passes.get(req.key) ?? 0) + 1;
    passes.set(req.key, p);
    totalPasses++;
    after?.add(req.key);
    const res = await rec.reconcile(req, ctx);
    // Only a Ready pass asks for a resync-sized requeue (polls ask for 30 s at most).
    if ((res?.requeueAfterMs ?? 0) >= RESYNC_MS * 0.5 && !passesToReady.has(req.key)) {
      passesToReady.set(req.key, p);
      if (passesToReady.size === n) callsToReady = c.sim.controls.counters();
    }
    return res;
  };
  const controller = new Controller({
    name: 'bench',
    reconciler: counted,
    workers: WORKERS,
    clock,
    log: silentLogger(),
    metrics: new RuntimeMetrics(new Registry(), 'bench'),
  });
  const keys: string[] = [];
  for (let i = 0; i < n; i++) {
    ops.create(NS, `svc-${i}`, benchSpec(i));
    keys.push(`${NS}/svc-${i}`);
  }
  const idle = (): boolean => controller.queue.len() === 0 && controller.inFlightKeys().length === 0;
  try {
    const cpu = process.cpuUsage();
    const start = nowMs();
    for (const k of keys) controller.enqueue(k);
    controller.start();
    await until(() => passesToReady.size === n, `${passesToReady.size}/${n} Ready`);
    const wallMs = nowMs() - start;
    const cpuMs = cpuMsSince(cpu);
    for (let i = 0; i < n; i++) {
      const cr = ops.peek(NS, `svc-${i}`);
      expect(getCondition(cr?.status?.conditions, ConditionType.Ready)?.status).toBe('True');
    }
    expect(c.sim.controls.services(PROJECT)).toHaveLength(n);
    const k8s = {
      reads: ops.calls.filter((x) => x.op === 'get').length,
      statusWrites: ops.statusWrites(),
      otherWrites: ops.calls.filter((x) => x.op === 'addFinalizer' || x.op === 'setAnnotations').length,
      events: ops.events.length,
    };
    await until(idle, 'queue idle after the ramp');

    // The informer's relist within the period: every key requeued, nothing should reach the cloud.
    let before = c.sim.controls.counters();
    let passesBefore = totalPasses;
    after = new Set();
    for (const k of keys) controller.enqueue(k);
    await until(() => after?.size === n && idle(), 'requeue within the period');
    const withinPeriod = {
      calls: total(delta(c.sim.controls.counters(), before)),
      passes: totalPasses - passesBefore,
    };

    // One resync period later: every key requeued once more.
    clock.jump(RESYNC_MS);
    before = c.sim.controls.counters();
    passesBefore = totalPasses;
    after = new Set();
    for (const k of keys) controller.enqueue(k);
    await until(() => after?.size === n && idle(), 'requeue after one resync period');
    const resync = { calls: delta(c.sim.controls.counters(), before), passes: totalPasses - passesBefore };
    return {
      wallMs,
      cpuMs,
      callsToReady,
      passesToReady: [...passesToReady.values()],
      k8s,
      withinPeriod,
      resync,
    };
  } finally {
    await controller.stop(1_000);
    await c.close();
  }
}

/** The baseline: the same cloud calls per resource, straight from the client, `WORKERS` loops. */
async function baselineRun(
  n: number,
): Promise<{ wallMs: number; cpuMs: number; calls: Record<string, number> }> {
  const clock = new WarpClock(WARP);
  const c = await cloud(clock);
  try {
    const cpu = process.cpuUsage();
    const start = nowMs();
    let next = 0;
    const loop = async (): Promise<void> => {
      for (let i = next++; i < n; i = next++) {
        const uid = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
        const found = await c.client.queryByTags({ tags: [{ key: OWNERSHIP_TAG_KEY, values: [uid] }] });
        if (found.length > 0) throw new Error('unexpected tag match');
        const svc = await c.client.createService(toCreateRequest(benchSpec(i), uid));
        await c.client.getService(svc.id);
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, loop));
    const wallMs = nowMs() - start;
    const cpuMs = cpuMsSince(cpu);
    expect(c.sim.controls.services(PROJECT)).toHaveLength(n);
    return { wallMs, cpuMs, calls: c.sim.controls.counters() };
  } finally {
    await c.close();
  }
}

const perOp = (calls: Record<string, number>, n: number): string =>
  Object.entries(calls)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([op, v]) => `${op} ${(v / n).toFixed(2)}`)
    .join(', ');

describe('reconciler throughput (real time, loopback, no apiserver)', () => {
  it('N = 50 / 200 resources to Ready through controller + reconciler + client + simulator', async () => {
    const rows: Cell[][] = [];
    const steady: Cell[][] = [];
    // Warm-up (JIT) for both paths.
    await reconcilerRun(50);
    await baselineRun(50);
    for (const n of [50, 200]) {
      const recs: ReconcilerRun[] = [];
      const bases: Array<{ wallMs: number; cpuMs: number; calls: Record<string, number> }> = [];
      for (let r = 0; r < ROUNDS; r++) {
        recs.push(await reconcilerRun(n));
        bases.push(await baselineRun(n));
      }
      const last = recs.at(-1);
      const base = bases.at(-1);
      if (!last || !base) throw new Error('no measurement');
      const wall = median(recs.map((x) => x.wallMs)) / n;
      const cpu = median(recs.map((x) => x.cpuMs)) / n;
      const bWall = median(bases.map((x) => x.wallMs)) / n;
      const bCpu = median(bases.map((x) => x.cpuMs)) / n;
      const calls = total(last.callsToReady) / n;
      const p = last.passesToReady;
      rows.push([
        String(n),
        calls,
        perOp(last.callsToReady, n),
        p.reduce((a, b) => a + b, 0) / n,
        Math.max(...p),
        wall,
        cpu,
        bWall,
        bCpu,
        ratio(wall, bWall),
        ratio(cpu, bCpu),
        ratio(calls, total(base.calls) / n),
      ]);
      const k = last.k8s;
      steady.push([
        String(n),
        `${(k.reads / n).toFixed(2)} / ${(k.statusWrites / n).toFixed(2)} / ${(k.otherWrites / n).toFixed(2)} / ${(k.events / n).toFixed(2)}`,
        last.withinPeriod.calls / n,
        last.withinPeriod.passes / n,
        total(last.resync.calls) / n,
        perOp(last.resync.calls, n),
        last.resync.passes / n,
      ]);
      // Correctness, not time: one GET per resource per resync, nothing inside the period.
      expect(last.withinPeriod.calls).toBe(0);
      // (and the connection list every sync reads, so status.connections shows who waits for approval)
      expect(last.resync.calls).toEqual({ get: n, listConnections: n });
    }
    printTable(
      `Reconciler throughput: N resources to Ready (${WORKERS} workers, create delay 0, clock ${WARP}x fast)`,
      [
        'N',
        'cloud calls/res',
        'by operation (per resource)',
        'reconciles/res',
        'max',
        'wall ms/res',
        'cpu ms/res',
        'base wall ms/res',
        'base cpu ms/res',
        'wall rec/base',
        'cpu rec/base',
        'calls rec/base',
      ],
      rows,
      [
        `median of ${ROUNDS} alternating rounds; base = the same cloud calls (tag lookup, create, GET) sent directly by ${WORKERS} client loops.`,
        'cpu = this process (controller, reconciler, client AND simulator); the client limiter is lifted (default 10 qps:',
        'at that rate N resources would take at least N x calls/res / 10 s).',
      ],
    );
    printTable(
      'Reconciler steady state (same runs)',
      [
        'N',
        'k8s to Ready: reads / status writes / meta writes / events per res',
        'calls/res requeue in period',
        'reconciles/res',
        'calls/res per resync',
        'by operation',
        'reconciles/res',
      ],
      steady,
      [
        'requeue in period = every key requeued again at once (an informer relist): gated, no cloud call;',
        'per resync = the clock moved one resync period ahead, every key requeued: one GET each.',
      ],
    );
  });
});
