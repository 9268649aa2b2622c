/**
 * The consumer side on a real apiserver with the simulator: `VpcEndpoint` by serviceRef, serviceId and
 * serviceName; in-cluster approval by `acceptInCluster` (and the namespace boundary); a cross-account
 * endpoint (not whitelisted, then whitelisted and accepted by acceptDomains); publishing as a Service;
 * deleting a service an in-cluster endpoint still uses.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { VpcEndpoint } from '../../../src/api/types.js';
import { OWNERSHIP_TAG_KEY } from '../../../src/api/constants.js';
import { VpcepClient } from '../../../src/cloud/client.js';
import { eventually } from '../support/kube.js';
import {
  createEndpointCR,
  deleteEndpointCR,
  getEndpointCR,
  patchEndpointCR,
  readyReason,
  waitForEndpoint,
} from '../support/endpoints.js';
import {
  TEST_CREDS,
  cond,
  createCR,
  deleteCR,
  getCR,
  isReady,
  patchCR,
  specFor,
  uuid,
  useOperatorFixture,
  waitForCR,
} from '../support/operator.js';

const CONSUMER = {
  accessKey: 'consumer-ak',
  secretKey: 'consumer-SECRET-never-logged-51c2',
  projectId: 'c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0',
  domainId: 'dddddddddddddddddddddddddddddd01',
};

const ready = (ep: VpcEndpoint | undefined): boolean =>
  readyReason(ep) === 'True' && ep?.status?.observedGeneration === ep?.metadata.generation;

describe('VpcEndpoint: the consumer side', () => {
  const f = useOperatorFixture('endpoints', {
    sim: { createDelayMs: 500, deleteDelayMs: 300, credentials: [CONSUMER] },
    allNamespaces: true,
  });
  let nsB = '';
  let nsC = '';
  const svcId = async (name: string, ns = f.ns) =>
    (await waitForCR(f.k.custom, ns, name, isReady, `${name} Ready`))!.status!.id!;
  beforeAll(async () => {
    f.secrets.push(CONSUMER.secretKey);
    nsB = await f.k.freshNamespace('endpoints-b');
    nsC = await f.k.freshNamespace('endpoints-c');
  });
  const simEndpoint = (id: string) => f.sim.controls.endpoints().find((e) => e.id === id);
  const connection = (endpointId: string) => f.sim.controls.allConnections().find((c) => c.id === endpointId);

  it('by serviceRef: accepted in-cluster within seconds, published, whitelist updated, deleted with its connection', async () => {
    await createCR(
      f.k.custom,
      f.ns,
      'orders',
      specFor({
        portId: uuid(),
        vpcId: uuid(),
        approvalEnabled: true,
        ports: [{ clientPort: 5432, serverPort: 5432 }],
        connectionApproval: { acceptInCluster: { namespaces: [nsB] } },
      }),
    );
    const serviceId = await svcId('orders');
    const applied = Date.now();
    await createEndpointCR(f.k.custom, nsB, 'orders-db', {
      serviceRef: { name: 'orders', namespace: f.ns },
      vpcId: uuid(),
      subnetId: uuid(),
      whitelist: ['10.0.0.0/24'],
      publish: { serviceName: 'orders-db' },
    });
    // Watch the endpoint closely: when did it reach pendingAcceptance, when Ready?
    let pendingAt: number | undefined;
    const ep = await waitForEndpoint(
      f.k.custom,
      nsB,
      'orders-db',
      (e) => {
        if (pendingAt === undefined && e?.status?.status === 'pendingAcceptance') pendingAt = Date.now();
        return ready(e);
      },
      'Ready',
    );
    const readyAt = Date.now();
    console.log(
      `in-cluster approval: Ready ${readyAt - applied} ms after the apply (simulator create delay 500 ms); ` +
        `accepted ${pendingAt !== undefined ? `${readyAt - pendingAt} ms after pendingAcceptance was seen` : '(pending was never observed between polls)'}`,
    );
    expect(readyAt - (pendingAt ?? applied)).toBeLessThan(10_000);
    expect(ep?.status?.status).toBe('accepted');
    expect(ep?.status?.serviceId).toBe(serviceId);
    expect(ep?.status?.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(ep?.status?.dnsNames?.length).toBeGreaterThan(0);
    const id = ep!.status!.id!;
    expect(connection(id)?.status).toBe('accepted');
    expect(simEndpoint(id)?.whitelist).toEqual(['10.0.0.0/24']);
    // Published: an ExternalName Service to the endpoint's DNS name, owned by the VpcEndpoint.
    const svc = await f.k.core.readNamespacedService({ name: 'orders-db', namespace: nsB });
    expect(svc.spec?.type).toBe('ExternalName');
    expect(svc.spec?.externalName).toBe(ep!.status!.dnsNames![0]);
    expect(svc.spec?.ports?.map((p) => p.port)).toEqual([5432]);
    expect(svc.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'VpcEndpoint',
      uid: ep!.metadata.uid,
      controller: true,
    });
    // The service's status lists the connection.
    const owner = await waitForCR(
      f.k.custom,
      f.ns,
      'orders',
      (s) => s?.status?.connections?.some((c) => c.endpointId === id && c.status === 'accepted') === true,
      'connection accepted in status',
    );
    expect(owner?.status?.connectionCounts?.accepted).toBe(1);

    // A whitelist change reaches the cloud.
    await patchEndpointCR(f.k.custom, nsB, 'orders-db', {
      spec: { whitelist: ['10.0.0.0/24', '10.1.0.0/16'] },
    });
    await waitForEndpoint(f.k.custom, nsB, 'orders-db', ready, 'Ready after the whitelist change');
    await eventually(
      async () =>
        [...(simEndpoint(id)?.whitelist ?? [])].sort().join() === '10.0.0.0/24,10.1.0.0/16'
          ? true
          : undefined,
      'whitelist in the cloud',
      30_000,
      100,
    );

    // Delete: the endpoint and its connection go; the Service is garbage-collected with it.
    await deleteEndpointCR(f.k.custom, nsB, 'orders-db');
    await eventually(
      async () => ((await getEndpointCR(f.k.custom, nsB, 'orders-db')) === undefined ? true : undefined),
      'VpcEndpoint gone',
      60_000,
      200,
    );
    expect(simEndpoint(id)).toBeUndefined();
    expect(connection(id)).toBeUndefined();
    await eventually(
      async () => {
        try {
          await f.k.core.readNamespacedService({ name: 'orders-db', namespace: nsB });
          return undefined;
        } catch {
          return true;
        }
      },
      'published Service garbage-collected',
      60_000,
      250,
    );
  });

  it('a namespace acceptInCluster does not list stays pending and says so', async () => {
    const applied = Date.now();
    await createEndpointCR(f.k.custom, nsC, 'intruder', {
      serviceRef: { name: 'orders', namespace: f.ns },
      vpcId: uuid(),
      subnetId: uuid(),
    });
    const ep = await waitForEndpoint(
      f.k.custom,
      nsC,
      'intruder',
      (e) => readyReason(e) === 'PendingAcceptance',
      'PendingAcceptance',
    );
    // An allowed endpoint created after it is accepted while it still waits.
    await createEndpointCR(f.k.custom, nsB, 'allowed', {
      serviceRef: { name: 'orders', namespace: f.ns },
      vpcId: uuid(),
      subnetId: uuid(),
    });
    await waitForEndpoint(f.k.custom, nsB, 'allowed', ready, 'allowed Ready');
    const again = await getEndpointCR(f.k.custom, nsC, 'intruder');
    expect(readyReason(again)).toBe('PendingAcceptance');
    expect(cond(again, 'Ready')?.message).toMatch(/waits for its owner's approval/);
    expect(connection(ep!.status!.id!)?.status).toBe('pendingAcceptance');
    console.log(`not-listed namespace: still pendingAcceptance ${Date.now() - applied} ms after its apply`);
    await deleteEndpointCR(f.k.custom, nsC, 'intruder');
    await deleteEndpointCR(f.k.custom, nsB, 'allowed');
  });

  it('by serviceId without DNS: a headless Service and an EndpointSlice with the IP', async () => {
    await createCR(
      f.k.custom,
      f.ns,
      'open',
      specFor({ portId: uuid(), vpcId: uuid(), approvalEnabled: false }),
    );
    const serviceId = await svcId('open');
    await createEndpointCR(f.k.custom, nsB, 'by-id', {
      serviceId,
      vpcId: uuid(),
      subnetId: uuid(),
      enableDns: false,
      publish: { serviceName: 'by-id' },
    });
    const ep = await waitForEndpoint(f.k.custom, nsB, 'by-id', ready, 'Ready');
    expect(ep?.status?.dnsNames ?? []).toEqual([]);
    const svc = await f.k.core.readNamespacedService({ name: 'by-id', namespace: nsB });
    expect(svc.spec?.clusterIP).toBe('None');
    const { DiscoveryV1Api } = await import('@kubernetes/client-node');
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    kc.loadFromFile(f.k.kubeconfig);
    const slice = await kc
      .makeApiClient(DiscoveryV1Api)
      .readNamespacedEndpointSlice({ name: 'by-id-vpce', namespace: nsB });
    expect(slice.endpoints?.[0]?.addresses).toEqual([ep!.status!.ip]);
    expect(slice.metadata?.labels?.['kubernetes.io/service-name']).toBe('by-id');
    // A Service of a name this resource does not own is never overwritten.
    await f.k.core.createNamespacedService({
      namespace: nsB,
      body: { metadata: { name: 'taken' }, spec: { ports: [{ port: 80 }] } },
    });
    await patchEndpointCR(f.k.custom, nsB, 'by-id', { spec: { publish: { serviceName: 'taken' } } });
    const conflicted = await waitForEndpoint(
      f.k.custom,
      nsB,
      'by-id',
      (e) => readyReason(e) === 'PublishConflict',
      'PublishConflict',
    );
    expect(cond(conflicted, 'Ready')?.message).toMatch(
      /taken exists and is not published by this VpcEndpoint/,
    );
    const taken = await f.k.core.readNamespacedService({ name: 'taken', namespace: nsB });
    expect(taken.spec?.ports?.[0]?.port).toBe(80);
    expect(taken.metadata?.ownerReferences ?? []).toEqual([]);
    // The old name's Service was removed on the rename.
    await eventually(
      async () => {
        try {
          await f.k.core.readNamespacedService({ name: 'by-id', namespace: nsB });
          return undefined;
        } catch {
          return true;
        }
      },
      'the previously published Service removed',
      30_000,
      200,
    );
    await deleteEndpointCR(f.k.custom, nsB, 'by-id');
  });

  it('cross-account by serviceName: NotWhitelisted, then whitelisted, pending and accepted by acceptDomains', async () => {
    await createCR(
      f.k.custom,
      f.ns,
      'shared',
      specFor({ portId: uuid(), vpcId: uuid(), approvalEnabled: true, permissions: [] }),
    );
    await svcId('shared');
    const fullName = (await getCR(f.k.custom, f.ns, 'shared'))!.status!.serviceName!;
    await f.k.core.createNamespacedSecret({
      namespace: nsB,
      body: {
        metadata: { name: 'consumer-creds' },
        stringData: {
          accessKey: CONSUMER.accessKey,
          secretKey: CONSUMER.secretKey,
          projectId: CONSUMER.projectId,
        },
      },
    });
    await createEndpointCR(f.k.custom, nsB, 'remote', {
      serviceName: fullName,
      vpcId: uuid(),
      subnetId: uuid(),
      credentialsSecretRef: { name: 'consumer-creds' },
    });
    const refused = await waitForEndpoint(
      f.k.custom,
      nsB,
      'remote',
      (e) => readyReason(e) === 'NotWhitelisted',
      'NotWhitelisted',
    );
    expect(cond(refused, 'Ready')?.message).toMatch(/EndPoint\.2012/);
    expect(f.sim.controls.endpoints(CONSUMER.projectId)).toEqual([]);
    // The owner lets the account in and accepts its connections.
    await patchCR(f.k.custom, f.ns, 'shared', {
      spec: {
        permissions: [{ domainId: CONSUMER.domainId }],
        connectionApproval: { acceptDomains: [CONSUMER.domainId] },
      },
    });
    const ep = await waitForEndpoint(f.k.custom, nsB, 'remote', ready, 'Ready', 90_000);
    expect(ep?.status?.status).toBe('accepted');
    expect(f.sim.controls.endpoints(CONSUMER.projectId).map((e) => e.id)).toEqual([ep!.status!.id]);
    await deleteEndpointCR(f.k.custom, nsB, 'remote');
  });

  it('deleting a service an in-cluster endpoint uses: DeleteBlocked naming it; with rejectConnectionsOnDelete it goes and the endpoint is Rejected', async () => {
    await createCR(
      f.k.custom,
      f.ns,
      'busy',
      specFor({
        portId: uuid(),
        vpcId: uuid(),
        approvalEnabled: true,
        connectionApproval: { acceptInCluster: { namespaces: ['*'] } },
      }),
    );
    await svcId('busy');
    await createEndpointCR(f.k.custom, nsB, 'user', {
      serviceRef: { name: 'busy', namespace: f.ns },
      vpcId: uuid(),
      subnetId: uuid(),
    });
    const ep = await waitForEndpoint(f.k.custom, nsB, 'user', ready, 'Ready');
    await deleteCR(f.k.custom, f.ns, 'busy');
    const blocked = await waitForCR(
      f.k.custom,
      f.ns,
      'busy',
      (s) => cond(s, 'Ready')?.reason === 'DeleteBlocked' || cond(s, 'Synced')?.reason === 'DeleteBlocked',
      'DeleteBlocked',
    );
    const c =
      cond(blocked, 'Synced')?.reason === 'DeleteBlocked' ? cond(blocked, 'Synced') : cond(blocked, 'Ready');
    expect(c?.message).toContain(ep!.status!.id!);
    await patchCR(f.k.custom, f.ns, 'busy', { spec: { rejectConnectionsOnDelete: true } });
    await eventually(
      async () => ((await getCR(f.k.custom, f.ns, 'busy')) === undefined ? true : undefined),
      'service gone',
      60_000,
      200,
    );
    const rejected = await waitForEndpoint(
      f.k.custom,
      nsB,
      'user',
      (e) => readyReason(e) === 'Rejected',
      'Rejected',
    );
    expect(rejected?.status?.status).toBe('rejected');
    await deleteEndpointCR(f.k.custom, nsB, 'user');
  });

  it('adoption by the endpoint-id annotation, observe-only, and Retain: all from the lifecycle', async () => {
    await createCR(
      f.k.custom,
      f.ns,
      'adoptable',
      specFor({ portId: uuid(), vpcId: uuid(), approvalEnabled: false }),
    );
    const serviceId = await svcId('adoptable');
    const client = new VpcepClient({
      target: { endpoint: f.sim.url, projectId: TEST_CREDS.projectId, region: 'cn-north-4' },
      credentials: { accessKey: TEST_CREDS.accessKey, secretKey: TEST_CREDS.secretKey },
    });
    const made = await client.createEndpoint({
      endpoint_service_id: serviceId,
      vpc_id: uuid(),
      subnet_id: uuid(),
    });
    f.sim.controls.completeEndpoint(made.id);
    // Observe only: read, never tagged or changed.
    await f.k.custom.createNamespacedCustomObject({
      group: 'vpcep.huaweicloud.io',
      version: 'v1alpha1',
      plural: 'vpcendpoints',
      namespace: nsB,
      body: {
        apiVersion: 'vpcep.huaweicloud.io/v1alpha1',
        kind: 'VpcEndpoint',
        metadata: {
          name: 'watcher',
          annotations: {
            'vpcep.huaweicloud.io/endpoint-id': made.id,
            'vpcep.huaweicloud.io/management-policy': 'observe',
          },
        },
        spec: { serviceId, vpcId: uuid(), subnetId: uuid(), whitelist: ['10.9.0.0/16'] },
      },
    });
    const watched = await waitForEndpoint(f.k.custom, nsB, 'watcher', ready, 'observed Ready');
    expect(watched?.status?.id).toBe(made.id);
    expect(simEndpoint(made.id)?.tags?.some((t) => t.key === OWNERSHIP_TAG_KEY)).toBe(false);
    expect(simEndpoint(made.id)?.whitelist ?? []).toEqual([]);
    await deleteEndpointCR(f.k.custom, nsB, 'watcher');
    await eventually(
      async () => ((await getEndpointCR(f.k.custom, nsB, 'watcher')) === undefined ? true : undefined),
      'observer gone',
      30_000,
      200,
    );
    expect(simEndpoint(made.id)).toBeDefined();
    // Adopted and managed, with Retain: tagged with the resource's UID, whitelist applied, kept on delete.
    await f.k.custom.createNamespacedCustomObject({
      group: 'vpcep.huaweicloud.io',
      version: 'v1alpha1',
      plural: 'vpcendpoints',
      namespace: nsB,
      body: {
        apiVersion: 'vpcep.huaweicloud.io/v1alpha1',
        kind: 'VpcEndpoint',
        metadata: { name: 'adopter', annotations: { 'vpcep.huaweicloud.io/endpoint-id': made.id } },
        spec: {
          serviceId,
          vpcId: uuid(),
          subnetId: uuid(),
          whitelist: ['10.9.0.0/16'],
          deletionPolicy: 'Retain',
        },
      },
    });
    const adopted = await waitForEndpoint(f.k.custom, nsB, 'adopter', ready, 'adopted Ready');
    expect(adopted?.status?.id).toBe(made.id);
    expect(simEndpoint(made.id)?.tags?.find((t) => t.key === OWNERSHIP_TAG_KEY)?.value).toBe(
      adopted?.metadata.uid,
    );
    expect(simEndpoint(made.id)?.whitelist).toEqual(['10.9.0.0/16']);
    await deleteEndpointCR(f.k.custom, nsB, 'adopter');
    await eventually(
      async () => ((await getEndpointCR(f.k.custom, nsB, 'adopter')) === undefined ? true : undefined),
      'adopter gone',
      30_000,
      200,
    );
    expect(simEndpoint(made.id)?.status).toBe('accepted');
    client.close();
  });
});
