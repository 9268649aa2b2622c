import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OWNERSHIP_TAG_KEY } from '../../../src/api/constants.js';
import type { VpcEndpointService } from '../../../src/api/types.js';
import type { Simulator } from '../../../src/simulator/index.js';
import { eventually, testKube, type TestKube } from '../support/kube.js';
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

/** Cloud services carrying the ownership tag of `cr`. */
function owned(sim: Simulator, cr: VpcEndpointService | undefined): string[] {
  return sim.controls
    .services()
    .filter((s) => s.tags?.some((t) => t.key === OWNERSHIP_TAG_KEY && t.value === cr?.metadata.uid))
    .map((s) => s.id);
}

describe('crash-safe create: never two cloud services for one resource', () => {
  let k: TestKube;
  let ns: string;
  let sim: Simulator;
  let op: OperatorProcess | undefined;

  beforeAll(async () => {
    k = testKube();
    ns = await k.freshNamespace('crash');
    sim = await startTestSimulator({ createDelayMs: 500 });
  });
  afterEach(async () => {
    await op?.kill();
    op = undefined;
    sim.controls.clearFaults();
  });
  afterAll(async () => {
    await sim?.close();
  });

  it.each(['reset', '504'] as const)(
    'commit-then-drop (%s) on create leaves exactly one service',
    async (mode) => {
      sim.controls.setFaults({ commitThenDrop: { operation: 'create', count: 1, mode } });
      op = startOperator({ kubeconfig: k.kubeconfig, simUrl: sim.url, namespaces: [ns] });
      const name = `drop-${mode}`;
      await createCR(k.custom, ns, name, specFor({ portId: uuid(), vpcId: uuid() }));
      const cr = await waitForCR(k.custom, ns, name, isReady, 'Ready');
      expect(owned(sim, cr)).toEqual([cr?.status?.id]);
      expect(sim.controls.faults().commitThenDrop?.count).toBe(0);
      expect(op.lines.some((l) => l.includes('create-outcome-unknown'))).toBe(true);
      expect(op.lines.some((l) => l.includes('found-by-tag'))).toBe(true);
    },
  );

  it('an operator killed between the create and the status write does not create twice', async () => {
    // The create is stored at once; its response is held for 20 s: the window to kill the operator in.
    sim.controls.setFaults({
      commitThenDrop: { operation: 'create', count: 1, mode: 'reset', holdMs: 20_000 },
    });
    op = startOperator({ kubeconfig: k.kubeconfig, simUrl: sim.url, namespaces: [ns] });
    await createCR(k.custom, ns, 'killed', specFor({ portId: uuid(), vpcId: uuid() }));
    const pending = await eventually(async () => {
      const cr = await getCR(k.custom, ns, 'killed');
      return owned(sim, cr).length === 1 ? cr : undefined;
    }, 'the create to reach the cloud');
    expect(pending?.status?.id).toBeUndefined();
    await op.kill();
    const createsBefore = sim.controls.counters().create ?? 0;
    op = startOperator({ kubeconfig: k.kubeconfig, simUrl: sim.url, namespaces: [ns] });
    const cr = await waitForCR(k.custom, ns, 'killed', isReady, 'Ready after the restart');
    expect(owned(sim, cr)).toEqual([cr?.status?.id]);
    expect(sim.controls.counters().create ?? 0).toBe(createsBefore);
  });
});
