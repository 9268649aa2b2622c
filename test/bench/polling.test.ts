/**
 * Polling cost, on virtual time (deterministic: the figures are the same on every machine).
 *
 * For creates the cloud finishes after 30 s … 300 s: how many GETs a poller sends until it sees
 * `available`, and how long after the service became available it notices. Our adaptive cadence
 * (`pollDelay` of src/controller/timing.ts: 2 s + 10 % of the elapsed time, capped at 30 s) is
 * measured twice: as a model of the schedule, and through the real reconciler + client + simulator on
 * a ManualClock (the rig of test/unit/controller/reconciler.test.ts). The baselines are Terraform's
 * fixed 3 s poll after a 5 s delay and a fixed 10 s poll.
 */
import { describe, expect, it } from 'vitest';
import { VpcepClient } from '../../src/cloud/client.js';
import { pollDelay } from '../../src/managed/timing.js';
import { VpcEndpointServiceReconciler } from '../../src/controller/reconciler.js';
import { ManualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/runtime/logging.js';
import { startSimulator } from '../../src/simulator/index.js';
import { FakeResourceOps } from '../unit/controller/fake-resource-ops.js';
import { AK, benchSpec, NS, PROJECT, SK } from './fixtures.js';
import { printTable, ratio, type Cell } from './harness.js';

const CREATE_SECONDS = [30, 60, 90, 120, 300];

/** What a poller costs for one create: GETs sent until it saw `available`, and how late it saw it. */
interface PollCost {
  gets: number;
  noticeDelayMs: number;
}

/**
 * A poller that checks first at `firstMs` after the create returned, then `next(t)` after a check at
 * `t`; the cloud is `available` from `availableMs` on (a check at exactly that time sees it).
 */
function modelPoll(firstMs: number, next: (t: number) => number, availableMs: number): PollCost {
  let t = firstMs;
  let gets = 1;
  while (t < availableMs) {
    t += next(t);
    gets++;
  }
  return { gets, noticeDelayMs: t - availableMs };
}

const ours = (a: number): PollCost => modelPoll(pollDelay(0), (t) => pollDelay(t), a);
const terraform = (a: number): PollCost => modelPoll(5_000, () => 3_000, a);
const fixed10 = (a: number): PollCost => modelPoll(10_000, () => 10_000, a);

/**
 * One create through the reconciler on virtual time: a pass, then time moves by the requeue the pass
 * asked for, until the status says `available`. GETs are the simulator's count; the notice delay is
 * measured from the moment the simulator made the service available.
 */
async function reconcilerPoll(createMs: number): Promise<PollCost & { passes: number; creates: number }> {
  const clock = new ManualClock();
  const sim = await startSimulator({
    accessKey: AK,
    secretKey: SK,
    projectId: PROJECT,
    createDelayMs: createMs,
    clock,
  });
  const client = new VpcepClient({
    target: { endpoint: sim.url, projectId: PROJECT },
    credentials: { accessKey: AK, secretKey: SK },
    clock: clock.driving(),
    random: () => 0.5,
    signingTime: () => clock.now(),
  });
  try {
    const ops = new FakeResourceOps();
    const reconciler = new VpcEndpointServiceReconciler({
      ops,
      credentials: { resolve: async () => ({ client, source: 'bench' }) },
      clock,
      random: () => 0.5,
    });
    ops.create(NS, 'web', benchSpec(0));
    let createdAt: number | undefined;
    for (let passes = 1; passes <= 200; passes++) {
      const res = await reconciler.reconcile(
        { namespace: NS, name: 'web', key: `${NS}/web` },
        { reconcileId: `p${passes}`, log: silentLogger(), signal: new AbortController().signal },
      );
      const cr = ops.peek(NS, 'web');
      if (createdAt === undefined && cr?.status?.id) createdAt = clock.now();
      if (cr?.status?.status === 'available') {
        const counters = sim.controls.counters();
        return {
          gets: counters['get'] ?? 0,
          creates: counters['create'] ?? 0,
          noticeDelayMs: clock.now() - ((createdAt ?? NaN) + createMs),
          passes,
        };
      }
      const wait = res?.requeueAfterMs;
      if (wait === undefined) throw new Error(`pass ${passes} asked for no requeue while creating`);
      await clock.advance(wait);
    }
    throw new Error(`a ${createMs} ms create was not seen in 200 passes`);
  } finally {
    client.close();
    await sim.close();
  }
}

const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/**
 * The mean of `cost` over completion times spread uniformly over `a ± 5 s` (100 ms steps): a fixed
 * poll's lateness depends on where the completion falls between two checks, and round create times
 * (all multiples of 3 s and 10 s here) would flatter or penalise it by accident.
 */
function meanOverPhase(a: number, cost: (a: number) => PollCost): PollCost {
  let gets = 0;
  let late = 0;
  let n = 0;
  for (let d = -5_000; d < 5_000; d += 100, n++) {
    const c = cost(a + d);
    gets += c.gets;
    late += c.noticeDelayMs;
  }
  return { gets: gets / n, noticeDelayMs: late / n };
}

describe('polling cost (virtual time)', () => {
  it('adaptive cadence vs Terraform (3 s poll, 5 s delay) vs a fixed 10 s poll', async () => {
    const getRows: Cell[][] = [];
    const lateRows: Cell[][] = [];
    let totalOurs = 0;
    let totalTf = 0;
    let total10 = 0;
    for (const s of CREATE_SECONDS) {
      const a = s * 1000;
      const model = ours(a);
      const real = await reconcilerPoll(a);
      const tf = terraform(a);
      const f10 = fixed10(a);
      // The reconciler must be the cadence it claims to be (same GETs as the model, give or take the
      // second-resolution `created_at`), and must have created exactly once.
      expect(real.creates).toBe(1);
      expect(Math.abs(real.gets - model.gets)).toBeLessThanOrEqual(1);
      expect(real.noticeDelayMs).toBeGreaterThanOrEqual(0);
      totalOurs += real.gets;
      totalTf += tf.gets;
      total10 += f10.gets;
      getRows.push([
        `${s} s`,
        model.gets,
        real.gets,
        tf.gets,
        f10.gets,
        ratio(real.gets, tf.gets),
        ratio(real.gets, f10.gets),
      ]);
      const mOurs = meanOverPhase(a, ours);
      const mTf = meanOverPhase(a, terraform);
      const m10 = meanOverPhase(a, fixed10);
      lateRows.push([
        `${s} s`,
        sec(real.noticeDelayMs),
        sec(tf.noticeDelayMs),
        sec(f10.noticeDelayMs),
        sec(mOurs.noticeDelayMs),
        sec(mTf.noticeDelayMs),
        sec(m10.noticeDelayMs),
        ratio(mOurs.noticeDelayMs, mTf.noticeDelayMs),
        ratio(mOurs.noticeDelayMs, m10.noticeDelayMs),
        `${((mOurs.noticeDelayMs / a) * 100).toFixed(1)} %`,
      ]);
    }
    getRows.push([
      'total',
      '',
      totalOurs,
      totalTf,
      total10,
      ratio(totalOurs, totalTf),
      ratio(totalOurs, total10),
    ]);
    printTable(
      'Polling cost per create: GETs until `available` is seen (virtual time; deterministic)',
      ['create', 'ours model', 'ours reconciler', 'TF 3s', 'fixed 10s', 'ours/TF', 'ours/10s'],
      getRows,
      [
        'ours = pollDelay(elapsed) = 2 s + 0.1 x elapsed (cap 30 s), as a model and through the real reconciler +',
        'client + simulator on a ManualClock; TF = Terraform StateChangeConf (Delay 5 s, PollInterval 3 s); fixed 10 s',
        'checks first at 10 s. Poll GETs only (not the create, not reads after).',
      ],
    );
    printTable(
      'Polling cost per create: notice delay (time from `available` to the GET that saw it)',
      [
        'create',
        'ours @a',
        'TF @a',
        '10s @a',
        'ours mean',
        'TF mean',
        '10s mean',
        'ours/TF',
        'ours/10s',
        'ours/create',
      ],
      lateRows,
      [
        '@a = completion exactly at the nominal time (ours measured through the reconciler); mean = completion spread',
        'uniformly over a +/- 5 s (model), which removes the luck of round numbers for fixed polls. Ratios use the means.',
      ],
    );
  });
});
