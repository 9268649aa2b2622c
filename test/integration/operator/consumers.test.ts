/**
 * Letting consumers in, on a real apiserver with the simulator: the whitelist as a set, connection
 * approval as a policy (acceptDomains, accept, reject, reconcileConnections), connections visible in
 * status, and deletion with connected consumers (DeleteBlocked, or rejectConnectionsOnDelete).
 * The simulator's `/_sim/services/{id}/connections` control stands in for consumers.
 */
import { describe, expect, it } from 'vitest';
import type { VpcEndpointService } from '../../../src/api/types.js';
import { eventually, type TestKube } from '../support/kube.js';
import {
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

const A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1';
const B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2';
const C = 'ccccccccccccccccccccccccccccccc3';
const POLL = { 'vpcep.huaweicloud.io/connection-poll-period': '1s' };

const gone = (k: TestKube, ns: string, name: string) =>
  eventually(
    async () => ((await getCR(k.custom, ns, name)) === undefined ? true : undefined),
    `${name} to be gone`,
    60_000,
    200,
  );

describe('letting consumers in', () => {
  const f = useOperatorFixture('consumers', {
    sim: { createDelayMs: 300, deleteDelayMs: 300, whitelistCap: 3 },
  });

  const ready = (name: string) => waitForCR(f.k.custom, f.ns, name, isReady, `${name} Ready`);
  const whitelist = (id: string): string[] =>
    f.sim.controls
      .permissions(id)
      .map((p) => p.permission)
      .sort();
  const status = (c: VpcEndpointService | undefined, endpointId: string) =>
    c?.status?.connections?.find((x) => x.endpointId === endpointId)?.status;
  const events = async (reason: string): Promise<string[]> => {
    const out = JSON.parse(await f.k.kubectl('get', 'events.events.k8s.io', '-n', f.ns, '-o', 'json')) as {
      items: Array<{ reason?: string; note?: string; series?: { count?: number } }>;
    };
    return out.items.filter((e) => e.reason === reason).map((e) => e.note ?? '');
  };

  it('a whitelist of two accounts and an org path reaches the cloud; removing one removes exactly it', async () => {
    await createCR(
      f.k.custom,
      f.ns,
      'listed',
      specFor({
        portId: uuid(),
        vpcId: uuid(),
        permissions: [
          { domainId: A },
          { domainId: B, description: 'payments team' },
          { orgPath: 'o-abc/r-def' },
        ],
      }),
    );
    const id = (await ready('listed'))!.status!.id!;
    expect(whitelist(id)).toEqual([
      `iam:domain::${A}`,
      `iam:domain::${B}`,
      'organizations:orgPath::o-abc/r-def',
    ]);
    expect(f.sim.controls.permissions(id).find((p) => p.permission === `iam:domain::${B}`)?.description).toBe(
      'payments team',
    );
    await patchCR(f.k.custom, f.ns, 'listed', {
      spec: { permissions: [{ domainId: B, description: 'payments team' }, { orgPath: 'o-abc/r-def' }] },
    });
    await waitForCR(
      f.k.custom,
      f.ns,
      'listed',
      (c) => c?.metadata.generation === 2 && isReady(c),
      'generation 2',
    );
    expect(whitelist(id)).toEqual([`iam:domain::${B}`, 'organizations:orgPath::o-abc/r-def']);
  });

  it('absent permissions leave a hand-made whitelist untouched; observe-only never writes it', async () => {
    await createCR(
      f.k.custom,
      f.ns,
      'handmade',
      specFor({ portId: uuid(), vpcId: uuid(), deletionPolicy: 'Retain' }),
    );
    const id = (await ready('handmade'))!.status!.id!;
    f.sim.controls.addPermission(id, { permission: `iam:domain::${C}` });
    await patchCR(f.k.custom, f.ns, 'handmade', { spec: { description: 'a spec change: a full sync' } });
    await waitForCR(
      f.k.custom,
      f.ns,
      'handmade',
      (c) => c?.metadata.generation === 2 && isReady(c),
      'generation 2',
    );
    expect(whitelist(id)).toEqual([`iam:domain::${C}`]);

    // An observer whose spec asks for another whitelist: it never writes it.
    await deleteCR(f.k.custom, f.ns, 'handmade');
    await gone(f.k, f.ns, 'handmade');
    const svc = f.sim.controls.services().find((s) => s.id === id)!;
    f.sim.controls.mutateService(id, {
      tags: (svc.tags ?? []).filter((t) => t.key !== 'k8s-vpcep-owner-uid'),
    });
    const before = f.sim.controls.counters();
    await createCR(
      f.k.custom,
      f.ns,
      'observer',
      specFor({ portId: svc.port_id!, vpcId: svc.vpc_id!, permissions: [{ domainId: A }] }),
      { 'vpcep.huaweicloud.io/service-id': id, 'vpcep.huaweicloud.io/management-policy': 'observe' },
    );
    await ready('observer');
    const after = f.sim.controls.counters();
    expect(after.permissionAction ?? 0).toBe(before.permissionAction ?? 0);
    expect(after.permissionBatchCreate ?? 0).toBe(before.permissionBatchCreate ?? 0);
    expect(whitelist(id)).toEqual([`iam:domain::${C}`]);
  });

  // Before the resources that poll connections every second: the call count below is the simulator's.
  it('a whitelist over the cloud cap is WhitelistLimit (EndPoint.3049), with no hot loop', async () => {
    await createCR(
      f.k.custom,
      f.ns,
      'too-many',
      specFor({
        portId: uuid(),
        vpcId: uuid(),
        permissions: [{ domainId: A }, { domainId: B }, { domainId: C }, { orgPath: 'o-abc' }],
      }),
    );
    const cr = await waitForCR(
      f.k.custom,
      f.ns,
      'too-many',
      (c) => cond(c, 'Ready')?.reason === 'WhitelistLimit',
      'WhitelistLimit',
    );
    expect(cond(cr, 'Ready')?.message).toContain('EndPoint.3049');
    const total = (): number => Object.values(f.sim.controls.counters()).reduce((a, b) => a + b, 0);
    const before = total();
    await new Promise((r) => setTimeout(r, 4_000));
    expect(total() - before).toBe(0);
  });

  it('accepts by account, leaves the undecided pending (one event), then accept and reject by endpoint id', async () => {
    await createCR(
      f.k.custom,
      f.ns,
      'approving',
      specFor({
        portId: uuid(),
        vpcId: uuid(),
        approvalEnabled: true,
        permissions: [{ domainId: A }, { domainId: B }],
        connectionApproval: { acceptDomains: [A] },
      }),
      POLL,
    );
    const id = (await ready('approving'))!.status!.id!;
    const fromA = f.sim.controls.addConnection(id, { domainId: A }).id;
    const fromB = f.sim.controls.addConnection(id, { domainId: B }).id;
    const t0 = Date.now();
    const seen = await waitForCR(
      f.k.custom,
      f.ns,
      'approving',
      (c) => status(c, fromA) === 'accepted' && status(c, fromB) === 'pendingAcceptance',
      'A accepted, B pending',
    );
    console.log(
      `a connection from an acceptDomains account accepted ${Date.now() - t0} ms after it arrived (poll 1 s)`,
    );
    expect(seen?.status?.connectionCounts).toEqual({ accepted: 1, pending: 1, rejected: 0 });
    // One ConnectionPending event, never repeated over later polls.
    await new Promise((r) => setTimeout(r, 2_500));
    const pending = (await events('ConnectionPending')).filter((n) => n.includes(fromB));
    expect(pending).toHaveLength(1);
    expect(
      (await events('ConnectionAccepted')).some((n) => n.includes(fromA) && n.includes('acceptDomains')),
    ).toBe(true);

    await patchCR(f.k.custom, f.ns, 'approving', {
      spec: { connectionApproval: { acceptDomains: [A], accept: [fromB] } },
    });
    await waitForCR(
      f.k.custom,
      f.ns,
      'approving',
      (c) => status(c, fromB) === 'accepted',
      'B accepted by id',
    );

    const another = f.sim.controls.addConnection(id, { domainId: A }).id;
    await patchCR(f.k.custom, f.ns, 'approving', {
      spec: { connectionApproval: { acceptDomains: [A], accept: [fromB], reject: [another] } },
    });
    const rejected = await waitForCR(
      f.k.custom,
      f.ns,
      'approving',
      (c) => status(c, another) === 'rejected',
      'rejected by id although its account is in acceptDomains',
    );
    expect(rejected?.status?.connectionCounts).toEqual({ accepted: 2, pending: 0, rejected: 1 });
  });

  it('reconcileConnections rejects connections no rule accepts any more; without it they stay', async () => {
    for (const reconcile of [false, true]) {
      const name = `reconcile-${reconcile}`;
      await createCR(
        f.k.custom,
        f.ns,
        name,
        specFor({
          portId: uuid(),
          vpcId: uuid(),
          approvalEnabled: true,
          permissions: [{ domainId: A }, { domainId: B }],
          connectionApproval: { acceptDomains: [A, B], reconcileConnections: reconcile },
        }),
        POLL,
      );
      const id = (await ready(name))!.status!.id!;
      const fromB = f.sim.controls.addConnection(id, { domainId: B }).id;
      await waitForCR(f.k.custom, f.ns, name, (c) => status(c, fromB) === 'accepted', 'B accepted');
      await patchCR(f.k.custom, f.ns, name, {
        spec: { connectionApproval: { acceptDomains: [A], reconcileConnections: reconcile } },
      });
      await waitForCR(
        f.k.custom,
        f.ns,
        name,
        (c) => c?.metadata.generation === 2 && isReady(c),
        'generation 2',
      );
      await new Promise((r) => setTimeout(r, 2_500));
      const c = await getCR(f.k.custom, f.ns, name);
      expect(status(c, fromB)).toBe(reconcile ? 'rejected' : 'accepted');
    }
  });

  it('steady state with connections: no status write while nothing changes', async () => {
    await createCR(
      f.k.custom,
      f.ns,
      'quiet',
      specFor({
        portId: uuid(),
        vpcId: uuid(),
        approvalEnabled: true,
        connectionApproval: { acceptDomains: ['*'] },
      }),
      POLL,
    );
    const id = (await ready('quiet'))!.status!.id!;
    const ep = f.sim.controls.addConnection(id, { domainId: f.sim.controls.domainId() }).id;
    const settled = await waitForCR(
      f.k.custom,
      f.ns,
      'quiet',
      (c) => status(c, ep) === 'accepted',
      'accepted',
    );
    const calls0 = f.sim.controls.counters().listConnections ?? 0;
    await new Promise((r) => setTimeout(r, 4_000));
    const after = await getCR(f.k.custom, f.ns, 'quiet');
    expect(after?.metadata.resourceVersion).toBe(settled?.metadata.resourceVersion);
    const polls = (f.sim.controls.counters().listConnections ?? 0) - calls0;
    expect(polls).toBeGreaterThanOrEqual(2);
  });

  it('deleting with an accepted connection: DeleteBlocked names it; rejectConnectionsOnDelete rejects and deletes', async () => {
    await createCR(
      f.k.custom,
      f.ns,
      'blocked',
      specFor({ portId: uuid(), vpcId: uuid(), approvalEnabled: false }),
    );
    const id = (await ready('blocked'))!.status!.id!;
    const ep = f.sim.controls.addConnection(id, { domainId: f.sim.controls.domainId() }).id;
    await deleteCR(f.k.custom, f.ns, 'blocked');
    const b = await waitForCR(
      f.k.custom,
      f.ns,
      'blocked',
      (c) => cond(c, 'Ready')?.reason === 'DeleteBlocked',
      'DeleteBlocked',
    );
    expect(cond(b, 'Ready')?.message).toContain(ep);
    expect(cond(b, 'Ready')?.message).toContain('rejectConnectionsOnDelete');
    await patchCR(f.k.custom, f.ns, 'blocked', { spec: { rejectConnectionsOnDelete: true } });
    await gone(f.k, f.ns, 'blocked');
    expect(f.sim.controls.services().find((s) => s.id === id)).toBeUndefined();
  });
});
