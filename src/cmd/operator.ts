#!/usr/bin/env node
/**
 * `vpcep-operator`: watches VpcEndpointService resources and keeps Huawei Cloud VPCEP endpoint services
 * in line with them. Wiring only: configuration, clients, the controller (through the builder), the CRD
 * schema guard, leader election, probes and metrics; the behaviour lives in src/managed (the lifecycle),
 * src/controller (the VPCEP adapter) and src/runtime.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import {
  ApiextensionsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  EventsV1Api,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { GROUP } from '../api/constants.js';
import type { VpcEndpoint, VpcEndpointService } from '../api/types.js';
import type { VpcepClient } from '../cloud/client.js';
import { makeEndpointAdapter } from '../controller/endpoint/adapter.js';
import { endpointKind } from '../controller/endpoint/kind.js';
import { Publisher } from '../controller/endpoint/publish.js';
import { ConnectionReferences } from '../controller/endpoint/references.js';
import { makeEndpointServiceAdapter } from '../controller/endpoint-service/adapter.js';
import { keyOf, type KindDescriptor, type ManagedObject, type ManagedStatus } from '../managed/kind.js';
import type { ManagedReconciler } from '../managed/lifecycle.js';
import type { InformerEvent } from '../runtime/informer-supervisor.js';
import { cloudCallMetrics } from '../controller/cloud-metrics.js';
import { CredentialResolver } from '../controller/credentials.js';
import { resourceMetrics } from '../controller/resource-metrics.js';
import { SecretReferences, secretEventMapper, secretSources } from '../controller/secret-watch.js';
import { KubeResourceOps } from '../managed/kube-resource-ops.js';
import { VpcEndpointReconciler, VpcEndpointServiceReconciler } from '../controller/reconciler.js';
import { endpointServiceKind } from '../controller/endpoint-service/kind.js';
import { isSettled, TriggerFilter } from '../managed/trigger-filter.js';
import { systemClock } from '../util/clock.js';
import { ControllerBuilder, customResourceSource } from '../runtime/builder.js';
import { parseLabelSelector } from '../runtime/label-selector.js';
import { EventRecorder } from '../runtime/events.js';
import { currentNamespace, loadKubeConfig } from '../runtime/kubeconfig.js';
import { createLogger } from '../runtime/logging.js';
import { Manager } from '../runtime/manager.js';
import { RuntimeMetrics } from '../runtime/metrics.js';
import { parseCommand, type OperatorConfig } from './config.js';
// [crd-guard] issue 16
import { ANNOTATION_SCHEMA_REVISION, ENDPOINT_KIND, KIND } from '../api/constants.js';
import { CrdGuard, kubeCrdSource } from '../runtime/crd-guard.js';
import { guardedKinds, ownPod } from './crd-schema.js';
import { packageVersion } from './version.js';

const CONTROLLER = 'vpcendpointservice';
const ENDPOINT_CONTROLLER = 'vpcendpoint';

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
      selector: config.selector ?? 'all',
      lease: config.leaderElect ? config.leaderElectionId : undefined,
      watchSecrets: config.watchSecrets,
      credentialSecretNames: config.credentialSecretNames.length ? config.credentialSecretNames : 'any',
      defaultCredentials: defaultCredentialsKind(config),
    },
    'starting',
  );

  // [shards] --selector: the resources this process manages (list, watch and every pass).
  const shard = config.selector ? parseLabelSelector(config.selector) : undefined;
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
    secretNames: config.credentialSecretNames,
    ...(config.endpointOverride ? { endpointOverride: config.endpointOverride } : {}),
    qps: config.cloudQps,
    burst: config.cloudBurst,
    // The burst is earned by this process's own quiet time, not inherited from a predecessor's.
    startEmpty: true,
    clock,
    onCall: cloudCallMetrics(registry),
  });
  // Which VpcEndpoint connects to which VpcEndpointService, from both kinds' own events.
  const connections = new ConnectionReferences();
  const inShard = shard ? (obj: ManagedObject) => shard.matches(obj.metadata.labels) : undefined;
  const opsFor = <O extends ManagedObject>(kind: KindDescriptor): KubeResourceOps<O> =>
    new KubeResourceOps<O>({
      kind,
      custom,
      apiextensions: kc.makeApiClient(ApiextensionsV1Api),
      recorder,
      log,
    });
  const lifecycle = {
    credentials,
    clock,
    resyncMs: config.resyncMs,
    allowObserveOwned: config.allowObserveOwned,
    ...(inShard ? { inShard } : {}),
  };
  const serviceAdapter = makeEndpointServiceAdapter({
    endpoints: connections.lookup,
    related: (svc) => connections.serviceVersion(keyOf(svc)),
  });
  const reconciler = new VpcEndpointServiceReconciler({
    ...lifecycle,
    ops: opsFor<VpcEndpointService>(endpointServiceKind),
    adapter: serviceAdapter,
  });
  const publisher = new Publisher({
    core,
    discovery: kc.makeApiClient(DiscoveryV1Api),
    enabled: config.enablePublish,
  });
  const endpointAdapter = makeEndpointAdapter({
    lookupService: connections.service,
    publish: (obj, seen, service, ctx) => publisher.sync(obj, seen, service, ctx),
    related: (ep) => connections.endpointVersion(ep),
  });
  const endpointReconciler = new VpcEndpointReconciler({
    ...lifecycle,
    ops: opsFor<VpcEndpoint>(endpointKind),
    adapter: endpointAdapter,
  });
  // [crd-guard] issue 16: reconcile a kind only while its CRD's schema revision is at least ours.
  const pod = ownPod(process.env);
  const guard = new CrdGuard({
    kinds: guardedKinds(version),
    annotation: ANNOTATION_SCHEMA_REVISION,
    source: kubeCrdSource({ kc, clock, log, metrics }),
    log,
    onWarning: (_kind, reason, note) => {
      if (pod) void recorder.record(pod, { type: 'Warning', reason, action: 'CheckCRD', note });
    },
  });
  const serviceGate = guard.gate(KIND, (key) => serviceController.enqueue(key));
  const endpointGate = guard.gate(ENDPOINT_KIND, (key) => endpointController.enqueue(key));

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

  // [crd-guard] the guard first: each kind's informers start once its verdict allows them.
  manager.addCache(guard);
  manager.addReadinessGate('CRD schema', () => guard.notReadyReason());
  // Secret -> the resources naming it (from the resources' own events), for the Secret watch.
  const serviceSecrets = new SecretReferences();
  const endpointSecrets = new SecretReferences();
  const serviceBuilder = managedBuilder({
    name: CONTROLLER,
    metrics,
    kind: endpointServiceKind,
    reconciler,
    onEvent: (key, obj: VpcEndpointService, event, initial) => {
      serviceSecrets.observe(key, obj, event);
      connections.observeService(key, obj, event);
      // A service's change (an id, a connection accepted) wakes the endpoints that connect to it.
      if (!initial) for (const k of connections.endpointsOf(key)) endpointController.enqueue(k);
    },
  });
  const endpointBuilder = managedBuilder({
    name: ENDPOINT_CONTROLLER,
    metrics: new RuntimeMetrics(registry, ENDPOINT_CONTROLLER),
    kind: endpointKind,
    reconciler: endpointReconciler,
    onEvent: (key, obj: VpcEndpoint, event, initial) => {
      endpointSecrets.observe(key, obj, event);
      const before = connections.serviceOfKey(key);
      connections.observeEndpoint(key, obj, event);
      // An endpoint's change (created, pending, deleted) wakes the service it connects to, whose
      // acceptInCluster rule then decides at once (the builder's watches, on the shared cache).
      if (!initial)
        for (const k of new Set([before, connections.serviceOf(obj)]))
          if (k !== undefined) serviceController.enqueue(k);
    },
  });
  // Secrets picked up in seconds: a metadata-only watch; the data is read when a resource is reconciled.
  if (config.watchSecrets)
    for (const source of secretSources({
      kc,
      names: config.credentialSecretNames,
      onForbidden: (ns) =>
        log.error(
          { decision: 'secret-watch-forbidden', namespace: ns ?? 'all' },
          'the operator may not list Secrets (RBAC): Secret changes are seen by the periodic rechecks ' +
            'only; grant list/watch on Secrets or run with --watch-secrets=false',
        ),
    }))
      serviceBuilder.watches(
        source,
        secretEventMapper(serviceSecrets, credentials, [
          { refs: endpointSecrets, enqueue: (k) => endpointController.enqueue(k) },
        ]),
      );
  const serviceController = serviceBuilder.build(
    serviceGate.reconciler(reconciler.reconcile), // [crd-guard]
    {
      addCache: (c) => manager.addCache(serviceGate.cache(c)),
      addController: (c) => manager.addController(c),
    },
    { reconcileTimeoutMs: config.reconcileTimeoutMs, initialSpreadMs: config.resyncMs },
  );
  const endpointController = endpointBuilder.build(
    endpointGate.reconciler(endpointReconciler.reconcile),
    {
      addCache: (c) => manager.addCache(endpointGate.cache(c)),
      addController: (c) => manager.addController(c),
    },
    { reconcileTimeoutMs: config.reconcileTimeoutMs, initialSpreadMs: config.resyncMs },
  );
  // [see-it] conditions of the resources, counted from the cache while this process reconciles.
  resourceMetrics(registry, [
    {
      kind: KIND,
      objects: () => serviceBuilder.primaryObjects() as VpcEndpointService[],
      active: () => manager.isLeader(),
      clock,
    },
    {
      kind: ENDPOINT_KIND,
      objects: () => endpointBuilder.primaryObjects() as VpcEndpoint[],
      active: () => manager.isLeader(),
      clock,
    },
  ]);

  /** One managed kind's controller builder: its source, event hook, priorities, scope and workers. */
  function managedBuilder<O extends ManagedObject & KubernetesObject>(b: {
    name: string;
    metrics: RuntimeMetrics;
    kind: KindDescriptor;
    reconciler: ManagedReconciler<O, VpcepClient, ManagedStatus>;
    onEvent: (key: string, obj: O, event: InformerEvent, initial: boolean) => void;
  }): ControllerBuilder {
    const filter = new TriggerFilter();
    return new ControllerBuilder(b.name, { kc, clock, log, metrics: b.metrics })
      .forKind(
        customResourceSource<O>(b.kind, custom),
        (key, obj, event, info) => {
          b.onEvent(key, obj, event, info?.initial === true);
          if (event === 'delete') credentials.forget(obj.metadata.uid ?? key);
          return filter.shouldEnqueue(key, obj, event);
        },
        // Users' changes first: settled objects found at start are rechecked spread over their own
        // period (the resync, or sooner for those the adapter polls).
        { settled: (obj) => isSettled(obj, b.kind), spreadMs: (obj) => b.reconciler.resyncFor(obj) },
      )
      .namespaces(config.namespaces)
      .selector(config.selector) // [shards] only the resources of this shard
      .workers(config.maxConcurrentReconciles);
  }
  await manager.start();
  const ports = manager.ports();
  log.info({ metricsPort: ports?.metricsPort, healthPort: ports?.healthPort, identity }, 'operator started');
  const code = await manager.done;
  credentials.close();
  return code;
}

/** Which shape the operator-wide credentials have (for the start line; never a value). */
function defaultCredentialsKind(config: OperatorConfig): string {
  const d = config.defaults;
  if (d.idpId || d.idTokenFile) return 'workload identity';
  if (d.accessKey || d.secretKey) return d.securityToken ? 'temporary access key' : 'access key';
  return 'none';
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
