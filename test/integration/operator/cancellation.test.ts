/**
 * Cancellation reaches the cloud calls: a reconcile that times out stops its call in flight (and an
 * aborted create is resolved by the ownership lookup, never duplicated), and SIGTERM with calls hanging
 * in the cloud still exits cleanly within the graceful-shutdown period.
 */
import { describe, expect, it } from 'vitest';
import { OWNERSHIP_TAG_KEY } from '../../../src/api/constants.js';
import { eventually, testKube } from '../support/kube.js';
import {
  cond,
  createCR,
  isReady,
  patchCR,
  specFor,
  startOperator,
  startTestSimulator,
  uuid,
  waitForCR,
} from '../support/operator.js';

describe('cancellation', () => {
  it('a reconcile timeout aborts a hanging create at once; the next passes find it: exactly one service', async () => {
    const k = testKube();
    const ns = await k.freshNamespace('cancel');
    // The simulator holds this create 8 s before applying it; the operator gives a reconcile 2 s.
    const sim = await startTestSimulator({
      createDelayMs: 200,
      faults: { operations: ['create'], match: 'slow-create', latencyMs: { min: 8_000, max: 8_000 } },
    });
    const op = startOperator({
      kubeconfig: k.kubeconfig,
      simUrl: sim.url,
      namespaces: [ns],
      args: ['--reconcile-timeout=2s'],
    });
    try {
      const started = Date.now();
      await createCR(
        k.custom,
        ns,
        'slow',
        specFor({ portId: uuid(), vpcId: uuid(), description: 'slow-create' }),
      );
      await waitForCR(
        k.custom,
        ns,
        'slow',
        (c) => cond(c, 'Synced')?.reason === 'CreateOutcomeUnknown',
        'the aborted create reported as an unknown outcome',
        20_000,
      );
      const stoppedAfter = Date.now() - started;
      console.log(
        `create aborted and reported ${stoppedAfter} ms after the apply (reconcile timeout 2000 ms)`,
      );
      expect(stoppedAfter).toBeLessThan(2_000 + 4_000);
      const ready = await waitForCR(
        k.custom,
        ns,
        'slow',
        isReady,
        'Ready once the held create surfaced',
        60_000,
      );
      const owned = sim.controls
        .services()
        .filter((s) => s.tags?.some((t) => t.key === OWNERSHIP_TAG_KEY && t.value === ready?.metadata.uid));
      expect(owned.map((s) => s.id)).toEqual([ready?.status?.id]);
      expect(sim.controls.counters().create).toBe(1);
    } finally {
      const code = await op.stop();
      await sim.close();
      expect(code).toBe(0);
    }
  });

  it('SIGTERM while cloud calls hang: exit 0 within the graceful-shutdown period', async () => {
    const k = testKube();
    const ns = await k.freshNamespace('sigterm');
    const sim = await startTestSimulator({ createDelayMs: 200 });
    const op = startOperator({
      kubeconfig: k.kubeconfig,
      simUrl: sim.url,
      namespaces: [ns],
      args: ['--graceful-shutdown-timeout=3s', '--reconcile-timeout=5m'],
    });
    await createCR(k.custom, ns, 'steady', specFor({ portId: uuid(), vpcId: uuid() }));
    await waitForCR(k.custom, ns, 'steady', isReady, 'Ready');
    // Every GET now hangs for a minute; a spec change makes the operator GET the service.
    sim.controls.setFaults({ operations: ['get'], latencyMs: { min: 60_000, max: 60_000 } });
    const gets = sim.controls.counters().get ?? 0;
    await patchCR(k.custom, ns, 'steady', { spec: { description: 'changed' } });
    await eventually(
      async () => ((sim.controls.counters().get ?? 0) > gets ? true : undefined),
      'a GET in flight',
      20_000,
    );
    const t0 = Date.now();
    const code = await op.stop();
    const took = Date.now() - t0;
    console.log(
      `SIGTERM with a GET hanging: exit ${code} after ${took} ms (graceful-shutdown-timeout 3000 ms)`,
    );
    sim.controls.clearFaults();
    await sim.close();
    expect(code).toBe(0);
    expect(took).toBeLessThan(3_000 + 2_000);
  });
});
