import { ApiException } from '@kubernetes/client-node';
import { ApiextensionsV1Api } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/kube.js';
import { createCR, isReady, specFor, uuid, waitForCR, useOperatorFixture } from '../support/operator.js';

const CRD = 'vpcendpointservices.vpcep.huaweicloud.io';

// Deletes the CRD (and so every VpcEndpointService in the cluster): the file re-installs it at the end.
describe('uninstalling the CRD abandons cloud services instead of deleting them', () => {
  // All namespaces: deleting the CRD waits for every VpcEndpointService in the cluster, including
  // those other test files left behind, and only an operator that watches them can release them.
  const f = useOperatorFixture('abandon', { sim: { createDelayMs: 300 }, allNamespaces: true });
  afterAll(async () => {
    await f.k.kubectl('apply', '--server-side', '-f', 'crds/');
    await f.k.kubectl('wait', '--for=condition=Established', '--timeout=60s', `crd/${CRD}`);
  });

  it('keeps every cloud service when the CRD is deleted', async () => {
    for (const n of ['a1', 'a2'])
      await createCR(f.k.custom, f.ns, n, specFor({ portId: uuid(), vpcId: uuid() }));
    const ids: string[] = [];
    for (const n of ['a1', 'a2'])
      ids.push((await waitForCR(f.k.custom, f.ns, n, isReady, `${n} Ready`))!.status!.id!);
    const ext = f.k.kc.makeApiClient(ApiextensionsV1Api);
    await ext.deleteCustomResourceDefinition({ name: CRD });
    await eventually(
      async () => {
        try {
          await ext.readCustomResourceDefinition({ name: CRD });
          return undefined;
        } catch (e) {
          return e instanceof ApiException && e.code === 404 ? true : undefined;
        }
      },
      'the CRD to be deleted (its resources released by the operator)',
      90_000,
      250,
    );
    const mine = f.sim.controls.services().filter((s) => ids.includes(s.id));
    expect(mine.map((s) => s.status)).toEqual(['available', 'available']);
    expect(f.sim.controls.counters().delete ?? 0).toBe(0);
    expect(f.op.lines.some((l) => l.includes('Abandoned'))).toBe(true);
  });
});
