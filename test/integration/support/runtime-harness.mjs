#!/usr/bin/env node
// An operator-like process built only from the compiled generic runtime (dist/src/runtime), for the
// integration tests that need separate OS processes (leader election handover, SIGTERM, SIGKILL).
// Plain ESM JavaScript: Node 20 cannot run TypeScript in a child process, so `npm run build` first.
//
// It wires what a real operator wires: a Manager with leader election on a Lease, a SupervisedInformer
// on the VpcEndpointService resources of one namespace, a Controller whose trivial reconciler writes
// `status.{observedGeneration,id,status}` through a StatusWriter (`id` = this process's identity, so
// the test can see who reconciled), and the probe endpoints on 127.0.0.1:0.
//
//   node runtime-harness.mjs --namespace NS --lease NAME --identity ID
//        [--lease-ms 4000] [--renew-ms 3000] [--retry-ms 500]
//
// Kubeconfig: $KUBECONFIG. Stdout carries only JSON lines, one per event, each with `event`,
// `identity` and `at` (epoch ms):
//   {"event":"ports","metricsPort":N,"healthPort":N}      probes listening, informer started
//   {"event":"synced"}                                    the informer's first list is cached
//   {"event":"leading"} / {"event":"stopped-leading"}     leadership changed (exactly when the elector
//                                                         flips, see LeaderStatusGauge below)
//   {"event":"reconciled","key":K,"generation":G,"wrote":B}
//   {"event":"exit","code":C}                             the Manager decided to exit with C
// Logs (pino JSON) go to stderr. Exit codes are the Manager's: 0 after SIGTERM/SIGINT, 1 when the
// lease was lost.
import process from 'node:process';
import { parseArgs } from 'node:util';
import { CoordinationV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { pino } from 'pino';
import { Gauge, Registry } from 'prom-client';
import {
  Controller,
  Manager,
  RuntimeMetrics,
  StatusWriter,
  SupervisedInformer,
  createLogger,
  loadKubeConfig,
  systemClock,
} from '../../../dist/src/runtime/index.js';

const GROUP = 'vpcep.huaweicloud.io';
const VERSION = 'v1alpha1';
const PLURAL = 'vpcendpointservices';

const { values: args } = parseArgs({
  options: {
    namespace: { type: 'string' },
    lease: { type: 'string' },
    identity: { type: 'string' },
    'lease-ms': { type: 'string', default: '4000' },
    'renew-ms': { type: 'string', default: '3000' },
    'retry-ms': { type: 'string', default: '500' },
  },
});
const { namespace, lease, identity } = args;
if (!namespace || !lease || !identity) {
  process.stderr.write('usage: runtime-harness.mjs --namespace NS --lease NAME --identity ID\n');
  process.exit(2);
}

/** Writes one event line to stdout (synchronous for pipes on Linux, so nothing is lost on exit). */
function emit(event, fields = {}) {
  process.stdout.write(`${JSON.stringify({ event, identity, at: Date.now(), ...fields })}\n`);
}

/**
 * `leader_election_master_status`, reporting every flip. The LeaderElector sets this gauge
 * synchronously at the moment its leadership state changes (after the acquiring write succeeded,
 * after the release write returned, or when the renew deadline passed), so the reported times bound
 * the leadership interval exactly rather than to a polling period. Registered before the Manager
 * starts, so the runtime's `leaderMetrics()` finds and reuses it.
 */
class LeaderStatusGauge extends Gauge {
  leading = false;
  set(...a) {
    super.set(...a);
    const value = a.length >= 2 ? a[1] : a[0];
    const leading = value === 1;
    if (leading === this.leading) return;
    this.leading = leading;
    emit(leading ? 'leading' : 'stopped-leading', { managerSaysLeader: manager.isLeader() });
  }
}

const clock = systemClock;
const log = createLogger({
  level: process.env.HARNESS_LOG_LEVEL || 'info',
  base: { identity },
  destination: pino.destination({ dest: 2, sync: true }),
});
const kc = loadKubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
const registry = new Registry();
new LeaderStatusGauge({
  name: 'leader_election_master_status',
  help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master',
  labelNames: ['name'],
  registers: [registry],
});
const metrics = new RuntimeMetrics(registry, 'harness');
const status = new StatusWriter({ api: custom, group: GROUP, version: VERSION, plural: PLURAL, log });

const manager = new Manager({
  clock,
  log,
  registry,
  metricsAddress: '127.0.0.1:0',
  healthAddress: '127.0.0.1:0',
  gracefulShutdownMs: 5_000,
  leaderElection: {
    coordination: kc.makeApiClient(CoordinationV1Api),
    namespace,
    name: lease,
    identity,
    leaseDurationMs: Number(args['lease-ms']),
    renewDeadlineMs: Number(args['renew-ms']),
    retryPeriodMs: Number(args['retry-ms']),
  },
  exit: (code) => {
    emit('exit', { code });
    process.exit(code);
  },
});

const informer = new SupervisedInformer({
  kc,
  path: `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`,
  list: () =>
    custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace }),
  name: `${PLURAL}/${namespace}`,
  clock,
  log,
  metrics,
  onKey: (key) => controller.enqueue(key),
});

const controller = new Controller({
  name: 'harness',
  workers: 1,
  clock,
  log,
  metrics,
  reconciler: async (req) => {
    const obj = informer.get(req.namespace, req.name);
    if (!obj) {
      emit('reconciled', { key: req.key, gone: true, wrote: false });
      return undefined;
    }
    const generation = obj.metadata?.generation;
    const wrote = await status.patchStatusIfChanged({ namespace: req.namespace, name: req.name }, obj, {
      ...(obj.status ?? {}),
      observedGeneration: generation,
      id: identity,
      status: 'reconciled',
    });
    emit('reconciled', { key: req.key, generation, wrote });
    return undefined;
  },
});

manager.addCache(informer);
manager.addController(controller);
await manager.start();
emit('ports', manager.ports() ?? {});
void informer.synced.then(() => emit('synced'));
