/**
 * Pure mapping between a `VpcEndpoint` and the VPCEP wire format: spec -> create body, spec vs the
 * observed endpoint -> the whitelist, route-table and policy changes, endpoint -> status fields. No I/O.
 * Absent optional fields are unmanaged (whatever the cloud holds stays), so adopting an endpoint never
 * clears what its spec does not mention.
 */
import { OWNERSHIP_TAG_KEY } from '../../api/constants.js';
import type { VpcEndpointSpec, VpcEndpointStatus } from '../../api/types.js';
import type { CreateEndpointRequest, VpcEndpoint } from '../../cloud/wire.js';
import { jsonEqual } from '../../runtime/json.js';
import { userTags } from '../tags.js';

/** The CRD's default of `enableDns`. */
export const DEFAULT_ENABLE_DNS = true;

/** Body of the create call for `spec`, connecting to `serviceId`, tagged as owned by `ownerUid`. */
export function toCreateRequest(
  spec: VpcEndpointSpec,
  serviceId: string,
  ownerUid: string,
): CreateEndpointRequest {
  const body: CreateEndpointRequest = {
    endpoint_service_id: serviceId,
    vpc_id: spec.vpcId,
    enable_dns: spec.enableDns ?? DEFAULT_ENABLE_DNS,
  };
  if (spec.subnetId) body.subnet_id = spec.subnetId;
  if (spec.portIp) body.port_ip = spec.portIp;
  const wl = desiredWhitelist(spec);
  if (wl.whitelist !== undefined) body.whitelist = wl.whitelist;
  if (wl.enableWhitelist !== undefined) body.enable_whitelist = wl.enableWhitelist;
  if (spec.routeTables?.length) body.routetables = [...spec.routeTables];
  if (spec.description) body.description = spec.description;
  if (spec.policyDocument !== undefined) body.policy_document = spec.policyDocument;
  body.tags = [...userTags(spec.tags), { key: OWNERSHIP_TAG_KEY, value: ownerUid }];
  return body;
}

/** The whitelist the spec asks for; `enableWhitelist` defaults to whether `whitelist` lists anything. */
export function desiredWhitelist(spec: VpcEndpointSpec): { whitelist?: string[]; enableWhitelist?: boolean } {
  const out: { whitelist?: string[]; enableWhitelist?: boolean } = {};
  if (spec.whitelist !== undefined) out.whitelist = [...spec.whitelist];
  const enable =
    spec.enableWhitelist ?? (spec.whitelist !== undefined ? spec.whitelist.length > 0 : undefined);
  if (enable !== undefined) out.enableWhitelist = enable;
  return out;
}

const sortedEqual = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && [...a].sort().every((v, i) => v === [...b].sort()[i]);

/** The whitelist change that brings `ep` in line with `spec`, or undefined when it is in line. */
export function whitelistChange(
  spec: VpcEndpointSpec,
  ep: VpcEndpoint,
): { whitelist?: string[]; enableWhitelist?: boolean } | undefined {
  const want = desiredWhitelist(spec);
  const change: { whitelist?: string[]; enableWhitelist?: boolean } = {};
  if (want.whitelist !== undefined && !sortedEqual(want.whitelist, ep.whitelist ?? []))
    change.whitelist = want.whitelist;
  if (want.enableWhitelist !== undefined && want.enableWhitelist !== (ep.enable_whitelist ?? false))
    change.enableWhitelist = want.enableWhitelist;
  return Object.keys(change).length ? change : undefined;
}

/** The route tables to bind, or undefined when unmanaged or in line. */
export function routeTablesChange(spec: VpcEndpointSpec, ep: VpcEndpoint): string[] | undefined {
  if (spec.routeTables === undefined) return undefined;
  return sortedEqual(spec.routeTables, ep.routetables ?? []) ? undefined : [...spec.routeTables];
}

/** Whether the policy document differs from the endpoint's (absent in the spec: unmanaged). */
export function policyChanged(spec: VpcEndpointSpec, ep: VpcEndpoint): boolean {
  return spec.policyDocument !== undefined && !jsonEqual(spec.policyDocument, ep.policy_document ?? null);
}

/** Status fields taken from the cloud endpoint; fields it omitted are absent (a merge keeps them). */
export function toStatusFields(ep: VpcEndpoint): Partial<VpcEndpointStatus> {
  const out: Partial<VpcEndpointStatus> = { id: ep.id };
  if (ep.status !== undefined) out.status = ep.status;
  if (ep.ip) out.ip = ep.ip;
  if (ep.dns_names !== undefined) out.dnsNames = [...ep.dns_names];
  if (ep.marker_id !== undefined) out.markerId = ep.marker_id;
  if (ep.endpoint_service_id) out.serviceId = ep.endpoint_service_id;
  if (ep.endpoint_service_name) out.serviceName = ep.endpoint_service_name;
  if (ep.created_at) out.createdAt = ep.created_at;
  if (ep.updated_at) out.updatedAt = ep.updated_at;
  return out;
}
