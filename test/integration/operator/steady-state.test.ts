import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../src/simulator/index.js';
import { testKube, type TestKube } from '../support/kube.js';
import {
  createCR,
  getCR,
  isReady,
  specFor,
  startOperator,
  startTestSimulator,
  uuid,
  waitForCR,
  type OperatorProcess,
} from '../support/operator.js';

const PERIOD_S = 2;
const PERIODS = 5;
const NAMES = ['s1', 's2', 's3'];

describe('steady state of Ready resources', () => {
  let k: TestKube;
  let ns: string;
  let sim: Simulator;
  let op: OperatorProcess;

  beforeAll(async () => {
    k = testKube();
    ns = await k.freshNamespace('steady');
    sim = await startTestSimulator({ createDelayMs: 300 });
    op = startOperator({
      kubeconfig: k.kubeconfig,
      simUrl: sim.url,
      namespaces: [ns],
      args: [`--resync-period=${PERIOD_S}s`],
    });
  });
  afterAll(async () => {
    expect(await op?.stop()).toBe(0);
    await sim?.close();
  });

  it(`makes zero status writes and one GET per resource per resync period (${PERIODS} periods)`, async () => {
    for (const n of NAMES) await createCR(k.custom, ns, n, specFor({ portId: uuid(), vpcId: uuid() }));
    for (const n of NAMES) await waitForCR(k.custom, ns, n, isReady, `${n} Ready`);
    // Let the first resync after Ready pass, then measure whole periods.
    await new Promise((r) => setTimeout(r, PERIOD_S * 1000 * 1.5));
    const rv0 = await Promise.all(
      NAMES.map(async (n) => (await getCR(k.custom, ns, n))?.metadata.resourceVersion),
    );
    const c0 = sim.controls.counters();
    await new Promise((r) => setTimeout(r, PERIOD_S * 1000 * PERIODS));
    const rv1 = await Promise.all(
      NAMES.map(async (n) => (await getCR(k.custom, ns, n))?.metadata.resourceVersion),
    );
    const c1 = sim.controls.counters();
    const gets = (c1.get ?? 0) - (c0.get ?? 0);
    const others = Object.keys(c1)
      .filter((op) => op !== 'get')
      .reduce((sum, op) => sum + (c1[op] ?? 0) - (c0[op] ?? 0), 0);
    console.log(
      `steady state over ${PERIODS} periods x ${NAMES.length} resources: ${gets} GETs, ${others} other calls`,
    );
    expect(rv1).toEqual(rv0);
    expect(others).toBe(0);
    // One GET per resource per period; ±10 % jitter allows one more or one fewer per resource.
    expect(gets).toBeGreaterThanOrEqual(NAMES.length * (PERIODS - 1));
    expect(gets).toBeLessThanOrEqual(NAMES.length * (PERIODS + 1));
  });
});
