import { describe, expect, it } from 'vitest';
import {
  createCR,
  getCR,
  isReady,
  specFor,
  uuid,
  waitForCR,
  useOperatorFixture,
} from '../support/operator.js';

const PERIOD_S = 2;
const PERIODS = 5;
const NAMES = ['s1', 's2', 's3'];

describe('steady state of Ready resources', () => {
  const f = useOperatorFixture('steady', {
    sim: { createDelayMs: 300 },
    args: [`--resync-period=${PERIOD_S}s`],
  });

  it(`makes zero status writes, and one GET and one connection list per resource per resync period (${PERIODS} periods)`, async () => {
    for (const n of NAMES) await createCR(f.k.custom, f.ns, n, specFor({ portId: uuid(), vpcId: uuid() }));
    for (const n of NAMES) await waitForCR(f.k.custom, f.ns, n, isReady, `${n} Ready`);
    // Let the first resync after Ready pass, then measure whole periods.
    await new Promise((r) => setTimeout(r, PERIOD_S * 1000 * 1.5));
    const rv0 = await Promise.all(
      NAMES.map(async (n) => (await getCR(f.k.custom, f.ns, n))?.metadata.resourceVersion),
    );
    const c0 = f.sim.controls.counters();
    await new Promise((r) => setTimeout(r, PERIOD_S * 1000 * PERIODS));
    const rv1 = await Promise.all(
      NAMES.map(async (n) => (await getCR(f.k.custom, f.ns, n))?.metadata.resourceVersion),
    );
    const c1 = f.sim.controls.counters();
    const gets = (c1.get ?? 0) - (c0.get ?? 0);
    // Each sync also reads the service's connections (status.connections shows who waits for approval).
    const lists = (c1.listConnections ?? 0) - (c0.listConnections ?? 0);
    const others = Object.keys(c1)
      .filter((name) => name !== 'get' && name !== 'listConnections')
      .reduce((sum, name) => sum + (c1[name] ?? 0) - (c0[name] ?? 0), 0);
    console.log(
      `steady state over ${PERIODS} periods x ${NAMES.length} resources: ${gets} GETs, ${lists} connection lists, ${others} other calls`,
    );
    expect(rv1).toEqual(rv0);
    expect(others).toBe(0);
    expect(lists).toBe(gets);
    // One GET per resource per period; ±10 % jitter allows one more or one fewer per resource.
    expect(gets).toBeGreaterThanOrEqual(NAMES.length * (PERIODS - 1));
    expect(gets).toBeLessThanOrEqual(NAMES.length * (PERIODS + 1));
  });
});
