/**
 * The reconciler's decisions on virtual time: a real VpcepClient against the simulator on loopback
 * (real signatures, real error codes), an in-memory ResourceOps, and one ManualClock shared by the
 * reconciler, the client and the simulator. A small driver plays the workqueue: it runs one pass,
 * then moves virtual time by the requeue the pass asked for, and repeats.
 *
 * Determinism: time moves only through the driver (between passes) and through the client's own
 * sleeps (limiter waits, retry backoff), which advance the shared clock (as the simulator's contract
 * tests do), so no pass ever waits on a timer nobody fires. Signatures are dated on the same virtual
 * clock, so the simulator's 15-minute skew check holds however far a test moves time.
 */
import { afterEach } from 'vitest';
import { ConditionType } from '../../../src/api/constants.js';
import { getCondition } from '../../../src/api/conditions.js';
import type { Condition, VpcEndpointService, VpcEndpointServiceSpec } from '../../../src/api/types.js';
import { VpcepClient, type VpcepClientOptions } from '../../../src/cloud/client.js';
import { VpcEndpointServiceReconciler, type ReconcilerOptions } from '../../../src/controller/reconciler.js';
import { ManualClock } from '../../../src/util/clock.js';
import { silentLogger, type Logger } from '../../../src/runtime/logging.js';
import { TerminalError } from '../../../src/runtime/reconcile.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../../src/simulator/index.js';
import { FakeResourceOps } from './fake-resource-ops.js';

export const AK = 'RECONCILERTESTAK0001';
export const SK = 'reconciler-test-secret-key-0123456789';
export const PROJECT = '5f0c1e2d3c4b5a69788796a5b4c3d2e1';
export const VPC = '0d4e9f1a-6b2c-4d3e-8f5a-1b2c3d4e5f60';
export const PORT = '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d';
export const NS = 'default';
export const RESYNC_MS = 10 * 60_000;
export const CREATE_DELAY_MS = 90_000;
export const DELETE_DELAY_MS = 10_000;

/** What one pass told the workqueue. */
export type Outcome =
  | { kind: 'requeue'; ms: number }
  | { kind: 'done' }
  | { kind: 'terminal'; message: string }
  | { kind: 'retry'; error: unknown };

/** One pass as the driver saw it: when it ended, what it returned, and the object afterwards. */
export interface Step {
  at: number;
  outcome: Outcome;
  cr: VpcEndpointService | undefined;
}

export interface Rig {
  sim: Simulator;
  clock: ManualClock;
  client: VpcepClient;
  ops: FakeResourceOps;
  reconciler: VpcEndpointServiceReconciler;
  /** A new reconciler on the same ops, client and clock: a process restart (per-UID memory lost). */
  restart(): void;
  /** One reconcile of `name`, as the workqueue would run it. */
  pass(name: string, log?: Logger): Promise<Step>;
  /** Passes of `name`, moving time by each requeue, until `until` holds (at most `maxPasses`). */
  drive(name: string, until: (s: Step) => boolean, maxPasses?: number): Promise<Step[]>;
  /** The simulator's call counter of `op` (0 when never called). */
  count(op: string): number;
  /** Every cloud call the simulator received so far. */
  cloudCalls(): number;
}

/** Run after each test, last first (the rig's simulator and client, and anything a test adds). */
export const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

export async function rig(
  simOpts: Partial<SimulatorOptions> = {},
  recOpts: (clock: ManualClock) => Partial<ReconcilerOptions> = () => ({}),
  clientOpts: Partial<VpcepClientOptions> = {},
): Promise<Rig> {
  const clock = new ManualClock();
  const sim = await startSimulator({
    accessKey: AK,
    secretKey: SK,
    projectId: PROJECT,
    createDelayMs: CREATE_DELAY_MS,
    deleteDelayMs: DELETE_DELAY_MS,
    clock,
    ...simOpts,
  });
  const client = new VpcepClient({
    target: { endpoint: sim.url, projectId: PROJECT },
    credentials: { accessKey: AK, secretKey: SK },
    clock: clock.driving(),
    random: () => 0.5,
    signingTime: () => clock.now(),
    ...clientOpts,
  });
  cleanups.push(async () => {
    client.close();
    await sim.close();
  });
  const ops = new FakeResourceOps();
  const make = (): VpcEndpointServiceReconciler =>
    new VpcEndpointServiceReconciler({
      ops,
      credentials: { resolve: async () => ({ client, source: 'test' }) },
      clock,
      resyncMs: RESYNC_MS,
      random: () => 0.5,
      ...recOpts(clock),
    });
  let seq = 0;
  let failures = 0;
  const r: Rig = {
    sim,
    clock,
    client,
    ops,
    reconciler: make(),
    restart() {
      r.reconciler = make();
    },
    async pass(name, log = silentLogger()) {
      let outcome: Outcome;
      try {
        const res = await r.reconciler.reconcile(
          { namespace: NS, name, key: `${NS}/${name}` },
          { reconcileId: `r${++seq}`, log, signal: new AbortController().signal },
        );
        if (res?.requeueAfterMs !== undefined) outcome = { kind: 'requeue', ms: res.requeueAfterMs };
        else if (res?.requeue) outcome = { kind: 'retry', error: undefined };
        else outcome = { kind: 'done' };
      } catch (e) {
        outcome =
          e instanceof TerminalError ? { kind: 'terminal', message: e.message } : { kind: 'retry', error: e };
      }
      return { at: clock.now(), outcome, cr: ops.peek(NS, name) };
    },
    async drive(name, until, maxPasses = 100) {
      const steps: Step[] = [];
      for (let i = 0; i < maxPasses; i++) {
        const step = await r.pass(name);
        steps.push(step);
        if (until(step)) return steps;
        const o = step.outcome;
        if (o.kind === 'requeue') {
          failures = 0;
          await clock.advance(o.ms);
        } else if (o.kind === 'retry') {
          // The workqueue's per-item exponential backoff (client-go: 5 ms doubling, capped at 1000 s).
          await clock.advance(Math.min(5 * 2 ** failures++, 1_000_000));
        } else {
          throw new Error(`nothing requeues ${name} after ${JSON.stringify(o)}; trace: ${trace(steps)}`);
        }
      }
      throw new Error(`${name} did not get there in ${maxPasses} passes; trace: ${trace(steps)}`);
    },
    count: (op) => sim.controls.counters()[op] ?? 0,
    cloudCalls: () => Object.values(sim.controls.counters()).reduce((a, b) => a + b, 0),
  };
  return r;
}

export function spec(over: Partial<VpcEndpointServiceSpec> = {}): VpcEndpointServiceSpec {
  return {
    portId: PORT,
    vpcId: VPC,
    serverType: 'VM',
    serviceName: 'web',
    approvalEnabled: false,
    ports: [{ clientPort: 8080, serverPort: 80, protocol: 'TCP' }],
    ...over,
  };
}

export function ready(cr: VpcEndpointService | undefined): Condition | undefined {
  return getCondition(cr?.status?.conditions, ConditionType.Ready);
}

export function synced(cr: VpcEndpointService | undefined): Condition | undefined {
  return getCondition(cr?.status?.conditions, ConditionType.Synced);
}

export const isReady = (s: Step): boolean => ready(s.cr)?.status === 'True';

/** A readable trace of the passes (for failure messages). */
export function trace(steps: Step[]): string {
  return steps
    .map((s) => {
      const c = ready(s.cr);
      const o = s.outcome;
      const what = o.kind === 'requeue' ? `requeue ${o.ms}` : o.kind;
      return `[${s.at} ${s.cr?.status?.status ?? '-'} ${c?.status ?? '-'}/${c?.reason ?? '-'} ${what}]`;
    })
    .join(' ');
}

/** Creates `name` and drives it to Ready=True. */
export async function readyResource(
  r: Rig,
  name: string,
  over: Partial<VpcEndpointServiceSpec> = {},
): Promise<string> {
  r.ops.create(NS, name, spec(over));
  const steps = await r.drive(name, isReady);
  const id = steps.at(-1)?.cr?.status?.id;
  if (!id) throw new Error('no status.id');
  return id;
}
