/** The pure mapping of a `VpcEndpoint`: the create body, the update diffs, the status fields. */
import { describe, expect, it } from 'vitest';
import type { VpcEndpointSpec } from '../../../src/api/types.js';
import type { VpcEndpoint } from '../../../src/cloud/wire.js';
import {
  policyChanged,
  routeTablesChange,
  toCreateRequest,
  toStatusFields,
  whitelistChange,
} from '../../../src/controller/endpoint/mapping.js';

const SVC = '3c1b2a90-7d6e-4f5a-9b8c-1d2e3f4a5b6c';
const EP = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const UID = 'f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9';
const VPC = '0d4e9f1a-6b2c-4d3e-8f5a-1b2c3d4e5f60';

const spec = (extra: Partial<VpcEndpointSpec> = {}): VpcEndpointSpec => ({ vpcId: VPC, ...extra });
const ep = (extra: Partial<VpcEndpoint> = {}): VpcEndpoint => ({ id: EP, ...extra });

describe('the create body', () => {
  it('minimal spec: the service, the VPC, DNS on by default, only the ownership tag; nothing unset is sent', () => {
    expect(toCreateRequest(spec(), SVC, UID)).toEqual({
      endpoint_service_id: SVC,
      vpc_id: VPC,
      enable_dns: true,
      tags: [{ key: 'k8s-vpcep-owner-uid', value: UID }],
    });
  });

  it('enableDns false is sent as false', () => {
    expect(toCreateRequest(spec({ enableDns: false }), SVC, UID).enable_dns).toBe(false);
  });

  it('enable_whitelist defaults to whether the whitelist lists anything; an explicit value wins', () => {
    expect(toCreateRequest(spec({ whitelist: ['10.0.0.0/24'] }), SVC, UID)).toMatchObject({
      whitelist: ['10.0.0.0/24'],
      enable_whitelist: true,
    });
    expect(toCreateRequest(spec({ whitelist: [] }), SVC, UID)).toMatchObject({
      whitelist: [],
      enable_whitelist: false,
    });
    expect(
      toCreateRequest(spec({ whitelist: ['10.0.0.1'], enableWhitelist: false }), SVC, UID).enable_whitelist,
    ).toBe(false);
    const none = toCreateRequest(spec(), SVC, UID);
    expect('whitelist' in none || 'enable_whitelist' in none).toBe(false);
  });

  it('carries every optional field that is set, and the user tags before the ownership tag (last)', () => {
    const body = toCreateRequest(
      spec({
        subnetId: 'net-1',
        portIp: '10.0.0.12',
        routeTables: ['rt-1', 'rt-2'],
        description: 'orders',
        policyDocument: { Version: '5.0' },
        tags: [{ key: 'team', value: 'b' }, { key: 'k8s-vpcep-owner-uid', value: 'forged' }, { key: 'env' }],
      }),
      SVC,
      UID,
    );
    expect(body).toMatchObject({
      subnet_id: 'net-1',
      port_ip: '10.0.0.12',
      routetables: ['rt-1', 'rt-2'],
      description: 'orders',
      policy_document: { Version: '5.0' },
    });
    // A user's tag can never forge ownership: the reserved key is dropped, ours comes last.
    expect(body.tags).toEqual([
      { key: 'team', value: 'b' },
      { key: 'env', value: '' },
      { key: 'k8s-vpcep-owner-uid', value: UID },
    ]);
  });

  it('empty route tables and an empty description are not sent', () => {
    const body = toCreateRequest(spec({ routeTables: [], description: '' }), SVC, UID);
    expect('routetables' in body || 'description' in body).toBe(false);
  });
});

describe('the update diffs', () => {
  it('whitelist: unmanaged when absent; compared as a set; the switch follows the list by default', () => {
    expect(whitelistChange(spec(), ep({ whitelist: ['1.1.1.1'], enable_whitelist: true }))).toBeUndefined();
    expect(
      whitelistChange(
        spec({ whitelist: ['10.0.0.2', '10.0.0.1'] }),
        ep({ whitelist: ['10.0.0.1', '10.0.0.2'], enable_whitelist: true }),
      ),
    ).toBeUndefined();
    expect(
      whitelistChange(
        spec({ whitelist: ['10.0.0.1'] }),
        ep({ whitelist: ['10.0.0.2'], enable_whitelist: true }),
      ),
    ).toEqual({ whitelist: ['10.0.0.1'] });
    // Newly listed on an endpoint without ACL: both change.
    expect(whitelistChange(spec({ whitelist: ['10.0.0.1'] }), ep())).toEqual({
      whitelist: ['10.0.0.1'],
      enableWhitelist: true,
    });
    // Emptied: cleared and switched off.
    expect(
      whitelistChange(spec({ whitelist: [] }), ep({ whitelist: ['10.0.0.1'], enable_whitelist: true })),
    ).toEqual({ whitelist: [], enableWhitelist: false });
    // Only the switch managed.
    expect(
      whitelistChange(spec({ enableWhitelist: false }), ep({ whitelist: ['x'], enable_whitelist: true })),
    ).toEqual({ enableWhitelist: false });
  });

  it('route tables: unmanaged when absent; compared as a set', () => {
    expect(routeTablesChange(spec(), ep({ routetables: ['rt-1'] }))).toBeUndefined();
    expect(
      routeTablesChange(spec({ routeTables: ['b', 'a'] }), ep({ routetables: ['a', 'b'] })),
    ).toBeUndefined();
    expect(routeTablesChange(spec({ routeTables: ['a'] }), ep({ routetables: ['a', 'b'] }))).toEqual(['a']);
    expect(routeTablesChange(spec({ routeTables: ['a'] }), ep())).toEqual(['a']);
  });

  it('policy: unmanaged when absent; compared as JSON, not by key order', () => {
    expect(policyChanged(spec(), ep({ policy_document: { a: 1 } }))).toBe(false);
    expect(
      policyChanged(
        spec({ policyDocument: { a: 1, b: [1, 2] } }),
        ep({ policy_document: { b: [1, 2], a: 1 } }),
      ),
    ).toBe(false);
    expect(policyChanged(spec({ policyDocument: { a: 1 } }), ep({ policy_document: { a: 2 } }))).toBe(true);
    expect(policyChanged(spec({ policyDocument: { a: 1 } }), ep())).toBe(true);
  });
});

describe('status fields', () => {
  it("maps the cloud's endpoint to status, the cloud's word verbatim", () => {
    expect(
      toStatusFields(
        ep({
          status: 'accepted',
          ip: '10.0.0.12',
          dns_names: ['a.example.', 'b.example.'],
          marker_id: 0,
          endpoint_service_id: SVC,
          endpoint_service_name: 'r1.orders.' + SVC,
          created_at: '2026-01-01T00:00:00Z',
          updated_at: '2026-01-01T00:01:00Z',
        }),
      ),
    ).toEqual({
      id: EP,
      status: 'accepted',
      ip: '10.0.0.12',
      dnsNames: ['a.example.', 'b.example.'],
      markerId: 0,
      serviceId: SVC,
      serviceName: 'r1.orders.' + SVC,
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:01:00Z',
    });
  });

  it('fields the cloud omitted are absent (a merge keeps what status had)', () => {
    expect(toStatusFields(ep({ status: 'pendingAcceptance' }))).toEqual({
      id: EP,
      status: 'pendingAcceptance',
    });
  });
});
