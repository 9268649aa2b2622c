#!/usr/bin/env node
/**
 * `vpcep-operator`: watches VpcEndpointService resources and keeps Huawei Cloud VPCEP endpoint services
 * in line with them. Wiring only: configuration, clients, informers, the controller, leader election,
 * probes and metrics; the behaviour lives in src/controller and src/runtime.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import {
  ApiextensionsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  type KubernetesListObject,
} from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { GROUP, PLURAL, VERSION } from '../api/constants.js';
import type { VpcEndpointService } from '../api/types.js';
import { cloudCallMetrics } from '../controller/cloud-metrics.js';
import { CredentialResolver } from '../controller/credentials.js';
import { KubeResourceOps } from '../controller/kube-resource-ops.js';
import { VpcEndpointServiceReconciler } from '../controller/reconciler.js';
import { TriggerFilter } from '../controller/trigger-filter.js';
import { systemClock } from '../runtime/clock.js';
import { Controller } from '../runtime/controller.js';
import { EventRecorder } from '../runtime/events.js';
import { SupervisedInformer } from '../runtime/informer-supervisor.js';
import { currentNamespace, loadKubeConfig } from '../runtime/kubeconfig.js';
import { createLogger } from '../runtime/logging.js';
import { Manager } from '../runtime/manager.js';
import { RuntimeMetrics } from '../runtime/metrics.js';
import { parseCommand, type OperatorConfig } from './config.js';
import { packageVersion } from './version.js';

const CONTROLLER = 'vpcendpointservice';

async function main(config: OperatorConfig, version: string): Promise<number> {
  const clock = systemClock;
  const log = createLogger({ level: config.logLevel, base: { component: 'vpcep-operator' } });
  const kc = loadKubeConfig(config.kubeconfig);
  log.info(
    {
      version,
      server: kc.getCurrentCluster()?.server,
      namespaces: config.namespaces.length ? config.namespaces : 'all',
      defaultCredentialsNamespaces: config.defaultCredentialsNamespaces.length
        ? config.defaultCredentialsNamespaces
        : 'all',
      allowObserveOwned: config.allowObserveOwned,
    },
    'starting',
  );

  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const registry = new Registry();
  const metrics = new RuntimeMetrics(registry, CONTROLLER);
  const identity = `${process.env.POD_NAME || os.hostname()}_${randomBytes(4).toString('hex')}`;

  const recorder = new EventRecorder({
    events: kc.makeApiClient(EventsV1Api),
    controller: `${GROUP}/operator`,
    instance: identity,
    clock,
    log,
  });
  const credentials = new CredentialResolver({
    core,
    defaults: config.defaults,
    defaultCredentialsNamespaces: config.defaultCredentialsNamespaces,
    ...(config.endpointOverride ? { endpointOverride: config.endpointOverride } : {}),
    qps: config.cloudQps,
    burst: config.cloudBurst,
    clock,
    onCall: cloudCallMetrics(registry),
  });
  const reconciler = new VpcEndpointServiceReconciler({
    ops: new KubeResourceOps({ custom, apiextensions: kc.makeApiClient(ApiextensionsV1Api), recorder, log }),
    credentials,
    clock,
    resyncMs: config.resyncMs,
    allowObserveOwned: config.allowObserveOwned,
  });
  const controller = new Controller({
    name: CONTROLLER,
    reconciler: reconciler.reconcile,
    workers: config.maxConcurrentReconciles,
    clock,
    log,
    metrics,
  });

  const manager = new Manager({
    clock,
    log,
    registry,
    metricsAddress: config.metricsAddress,
    healthAddress: config.healthAddress,
    gracefulShutdownMs: config.gracefulShutdownMs,
    ...(config.leaderElect
      ? {
          leaderElection: {
            coordination: kc.makeApiClient(CoordinationV1Api),
            namespace: config.leaderElectionNamespace ?? currentNamespace(kc) ?? 'default',
            name: config.leaderElectionId,
            identity,
          },
        }
      : {}),
  });

  const filter = new TriggerFilter();
  const scopes: Array<string | undefined> = config.namespaces.length ? config.namespaces : [undefined];
  for (const ns of scopes) {
    const path = ns
      ? `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${PLURAL}`
      : `/apis/${GROUP}/${VERSION}/${PLURAL}`;
    const list = (): Promise<KubernetesListObject<VpcEndpointService>> =>
      (ns
        ? custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: ns })
        : custom.listCustomObjectForAllNamespaces({
            group: GROUP,
            version: VERSION,
            plural: PLURAL,
          })) as Promise<KubernetesListObject<VpcEndpointService>>;
    manager.addCache(
      new SupervisedInformer<VpcEndpointService>({
        kc,
        path,
        list,
        name: ns ? `${PLURAL}/${ns}` : PLURAL,
        clock,
        log,
        metrics,
        resyncMs: config.resyncMs,
        onKey: (key, obj, event) => {
          if (filter.shouldEnqueue(key, obj, event)) controller.enqueue(key);
        },
      }),
    );
  }
  manager.addController(controller);
  await manager.start();
  const ports = manager.ports();
  log.info({ metricsPort: ports?.metricsPort, healthPort: ports?.healthPort, identity }, 'operator started');
  const code = await manager.done;
  credentials.close();
  return code;
}

const version = packageVersion();
const parsed = parseCommand(process.argv.slice(2), process.env, version);
if (parsed.kind === 'print') {
  (parsed.exitCode === 0 ? process.stdout : process.stderr).write(parsed.text);
  process.exit(parsed.exitCode);
} else {
  main(parsed.config, version).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`vpcep-operator: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
