/**
 * Stored endpoints to wire objects, one field set per answer, each exactly the official Go SDK's
 * response model for that call, so no answer carries a field the SDK lacks:
 *
 * | view | SDK model | leaves out |
 * |---|---|---|
 * | `create` | `CreateEndpointResponse` | `dns_names`, `error` |
 * | `get` | `ListEndpointInfoDetailsResponse` | – |
 * | `list` | `EndpointResponseBody` | `enable_status`, `specification_name` |
 * | `whitelist` | `UpdateEndpointWhiteResponse` | `routetables`, `description`, `error`, `enable_status` |
 * | `policy` | `UpdateEndpointPolicyResponse`, `DeleteEndpointPolicyResponse` | `enable_dns`, `dns_names`, `subnet_id`, `enable_status` |
 *
 * Within a view: `ip` appears once the connection has been accepted (also after a later reject), as
 * the SDK documents; `dns_names` while `enable_dns` is on (interface services); `subnet_id`,
 * `whitelist` and `enable_whitelist` for interface services, `routetables` for gateway ones; `tags`
 * always (an empty list when none, as documented); `error[]` only while `failed`; unset optional
 * fields are omitted, never `null`.
 */
import type { VpcEndpoint } from '../cloud/wire.js';
import type { EndpointStore, StoredEndpoint } from './endpoint-state.js';
import { apiTime } from './stored.js';

/** Which answer an endpoint appears in (see the table above). */
export type EndpointView = 'create' | 'get' | 'list' | 'whitelist' | 'policy';

const OMIT: Record<EndpointView, readonly (keyof VpcEndpoint)[]> = {
  create: ['dns_names', 'error'],
  get: [],
  list: ['enable_status', 'specification_name'],
  whitelist: ['routetables', 'description', 'error', 'enable_status'],
  policy: ['enable_dns', 'dns_names', 'subnet_id', 'enable_status'],
};

/** The wire form of an endpoint in `view`. */
export function renderEndpoint(store: EndpointStore, ep: StoredEndpoint, view: EndpointView): VpcEndpoint {
  const c = ep.connection;
  const service = store.serviceOf(ep);
  const out: VpcEndpoint = {
    id: ep.id,
    service_type: ep.serviceType,
    status: c.status,
    active_status: ['active'],
    endpoint_service_name: service.name,
    marker_id: c.markerId,
    endpoint_service_id: ep.serviceId,
    enable_dns: ep.enableDns,
    vpc_id: ep.vpcId,
    created_at: apiTime(ep.createdMs),
    updated_at: apiTime(Math.max(ep.updatedMs, c.updatedMs)),
    project_id: ep.projectId,
    tags: ep.tags.map((t) => ({ ...t })),
    enable_status: 'enable',
  };
  const shown = c.status === 'accepted' || (c.status === 'rejected' && c.acceptedOnce === true);
  if (ep.ip !== undefined && shown) out.ip = ep.ip;
  if (ep.dnsName !== undefined && ep.enableDns) out.dns_names = [ep.dnsName];
  if (ep.serviceType === 'interface') {
    if (ep.subnetId !== undefined) out.subnet_id = ep.subnetId;
    out.whitelist = [...ep.whitelist];
    out.enable_whitelist = ep.enableWhitelist;
  } else out.routetables = [...(ep.routeTables ?? [])];
  if (ep.description !== undefined) out.description = ep.description;
  if (ep.policyStatement !== undefined) out.policy_statement = structuredClone(ep.policyStatement);
  if (ep.policyDocument !== undefined) out.policy_document = structuredClone(ep.policyDocument);
  if (c.status === 'failed' && c.error) out.error = c.error.map((e) => ({ ...e }));
  for (const k of OMIT[view]) delete out[k];
  return out;
}
