import { ApiException } from '@kubernetes/client-node';
import { ApiextensionsV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../src/simulator/index.js';
import { eventually, testKube, type TestKube } from '../support/kube.js';
import {
  createCR,
  isReady,
  specFor,
  startOperator,
  startTestSimulator,
  uuid,
  waitForCR,
  type OperatorProcess,
} from '../support/operator.js';

const CRD = 'vpcendpointservices.vpcep.huaweicloud.io';

// Deletes the CRD (and so every VpcEndpointService in the cluster): the file re-installs it at the end.
describe('uninstalling the CRD abandons cloud services instead of deleting them', () => {
  let k: TestKube;
  let ns: string;
  let sim: Simulator;
  let op: OperatorProcess;

  beforeAll(async () => {
    k = testKube();
    ns = await k.freshNamespace('abandon');
    sim = await startTestSimulator({ createDelayMs: 300 });
    // All namespaces: deleting the CRD waits for every VpcEndpointService in the cluster, including
    // those other test files left behind, and only an operator that watches them can release them.
    op = startOperator({ kubeconfig: k.kubeconfig, simUrl: sim.url, namespaces: [] });
  });
  afterAll(async () => {
    await op?.stop();
    await sim?.close();
    await k.kubectl('apply', '--server-side', '-f', 'crds/');
    await k.kubectl('wait', '--for=condition=Established', '--timeout=60s', `crd/${CRD}`);
  });

  it('keeps every cloud service when the CRD is deleted', async () => {
    for (const n of ['a1', 'a2']) await createCR(k.custom, ns, n, specFor({ portId: uuid(), vpcId: uuid() }));
    const ids: string[] = [];
    for (const n of ['a1', 'a2'])
      ids.push((await waitForCR(k.custom, ns, n, isReady, `${n} Ready`))!.status!.id!);
    const ext = k.kc.makeApiClient(ApiextensionsV1Api);
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
    const mine = sim.controls.services().filter((s) => ids.includes(s.id));
    expect(mine.map((s) => s.status)).toEqual(['available', 'available']);
    expect(sim.controls.counters().delete ?? 0).toBe(0);
    expect(op.lines.some((l) => l.includes('Abandoned'))).toBe(true);
  });
});
