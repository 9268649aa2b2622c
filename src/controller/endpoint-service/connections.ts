/**
 * The connections step of the endpoint-service adapter: connection approval as a declarative policy.
 * Every sync reads `GET …/connections` (paged) into `status.connections` and `connectionCounts`; while
 * approval is on and any `connectionApproval` rule is set, pending connections are accepted or
 * rejected by rule, one endpoint per call (the cloud refuses more). `reject` wins over every accept
 * rule; with `reconcileConnections`, an accepted connection that no rule accepts any more is rejected.
 * Each decision is a Normal event naming the rule; a pending connection no rule decides gets one
 * `ConnectionPending` event (a human must act), never repeated.
 */
import type {
  ConnectionCounts,
  ConnectionStatusEntry,
  VpcEndpointService,
  VpcEndpointServiceSpec,
  VpcEndpointServiceStatus,
} from '../../api/types.js';
import { SPEC_DEFAULTS } from '../../api/constants.js';
import type { VpcepClient } from '../../cloud/client.js';
import { isCode } from '../../cloud/errors.js';
import type { Connection, EndpointService } from '../../cloud/wire.js';
import type { UpdateStep } from '../../managed/adapter.js';
import { EventReason } from '../../managed/verdicts.js';

/** What the policy decides for one connection, and which rule decided. */
export type Decision =
  { action: 'receive' | 'reject'; rule: string } | { action: 'pending' } | { action: 'none' };

/**
 * A `VpcEndpoint` of this cluster, as the `acceptInCluster` rule sees it: where it lives and which
 * service its spec names. Only what the operator itself wrote (`status.id`) links it to a connection.
 */
export interface InClusterEndpoint {
  namespace: string;
  name: string;
  /** `namespace/name` of the `VpcEndpointService` its `serviceRef` names. */
  serviceRef?: string;
  /** Its `spec.serviceId`, or the id its `spec.serviceName` resolved to (`status.serviceId`). */
  serviceId?: string;
  /** Its `status.markerId` (the connection's packet id), when known. */
  markerId?: number;
}

/** The in-cluster `VpcEndpoint` whose `status.id` is `endpointId`, if any. */
export type EndpointLookup = (endpointId: string) => InClusterEndpoint | undefined;

/** The service a decision is for: where its resource lives, its cloud id, and the in-cluster lookup. */
export interface DecisionContext {
  namespace: string;
  name: string;
  id: string;
  endpoints?: EndpointLookup;
}

/** Whether the policy is in force: approval on and at least one rule set. */
export function approvalActive(spec: VpcEndpointServiceSpec): boolean {
  const a = spec.connectionApproval;
  if (!a || (spec.approvalEnabled ?? SPEC_DEFAULTS.approvalEnabled) === false) return false;
  return (
    (a.acceptDomains?.length ?? 0) + (a.accept?.length ?? 0) + (a.reject?.length ?? 0) > 0 ||
    a.reconcileConnections === true ||
    a.acceptInCluster !== undefined
  );
}

/**
 * The `acceptInCluster` rule for `c`: the connection's endpoint is a `VpcEndpoint` of this cluster, in
 * the service's own namespace or one the rule lists (`*`: any), whose spec names this service. A
 * namespace the owner did not list gets nothing by naming the service (the security boundary).
 */
function inClusterRule(
  spec: VpcEndpointServiceSpec,
  c: Connection,
  d: DecisionContext | undefined,
): string | undefined {
  const rule = spec.connectionApproval?.acceptInCluster;
  if (!rule || !d?.endpoints) return undefined;
  const ep = d.endpoints(c.id);
  if (!ep) return undefined;
  const listed = rule.namespaces ?? [];
  if (ep.namespace !== d.namespace && !listed.includes('*') && !listed.includes(ep.namespace))
    return undefined;
  const names =
    ep.serviceRef === `${d.namespace}/${d.name}` || (ep.serviceRef === undefined && ep.serviceId === d.id);
  if (!names) return undefined;
  if (ep.markerId !== undefined && c.marker_id !== undefined && ep.markerId !== c.marker_id) return undefined;
  return `acceptInCluster: ${ep.namespace}/${ep.name}`;
}

/** Whether the account may connect by the whitelist in the spec (unmanaged or org entries: yes). */
function whitelisted(spec: VpcEndpointServiceSpec, domain: string | undefined): boolean {
  const p = spec.permissions;
  if (p === undefined || p.some((e) => e.orgPath !== undefined && e.orgPath !== '')) return true;
  return p.some((e) => e.domainId === '*' || (domain !== undefined && e.domainId === domain));
}

/** The accept rule that matches `c`, if any. */
function acceptRule(spec: VpcEndpointServiceSpec, c: Connection, d?: DecisionContext): string | undefined {
  const a = spec.connectionApproval ?? {};
  if (a.accept?.includes(c.id)) return 'accept';
  const inCluster = inClusterRule(spec, c, d);
  if (inCluster) return inCluster;
  if (a.acceptDomains?.includes('*')) return 'acceptDomains: *';
  if (c.domain_id !== undefined && a.acceptDomains?.includes(c.domain_id))
    return `acceptDomains: ${c.domain_id}`;
  return undefined;
}

/** The decision for one connection (pure; `d` gives the in-cluster rule what it needs). */
export function decide(spec: VpcEndpointServiceSpec, c: Connection, d?: DecisionContext): Decision {
  if (!approvalActive(spec)) return { action: 'none' };
  const a = spec.connectionApproval ?? {};
  const rejected = a.reject?.includes(c.id) === true;
  if (c.status === 'pendingAcceptance') {
    if (rejected) return { action: 'reject', rule: 'reject' };
    const rule = acceptRule(spec, c, d);
    return rule ? { action: 'receive', rule } : { action: 'pending' };
  }
  if (c.status === 'accepted') {
    if (rejected) return { action: 'reject', rule: 'reject' };
    if (a.reconcileConnections && !(acceptRule(spec, c, d) && whitelisted(spec, c.domain_id)))
      return { action: 'reject', rule: 'reconcileConnections (no rule accepts it any more)' };
  }
  return { action: 'none' };
}

/** `status.connections` (sorted by endpoint id) and the counts, from the cloud's list. */
export function connectionsStatus(list: readonly Connection[]): {
  connections: ConnectionStatusEntry[];
  connectionCounts: ConnectionCounts;
} {
  const connections = list
    .map((c) => ({
      endpointId: c.id,
      ...(c.domain_id !== undefined ? { domainId: c.domain_id } : {}),
      ...(c.marker_id !== undefined ? { markerId: c.marker_id } : {}),
      status: c.status ?? 'unknown',
      ...(c.created_at !== undefined ? { createdAt: c.created_at } : {}),
      ...(c.description ? { description: c.description } : {}),
    }))
    .sort((x, y) => (x.endpointId < y.endpointId ? -1 : x.endpointId > y.endpointId ? 1 : 0));
  const count = (s: string): number => connections.filter((c) => c.status === s).length;
  return {
    connections,
    connectionCounts: {
      accepted: count('accepted'),
      pending: count('pendingAcceptance'),
      rejected: count('rejected'),
    },
  };
}

/**
 * Step 4 of the adapter: read the connections, decide by policy, report them in status. `endpoints`
 * finds the in-cluster `VpcEndpoint` of a connection (for `acceptInCluster`).
 */
export function connectionsStep(
  endpoints?: EndpointLookup,
): UpdateStep<VpcEndpointService, VpcepClient, VpcEndpointServiceStatus, EndpointService> {
  return {
    name: 'connections',
    async apply(client, obj, seen, ctx) {
      const call = { signal: ctx.signal };
      let list = await client.listConnections(seen.id, {}, call);
      const before = new Map((obj.status?.connections ?? []).map((c) => [c.endpointId, c.status]));
      let acted = false;
      for (const c of list) {
        const d = decide(obj.spec, c, {
          namespace: obj.metadata.namespace ?? 'default',
          name: obj.metadata.name ?? '',
          id: seen.id,
          ...(endpoints ? { endpoints } : {}),
        });
        if (d.action === 'pending') {
          if (before.get(c.id) !== 'pendingAcceptance')
            ctx.event(
              'Warning',
              EventReason.ConnectionPending,
              `endpoint ${c.id} of account ${c.domain_id ?? '(unknown)'} waits for approval and no rule decides it: add it to connectionApproval.accept or .reject`,
            );
          continue;
        }
        if (d.action === 'none') continue;
        try {
          await client.connectionAction(seen.id, d.action, c.id, call);
        } catch (e) {
          // The endpoint went away or is mid-change: the next poll decides again.
          if (['EndPoint.2013', 'EndPoint.2018', 'EndPoint.2019'].some((code) => isCode(e, code))) continue;
          throw e;
        }
        acted = true;
        const verb = d.action === 'receive' ? 'accepted' : 'rejected';
        ctx.event(
          'Normal',
          d.action === 'receive' ? EventReason.ConnectionAccepted : EventReason.ConnectionRejected,
          `${verb} endpoint ${c.id} of account ${c.domain_id ?? '(unknown)'} (rule ${d.rule})`,
        );
      }
      if (acted) list = await client.listConnections(seen.id, {}, call);
      return { changed: [], seen: { ...seen, fields: { ...seen.fields, ...connectionsStatus(list) } } };
    },
  };
}
