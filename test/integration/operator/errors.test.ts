import { describe, expect, it } from 'vitest';
import type { Simulator } from '../../../src/simulator/index.js';
import {
  cond,
  createCR,
  isReady,
  specFor,
  TEST_CREDS,
  uuid,
  waitForCR,
  useOperatorFixture,
} from '../support/operator.js';

/** Calls of `ops` the simulator sees during `ms` of real time. */
async function callsDuring(sim: Simulator, ms: number): Promise<number> {
  const total = () => Object.values(sim.controls.counters()).reduce((a, b) => a + b, 0);
  const before = total();
  await new Promise((r) => setTimeout(r, ms));
  return total() - before;
}

describe('terminal cloud errors: a clear condition and no hot loop', () => {
  const f = useOperatorFixture('errors', { sim: { createDelayMs: 300, quota: 3 } });

  it('a port conflict between two resources sharing a portId is PortConflict with EndPoint.3044', async () => {
    const portId = uuid();
    const vpcId = uuid();
    await createCR(f.k.custom, f.ns, 'first', specFor({ portId, vpcId }));
    await waitForCR(f.k.custom, f.ns, 'first', isReady, 'first Ready');
    await createCR(
      f.k.custom,
      f.ns,
      'second',
      specFor({ portId, vpcId, ports: [{ clientPort: 9000, serverPort: 90 }] }),
    );
    const cr = await waitForCR(
      f.k.custom,
      f.ns,
      'second',
      (c) => cond(c, 'Ready')?.reason === 'PortConflict',
      'PortConflict',
    );
    const ready = cond(cr, 'Ready')!;
    expect(ready.status).toBe('False');
    expect(ready.message).toMatch(/EndPoint\.3044/);
    expect(ready.message).toMatch(/request id \S+/);
    expect(ready.observedGeneration).toBe(1);
    expect(cond(cr, 'Synced')?.status).toBe('False');
    expect(cr?.status?.observedGeneration).toBe(1);
    // No hot loop: nothing reaches the cloud while nothing changes.
    const calls = await callsDuring(f.sim, 6_000);
    console.log(`cloud calls in a 6 s window after a terminal PortConflict: ${calls}`);
    expect(calls).toBe(0);
  });

  it('an exceeded quota is QuotaExceeded with Endpoint.1018, rechecked slowly', async () => {
    // Quota 3: `first` holds one; two more fill it; the fourth is refused.
    for (const name of ['q1', 'q2']) {
      await createCR(f.k.custom, f.ns, name, specFor({ portId: uuid(), vpcId: uuid() }));
      await waitForCR(f.k.custom, f.ns, name, isReady, `${name} Ready`);
    }
    await createCR(f.k.custom, f.ns, 'over', specFor({ portId: uuid(), vpcId: uuid() }));
    const cr = await waitForCR(
      f.k.custom,
      f.ns,
      'over',
      (c) => cond(c, 'Ready')?.reason === 'QuotaExceeded',
      'QuotaExceeded',
    );
    expect(cond(cr, 'Ready')?.message).toMatch(/Endpoint\.1018/);
    const calls = await callsDuring(f.sim, 6_000);
    console.log(`cloud calls in a 6 s window after QuotaExceeded: ${calls}`);
    expect(calls).toBe(0);
  });

  it('wrong credentials are AuthFailed, naming the Secret and never its contents', async () => {
    const wrong = 'wrong-SECRET-value-5d1e';
    await f.k.core.createNamespacedSecret({
      namespace: f.ns,
      body: {
        metadata: { name: 'bad-creds' },
        stringData: { accessKey: TEST_CREDS.accessKey, secretKey: wrong, projectId: TEST_CREDS.projectId },
      },
    });
    await createCR(
      f.k.custom,
      f.ns,
      'badauth',
      specFor({ portId: uuid(), vpcId: uuid(), credentialsSecretRef: { name: 'bad-creds' } }),
    );
    const cr = await waitForCR(
      f.k.custom,
      f.ns,
      'badauth',
      (c) => cond(c, 'Ready')?.reason === 'AuthFailed',
      'AuthFailed',
    );
    const message = cond(cr, 'Ready')?.message ?? '';
    expect(message).toContain(`Secret ${f.ns}/bad-creds`);
    expect(message).toMatch(/APIGW\.030\d/);
    const everything =
      JSON.stringify(cr) + (await f.k.kubectl('get', 'events.events.k8s.io', '-n', f.ns, '-o', 'json'));
    expect(everything).not.toContain(wrong);
    expect(f.op.lines.join('\n')).not.toContain(wrong);
  });
});
