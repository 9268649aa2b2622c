/**
 * `make chaos`: the operator's core claim under stress. N resources are created, changed and deleted
 * while the simulator injects resets, 500s, 429s, latency and commit-then-drop creates, and the
 * operator process is SIGKILLed and restarted at seeded random moments (one of them inside a held
 * create). Then the faults stop, the operator converges, and the invariants are checked: no cloud
 * service leaked, duplicated, or deleted under a live resource. Consumers connect during the kills to
 * the services that set an approval policy: no connection is ever accepted that no rule accepts, and
 * none rejected that a rule accepts.
 *
 * Knobs: `VPCEP_CHAOS_SEED` (printed; replays the schedule), `VPCEP_CHAOS_RESOURCES` (default 20),
 * `VPCEP_CHAOS_KILLS` (default 8), `VPCEP_CHAOS_REPLICAS` (default 1; 2: two replicas with
 * `--leader-elect`, and every kill SIGKILLs the one holding the Lease; the failover time, kill to the
 * other replica holding it, is printed against the goal of lease duration + 2 s),
 * `VPCEP_CHAOS_APISERVER_RESTART=1` (one kube-apiserver restart half-way through the kills; replicas
 * that exit on a lost Lease are started again), `VPCEP_CHAOS_FAULT_RATE` (share of cloud calls
 * faulted, default about 0.23: a third resets, the rest answered 500, 504 or 429; with it set, also
 * about that share of the creates lose their response after taking effect), `VPCEP_IT_OPERATOR_LOGS=1`
 * (stream the operator's logs). Full size: `make chaos CHAOS_RESOURCES=200 CHAOS_KILLS=30
 * CHAOS_REPLICAS=2 CHAOS_APISERVER_RESTART=1 CHAOS_FAULT_RATE=0.2` (README, "Chaos").
 */
import type { KubernetesListObject } from '@kubernetes/client-node';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINT_PLURAL, GROUP, OWNERSHIP_TAG_KEY, PLURAL, VERSION } from '../../src/api/constants.js';
import type { VpcEndpoint, VpcEndpointService } from '../../src/api/types.js';
import type { Simulator } from '../../src/simulator/index.js';
import { restartApiserver } from '../integration/support/apiserver.js';
import { createEndpointCR, deleteEndpointCR } from '../integration/support/endpoints.js';
import { eventually, testKube, type TestKube } from '../integration/support/kube.js';
import {
  cond,
  createCR,
  deleteCR,
  isReady,
  patchCR,
  specFor,
  startOperator,
  startTestSimulator,
  type OperatorProcess,
} from '../integration/support/operator.js';
import {
  between,
  ChaosFaults,
  FaultTally,
  intEnv,
  mulberry32,
  seededUuid,
  type ChaosRates,
} from './support/chaos.js';

const SEED = intEnv('VPCEP_CHAOS_SEED', Math.floor(Math.random() * 2 ** 31));
const RESOURCES = Math.max(3, intEnv('VPCEP_CHAOS_RESOURCES', 20));
const KILLS = intEnv('VPCEP_CHAOS_KILLS', 8);
const REPLICAS = Math.min(2, Math.max(1, intEnv('VPCEP_CHAOS_REPLICAS', 1)));
const APISERVER_RESTART = intEnv('VPCEP_CHAOS_APISERVER_RESTART', 0) > 0;
/** Share of cloud calls faulted (0..1), from a percentage-free decimal like `0.2`; undefined: the default mix. */
const FAULT_RATE = ((): number | undefined => {
  const v = Number(process.env.VPCEP_CHAOS_FAULT_RATE);
  return process.env.VPCEP_CHAOS_FAULT_RATE && v >= 0 && v < 1 ? v : undefined;
})();
/** Budget for convergence once the faults stop (the create grace period alone is 30 s). */
const CONVERGE_TIMEOUT_MS = 180_000;
/** The operator's Lease duration (src/runtime/leader-election.ts) and the failover goal after a SIGKILL. */
const LEASE_DURATION_MS = 15_000;
const FAILOVER_GOAL_MS = LEASE_DURATION_MS + 2_000;

/**
 * The background faults. Default: 10 % resets and 15 % of the rest answered 500 or 429 (2:1), about
 * 23 % of the calls. With a fault rate r: a third of it resets, the rest errors (500, 504, 429 as
 * 2:1:1), so that r of the calls are faulted in all.
 */
const RATES: ChaosRates =
  FAULT_RATE === undefined
    ? {
        resetRate: 0.1,
        errorRate: 0.15,
        errorKinds: [
          ['500', 2],
          ['429', 1],
        ],
        latencyMs: { min: 0, max: 300 },
      }
    : {
        resetRate: FAULT_RATE / 3,
        errorRate: (FAULT_RATE * (2 / 3)) / (1 - FAULT_RATE / 3),
        errorKinds: [
          ['500', 2],
          ['504', 1],
          ['429', 1],
        ],
        latencyMs: { min: 0, max: 300 },
      };
/** Creates that take effect and lose their response (reset, then 504): 2 + 2, or r of the creates. */
const DROPS = FAULT_RATE === undefined ? 2 : Math.max(2, Math.round((RESOURCES * FAULT_RATE) / 2));
/** `VpcEndpoint`s connecting to surviving services by serviceRef (a third of them deleted again). */
const ENDPOINTS = Math.max(2, Math.floor(RESOURCES / 4));
/** Endpoint creates that take effect and lose their response, after the service drops: 1 + 1, or r. */
const ENDPOINT_DROPS = FAULT_RATE === undefined ? 1 : Math.max(1, Math.round((ENDPOINTS * FAULT_RATE) / 2));

const ref = (namespace: string) => ({ group: GROUP, version: VERSION, plural: PLURAL, namespace });
const endpointRef = (namespace: string) => ({
  group: GROUP,
  version: VERSION,
  plural: ENDPOINT_PLURAL,
  namespace,
});

/** A consumer account the policy accepts, and one it leaves pending (both whitelisted). */
const GOOD = 'c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0';
const OTHER = 'd1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1';

/** What the policy must do with each consumer endpoint: the verdict, and the states it may ever show. */
interface Consumer {
  service: string;
  endpointId: string;
  domainId: string;
  /** The status at the end. */
  final: 'accepted' | 'rejected' | 'pendingAcceptance';
  /** States it must never show (a wrong decision, even a transient one). */
  never: string[];
}

/** What the observer saw over the whole run. */
interface Observed {
  /** CR uid -> every non-empty `status.id` it ever showed. */
  idsByUid: Map<string, Set<string>>;
  /** CR uid -> name. */
  names: Map<string, string>;
  /** Cloud service id -> owner tag value ('' when untagged), for every service ever seen. */
  ownerBySvc: Map<string, string>;
  /** Cloud VPC endpoint id -> owner tag value, for every endpoint ever seen. */
  ownerByEndpoint: Map<string, string>;
  samples: number;
}

/** The cloud VPC endpoints carrying `uid` as owner tag, now. */
function endpointsOwnedBy(sim: Simulator, uid: string): string[] {
  return sim.controls
    .endpoints()
    .filter((e) => e.tags?.some((t) => t.key === OWNERSHIP_TAG_KEY && t.value === uid))
    .map((e) => e.id);
}

/** The cloud services carrying `uid` as owner tag, now. */
function ownedBy(sim: Simulator, uid: string): string[] {
  return sim.controls
    .services()
    .filter((s) => s.tags?.some((t) => t.key === OWNERSHIP_TAG_KEY && t.value === uid))
    .map((s) => s.id);
}

function ownerOf(tags: Array<{ key: string; value?: string }> | undefined): string {
  return tags?.find((t) => t.key === OWNERSHIP_TAG_KEY)?.value ?? '';
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Runs a Kubernetes request, retrying (for up to 60 s) while the apiserver is away (its restart);
 * `alreadyDone` says an error means the request took effect before the connection dropped.
 */
async function retrying<T>(fn: () => Promise<T>, alreadyDone: (e: unknown) => boolean = () => false) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (alreadyDone(e)) return undefined;
      if (Date.now() > deadline) throw e;
      await sleep(500);
    }
  }
}
const statusOf = (e: unknown): number | undefined => (e as { code?: number }).code;

describe('chaos: faults and SIGKILLs never leak, duplicate or wrongly delete a cloud service', () => {
  let k: TestKube;
  let ns: string;
  let sim: Simulator;
  /** The replicas (one without leader election); a slot is undefined while its process is down. */
  const ops: Array<OperatorProcess | undefined> = Array.from({ length: REPLICAS }, () => undefined);
  let launches = 0;
  const tally = new FaultTally(mulberry32(SEED ^ 0x5bd1e995));
  const logLines: string[] = [];

  beforeAll(async () => {
    console.log(
      `chaos: seed ${SEED} (replay with VPCEP_CHAOS_SEED=${SEED}), ${RESOURCES} resources, ${KILLS} kills, ` +
        `${REPLICAS} replica(s)${REPLICAS > 1 ? ' with leader election (the leader is killed)' : ''}, ` +
        `apiserver restart ${APISERVER_RESTART ? 'yes' : 'no'}, faults ${JSON.stringify(RATES)}, ${DROPS} + ${DROPS} lost create responses`,
    );
    k = testKube();
    ns = await k.freshNamespace('chaos');
    sim = await startTestSimulator({
      createDelayMs: 1_500,
      deleteDelayMs: 1_000,
      quota: RESOURCES * 3 + 10,
      random: tally.random,
    });
  });
  afterAll(async () => {
    for (const p of ops) await p?.kill();
    await sim?.close();
  });

  /** Starts the replica of `slot`; its identity (the Lease holder) starts with `chaos-r<slot>-<n>_`. */
  const launch = (slot: number): OperatorProcess => {
    const p = startOperator({
      kubeconfig: k.kubeconfig,
      simUrl: sim.url,
      namespaces: [ns],
      ...(REPLICAS > 1 ? { args: ['--leader-elect', `--leader-election-namespace=${ns}`] } : {}),
      env: { POD_NAME: `chaos-r${slot}-${launches++}` },
    });
    ops[slot] = p;
    return p;
  };
  const retire = (p: OperatorProcess): void => {
    logLines.push(...p.lines);
  };

  async function listCRs(): Promise<VpcEndpointService[]> {
    const list = (await k.custom.listNamespacedCustomObject(
      ref(ns),
    )) as KubernetesListObject<VpcEndpointService>;
    return list.items;
  }
  async function listEndpoints(): Promise<VpcEndpoint[]> {
    const list = (await k.custom.listNamespacedCustomObject(
      endpointRef(ns),
    )) as KubernetesListObject<VpcEndpoint>;
    return list.items;
  }

  it(
    'converges to exactly one tagged cloud service per live resource, and none for deleted ones',
    // Two replicas wait out the Lease after each kill; 200 resources take longer to create and converge.
    {
      timeout:
        330_000 + KILLS * (REPLICAS > 1 ? 30_000 : 0) + RESOURCES * 1_000 + (APISERVER_RESTART ? 90_000 : 0),
    },
    async () => {
      const plan = mulberry32(SEED);
      const faults = new ChaosFaults(sim, tally, RATES, mulberry32(SEED ^ 0x2545f491), [
        { mode: 'reset', count: DROPS },
        { mode: '504', count: DROPS },
        { mode: 'reset', count: ENDPOINT_DROPS, operation: 'createEndpoint' },
        { mode: '504', count: ENDPOINT_DROPS, operation: 'createEndpoint' },
      ]);

      // ---- the plan, all drawn from the seed up front ------------------------------------------------
      const killGaps = Array.from({ length: KILLS }, () => between(plan, 1_000, 4_000));
      const downtimes = Array.from({ length: KILLS }, () => between(plan, 0, 500));
      const chaosMs = killGaps.reduce((s, g) => s + g, 0) + 2_000;
      const heldKill = KILLS > 0 ? between(plan, 0, Math.min(KILLS - 1, 2)) : -1;
      const heldMode = plan() < 0.5 ? 'reset' : '504';
      const names = Array.from({ length: RESOURCES }, (_, i) => `chaos-${String(i).padStart(3, '0')}`);
      const createAt = names
        .map((name) => ({ name, at: Math.floor(plan() * chaosMs * 0.4) }))
        .sort((a, b) => a.at - b.at);
      const shuffled = [...names];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = between(plan, 0, i);
        [shuffled[i], shuffled[j]] = [shuffled[j] ?? '', shuffled[i] ?? ''];
      }
      const toDelete = new Set(shuffled.slice(0, Math.floor(RESOURCES / 3)));
      const toChange = new Set(
        shuffled.slice(Math.floor(RESOURCES / 3)).slice(0, Math.max(2, Math.floor(RESOURCES / 10))),
      );
      const specs = new Map(
        names.map((n) => [
          n,
          specFor({
            portId: seededUuid(plan),
            vpcId: seededUuid(plan),
            description: 'chaos v1',
            tags: [{ key: 'chaos', value: 'v1' }],
          }),
        ]),
      );
      // A third of the survivors let consumers in by policy: GOOD accepted, one GOOD endpoint rejected
      // by id (reject wins), OTHER whitelisted but left pending.
      const withConsumers = names
        .filter((n) => !toDelete.has(n))
        .slice(0, Math.max(1, Math.floor(RESOURCES / 3)));
      const consumers: Consumer[] = [];
      for (const n of withConsumers) {
        const rejectId = seededUuid(plan);
        specs.set(n, {
          ...(specs.get(n) ?? specFor()),
          approvalEnabled: true,
          permissions: [{ domainId: GOOD }, { domainId: OTHER }],
          connectionApproval: { acceptDomains: [GOOD], reject: [rejectId] },
        });
        consumers.push(
          {
            service: n,
            endpointId: seededUuid(plan),
            domainId: GOOD,
            final: 'accepted',
            never: ['rejected'],
          },
          { service: n, endpointId: rejectId, domainId: GOOD, final: 'rejected', never: ['accepted'] },
          {
            service: n,
            endpointId: seededUuid(plan),
            domainId: OTHER,
            final: 'pendingAcceptance',
            never: ['accepted', 'rejected'],
          },
        );
      }
      // Consumers in the cluster: VpcEndpoints by serviceRef, to the policy services first (accepted by
      // acceptInCluster, the service's own namespace) and then to services without approval.
      const survivorsPlan = names.filter((n) => !toDelete.has(n));
      const endpointTargets = new Map<string, string>(); // endpoint name -> service name
      for (let i = 0; i < ENDPOINTS; i++) {
        const target = survivorsPlan[i % survivorsPlan.length] ?? names[0] ?? '';
        endpointTargets.set(`ep-${String(i).padStart(3, '0')}`, target);
      }
      const endpointsToDelete = new Set([...endpointTargets.keys()].slice(0, Math.floor(ENDPOINTS / 3)));
      for (const n of withConsumers) {
        const spec = specs.get(n) ?? specFor();
        specs.set(n, {
          ...spec,
          connectionApproval: { ...spec.connectionApproval, acceptInCluster: { namespaces: [] } },
        });
      }
      const changeAt = Math.floor(chaosMs * 0.5);
      const deleteAt = Math.floor(chaosMs * 0.6);

      // ---- the observer: status ids and cloud services over time ---------------------------------------
      const seen: Observed = {
        idsByUid: new Map(),
        names: new Map(),
        ownerBySvc: new Map(),
        ownerByEndpoint: new Map(),
        samples: 0,
      };
      /** endpoint id -> every connection status it ever showed in the cloud. */
      const connStates = new Map<string, Set<string>>();
      const observe = async (): Promise<void> => {
        for (const s of sim.controls.services())
          if (!seen.ownerBySvc.has(s.id)) seen.ownerBySvc.set(s.id, ownerOf(s.tags));
        for (const e of sim.controls.endpoints())
          if (!seen.ownerByEndpoint.has(e.id)) seen.ownerByEndpoint.set(e.id, ownerOf(e.tags));
        for (const c of sim.controls.allConnections()) {
          const states = connStates.get(c.id) ?? new Set<string>();
          if (c.status) states.add(c.status);
          connStates.set(c.id, states);
        }
        for (const cr of [...(await listCRs()), ...(await listEndpoints())]) {
          const uid = cr.metadata.uid ?? '';
          seen.names.set(uid, cr.metadata.name ?? '');
          const id = cr.status?.id;
          if (id) {
            const ids = seen.idsByUid.get(uid) ?? new Set<string>();
            ids.add(id);
            seen.idsByUid.set(uid, ids);
          }
        }
        seen.samples++;
      };
      let observing = true;
      const observer = (async () => {
        while (observing) {
          await observe().catch(() => undefined);
          await sleep(200);
        }
      })();
      const ticker = setInterval(() => faults.tick(), 400);

      // ---- chaos -----------------------------------------------------------------------------------------
      const t0 = Date.now();
      sim.controls.resetCounters();
      sim.controls.setThrottle({ qps: 8 });
      faults.start();
      for (let slot = 0; slot < REPLICAS; slot++) launch(slot);

      // ---- the Lease: who holds it, sampled every 100 ms (two replicas) ---------------------------------
      const leases = k.kc.makeApiClient(CoordinationV1Api);
      let holder = '';
      let watchingLease = REPLICAS > 1;
      const leaseWatcher = (async () => {
        while (watchingLease) {
          try {
            const l = await leases.readNamespacedLease({ name: 'vpcep-operator-leader', namespace: ns });
            holder = l.spec?.holderIdentity ?? '';
          } catch {
            // not there yet, or the apiserver is restarting
          }
          await sleep(100);
        }
      })();
      /** The slot whose process holds the Lease now (its POD_NAME prefixes the identity). */
      const leaderSlot = (): number | undefined => {
        for (let slot = 0; slot < REPLICAS; slot++) {
          const p = ops[slot];
          if (!p || p.proc.exitCode !== null) continue;
          const name = p.lines.find((l) => l.includes('"identity"') && l.includes('operator started'));
          const id = name ? (JSON.parse(name) as { identity?: string }).identity : undefined;
          if (id && id === holder) return slot;
        }
        return undefined;
      };
      /** Starts again every replica that exited on its own (a Lease lost while the apiserver was away). */
      let selfExits = 0;
      const revive = (): void => {
        for (let slot = 0; slot < REPLICAS; slot++) {
          const p = ops[slot];
          if (p && p.proc.exitCode !== null) {
            retire(p);
            selfExits++;
            launch(slot);
          }
        }
      };

      const creator = (async () => {
        for (const { name, at } of createAt) {
          const wait = t0 + at - Date.now();
          if (wait > 0) await sleep(wait);
          await retrying(
            () =>
              createCR(
                k.custom,
                ns,
                name,
                specs.get(name) ?? specFor(),
                withConsumers.includes(name) ? { 'vpcep.huaweicloud.io/connection-poll-period': '1s' } : {},
              ),
            (e) => statusOf(e) === 409, // created before the connection dropped
          );
          // Its in-cluster consumers right after it (they wait for its id: ServiceNotReady).
          for (const [ep, target] of endpointTargets)
            if (target === name)
              await retrying(
                () =>
                  createEndpointCR(k.custom, ns, ep, {
                    serviceRef: { name },
                    vpcId: seededUuid(plan),
                    subnetId: seededUuid(plan),
                  }),
                (e) => statusOf(e) === 409,
              );
        }
      })();
      const changer = (async () => {
        await sleep(changeAt);
        await creator;
        for (const name of toChange)
          await retrying(() =>
            patchCR(k.custom, ns, name, {
              spec: { description: 'chaos v2', tags: [{ key: 'chaos', value: 'v2' }] },
            }),
          );
      })();
      // Consumers connect as soon as their service is available and whitelists them (2004/2012 until then).
      // Until the convergence budget ends (the chaos phase lasts as long as its kills and failovers take).
      let connectDeadline = Infinity;
      const connecting = (async () => {
        const pending = [...consumers];
        while (pending.length > 0 && Date.now() < connectDeadline) {
          const ids = new Map((await listCRs().catch(() => [])).map((x) => [x.metadata.name, x.status?.id]));
          for (const c of [...pending]) {
            const id = ids.get(c.service);
            if (!id) continue;
            try {
              sim.controls.addConnection(id, { domainId: c.domainId, endpointId: c.endpointId });
              pending.splice(pending.indexOf(c), 1);
            } catch {
              // not available or not whitelisted yet
            }
          }
          await sleep(300);
        }
        return pending.length;
      })();
      const deleter = (async () => {
        await sleep(deleteAt);
        await creator;
        for (const name of toDelete)
          await retrying(
            () => deleteCR(k.custom, ns, name),
            (e) => statusOf(e) === 404,
          );
        for (const name of endpointsToDelete)
          await retrying(
            () => deleteEndpointCR(k.custom, ns, name),
            (e) => statusOf(e) === 404,
          );
      })();

      let kills = 0;
      let heldKillLanded = false;
      const unresolvedAtKill: number[] = [];
      /** Kill of the leader -> the other replica holding the Lease, ms (two replicas). */
      const failovers: number[] = [];
      let apiserverDown: { at: number; ms: number } | undefined;
      const restartAt = APISERVER_RESTART ? Math.floor(KILLS / 2) : -1;
      for (let i = 0; i < KILLS; i++) {
        await sleep(killGaps[i] ?? 1_000);
        if (i === restartAt) {
          const r = await restartApiserver();
          apiserverDown = { at: r.stoppedAt - t0, ms: r.readyAt - r.stoppedAt };
          await sleep(1_000);
        }
        revive();
        // Two replicas: the victim is the leader (wait for one, e.g. right after a failover or a restart).
        let victim = 0;
        if (REPLICAS > 1) {
          const deadline = Date.now() + 60_000;
          let slot = leaderSlot();
          while (slot === undefined && Date.now() < deadline) {
            await sleep(100);
            revive();
            slot = leaderSlot();
          }
          victim = slot ?? 0;
        }
        if (i === heldKill) {
          // The next create takes effect and its response is held: kill the operator inside that window.
          heldKillLanded = await faults.armHold(heldMode, 5_000, 10_000);
          if (heldKillLanded) await sleep(150);
        }
        // Creates sent whose result is not yet in status: the kill lands while they are unresolved.
        const crs = (await retrying(() => listCRs())) ?? [];
        unresolvedAtKill.push(
          crs.filter(
            (c) => !c.status?.id && c.metadata.annotations?.['vpcep.huaweicloud.io/create-requested-at'],
          ).length,
        );
        const p = ops[victim];
        const killedHolder = holder;
        const killedAt = Date.now();
        if (p) {
          await p.kill();
          retire(p);
        }
        ops[victim] = undefined;
        kills++;
        if (REPLICAS > 1) {
          // The other replica takes over once the Lease expires; the victim comes back as the standby.
          const deadline = Date.now() + 4 * LEASE_DURATION_MS;
          while ((holder === killedHolder || holder === '') && Date.now() < deadline) {
            await sleep(50);
            revive();
          }
          failovers.push(Date.now() - killedAt);
        }
        await sleep(downtimes[i] ?? 0);
        launch(victim);
      }
      await Promise.all([creator, changer, deleter]);
      revive();
      const chaosEnd = Date.now();
      connectDeadline = chaosEnd + CONVERGE_TIMEOUT_MS;
      // The calls made while the faults were on (the share faulted is of these).
      const chaosCalls = Object.values(sim.controls.counters()).reduce((s, n) => s + n, 0);

      // ---- calm: faults off, converge ------------------------------------------------------------------
      clearInterval(ticker);
      faults.stop();
      sim.controls.setThrottle({ qps: 0 });
      const survivors = names.filter((n) => !toDelete.has(n));
      const endpointSurvivors = [...endpointTargets.keys()].filter((n) => !endpointsToDelete.has(n));
      // What is still not converged, in words (printed when the wait times out).
      let pendingWhy = '';
      const stillPending = async (): Promise<string> => {
        const crs = await listCRs();
        const byName = new Map(crs.map((c) => [c.metadata.name ?? '', c]));
        const why: string[] = [];
        for (const n of names)
          if (toDelete.has(n) && byName.has(n))
            why.push(`${n} not deleted (${cond(byName.get(n), 'Ready')?.reason ?? '-'})`);
        for (const n of survivors) {
          const cr = byName.get(n);
          if (!cr || !isReady(cr) || !cr.status?.id) {
            const c = cond(cr, 'Ready');
            why.push(`${n} not Ready (${c?.reason ?? '-'}: ${(c?.message ?? '').slice(0, 160)})`);
          } else if (ownedBy(sim, cr.metadata.uid ?? '').join() !== cr.status.id)
            why.push(
              `${n} owns ${ownedBy(sim, cr.metadata.uid ?? '').join() || 'nothing'}, status ${cr.status.id}`,
            );
        }
        if (sim.controls.services().length !== survivors.length)
          why.push(`${sim.controls.services().length} services for ${survivors.length} survivors`);
        const eps = new Map((await listEndpoints()).map((e) => [e.metadata.name ?? '', e]));
        for (const n of endpointsToDelete) if (eps.has(n)) why.push(`${n} not deleted`);
        for (const n of endpointSurvivors) {
          const ep = eps.get(n);
          if (!ep || !isReady(ep) || !ep.status?.id) {
            const c = cond(ep, 'Ready');
            why.push(`${n} not Ready (${c?.reason ?? '-'}: ${(c?.message ?? '').slice(0, 160)})`);
          } else if (endpointsOwnedBy(sim, ep.metadata.uid ?? '').join() !== ep.status.id)
            why.push(
              `${n} owns ${endpointsOwnedBy(sim, ep.metadata.uid ?? '').join() || 'nothing'}, status ${ep.status.id}`,
            );
        }
        if (sim.controls.endpoints().length !== endpointSurvivors.length)
          why.push(
            `${sim.controls.endpoints().length} cloud endpoints for ${endpointSurvivors.length} survivors`,
          );
        const conns = new Map(sim.controls.allConnections().map((c) => [c.id, c.status]));
        for (const c of consumers)
          if (conns.get(c.endpointId) !== c.final)
            why.push(
              `${c.service}: endpoint of ${c.domainId === GOOD ? 'GOOD' : 'OTHER'} is ${conns.get(c.endpointId) ?? 'absent'}, expected ${c.final}`,
            );
        return why.join('; ');
      };
      let convergeError: Error | undefined;
      await eventually(
        async () => {
          pendingWhy = await stillPending();
          return pendingWhy === '' ? true : undefined;
        },
        'every surviving resource Ready with its one service, every deleted one gone with its service, every consumer where its rule says',
        CONVERGE_TIMEOUT_MS,
        500,
      ).catch((e: unknown) => {
        convergeError = new Error(`${(e as Error).message}; still: ${pendingWhy}`);
      });
      const converged = Date.now();
      const unconnected = await connecting;
      observing = false;
      watchingLease = false;
      await Promise.all([observer, leaseWatcher]);
      await observe();

      // ---- what was found (printed in the summary, then asserted) ----------------------------------------
      const finalCRs = new Map((await listCRs()).map((c) => [c.metadata.name ?? '', c]));
      const cloudNow = sim.controls.services();
      const liveNow = new Set(survivors.map((n) => finalCRs.get(n)?.metadata.uid ?? ''));
      const everOwned = new Map<string, number>();
      for (const owner of seen.ownerBySvc.values()) everOwned.set(owner, (everOwned.get(owner) ?? 0) + 1);
      const finalEndpoints = new Map((await listEndpoints()).map((e) => [e.metadata.name ?? '', e]));
      const liveEndpoints = new Set(endpointSurvivors.map((n) => finalEndpoints.get(n)?.metadata.uid ?? ''));
      const everOwnedEp = new Map<string, number>();
      for (const owner of seen.ownerByEndpoint.values())
        everOwnedEp.set(owner, (everOwnedEp.get(owner) ?? 0) + 1);
      const endpointsFound = {
        duplicates: [...everOwnedEp.entries()].filter(([o, n]) => o !== '' && n > 1).length,
        untagged: everOwnedEp.get('') ?? 0,
        orphans: sim.controls.endpoints().filter((e) => !liveEndpoints.has(ownerOf(e.tags))).length,
        stuck:
          endpointSurvivors.filter((n) => !isReady(finalEndpoints.get(n))).length +
          [...endpointsToDelete].filter((n) => finalEndpoints.has(n)).length,
      };
      const found = {
        duplicates: [...everOwned.entries()].filter(([o, n]) => o !== '' && n > 1).length,
        untagged: everOwned.get('') ?? 0,
        orphans: cloudNow.filter((svc) => !liveNow.has(ownerOf(svc.tags))).length,
        stuck:
          survivors.filter((n) => !isReady(finalCRs.get(n))).length +
          [...toDelete].filter((n) => finalCRs.has(n)).length,
        idChanges: [...seen.idsByUid.values()].filter((ids) => ids.size > 1).length,
      };
      const sorted = [...failovers].sort((a, b) => a - b);
      const at = (q: number): string =>
        sorted.length
          ? `${(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! / 1000).toFixed(1)} s`
          : '-';
      const counters = sim.controls.counters();
      const throttled = sim.controls.throttled();
      const calls = Object.values(counters).reduce((s, n) => s + n, 0);
      const lines = [...logLines, ...ops.flatMap((p) => p?.lines ?? [])];
      const decisions = (d: string) => lines.filter((l) => l.includes(`"decision":"${d}"`)).length;
      const c = tally.counts;
      const row = (label: string, value: string | number) => `  ${label.padEnd(38)} ${value}`;
      const faulted = c.resets + Object.values(c.errors).reduce((s, n) => s + (n ?? 0), 0);
      console.log(
        [
          `chaos summary (seed ${SEED}; replay with VPCEP_CHAOS_SEED=${SEED})`,
          '  injected:',
          row('resources (created/changed/deleted)', `${RESOURCES} / ${toChange.size} / ${toDelete.size}`),
          row(
            'VpcEndpoints (created/deleted)',
            `${ENDPOINTS} / ${endpointsToDelete.size} (serviceRef; in-cluster approval on ${withConsumers.length} services)`,
          ),
          row(
            'operator SIGKILLs',
            `${kills}${REPLICAS > 1 ? ' (each of the Lease holder)' : ''} (held-create kill ${heldKillLanded ? `landed, ${heldMode}` : 'missed'})`,
          ),
          row('replicas', REPLICAS > 1 ? `${REPLICAS}, --leader-elect` : '1'),
          row(
            'kube-apiserver restart',
            apiserverDown
              ? `at ${(apiserverDown.at / 1000).toFixed(1)} s, down ${(apiserverDown.ms / 1000).toFixed(1)} s; replicas that exited on their own: ${selfExits}`
              : 'none',
          ),
          row('unresolved creates at each kill', unresolvedAtKill.join(' ')),
          row('faults: connection resets', c.resets),
          row(
            'faults: injected 500 / 504 / 429',
            `${c.errors['500'] ?? 0} / ${c.errors['504'] ?? 0} / ${c.errors['429'] ?? 0}`,
          ),
          row(
            'faults: share of calls faulted',
            `${((100 * faulted) / Math.max(1, chaosCalls)).toFixed(1)} % of the ${chaosCalls} calls while faults were on (resets and errors; throttling apart)`,
          ),
          row('faults: throttled (qps 8 per operation)', JSON.stringify(throttled)),
          row(
            'faults: delayed calls (avg ms)',
            `${c.delayed} (${Math.round(c.latencyMs / Math.max(1, c.delayed))})`,
          ),
          row(
            'faults: lost create responses reset/504',
            `${faults.drops.reset} / ${faults.drops['504']} (${DROPS} / ${DROPS} queued for services, ${ENDPOINT_DROPS} / ${ENDPOINT_DROPS} for endpoints, and the held create; ${faults.endpointDrops} endpoint creates)`,
          ),
          '  found:',
          row('duplicates (services ever per owner > 1)', found.duplicates),
          row('services without an ownership tag', found.untagged),
          row('orphans (services without a live owner)', found.orphans),
          row('stuck (not Ready, or not deleted)', found.stuck),
          row('status.id ever changed (both kinds)', found.idChanges),
          row(
            'VpcEndpoints: duplicates / untagged',
            `${endpointsFound.duplicates} / ${endpointsFound.untagged} (cloud endpoints ever per owner > 1 / without a tag)`,
          ),
          row('VpcEndpoints: orphans / stuck', `${endpointsFound.orphans} / ${endpointsFound.stuck}`),
          row('consumers never connected', unconnected),
          ...(REPLICAS > 1
            ? [
                row(
                  'failover (kill -> other replica leads)',
                  `min ${at(0)}, median ${at(0.5)}, max ${at(0.999)} over ${failovers.length}; ` +
                    `goal lease ${LEASE_DURATION_MS / 1000} s + 2 s = ${FAILOVER_GOAL_MS / 1000} s ` +
                    `(${failovers.filter((f) => f <= FAILOVER_GOAL_MS).length} within)`,
                ),
              ]
            : []),
          '  figures:',
          row('cloud calls by operation', JSON.stringify(counters)),
          row('cloud calls total / per resource', `${calls} / ${(calls / RESOURCES).toFixed(1)}`),
          row('operator: created / found-by-tag', `${decisions('created')} / ${decisions('found-by-tag')}`),
          row(
            'operator: outcome-unknown / tag-wait',
            `${decisions('create-outcome-unknown')} / ${decisions('await-tag-index')}`,
          ),
          row('services ever seen / now', `${seen.ownerBySvc.size} / ${cloudNow.length}`),
          row(
            'consumers: accepted / rejected / pending',
            `${consumers.filter((c) => c.final === 'accepted').length} / ${consumers.filter((c) => c.final === 'rejected').length} / ${consumers.filter((c) => c.final === 'pendingAcceptance').length} (on ${withConsumers.length} services)`,
          ),
          row('observer samples', seen.samples),
          row('chaos phase', `${((chaosEnd - t0) / 1000).toFixed(1)} s`),
          row('time to converge after faults off', `${((converged - chaosEnd) / 1000).toFixed(1)} s`),
        ].join('\n'),
      );
      if (convergeError) throw convergeError;

      // ---- invariants ------------------------------------------------------------------------------------
      const final = new Map((await listCRs()).map((c) => [c.metadata.name ?? '', c]));
      const services = sim.controls.services();
      const liveUids = new Set<string>();
      for (const name of survivors) {
        const cr = final.get(name);
        const uid = cr?.metadata.uid ?? '';
        liveUids.add(uid);
        // Ready, with status.id the one service carrying its ownership tag.
        expect(isReady(cr), `${name} Ready`).toBe(true);
        expect(ownedBy(sim, uid), `${name}: exactly one owned service`).toEqual([cr?.status?.id]);
        // Its status.id never changed (a change would mean a duplicate or a service deleted under it).
        expect([...(seen.idsByUid.get(uid) ?? [])], `${name}: status.id over time`).toEqual([cr?.status?.id]);
        // Spec applied: description and user tags in the cloud.
        const svc = services.find((s) => s.id === cr?.status?.id);
        const want = toChange.has(name) ? 'v2' : 'v1';
        expect(svc?.description, `${name} description`).toBe(`chaos ${want}`);
        expect(
          svc?.tags?.filter((t) => t.key !== OWNERSHIP_TAG_KEY),
          `${name} user tags`,
        ).toEqual([{ key: 'chaos', value: want }]);
      }
      // Endpoints: each live VpcEndpoint Ready (accepted) with exactly one cloud endpoint, its status.id
      // never changed; none for deleted ones; never two for one owner, not even transiently.
      const liveEpUids = new Set<string>();
      for (const name of endpointSurvivors) {
        const ep = finalEndpoints.get(name);
        const uid = ep?.metadata.uid ?? '';
        liveEpUids.add(uid);
        expect(isReady(ep), `${name} Ready`).toBe(true);
        expect(ep?.status?.status, `${name} accepted`).toBe('accepted');
        expect(endpointsOwnedBy(sim, uid), `${name}: exactly one owned cloud endpoint`).toEqual([
          ep?.status?.id,
        ]);
        expect([...(seen.idsByUid.get(uid) ?? [])], `${name}: status.id over time`).toEqual([ep?.status?.id]);
      }
      for (const e of sim.controls.endpoints())
        expect(liveEpUids.has(ownerOf(e.tags)), `cloud endpoint ${e.id} has a live owner`).toBe(true);
      const everByEpOwner = new Map<string, string[]>();
      for (const [id, owner] of seen.ownerByEndpoint)
        everByEpOwner.set(owner, [...(everByEpOwner.get(owner) ?? []), id]);
      expect(everByEpOwner.get(''), 'cloud endpoints without an ownership tag').toBeUndefined();
      for (const [owner, ids] of everByEpOwner)
        expect(ids, `cloud endpoints ever owned by ${seen.names.get(owner) ?? owner}`).toHaveLength(1);
      // No leak: every service in the cloud belongs to a live resource.
      for (const s of services)
        expect(liveUids.has(ownerOf(s.tags)), `service ${s.id} has a live owner`).toBe(true);
      // Never a duplicate, not even a transient one: at most one service ever per owner, none untagged.
      const everByOwner = new Map<string, string[]>();
      for (const [id, owner] of seen.ownerBySvc)
        everByOwner.set(owner, [...(everByOwner.get(owner) ?? []), id]);
      expect(everByOwner.get(''), 'services without an ownership tag').toBeUndefined();
      for (const [owner, ids] of everByOwner)
        expect(ids, `services ever owned by ${seen.names.get(owner) ?? owner}`).toHaveLength(1);
      // A deleted resource showed at most one id too.
      for (const [uid, ids] of seen.idsByUid)
        expect(ids.size, `${seen.names.get(uid) ?? uid}: distinct status ids`).toBeLessThanOrEqual(1);
      expect(kills).toBe(KILLS);
      // Approval as policy, under kills and faults: every consumer ended where its rule says, and none
      // ever showed a state its rule forbids.
      expect(unconnected, 'consumers that never managed to connect').toBe(0);
      for (const c of consumers) {
        const states = [...(connStates.get(c.endpointId) ?? [])];
        for (const bad of c.never)
          expect(states, `${c.service}: endpoint of ${c.domainId === GOOD ? 'GOOD' : 'OTHER'}`).not.toContain(
            bad,
          );
      }

      // The last operators still shut down cleanly.
      for (let slot = 0; slot < REPLICAS; slot++) {
        const p = ops[slot];
        if (!p) continue;
        expect(await p.stop(), `replica ${slot} exit code on SIGTERM`).toBe(0);
        retire(p);
        ops[slot] = undefined;
      }
    },
  );
});
