import { EventsV1Api, type EventsV1Event } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  cond,
  createCR,
  deleteCR,
  getCR,
  isReady,
  specFor,
  TEST_CREDS,
  uuid,
  waitForCR,
  useOperatorFixture,
} from '../support/operator.js';
import { eventually } from '../support/kube.js';

/** The only namespace allowed the operator's own credentials: not the watched one. */
const PLATFORM_NS = 'vpcep-it-platform';
const SECRET = 'team-creds';

/** Every cloud call the simulator has received. */
const totalCalls = (counters: Record<string, number>): number =>
  Object.values(counters).reduce((a, b) => a + b, 0);

/** A 253-character DNS-subdomain name: the longest a resource may have. */
function longName(): string {
  const label = (c: string) => `${'l'.repeat(61)}${c}`;
  const head = `${label('a')}.${label('b')}.${label('c')}.`; // 189 characters
  const name = `${head}${'x'.repeat(253 - head.length - 4)}${Math.floor(Math.random() * 9000 + 1000)}`;
  expect(name).toHaveLength(253);
  return name;
}

describe('--default-credentials-namespaces and event names', () => {
  const f = useOperatorFixture('tenancy', {
    sim: { createDelayMs: 300 },
    args: [`--default-credentials-namespaces=${PLATFORM_NS}`],
  });

  it('a resource without a Secret outside the list is CredentialsMissing and makes no cloud call', async () => {
    expect(totalCalls(f.sim.controls.counters())).toBe(0);
    await createCR(f.k.custom, f.ns, 'no-secret', specFor({ portId: uuid(), vpcId: uuid() }));
    const cr = await waitForCR(
      f.k.custom,
      f.ns,
      'no-secret',
      (c) => cond(c, 'Ready')?.reason === 'CredentialsMissing',
      'CredentialsMissing',
    );
    const ready = cond(cr, 'Ready')!;
    expect(ready.status).toBe('False');
    expect(ready.message).toContain('--default-credentials-namespaces');
    expect(ready.message).toContain(`namespace ${f.ns} may not use the operator's default credentials`);
    expect(ready.message).toContain('spec.credentialsSecretRef');
    expect(cr?.status?.id).toBeUndefined();
    // Counted from before the resource existed to after its verdict: no call was made for it. A short
    // look afterwards only makes the check stricter (the recheck is minutes away).
    expect(totalCalls(f.sim.controls.counters())).toBe(0);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(f.sim.controls.counters()).toEqual({});
    expect(f.sim.controls.services()).toHaveLength(0);
  });

  it('a resource in the same namespace that names a Secret reaches Ready with it', async () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    await f.k.core.createNamespacedSecret({
      namespace: f.ns,
      body: {
        metadata: { name: SECRET },
        data: {
          accessKey: b64(TEST_CREDS.accessKey),
          secretKey: b64(TEST_CREDS.secretKey),
          projectId: b64(TEST_CREDS.projectId),
        },
      },
    });
    await createCR(
      f.k.custom,
      f.ns,
      'with-secret',
      specFor({ portId: uuid(), vpcId: uuid(), credentialsSecretRef: { name: SECRET } }),
    );
    const cr = await waitForCR(f.k.custom, f.ns, 'with-secret', isReady, 'Ready');
    expect(cr?.status?.id).toBeDefined();
    expect(f.sim.controls.services()).toHaveLength(1);
    // The refused one is still refused.
    const refused = await waitForCR(f.k.custom, f.ns, 'no-secret', () => true, 'read');
    expect(cond(refused, 'Ready')?.reason).toBe('CredentialsMissing');
  });

  it('a resource with a 253-character name gets its events', async () => {
    const name = longName();
    await createCR(
      f.k.custom,
      f.ns,
      name,
      specFor({ portId: uuid(), vpcId: uuid(), credentialsSecretRef: { name: SECRET } }),
    );
    const cr = await waitForCR(f.k.custom, f.ns, name, isReady, 'Ready');
    const events = f.k.kc.makeApiClient(EventsV1Api);
    const mine = await eventually(
      async () => {
        const list = await events.listNamespacedEvent({ namespace: f.ns });
        const about = list.items.filter((e: EventsV1Event) => e.regarding?.uid === cr?.metadata.uid);
        return about.some((e) => e.reason === 'Created') ? about : undefined;
      },
      'a Created event regarding the long-named resource',
      30_000,
      200,
    );
    for (const e of mine) {
      expect(e.regarding?.name).toBe(name);
      expect(e.metadata?.name?.length).toBeLessThanOrEqual(253);
    }
    expect(f.op.lines.join('\n')).not.toMatch(/creating an event failed/);
  });

  it('the refused resource holds no finalizer: deleting it is immediate, with no cloud call', async () => {
    const before = f.sim.controls.counters();
    expect((await getCR(f.k.custom, f.ns, 'no-secret'))?.metadata.finalizers ?? []).toEqual([]);
    await deleteCR(f.k.custom, f.ns, 'no-secret');
    await waitForCR(f.k.custom, f.ns, 'no-secret', (c) => c === undefined, 'gone');
    expect(f.sim.controls.counters()).toEqual(before);
    expect(f.sim.controls.services()).toHaveLength(2);
  });
});
