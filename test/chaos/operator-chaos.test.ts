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
 * `VPCEP_CHAOS_KILLS` (default 8), `VPCEP_IT_OPERATOR_LOGS=1` (stream the operator's logs).
 */
import type { KubernetesListObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP, OWNERSHIP_TAG_KEY, PLURAL, VERSION } from '../../src/api/constants.js';
import type { VpcEndpointService } from '../../src/api/types.js';
import type { Simulator } from '../../src/simulator/index.js';
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
/** Budget for convergence once the faults stop (the create grace period alone is 30 s). */
const CONVERGE_TIMEOUT_MS = 180_000;

const RATES: ChaosRates = {
  resetRate: 0.1,
  // 15 % injected errors: 500 twice as often as 429 (~10 % and ~5 % of the calls).
  errorRate: 0.15,
  errorKinds: [
    ['500', 2],
    ['429', 1],
  ],
  latencyMs: { min: 0, max: 300 },
};

const ref = (namespace: string) => ({ group: GROUP, version: VERSION, plural: PLURAL, namespace });

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
  samples: number;
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

describe('chaos: faults and SIGKILLs never leak, duplicate or wrongly delete a cloud service', () => {
  let k: TestKube;
  let ns: string;
  let sim: Simulator;
  let op: OperatorProcess | undefined;
  const tally = new FaultTally(mulberry32(SEED ^ 0x5bd1e995));
  const logLines: string[] = [];

  beforeAll(async () => {
    console.log(
      `chaos: seed ${SEED} (replay with VPCEP_CHAOS_SEED=${SEED}), ${RESOURCES} resources, ${KILLS} kills`,
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
    await op?.kill();
    await sim?.close();
  });

  const launch = (): OperatorProcess => {
    const p = startOperator({ kubeconfig: k.kubeconfig, simUrl: sim.url, namespaces: [ns] });
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

  it(
    'converges to exactly one tagged cloud service per live resource, and none for deleted ones',
    { timeout: 330_000 },
    async () => {
      const plan = mulberry32(SEED);
      const faults = new ChaosFaults(sim, tally, RATES, mulberry32(SEED ^ 0x2545f491), [
        { mode: 'reset', count: 2 },
        { mode: '504', count: 2 },
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
      const changeAt = Math.floor(chaosMs * 0.5);
      const deleteAt = Math.floor(chaosMs * 0.6);

      // ---- the observer: status ids and cloud services over time ---------------------------------------
      const seen: Observed = { idsByUid: new Map(), names: new Map(), ownerBySvc: new Map(), samples: 0 };
      /** endpoint id -> every connection status it ever showed in the cloud. */
      const connStates = new Map<string, Set<string>>();
      const observe = async (): Promise<void> => {
        for (const s of sim.controls.services())
          if (!seen.ownerBySvc.has(s.id)) seen.ownerBySvc.set(s.id, ownerOf(s.tags));
        for (const c of sim.controls.allConnections()) {
          const states = connStates.get(c.id) ?? new Set<string>();
          if (c.status) states.add(c.status);
          connStates.set(c.id, states);
        }
        for (const cr of await listCRs()) {
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
      op = launch();

      const creator = (async () => {
        for (const { name, at } of createAt) {
          const wait = t0 + at - Date.now();
          if (wait > 0) await sleep(wait);
          await createCR(
            k.custom,
            ns,
            name,
            specs.get(name) ?? specFor(),
            withConsumers.includes(name) ? { 'vpcep.huaweicloud.io/connection-poll-period': '1s' } : {},
          );
        }
      })();
      const changer = (async () => {
        await sleep(changeAt);
        await creator;
        for (const name of toChange)
          await patchCR(k.custom, ns, name, {
            spec: { description: 'chaos v2', tags: [{ key: 'chaos', value: 'v2' }] },
          });
      })();
      // Consumers connect as soon as their service is available and whitelists them (2004/2012 until then).
      const connecting = (async () => {
        const pending = [...consumers];
        while (pending.length > 0 && Date.now() - t0 < chaosMs + CONVERGE_TIMEOUT_MS) {
          for (const c of [...pending]) {
            const id = (await listCRs().catch(() => [])).find((x) => x.metadata.name === c.service)?.status
              ?.id;
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
        for (const name of toDelete) await deleteCR(k.custom, ns, name);
      })();

      let kills = 0;
      let heldKillLanded = false;
      const unresolvedAtKill: number[] = [];
      for (let i = 0; i < KILLS; i++) {
        await sleep(killGaps[i] ?? 1_000);
        if (i === heldKill) {
          // The next create takes effect and its response is held: kill the operator inside that window.
          heldKillLanded = await faults.armHold(heldMode, 5_000, 10_000);
          if (heldKillLanded) await sleep(150);
        }
        // Creates sent whose result is not yet in status: the kill lands while they are unresolved.
        const crs = await listCRs();
        unresolvedAtKill.push(
          crs.filter(
            (c) => !c.status?.id && c.metadata.annotations?.['vpcep.huaweicloud.io/create-requested-at'],
          ).length,
        );
        await op.kill();
        retire(op);
        kills++;
        await sleep(downtimes[i] ?? 0);
        op = launch();
      }
      await Promise.all([creator, changer, deleter]);
      const chaosEnd = Date.now();

      // ---- calm: faults off, converge ------------------------------------------------------------------
      clearInterval(ticker);
      faults.stop();
      sim.controls.setThrottle({ qps: 0 });
      const survivors = names.filter((n) => !toDelete.has(n));
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
        const conns = new Map(sim.controls.allConnections().map((c) => [c.id, c.status]));
        for (const c of consumers)
          if (conns.get(c.endpointId) !== c.final)
            why.push(
              `${c.service}: endpoint of ${c.domainId === GOOD ? 'GOOD' : 'OTHER'} is ${conns.get(c.endpointId) ?? 'absent'}, expected ${c.final}`,
            );
        return why.join('; ');
      };
      await eventually(
        async () => {
          pendingWhy = await stillPending();
          return pendingWhy === '' ? true : undefined;
        },
        'every surviving resource Ready with its one service, every deleted one gone with its service, every consumer where its rule says',
        CONVERGE_TIMEOUT_MS,
        500,
      ).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}; still: ${pendingWhy}`);
      });
      const converged = Date.now();
      const unconnected = await connecting;
      observing = false;
      await observer;
      await observe();

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

      // ---- summary -----------------------------------------------------------------------------------------
      const counters = sim.controls.counters();
      const throttled = sim.controls.throttled();
      const calls = Object.values(counters).reduce((s, n) => s + n, 0);
      const lines = [...logLines, ...op.lines];
      const decisions = (d: string) => lines.filter((l) => l.includes(`"decision":"${d}"`)).length;
      const c = tally.counts;
      const row = (label: string, value: string | number) => `  ${label.padEnd(38)} ${value}`;
      console.log(
        [
          `chaos summary (seed ${SEED})`,
          row('resources (created/changed/deleted)', `${RESOURCES} / ${toChange.size} / ${toDelete.size}`),
          row(
            'operator SIGKILLs',
            `${kills} (held-create kill ${heldKillLanded ? `landed, ${heldMode}` : 'missed'})`,
          ),
          row('unresolved creates at each kill', unresolvedAtKill.join(' ')),
          row('faults: connection resets', c.resets),
          row('faults: injected 500 / 429', `${c.errors['500'] ?? 0} / ${c.errors['429'] ?? 0}`),
          row('faults: throttled (qps 8)', JSON.stringify(throttled)),
          row(
            'faults: delayed calls (avg ms)',
            `${c.delayed} (${Math.round(c.latencyMs / Math.max(1, c.delayed))})`,
          ),
          row('faults: commit-then-drop reset/504', `${faults.drops.reset} / ${faults.drops['504']}`),
          row('cloud calls by operation', JSON.stringify(counters)),
          row('cloud calls total / per resource', `${calls} / ${(calls / RESOURCES).toFixed(1)}`),
          row('operator: created / found-by-tag', `${decisions('created')} / ${decisions('found-by-tag')}`),
          row(
            'operator: outcome-unknown / tag-wait',
            `${decisions('create-outcome-unknown')} / ${decisions('await-tag-index')}`,
          ),
          row('services ever seen / now', `${seen.ownerBySvc.size} / ${services.length}`),
          row(
            'consumers: accepted / rejected / pending',
            `${consumers.filter((c) => c.final === 'accepted').length} / ${consumers.filter((c) => c.final === 'rejected').length} / ${consumers.filter((c) => c.final === 'pendingAcceptance').length} (on ${withConsumers.length} services; no forbidden state seen)`,
          ),
          row('observer samples', seen.samples),
          row('chaos phase', `${((chaosEnd - t0) / 1000).toFixed(1)} s`),
          row('time to converge after faults off', `${((converged - chaosEnd) / 1000).toFixed(1)} s`),
        ].join('\n'),
      );

      // The last operator still shuts down cleanly.
      expect(await op.stop()).toBe(0);
      retire(op);
      op = undefined;
    },
  );
});
