/**
 * What the cloud answers is checked before anything is stored or written: a GET answered for another
 * id, an empty id or a `../` id (from a lying proxy in front of the simulator) stores nothing and
 * writes to no other id; a create answered with an empty id is resolved by the ownership tag, never
 * stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWNERSHIP_TAG_KEY } from '../../../src/api/constants.js';
import type { Simulator } from '../../../src/simulator/index.js';
import { eventually, testKube, type TestKube } from '../support/kube.js';
import { startLyingCloud, type LyingCloud } from '../support/lying-cloud.js';
import {
  cond,
  createCR,
  getCR,
  isReady,
  patchCR,
  specFor,
  startOperator,
  startTestSimulator,
  uuid,
  waitForCR,
  type OperatorProcess,
} from '../support/operator.js';

describe('answers from a lying cloud', () => {
  let k: TestKube;
  let ns: string;
  let sim: Simulator;
  let cloud: LyingCloud;
  let op: OperatorProcess;

  beforeAll(async () => {
    k = testKube();
    ns = await k.freshNamespace('untrusted');
    sim = await startTestSimulator({ createDelayMs: 300 });
    cloud = await startLyingCloud(sim.url);
    op = startOperator({ kubeconfig: k.kubeconfig, simUrl: cloud.url, namespaces: [ns] });
  });
  afterAll(async () => {
    const code = await op?.stop();
    await cloud?.close();
    await sim?.close();
    expect(code).toBe(0);
  });

  it('a GET answered with another id, an empty id or a ../ id: nothing stored, no write anywhere', async () => {
    await createCR(
      k.custom,
      ns,
      'bystander',
      specFor({ portId: uuid(), vpcId: uuid(), description: 'theirs' }),
    );
    await createCR(k.custom, ns, 'subject', specFor({ portId: uuid(), vpcId: uuid(), description: 'v1' }));
    const other = (await waitForCR(k.custom, ns, 'bystander', isReady, 'bystander Ready'))!.status!.id!;
    const id = (await waitForCR(k.custom, ns, 'subject', isReady, 'subject Ready'))!.status!.id!;
    const before = JSON.stringify(sim.controls.services().find((s) => s.id === other));

    let generation = 1;
    for (const lie of [other, '', '../../x']) {
      const from = cloud.requests.length;
      cloud.lie({ operation: 'get', forId: id, id: lie });
      generation++;
      await patchCR(k.custom, ns, 'subject', { spec: { description: `v${generation}` } });
      const cr = await waitForCR(
        k.custom,
        ns,
        'subject',
        (c) => cond(c, 'Synced')?.status === 'False' && cond(c, 'Synced')?.observedGeneration === generation,
        `Synced=False for the lie ${JSON.stringify(lie)}`,
      );
      expect(cr?.status?.id).toBe(id);
      expect(cond(cr, 'Synced')?.reason).toBe('ReconcileError');
      const writes = cloud.requests.slice(from).filter((r) => r.method !== 'GET');
      // Only tag lookups (POST …/resource_instances/action) may be sent; no PUT, tag or DELETE at all.
      expect(writes.filter((r) => !r.path.includes('resource_instances'))).toEqual([]);
      expect(cloud.requests.slice(from).some((r) => r.path.includes('..'))).toBe(false);
      expect(JSON.stringify(sim.controls.services().find((s) => s.id === other))).toBe(before);
      expect(sim.controls.services().find((s) => s.id === id)?.description).toBe('v1');
    }

    cloud.lie(undefined);
    const healed = await waitForCR(
      k.custom,
      ns,
      'subject',
      (c) => c?.metadata.generation === generation && isReady(c),
      'Ready once the cloud tells the truth',
    );
    expect(healed?.status?.id).toBe(id);
    expect(sim.controls.services().find((s) => s.id === id)?.description).toBe(`v${generation}`);
    expect(JSON.stringify(sim.controls.services().find((s) => s.id === other))).toBe(before);
  });

  it('a create answered with an empty id is never stored: the service is found by its tag', async () => {
    cloud.lie({ operation: 'create', id: '' });
    try {
      await createCR(k.custom, ns, 'fresh', specFor({ portId: uuid(), vpcId: uuid() }));
      const seen = new Set<string>();
      const ready = await eventually(
        async () => {
          const c = await getCR(k.custom, ns, 'fresh');
          if (c?.status?.id !== undefined) seen.add(c.status.id);
          if (c && cond(c, 'Synced')?.reason === 'CreateOutcomeUnknown') cloud.lie(undefined);
          return isReady(c) ? c : undefined;
        },
        'fresh Ready',
        60_000,
        50,
      );
      const owned = sim.controls
        .services()
        .filter((s) => s.tags?.some((t) => t.key === OWNERSHIP_TAG_KEY && t.value === ready.metadata.uid));
      expect(owned.map((s) => s.id)).toEqual([ready.status?.id]);
      expect([...seen]).toEqual([ready.status?.id]);
    } finally {
      cloud.lie(undefined);
    }
  });
});
