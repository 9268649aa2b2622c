/**
 * Sharding: two operator processes on one control plane, `--selector=shard=a` and `--selector=shard=b`
 * (each leader-elected on its own Lease), split 200 resources by label (100 each, plus one unlabelled
 * that neither takes); a resource relabelled from one shard to the other is handed over: exactly one
 * cloud service before and after, `status.id` unchanged, no pass of the old shard after the move (its
 * logs), managed by the new one to deletion; no other resource is ever reconciled by both.
 *
 * "Reconciled by X" means a pass in X's log (the controller's `reconciled…` lines, by reconcile id)
 * other than a pass that found the resource outside X's shard (`decision: not-in-shard`).
 */
import { CoordinationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, GROUP, KIND, OWNERSHIP_TAG_KEY, PLURAL, VERSION } from '../../../src/api/constants.js';
import type { VpcEndpointService } from '../../../src/api/types.js';
import { defaultLeaseName } from '../../../src/cmd/config.js';
import type { Simulator } from '../../../src/simulator/index.js';
import { eventually, testKube, type TestKube } from '../support/kube.js';
import {
  deleteCR,
  getCR,
  isReady,
  listCRs,
  patchCR,
  specFor,
  startOperator,
  startTestSimulator,
  uuid,
  waitForCR,
  type OperatorProcess,
} from '../support/operator.js';

interface Line {
  msg?: string;
  name?: string;
  reconcileID?: string;
  decision?: string;
  identity?: string;
}

function parsed(op: OperatorProcess, from = 0): Line[] {
  const out: Line[] = [];
  for (const l of op.lines.slice(from)) {
    try {
      out.push(JSON.parse(l) as Line);
    } catch {
      // not JSON
    }
  }
  return out;
}

/** Names of the resources `op` reconciled (from its log line `from` on), not counting not-in-shard passes. */
function reconciledBy(op: OperatorProcess, from = 0): Set<string> {
  const lines = parsed(op, from);
  const declined = new Set(lines.filter((l) => l.decision === 'not-in-shard').map((l) => l.reconcileID));
  const names = new Set<string>();
  for (const l of lines)
    if (l.msg?.startsWith('reconcile') && l.name && l.reconcileID && !declined.has(l.reconcileID))
      names.add(l.name);
  return names;
}

/** Names `op` declined as outside its shard (from line `from` on). */
function declinedBy(op: OperatorProcess, from = 0): Set<string> {
  return new Set(
    parsed(op, from)
      .filter((l) => l.decision === 'not-in-shard' && l.name)
      .map((l) => l.name ?? ''),
  );
}

describe('shards: --selector splits resources between operators and hands a relabelled one over', () => {
  let k: TestKube;
  let ns: string;
  let sim: Simulator;
  let a: OperatorProcess;
  let b: OperatorProcess;
  const shardArgs = (shard: string): string[] => [
    `--selector=shard=${shard}`,
    '--leader-elect',
    `--leader-election-namespace=${ns}`,
    '--cloud-qps=100',
    '--cloud-burst=100',
  ];
  /** 100 resources per shard; `a2` is the one relabelled. */
  const inA = Array.from({ length: 100 }, (_, i) => `a${i + 1}`);
  const inB = Array.from({ length: 100 }, (_, i) => `b${i + 1}`);

  beforeAll(async () => {
    k = testKube();
    ns = await k.freshNamespace('shards');
    sim = await startTestSimulator({ createDelayMs: 500, quota: 250 });
    a = startOperator({ kubeconfig: k.kubeconfig, simUrl: sim.url, namespaces: [ns], args: shardArgs('a') });
    b = startOperator({ kubeconfig: k.kubeconfig, simUrl: sim.url, namespaces: [ns], args: shardArgs('b') });
  });
  afterAll(async () => {
    const codes = [await a?.stop(), await b?.stop()];
    await sim?.close();
    expect(codes).toEqual([0, 0]);
  });

  const create = (name: string, shard?: string): Promise<unknown> =>
    k.custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace: ns,
      body: {
        apiVersion: API_VERSION,
        kind: KIND,
        metadata: { name, ...(shard ? { labels: { shard } } : {}) },
        spec: specFor({ portId: uuid(), vpcId: uuid() }),
      },
    });
  const ownedBy = (uid: string | undefined): string[] =>
    sim.controls
      .services()
      .filter((s) => s.tags?.some((t) => t.key === OWNERSHIP_TAG_KEY && t.value === uid))
      .map((s) => s.id);

  it(
    'each shard reconciles only its own; a relabel moves one resource cleanly',
    { timeout: 180_000 },
    async () => {
      const all = [...inA.map((n) => [n, 'a'] as const), ...inB.map((n) => [n, 'b'] as const)];
      for (let i = 0; i < all.length; i += 20)
        await Promise.all(all.slice(i, i + 20).map(([n, shard]) => create(n, shard)));
      await create('none');
      await eventually(
        async () =>
          (await listCRs(k.custom, ns)).filter((cr) => isReady(cr)).length === all.length ? true : undefined,
        `all ${all.length} labelled resources Ready`,
        120_000,
      );

      // One Lease per shard, each held by its own process.
      const identity = (op: OperatorProcess): string | undefined =>
        parsed(op).find((l) => l.msg === 'operator started')?.identity;
      const coordination = k.kc.makeApiClient(CoordinationV1Api);
      const leases = await eventually(
        async () => {
          const list = await coordination.listNamespacedLease({ namespace: ns });
          const held = Object.fromEntries(list.items.map((l) => [l.metadata?.name, l.spec?.holderIdentity]));
          return Object.keys(held).length === 2 ? { held } : undefined;
        },
        'two Leases',
        30_000,
      );
      expect(leases.held).toEqual({
        [defaultLeaseName('shard=a')]: identity(a),
        [defaultLeaseName('shard=b')]: identity(b),
      });

      // The split, with no resource reconciled by both, and the unlabelled one by neither.
      await new Promise((r) => setTimeout(r, 1_500));
      const none = await getCR(k.custom, ns, 'none');
      expect(none?.status).toBeUndefined();
      expect(none?.metadata.finalizers ?? []).toEqual([]);
      expect([...reconciledBy(a)].sort()).toEqual([...inA].sort());
      expect([...reconciledBy(b)].sort()).toEqual([...inB].sort());
      expect(sim.controls.services()).toHaveLength(200);

      // Relabel a2 from shard a to shard b.
      const before = (await getCR(k.custom, ns, 'a2')) as VpcEndpointService;
      const id = before.status?.id;
      expect(ownedBy(before.metadata.uid)).toEqual([id]);
      const fromA = a.lines.length;
      const fromB = b.lines.length;
      await patchCR(k.custom, ns, 'a2', { metadata: { labels: { shard: 'b' } } });
      await eventually(
        async () => (reconciledBy(b, fromB).has('a2') && declinedBy(a, fromA).has('a2') ? true : undefined),
        'a2 reconciled by shard b and declined by shard a',
        30_000,
      );
      const moved = await getCR(k.custom, ns, 'a2');
      expect(moved?.status?.id).toBe(id);
      expect(isReady(moved)).toBe(true);
      expect(ownedBy(moved?.metadata.uid)).toEqual([id]);
      expect(sim.controls.services()).toHaveLength(200);

      // Shard b manages it from now on: a spec change, then the deletion (nothing left behind).
      await patchCR(k.custom, ns, 'a2', { spec: { description: 'moved to shard b' } });
      await waitForCR(
        k.custom,
        ns,
        'a2',
        (cr) => isReady(cr) && cr?.metadata.generation === 2,
        'a2 Ready for generation 2',
      );
      expect(sim.controls.services().find((s) => s.id === id)?.description).toBe('moved to shard b');
      await deleteCR(k.custom, ns, 'a2');
      await waitForCR(k.custom, ns, 'a2', (cr) => cr === undefined, 'a2 gone', 30_000);
      await eventually(
        async () => (sim.controls.services().length === 199 ? true : undefined),
        'a2 service deleted',
        30_000,
      );
      expect(ownedBy(moved?.metadata.uid)).toEqual([]);
      expect(reconciledBy(a, fromA).has('a2')).toBe(false);
      // Over the whole run, the one resource both shards reconciled is the one handed over.
      const byB = reconciledBy(b);
      expect([...reconciledBy(a)].filter((n) => byB.has(n))).toEqual(['a2']);
      expect(reconciledBy(a).has('none') || reconciledBy(b).has('none')).toBe(false);
    },
  );
});
