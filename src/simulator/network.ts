/**
 * The consumer side's network: subnets (with CIDRs), per-subnet address pools for endpoint IPs, and
 * route tables. Deterministic: the same sequence of creates and deletes always yields the same
 * addresses (the lowest free one), whatever the clock or the random source.
 *
 * Without an inventory any well-formed subnet id is valid; its CIDR is `10.x.y.0/24` with `x`, `y`
 * derived from the id (a hash), and it is bound to the first VPC it is used with (another VPC later:
 * `EndPoint.4004`). With an inventory, a VPC that lists `subnets` accepts only those; a VPC that lists
 * none accepts any subnet id not listed under another VPC (derived CIDR). Route tables likewise: a VPC
 * that lists `routeTables` accepts only those (the first is the default), else any UUID, the default
 * being derived from the VPC id.
 */
import { createHash } from 'node:crypto';
import { paramError, vpcepError } from './errors.js';

/** A subnet of an inventory VPC. */
export interface InventorySubnet {
  id: string;
  /** IPv4 CIDR, e.g. `192.168.0.0/24` (prefix 8–29). */
  cidr: string;
}

/** What the network needs of the inventory (a subset of the simulator's `Inventory`). */
export interface NetworkInventory {
  vpcs: Array<{ id: string; subnets?: InventorySubnet[]; routeTables?: string[] }>;
}

interface Pool {
  /** First address of the CIDR, as a 32-bit number. */
  base: number;
  /** Number of addresses in the CIDR. */
  size: number;
  cidr: string;
  used: Set<number>;
}

/** `a.b.c.d` to a 32-bit number; undefined for anything else. */
export function parseIpv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const groups = m.slice(1);
  if (groups.some((g) => g.length > 1 && g.startsWith('0'))) return undefined;
  const parts = groups.map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

/** A 32-bit number to `a.b.c.d`. */
export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** True for an IPv4 address or an IPv4 CIDR (`a.b.c.d/n`, `n` 0–32): an endpoint whitelist entry. */
export function isIpv4OrCidr(s: string): boolean {
  const [ip, prefix, ...rest] = s.split('/');
  if (rest.length > 0 || ip === undefined || parseIpv4(ip) === undefined) return false;
  return prefix === undefined || (/^\d{1,2}$/.test(prefix) && Number(prefix) <= 32);
}

function parseCidr(cidr: string): { base: number; size: number } {
  const [ip = '', prefix = ''] = cidr.split('/');
  const addr = parseIpv4(ip);
  const bits = /^\d{1,2}$/.test(prefix) ? Number(prefix) : Number.NaN;
  if (addr === undefined || !(bits >= 8 && bits <= 29))
    throw new Error(`inventory: subnet CIDR ${JSON.stringify(cidr)} is not an IPv4 CIDR with prefix 8-29`);
  const size = 2 ** (32 - bits);
  return { base: addr - (addr % size), size };
}

function hash(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** A UUID-shaped id derived from `text` (stable across runs). */
export function derivedUuid(text: string): string {
  const h = hash(text).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The CIDR given to a subnet the inventory does not describe: `10.x.y.0/24` from the id's hash. */
export function derivedCidr(subnetId: string): string {
  const h = hash(`subnet:${subnetId}`);
  return `10.${h[0] ?? 0}.${h[1] ?? 0}.0/24`;
}

/** Subnets, address pools and route tables of every project (ids are global, as in the cloud). */
export class SimNetwork {
  private readonly pools = new Map<string, Pool>();
  private readonly subnetVpc = new Map<string, string>();

  constructor(private readonly inventory?: NetworkInventory) {
    for (const vpc of inventory?.vpcs ?? []) for (const s of vpc.subnets ?? []) parseCidr(s.cidr);
  }

  private listedVpcOf(subnetId: string): string | undefined {
    return this.inventory?.vpcs.find((v) => (v.subnets ?? []).some((s) => s.id === subnetId))?.id;
  }

  /**
   * Checks that `subnetId` is a subnet of `vpcId` (`EndPoint.4004` otherwise, the simulator's pick of
   * the notes' "subnet not found" code) and returns its pool. Binds an undescribed subnet to the VPC.
   */
  private subnet(vpcId: string, subnetId: string): Pool {
    const vpc = this.inventory?.vpcs.find((v) => v.id === vpcId);
    const listed = vpc?.subnets?.find((s) => s.id === subnetId);
    if (vpc?.subnets !== undefined && !listed)
      throw vpcepError('EndPoint.4004', `Subnet ${subnetId} is not in VPC ${vpcId}.`);
    const listedElsewhere = this.listedVpcOf(subnetId);
    if (listedElsewhere !== undefined && listedElsewhere !== vpcId)
      throw vpcepError('EndPoint.4004', `Subnet ${subnetId} is in VPC ${listedElsewhere}.`);
    const bound = this.subnetVpc.get(subnetId);
    if (bound !== undefined && bound !== vpcId)
      throw vpcepError('EndPoint.4004', `Subnet ${subnetId} is in VPC ${bound}.`);
    let pool = this.pools.get(subnetId);
    if (!pool) {
      const cidr = listed?.cidr ?? derivedCidr(subnetId);
      pool = { ...parseCidr(cidr), cidr, used: new Set() };
      this.pools.set(subnetId, pool);
    }
    return pool;
  }

  /** The CIDR of a subnet of `vpcId` (checked as for an allocation). */
  cidrOf(vpcId: string, subnetId: string): string {
    return this.subnet(vpcId, subnetId).cidr;
  }

  /**
   * Reserves an address in the subnet: `requested` when given (it must be a usable address of the
   * CIDR, `EndPoint.0002`, and free, `EndPoint.3046`), else the lowest free one from the third address
   * up (the first two and the last are the network's, gateway's and broadcast's). A full subnet is
   * `EndPoint.3046` too. Nothing is reserved when it throws.
   */
  allocate(vpcId: string, subnetId: string, requested?: string): string {
    const pool = this.subnet(vpcId, subnetId);
    const first = pool.base + 2;
    const last = pool.base + pool.size - 2;
    let addr: number | undefined;
    if (requested !== undefined) {
      const n = parseIpv4(requested);
      if (n === undefined) throw paramError('port_ip must be an IPv4 address.');
      if (n < first || n > last)
        throw paramError(`port_ip ${requested} is not a usable address of subnet ${pool.cidr}.`);
      if (pool.used.has(n)) throw vpcepError('EndPoint.3046', `${requested} is already in use.`);
      addr = n;
    } else {
      for (let n = first; n <= last && addr === undefined; n++) if (!pool.used.has(n)) addr = n;
      if (addr === undefined) throw vpcepError('EndPoint.3046', `Subnet ${pool.cidr} has no free address.`);
    }
    pool.used.add(addr);
    if (!this.listedVpcOf(subnetId)) this.subnetVpc.set(subnetId, vpcId);
    return formatIpv4(addr);
  }

  /** Frees an address reserved by {@link allocate} (unknown ones are ignored). */
  release(subnetId: string, ip: string): void {
    const n = parseIpv4(ip);
    if (n !== undefined) this.pools.get(subnetId)?.used.delete(n);
  }

  /**
   * Checks the route tables of a gateway endpoint in `vpcId` (`EndPoint.0002` for one the inventory's
   * VPC does not list) and returns them, or the VPC's default route table when none are given.
   */
  routeTables(vpcId: string, requested: string[] | undefined): string[] {
    const listed = this.inventory?.vpcs.find((v) => v.id === vpcId)?.routeTables;
    if (requested === undefined) return [listed?.[0] ?? derivedUuid(`routetable:${vpcId}`)];
    if (listed !== undefined)
      for (const r of requested)
        if (!listed.includes(r)) throw paramError(`Route table ${r} is not in VPC ${vpcId}.`);
    return [...new Set(requested)];
  }

  /** Forgets every reservation and binding. */
  reset(): void {
    this.pools.clear();
    this.subnetVpc.clear();
  }
}
