import { ApiException } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually, testKube, type TestKube } from './support/kube.js';

const G = 'vpcep.huaweicloud.io';
const V = 'v1alpha1';
const P = 'vpcendpointservices';

function spec(): Record<string, unknown> {
  return {
    portId: '4189d3c2-8882-4871-a3c2-d380272eed88',
    vpcId: '4189d3c2-8882-4871-a3c2-d380272eed80',
    serverType: 'VM',
    ports: [{ clientPort: 8080, serverPort: 90 }],
  };
}

interface Obj {
  metadata: { name: string; generation?: number; resourceVersion?: string; uid?: string };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

describe('the local control plane behaves as Kubernetes promises', () => {
  let k: TestKube;
  let ns: string;
  beforeAll(async () => {
    k = testKube();
    ns = await k.freshNamespace('cp');
  });

  it('reports a real, stamped version', async () => {
    const v = JSON.parse(await k.kubectl('get', '--raw', '/version')) as { gitVersion: string };
    expect(v.gitVersion).toMatch(/^v1\.\d+\.\d+$/);
  });

  it('status subresource: spec changes bump generation, status writes do not, status via the main resource is ignored', async () => {
    const ref = { group: G, version: V, namespace: ns, plural: P };
    const created = (await k.custom.createNamespacedCustomObject({
      ...ref,
      body: { apiVersion: `${G}/${V}`, kind: 'VpcEndpointService', metadata: { name: 'gen' }, spec: spec() },
    })) as Obj;
    expect(created.metadata.generation).toBe(1);

    // A status write through /status bumps resourceVersion but not generation.
    const afterStatus = (await k.custom.replaceNamespacedCustomObjectStatus({
      ...ref,
      name: 'gen',
      body: { ...created, status: { id: 'abc', status: 'creating' } },
    })) as Obj;
    expect(afterStatus.metadata.generation).toBe(1);
    expect(afterStatus.metadata.resourceVersion).not.toBe(created.metadata.resourceVersion);
    expect(afterStatus.status).toMatchObject({ id: 'abc', status: 'creating' });

    // A status change sent to the main resource is dropped; a spec change bumps generation.
    const afterMain = (await k.custom.replaceNamespacedCustomObject({
      ...ref,
      name: 'gen',
      body: { ...afterStatus, spec: { ...spec(), description: 'changed' }, status: { id: 'forged' } },
    })) as Obj;
    expect(afterMain.metadata.generation).toBe(2);
    expect(afterMain.status).toMatchObject({ id: 'abc' });

    // A stale resourceVersion gets 409 Conflict.
    const stale = k.custom.replaceNamespacedCustomObject({
      ...ref,
      name: 'gen',
      body: { ...afterStatus, spec: { ...spec(), description: 'stale' } },
    });
    await expect(stale).rejects.toSatisfy((e: unknown) => e instanceof ApiException && e.code === 409);
  });

  it('kubectl explain shows the field descriptions', async () => {
    const out = await k.kubectl('explain', 'vpcendpointservices.spec.ports');
    expect(out).toMatch(/clientPort/);
    expect(out).toMatch(/serverPort/);
    expect(out).toMatch(/DESCRIPTION:\s*\n\s+\S/);
  });

  it('kubectl get vpces shows the printer columns', async () => {
    const out = await k.kubectl('get', 'vpces', '-n', ns);
    const header = out.split('\n')[0] ?? '';
    for (const col of ['NAME', 'ID', 'STATUS', 'POOL', 'READY', 'AGE']) expect(header).toContain(col);
    const wide = await k.kubectl('get', 'vpcepsvc', '-n', ns, '-o', 'wide');
    expect(wide.split('\n')[0]).toContain('SERVICE NAME');
  });

  it('garbage-collects an object whose owner is deleted (kube-controller-manager runs)', async () => {
    const owner = await k.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'owner' } },
    });
    await k.core.createNamespacedConfigMap({
      namespace: ns,
      body: {
        metadata: {
          name: 'owned',
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! },
          ],
        },
      },
    });
    await k.core.deleteNamespacedConfigMap({ namespace: ns, name: 'owner' });
    await eventually(
      async () => {
        try {
          await k.core.readNamespacedConfigMap({ namespace: ns, name: 'owned' });
          return undefined;
        } catch (e) {
          return e instanceof ApiException && e.code === 404 ? true : undefined;
        }
      },
      'the owned ConfigMap to be collected',
      90_000,
      250,
    );
  });

  it('completes namespace deletion (the namespace controller runs)', async () => {
    const doomed = await k.freshNamespace('doomed');
    await k.core.createNamespacedConfigMap({ namespace: doomed, body: { metadata: { name: 'x' } } });
    await k.core.deleteNamespace({ name: doomed });
    await eventually(
      async () => {
        try {
          await k.core.readNamespace({ name: doomed });
          return undefined;
        } catch (e) {
          return e instanceof ApiException && e.code === 404 ? true : undefined;
        }
      },
      'the namespace to be gone',
      90_000,
      250,
    );
  });
});
