/** The pure parts of whitelist and approval: the per-type diff, and the policy's decision per connection. */
import { describe, expect, it } from 'vitest';
import type { VpcEndpointServiceSpec } from '../../../src/api/types.js';
import type { Connection, Permission } from '../../../src/cloud/wire.js';
import { connectionsStatus, decide } from '../../../src/controller/endpoint-service/connections.js';
import { diffWhitelist, permissionString } from '../../../src/controller/endpoint-service/whitelist.js';

const A = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const B = '1b2c3d4e5f60718293a4b5c6d7e8f90a';
const EP1 = '11111111-1111-4111-8111-111111111111';
const EP2 = '22222222-2222-4222-8222-222222222222';

const base: VpcEndpointServiceSpec = {
  portId: 'p',
  vpcId: 'v',
  serverType: 'VM',
  ports: [{ clientPort: 1, serverPort: 1 }],
};
const conn = (id: string, domain: string, status: string): Connection => ({ id, domain_id: domain, status });

describe('whitelist diff', () => {
  it('formats the cloud strings and diffs per entry: add, remove, description', () => {
    expect(permissionString({ domainId: A })).toEqual({ type: 'domainId', value: `iam:domain::${A}` });
    expect(permissionString({ orgPath: 'o-a/r-b' })).toEqual({
      type: 'orgPath',
      value: 'organizations:orgPath::o-a/r-b',
    });
    const current: Permission[] = [
      { id: 'x1', permission: `iam:domain::${A}`, permission_type: 'domainId', description: 'old' },
      { id: 'x2', permission: `iam:domain::${B}`, permission_type: 'domainId' },
      { id: 'x3', permission: 'organizations:orgPath::o-z', permission_type: 'orgPath' },
    ];
    const d = diffWhitelist(
      [{ domainId: A, description: 'payments' }, { orgPath: 'o-a/r-b' }, { domainId: '*' }],
      current,
    );
    expect(d.add).toEqual([
      { type: 'orgPath', value: 'organizations:orgPath::o-a/r-b' },
      { type: 'domainId', value: 'iam:domain::*' },
    ]);
    expect(d.remove).toEqual([
      { type: 'domainId', value: `iam:domain::${B}` },
      { type: 'orgPath', value: 'organizations:orgPath::o-z' },
    ]);
    expect(d.describe).toEqual([{ id: 'x1', description: 'payments' }]);
  });

  it('an empty desired list removes every entry; an equal one changes nothing', () => {
    const current: Permission[] = [{ id: 'x1', permission: `iam:domain::${A}` }];
    expect(diffWhitelist([], current).remove).toEqual([{ type: 'domainId', value: `iam:domain::${A}` }]);
    const same = diffWhitelist([{ domainId: A }], current);
    expect([same.add, same.remove, same.describe]).toEqual([[], [], []]);
  });
});

describe('approval policy', () => {
  const spec = (
    a: VpcEndpointServiceSpec['connectionApproval'],
    extra: Partial<VpcEndpointServiceSpec> = {},
  ) => ({
    ...base,
    connectionApproval: a,
    ...extra,
  });

  it('accepts pending connections by account or endpoint id, and reject wins over every accept rule', () => {
    const s = spec({ acceptDomains: [A], accept: [EP2], reject: [EP1] });
    expect(decide(s, conn(EP1, A, 'pendingAcceptance'))).toEqual({ action: 'reject', rule: 'reject' });
    expect(decide(s, conn(EP2, B, 'pendingAcceptance'))).toEqual({ action: 'receive', rule: 'accept' });
    expect(decide(s, conn('e3', A, 'pendingAcceptance'))).toEqual({
      action: 'receive',
      rule: `acceptDomains: ${A}`,
    });
    expect(decide(s, conn('e4', B, 'pendingAcceptance'))).toEqual({ action: 'pending' });
    expect(decide(spec({ acceptDomains: ['*'] }), conn('e4', B, 'pendingAcceptance'))).toEqual({
      action: 'receive',
      rule: 'acceptDomains: *',
    });
  });

  it('reconcileConnections rejects accepted connections no rule accepts any more; without it they stay', () => {
    const accepted = conn(EP1, B, 'accepted');
    expect(decide(spec({ acceptDomains: [A] }), accepted)).toEqual({ action: 'none' });
    expect(decide(spec({ acceptDomains: [A], reconcileConnections: true }), accepted)).toMatchObject({
      action: 'reject',
    });
    expect(decide(spec({ acceptDomains: [B], reconcileConnections: true }), accepted)).toEqual({
      action: 'none',
    });
    // The account left the whitelist: no rule accepts it any more, even with acceptDomains "*".
    const gone = spec(
      { acceptDomains: ['*'], reconcileConnections: true },
      { permissions: [{ domainId: A }] },
    );
    expect(decide(gone, accepted)).toMatchObject({ action: 'reject' });
  });

  it('decides nothing while approval is off or no rule is set', () => {
    expect(
      decide(spec({ acceptDomains: [A] }, { approvalEnabled: false }), conn(EP1, A, 'pendingAcceptance')),
    ).toEqual({
      action: 'none',
    });
    expect(decide(base, conn(EP1, A, 'pendingAcceptance'))).toEqual({ action: 'none' });
  });

  it('reports connections sorted by endpoint id, with counts', () => {
    const s = connectionsStatus([
      conn(EP2, B, 'pendingAcceptance'),
      conn(EP1, A, 'accepted'),
      conn('0', A, 'rejected'),
    ]);
    expect(s.connections.map((c) => c.endpointId)).toEqual(['0', EP1, EP2]);
    expect(s.connectionCounts).toEqual({ accepted: 1, pending: 1, rejected: 1 });
  });
});
