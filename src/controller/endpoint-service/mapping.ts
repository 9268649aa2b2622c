/**
 * Pure mapping between the custom resource and the VPCEP wire format: spec -> create/update bodies,
 * spec vs observed cloud object -> drift, spec tags vs cloud tags -> tag actions, cloud object ->
 * status fields. No I/O, no clock; every function returns fresh objects and never mutates its input.
 */
import type {
  CreateServiceRequest,
  EndpointService,
  PortMapping,
  UpdateServiceRequest,
} from '../../cloud/wire.js';
import { OWNERSHIP_TAG_KEY, SPEC_DEFAULTS } from '../../api/constants.js';
import { userTags } from '../tags.js';
import type { PortMappingSpec, VpcEndpointServiceSpec, VpcEndpointServiceStatus } from '../../api/types.js';

/** Spec fields the cloud can change in place (one PUT), in the order {@link diffMutable} reports them. */
export const MUTABLE_FIELDS = [
  'portId',
  'serviceName',
  'approvalEnabled',
  'ports',
  'tcpProxy',
  'description',
] as const;
/** One of {@link MUTABLE_FIELDS}. */
export type MutableField = (typeof MUTABLE_FIELDS)[number];

/** Status fields that come straight from the cloud object. */
export type CloudStatusFields = Pick<
  VpcEndpointServiceStatus,
  'id' | 'status' | 'poolId' | 'serviceName' | 'createdAt' | 'updatedAt'
>;

/** Maps spec ports to wire ports, defaulting the protocol; keeps the order. */
function toWirePorts(ports: readonly PortMappingSpec[]): PortMapping[] {
  return ports.map((p) => ({
    client_port: p.clientPort,
    server_port: p.serverPort,
    protocol: p.protocol ?? SPEC_DEFAULTS.protocol,
  }));
}

/**
 * Body of the create call for `spec`, tagged as owned by the custom resource with UID `ownerUid`.
 *
 * Guarantees: snake_case wire names; `service_type` and `approval_enabled` always present (the API
 * defaults approval to true while Terraform defaults it to false, so never rely on a default);
 * `enable_policy` only when true (the European region rejects the field); the ownership tag
 * ({@link OWNERSHIP_TAG_KEY} = `ownerUid`) last, after the user tags; other optional fields only when
 * the spec sets them, so no key holds `undefined`. Operator-only fields never reach the body.
 */
export function toCreateRequest(spec: VpcEndpointServiceSpec, ownerUid: string): CreateServiceRequest {
  const body: CreateServiceRequest = {
    port_id: spec.portId,
    vpc_id: spec.vpcId,
    approval_enabled: spec.approvalEnabled ?? SPEC_DEFAULTS.approvalEnabled,
    service_type: spec.serviceType ?? SPEC_DEFAULTS.serviceType,
    server_type: spec.serverType,
    ports: toWirePorts(spec.ports),
  };
  if (spec.serviceName !== undefined) body.service_name = spec.serviceName;
  if (spec.tcpProxy !== undefined) body.tcp_proxy = spec.tcpProxy;
  if (spec.description !== undefined) body.description = spec.description;
  if (spec.enablePolicy === true) body.enable_policy = true;
  body.tags = [...userTags(spec.tags), { key: OWNERSHIP_TAG_KEY, value: ownerUid }];
  return body;
}

/**
 * Body of the update call for `spec`: the mutable fields only, with effective values, so a field
 * removed from the spec goes back to the API default (`approval_enabled` true, `tcp_proxy` close,
 * `description` `""` which clears it). `service_name` is sent only when the spec sets it: the API
 * offers no documented way to remove a name, so an unset name leaves the cloud's as it is.
 */
export function toUpdateRequest(spec: VpcEndpointServiceSpec): UpdateServiceRequest {
  const body: UpdateServiceRequest = {
    port_id: spec.portId,
    approval_enabled: spec.approvalEnabled ?? SPEC_DEFAULTS.approvalEnabled,
    ports: toWirePorts(spec.ports),
    tcp_proxy: spec.tcpProxy ?? SPEC_DEFAULTS.tcpProxy,
    description: spec.description ?? '',
  };
  if (spec.serviceName !== undefined) body.service_name = spec.serviceName;
  return body;
}

/**
 * The short name inside a full service name: `{region}.{name}.{id}` gives `name`; `{region}.{id}`
 * gives `undefined` (no name); a bare value without dots (the create example answers `test123`) is
 * returned as is. Regions, names and IDs never contain dots; should more than three parts ever
 * appear, everything between the first and the last part is the name.
 */
export function shortServiceName(full: string | undefined): string | undefined {
  if (full === undefined || full === '') return undefined;
  const parts = full.split('.');
  if (parts.length === 1) return full;
  if (parts.length === 2) return undefined;
  return parts.slice(1, -1).join('.');
}

/** Canonical, order-insensitive form of a port list. */
function portKey(ports: readonly PortMapping[]): string {
  return ports
    .map((p) => `${p.protocol}:${p.client_port}:${p.server_port}`)
    .sort()
    .join(',');
}

/**
 * Names of the mutable spec fields (in {@link MUTABLE_FIELDS} order) whose desired value differs from
 * the observed cloud object; empty when no update is needed.
 *
 * Absent observed fields count as the API's defaults (responses omit unset fields). Ports compare as
 * sets of (protocol, clientPort, serverPort), ignoring order. The service name compares the spec's
 * short name with the one parsed from the full observed name, and is never reported when the spec
 * sets no name (see {@link toUpdateRequest}). Immutable fields are not compared: a change there is
 * refused at admission.
 */
export function diffMutable(spec: VpcEndpointServiceSpec, observed: EndpointService): MutableField[] {
  const want = toUpdateRequest(spec);
  const differs: Record<MutableField, boolean> = {
    portId: want.port_id !== observed.port_id,
    serviceName:
      want.service_name !== undefined && want.service_name !== shortServiceName(observed.service_name),
    approvalEnabled: want.approval_enabled !== (observed.approval_enabled ?? SPEC_DEFAULTS.approvalEnabled),
    ports: portKey(want.ports ?? []) !== portKey(observed.ports ?? []),
    tcpProxy: want.tcp_proxy !== (observed.tcp_proxy ?? SPEC_DEFAULTS.tcpProxy),
    description: want.description !== (observed.description ?? ''),
  };
  return MUTABLE_FIELDS.filter((f) => differs[f]);
}

/**
 * Status fields taken from a cloud endpoint service: `id`, `status` (verbatim), `poolId`, the full
 * `serviceName`, `createdAt`, `updatedAt`. Fields the cloud omitted are absent (not `undefined`), so a
 * merge keeps what status already holds.
 */
export function toStatusFields(svc: EndpointService): CloudStatusFields {
  const out: CloudStatusFields = { id: svc.id };
  if (svc.status !== undefined) out.status = svc.status;
  if (svc.pool_id !== undefined) out.poolId = svc.pool_id;
  if (svc.service_name !== undefined) out.serviceName = svc.service_name;
  if (svc.created_at !== undefined) out.createdAt = svc.created_at;
  if (svc.updated_at !== undefined) out.updatedAt = svc.updated_at;
  return out;
}
