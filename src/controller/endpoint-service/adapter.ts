/**
 * The VPCEP endpoint-service adapter: how the generic lifecycle (src/managed) reads, creates, claims,
 * updates and deletes one endpoint service. It talks only to the cloud and never writes Kubernetes.
 * Update steps, in order: the mutable fields (one PUT), then the user tags (per-key diff). Next: the
 * whitelist and connection approval, as further steps.
 */
import { ANNOTATION_CONNECTION_POLL_PERIOD, OWNERSHIP_TAG_KEY } from '../../api/constants.js';
import type { VpcEndpointService, VpcEndpointServiceStatus } from '../../api/types.js';
import type { VpcepClient } from '../../cloud/client.js';
import { isCode, isCloudError, type CloudError } from '../../cloud/errors.js';
import { describeServiceFailure } from '../../cloud/failure.js';
import { isCloudId } from '../../cloud/ids.js';
import type { EndpointService } from '../../cloud/wire.js';
import type { CallContext, ExternalAdapter, Observation, Phase, UpdateStep } from '../../managed/adapter.js';
import { parseCloudTime, QUOTA_RECHECK_MS } from '../../managed/timing.js';
import { parseDuration } from '../../util/durations.js';
import { describeCloudError, Reason, type ErrorVerdict } from '../../managed/verdicts.js';
import { approvalActive, connectionsStatus, connectionsStep, type EndpointLookup } from './connections.js';
import { tagsStep } from '../tags.js';
import { diffMutable, toCreateRequest, toStatusFields, toUpdateRequest } from './mapping.js';
import { whitelistStep } from './whitelist.js';

/** Default connection-poll period while approval rules are in force. */
export const DEFAULT_CONNECTION_POLL_MS = 60_000;

/** Connection states that keep a service from being deleted (`EndPoint.3006`). */
const BLOCKING = new Set(['creating', 'pendingAcceptance', 'accepted']);

type Seen = Observation<VpcEndpointServiceStatus, EndpointService>;
type Step = UpdateStep<VpcEndpointService, VpcepClient, VpcEndpointServiceStatus, EndpointService>;

/** Codes that mean the backend's ports or capacity conflict with another service: fix the spec. */
const PORT_CODES = ['EndPoint.3044', 'EndPoint.3074', 'EndPoint.3056', 'EndPoint.3042', 'EndPoint.3008'];

/** The cloud's status word as a lifecycle phase (an unknown word counts as ready: never block on it). */
function phaseOf(status: string | undefined): Phase {
  if (status === 'creating' || status === 'deleting' || status === 'failed') return status;
  return 'ready';
}

/** One observation of `svc`. */
export function observation(svc: EndpointService): Seen {
  const phase = phaseOf(svc.status);
  const started = parseCloudTime(phase === 'creating' ? svc.created_at : svc.updated_at);
  return {
    id: svc.id,
    raw: svc,
    phase,
    owner: svc.tags?.find((t) => t.key === OWNERSHIP_TAG_KEY)?.value,
    fields: toStatusFields(svc),
    ...(started !== undefined ? { startedAt: started } : {}),
    ...(phase === 'failed' ? { failure: describeServiceFailure(svc) } : {}),
  };
}

/** Step 1: the mutable fields, in one PUT (the cloud replaces `ports` as a list). */
const fieldsStep: Step = {
  name: 'fields',
  async apply(client, obj, seen, ctx) {
    const fields = diffMutable(obj.spec, seen.raw);
    if (fields.length === 0) return { changed: [] };
    ctx.changing(fields);
    const svc = await client.updateService(seen.id, toUpdateRequest(obj.spec), { signal: ctx.signal });
    return { changed: [...fields], seen: observation(svc) };
  },
};

/** Step 2: the user tags, per key. */
const tagsStepOfService: Step = tagsStep(
  (raw: EndpointService) => raw.tags,
  (client: VpcepClient, id, action, tags, signal) => client.tagAction(id, action, tags, { signal }),
);

const call = (ctx: CallContext): { signal: AbortSignal } => ({ signal: ctx.signal });

/** The adapter's type. */
export type EndpointServiceAdapter = ExternalAdapter<
  VpcEndpointService,
  VpcepClient,
  VpcEndpointServiceStatus,
  EndpointService
>;

/** Options of {@link makeEndpointServiceAdapter}. */
export interface EndpointServiceAdapterOptions {
  /** The in-cluster `VpcEndpoint` of a connection, for `acceptInCluster` (absent: the rule matches none). */
  endpoints?: EndpointLookup;
  /** Summarizes the in-cluster endpoints connecting to a service (see `relatedVersion`). */
  related?: (obj: VpcEndpointService) => string | undefined;
}

/** See the module doc. */
export function makeEndpointServiceAdapter(o: EndpointServiceAdapterOptions = {}): EndpointServiceAdapter {
  return {
    ...(o.related ? { relatedVersion: o.related } : {}),
    async observe(client, id, ctx) {
      try {
        return observation(await client.getService(id, call(ctx)));
      } catch (e) {
        if (isCloudError(e) && e.kind === 'notFound') return undefined;
        throw e;
      }
    },
    async findOwned(client, uid, ctx) {
      const found = await client.queryByTags(
        { tags: [{ key: OWNERSHIP_TAG_KEY, values: [uid] }] },
        call(ctx),
      );
      return found.map((r) => r.resource_id).sort();
    },
    async create(client, obj, uid, ctx) {
      return observation(await client.createService(toCreateRequest(obj.spec, uid), call(ctx)));
    },
    async claim(client, id, uid, ctx) {
      await client.tagAction(id, 'create', [{ key: OWNERSHIP_TAG_KEY, value: uid }], call(ctx));
    },
    steps: [fieldsStep, tagsStepOfService, whitelistStep, connectionsStep(o.endpoints)],
    syncPeriod(obj) {
      if (!approvalActive(obj.spec)) return undefined;
      return (
        parseDuration(obj.metadata.annotations?.[ANNOTATION_CONNECTION_POLL_PERIOD]) ??
        DEFAULT_CONNECTION_POLL_MS
      );
    },
    async prepareDelete(client, obj, seen, ctx) {
      if (obj.spec.rejectConnectionsOnDelete !== true) return;
      for (const c of await client.listConnections(seen.id, {}, call(ctx)))
        if (c.status === 'pendingAcceptance' || c.status === 'accepted')
          await client.connectionAction(seen.id, 'reject', c.id, call(ctx));
    },
    async describeBlocked(client, obj, id, ctx) {
      const blocking = connectionsStatus(await client.listConnections(id, {}, call(ctx))).connections.filter(
        (c) => BLOCKING.has(c.status),
      );
      const names = blocking.map((c) => `${c.endpointId} (${c.status})`).join(', ') || 'none listed';
      return obj.spec.rejectConnectionsOnDelete === true
        ? `rejecting the connected endpoints, waiting until none blocks: ${names}`
        : `connected endpoints: ${names}; set rejectConnectionsOnDelete: true to reject them on delete, or set deletionPolicy: Retain to keep the service`;
    },
    async delete(client, id, ctx) {
      await client.deleteService(id, call(ctx));
    },
    isId: (id) => isCloudId(id),
    verdict(err: CloudError): ErrorVerdict | undefined {
      const message = describeCloudError(err);
      if (isCode(err, 'Endpoint.1018'))
        return { reason: Reason.QuotaExceeded, terminal: true, recheckMs: QUOTA_RECHECK_MS, message };
      if (PORT_CODES.some((c) => isCode(err, c)))
        return { reason: Reason.PortConflict, terminal: true, message };
      if (isCode(err, 'EndPoint.3049'))
        return {
          reason: Reason.WhitelistLimit,
          terminal: true,
          message: `${message}; the cloud caps the whitelist: use fewer entries (an account "*" or an organization path covers many)`,
        };
      return undefined;
    },
    cloudFields: [
      'status',
      'poolId',
      'serviceName',
      'createdAt',
      'updatedAt',
      'connections',
      'connectionCounts',
    ],
  };
}

/** The adapter without in-cluster consumers (tests, tools). */
export const endpointServiceAdapter: EndpointServiceAdapter = makeEndpointServiceAdapter();
