/**
 * The consumer network's pure parts: address parsing, whitelist entries, derived CIDRs and default
 * route tables (stable across runs), the inventory's CIDR check, and the pool's edges.
 */
import { describe, expect, it } from 'vitest';
import {
  derivedCidr,
  derivedUuid,
  formatIpv4,
  isIpv4OrCidr,
  parseIpv4,
  SimNetwork,
} from '../../../src/simulator/network.js';
import { SimError } from '../../../src/simulator/errors.js';

const VPC = '11111111-1111-4111-8111-111111111111';
const SUBNET = '22222222-2222-4222-8222-222222222222';

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof SimError) return e.code;
    throw e;
  }
  return undefined;
}

describe('addresses', () => {
  it('parses and formats IPv4, refusing leading zeros and out-of-range parts', () => {
    expect(parseIpv4('10.1.2.3')).toBe(0x0a010203);
    expect(formatIpv4(0x0a010203)).toBe('10.1.2.3');
    for (const bad of ['10.1.2', '10.1.2.256', '010.1.2.3', '1.2.3.4.5', 'a.b.c.d', ''])
      expect(parseIpv4(bad), bad).toBeUndefined();
  });

  it('whitelist entries are IPv4 addresses or CIDRs with a prefix 0-32', () => {
    expect(['10.0.0.1', '10.0.0.0/8', '0.0.0.0/0', '1.2.3.4/32'].every(isIpv4OrCidr)).toBe(true);
    expect(['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/8/1', 'fe80::1', 'host'].some(isIpv4OrCidr)).toBe(false);
  });

  it('derived CIDRs and default route tables are stable functions of the ids', () => {
    expect(derivedCidr(SUBNET)).toBe(derivedCidr(SUBNET));
    expect(derivedCidr(SUBNET)).toMatch(/^10\.\d{1,3}\.\d{1,3}\.0\/24$/);
    expect(derivedUuid('routetable:x')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    const n = new SimNetwork();
    expect(n.routeTables(VPC, undefined)).toEqual([derivedUuid(`routetable:${VPC}`)]);
  });
});

describe('the pool', () => {
  it('fills a /29 from its third address to the one before broadcast, then refuses with 3046', () => {
    const n = new SimNetwork({ vpcs: [{ id: VPC, subnets: [{ id: SUBNET, cidr: '192.168.1.8/29' }] }] });
    const got = Array.from({ length: 5 }, () => n.allocate(VPC, SUBNET));
    expect(got).toEqual(['192.168.1.10', '192.168.1.11', '192.168.1.12', '192.168.1.13', '192.168.1.14']);
    expect(code(() => n.allocate(VPC, SUBNET))).toBe('EndPoint.3046');
    n.release(SUBNET, '192.168.1.12');
    expect(n.allocate(VPC, SUBNET)).toBe('192.168.1.12');
    expect(code(() => n.allocate(VPC, SUBNET, '192.168.1.9'))).toBe('EndPoint.0002');
  });

  it('an inventory with a bad CIDR is refused at start; an undescribed subnet binds to its first VPC', () => {
    expect(
      () => new SimNetwork({ vpcs: [{ id: VPC, subnets: [{ id: SUBNET, cidr: '10.0.0.0/30' }] }] }),
    ).toThrow(/prefix 8-29/);
    const n = new SimNetwork();
    n.allocate(VPC, SUBNET);
    expect(code(() => n.allocate('33333333-3333-4333-8333-333333333333', SUBNET))).toBe('EndPoint.4004');
    n.reset();
    expect(n.allocate('33333333-3333-4333-8333-333333333333', SUBNET)).toMatch(/\.2$/);
  });
});
