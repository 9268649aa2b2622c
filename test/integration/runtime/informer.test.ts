import { CustomObjectsApi, type KubernetesListObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SupervisedInformer,
  createLogger,
  loadKubeConfig,
  systemClock,
  type InformerEvent,
} from '../../../src/runtime/index.js';
import { cannotRestartApiserver, restartApiserver } from '../support/apiserver.js';
import { eventually, testKube, type TestKube } from '../support/kube.js';
import { G, P, V, createTestCR, crRef, setDescription, type TestCR } from '../support/test-cr.js';

// One SupervisedInformer, in this process, on the VpcEndpointService resources of a namespace, against
// the real kube-apiserver. The apiserver is stopped and started again under it; the same informer
// object (never restarted by the test) must keep delivering.

interface Seen {
  key: string;
  event: InformerEvent;
  generation?: number;
  at: number;
}

describe('SupervisedInformer on a real kube-apiserver', () => {
  let k: TestKube;
  let ns: string;
  let informer: SupervisedInformer<TestCR>;
  const seen: Seen[] = [];
  const logs: string[] = [];

  beforeAll(async () => {
    k = testKube();
    ns = await k.freshNamespace('rt-inf');
    const kc = loadKubeConfig(k.kubeconfig); // with the keep-alive agent, as the operator runs it
    const custom = kc.makeApiClient(CustomObjectsApi);
    informer = new SupervisedInformer<TestCR>({
      kc,
      path: `/apis/${G}/${V}/namespaces/${ns}/${P}`,
      list: () => custom.listNamespacedCustomObject(crRef(ns)) as Promise<KubernetesListObject<TestCR>>,
      name: 'it-informer',
      clock: systemClock,
      log: createLogger({ level: 'debug', destination: { write: (s: string) => void logs.push(s) } }),
      onKey: (key, obj, event) =>
        seen.push({ key, event, generation: obj.metadata.generation, at: Date.now() }),
    });
    await informer.start();
    await eventually(async () => (informer.hasSynced() ? true : undefined), 'informer synced', 20_000);
  });
  afterAll(async () => {
    await informer?.stop();
  });

  const delivered = (name: string, pred: (s: Seen) => boolean = () => true): Seen | undefined =>
    seen.find((s) => s.key === `${ns}/${name}` && pred(s));

  it('delivers adds and updates', async () => {
    await createTestCR(k.custom, ns, 'first');
    await eventually(async () => delivered('first', (s) => s.event === 'add'), 'add of first', 20_000);
    await setDescription(k.custom, ns, 'first', 'changed once');
    await eventually(
      async () => delivered('first', (s) => s.event === 'update' && s.generation === 2),
      'update of first to generation 2',
      20_000,
    );
  });

  it.skipIf(cannotRestartApiserver() !== undefined)(
    'keeps delivering after kube-apiserver is restarted under it (no informer restart by the caller)',
    async () => {
      const restartsBefore = informer.restartCount();
      const { stoppedAt, readyAt } = await restartApiserver();
      console.log(`kube-apiserver restart: down → ready again in ${readyAt - stoppedAt} ms`);

      // Changes made after the restart; the API itself is up again (readyz), the watch may not be yet.
      await createTestCR(k.custom, ns, 'second');
      await setDescription(k.custom, ns, 'first', 'changed after restart');
      const second = await eventually(
        async () => delivered('second', (s) => s.event === 'add' && s.at >= readyAt),
        'the informer to deliver the object created after the restart',
        60_000,
        100,
      );
      const first = await eventually(
        async () => delivered('first', (s) => s.event !== 'resync' && s.generation === 3),
        'the informer to deliver the update made after the restart',
        60_000,
        100,
      );
      const recoveredAt = Math.max(second.at, first.at);
      console.log(
        `informer delivered again ${recoveredAt - readyAt} ms after the apiserver was ready ` +
          `(${recoveredAt - stoppedAt} ms after it was stopped); supervisor restarts: ` +
          `${informer.restartCount() - restartsBefore}`,
      );
      expect(informer.get(ns, 'second')?.metadata.name).toBe('second');
      expect(informer.get(ns, 'first')?.metadata.generation).toBe(3);
      // The watch really broke and the supervisor (not the test) brought it back.
      expect(informer.restartCount() - restartsBefore, logs.slice(-20).join('')).toBeGreaterThanOrEqual(1);

      // And it keeps working afterwards, on the same object.
      await setDescription(k.custom, ns, 'second', 'changed later');
      await eventually(
        async () => delivered('second', (s) => s.event === 'update' && s.generation === 2),
        'a later update',
        20_000,
      );
    },
  );
});
