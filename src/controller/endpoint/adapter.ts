/**
 * The VPC endpoint adapter: how the generic lifecycle (src/managed) reads, creates, claims, updates and
 * deletes one consumer endpoint. The lifecycle supplies everything else (crash-safe create, adoption,
 * observe-only, pause, Retain, abandon, ownership on every write). Specific to endpoints:
 * - the service is resolved before the create (`prerequisites`: a `serviceRef` without an id waits);
 * - `pendingAcceptance` and `rejected` are the `waiting` phase: Ready=False with the reason, polled
 *   (pending) or rechecked slowly (rejected), never an error loop;
 * - update steps: the whitelist (one PUT), the route tables, the policy document, the tags;
 * - `dependents`: the published Service (publish.ts), once the endpoint is accepted.
 */
import { OWNERSHIP_TAG_KEY } from '../../api/constants.js';
import type { VpcEndpoint as VpcEndpointResource, VpcEndpointStatus } from '../../api/types.js';
import type { VpcepClient } from '../../cloud/client.js';
import { CloudError, isCloudError, isCode } from '../../cloud/errors.js';
import { isCloudId } from '../../cloud/ids.js';
import type { VpcEndpoint } from '../../cloud/wire.js';
import type {
  CallContext,
  ExternalAdapter,
  Observation,
  Phase,
  UpdateStep,
  Wait,
} from '../../managed/adapter.js';
import { parseCloudTime, pollDelay, QUOTA_RECHECK_MS } from '../../managed/timing.js';
import { describeCloudError, Reason, type ErrorVerdict } from '../../managed/verdicts.js';
import { tagsStep } from '../tags.js';
import {
  policyChanged,
  routeTablesChange,
  toCreateRequest,
  toStatusFields,
  whitelistChange,
} from './mapping.js';
import {
  isWait,
  referencedService,
  resolveService,
  SERVICE_WAIT_MS,
  type ResolvedService,
  type ServiceLookup,
} from './service-ref.js';

type Seen = Observation<VpcEndpointStatus, VpcEndpoint>;
type Step = UpdateStep<VpcEndpointResource, VpcepClient, VpcEndpointStatus, VpcEndpoint>;
/** The endpoint adapter's type. */
export type EndpointAdapter = ExternalAdapter<
  VpcEndpointResource,
  VpcepClient,
  VpcEndpointStatus,
  VpcEndpoint
>;

/** Longest poll while a connection waits for approval (the service's events usually come first). */
export const PENDING_POLL_MAX_MS = 60_000;
/** Recheck of a rejected connection (its owner may accept it later; the service's events come first). */
export const REJECTED_RECHECK_MS = 5 * 60_000;
/** Recheck of a refusal by the service's whitelist (its owner may add this account). */
export const NOT_WHITELISTED_RECHECK_MS = 30_000;

/** The cloud's status word as a lifecycle phase (an unknown word counts as ready: never block on it). */
function phaseOf(status: string | undefined): Phase {
  if (status === 'creating' || status === 'deleting' || status === 'failed') return status;
  if (status === 'pendingAcceptance' || status === 'rejected') return 'waiting';
  return 'ready';
}

/** What a waiting endpoint waits for, `now` ms since the epoch. */
function waitOf(ep: VpcEndpoint, now: number): Wait | undefined {
  const service = ep.endpoint_service_name ?? ep.endpoint_service_id ?? 'the service';
  if (ep.status === 'pendingAcceptance') {
    const since = parseCloudTime(ep.created_at) ?? now;
    return {
      reason: Reason.PendingAcceptance,
      message: `the connection to ${service} waits for its owner's approval`,
      recheckMs: Math.min(PENDING_POLL_MAX_MS, pollDelay(now - since) * 2),
    };
  }
  if (ep.status === 'rejected')
    return {
      reason: Reason.Rejected,
      message: `the owner of ${service} rejected the connection; it is looked at again should they accept it`,
      recheckMs: REJECTED_RECHECK_MS,
      routine: true,
    };
  return undefined;
}

/** One observation of `ep` at `now`. */
export function observation(ep: VpcEndpoint, now: number = Date.now()): Seen {
  const phase = phaseOf(ep.status);
  const started = parseCloudTime(phase === 'creating' ? ep.created_at : ep.updated_at);
  const wait = phase === 'waiting' ? waitOf(ep, now) : undefined;
  const error = ep.error?.[0];
  return {
    id: ep.id,
    raw: ep,
    phase,
    owner: ep.tags?.find((t) => t.key === OWNERSHIP_TAG_KEY)?.value,
    fields: toStatusFields(ep),
    ...(started !== undefined ? { startedAt: started } : {}),
    ...(wait ? { wait } : {}),
    ...(phase === 'failed'
      ? { failure: error ? `${error.error_code ?? ''}: ${error.error_message ?? ''}` : 'no error detail' }
      : {}),
  };
}

const call = (ctx: CallContext): { signal: AbortSignal } => ({ signal: ctx.signal });

/** Step 1: the whitelist and its switch, in one PUT. */
const whitelistStep: Step = {
  name: 'whitelist',
  async apply(client, obj, seen, ctx) {
    const change = whitelistChange(obj.spec, seen.raw);
    if (!change) return { changed: [] };
    const what = [
      ...(change.whitelist ? ['whitelist'] : []),
      ...(change.enableWhitelist !== undefined ? ['enableWhitelist'] : []),
    ];
    ctx.changing(what);
    const ep = await client.updateEndpointWhitelist(seen.id, change, call(ctx));
    return { changed: what, seen: { ...seen, raw: { ...seen.raw, ...ep, tags: seen.raw.tags } } };
  },
};

/** Step 2: the route tables (gateway services). */
const routeTablesStep: Step = {
  name: 'routeTables',
  async apply(client, obj, seen, ctx) {
    const tables = routeTablesChange(obj.spec, seen.raw);
    if (!tables) return { changed: [] };
    ctx.changing(['routeTables']);
    await client.updateEndpointRouteTables(seen.id, tables, call(ctx));
    return { changed: ['routeTables'] };
  },
};

/** Step 3: the policy document (services with policies enabled). */
const policyStep: Step = {
  name: 'policy',
  async apply(client, obj, seen, ctx) {
    if (!policyChanged(obj.spec, seen.raw)) return { changed: [] };
    ctx.changing(['policyDocument']);
    await client.updateEndpointPolicy(seen.id, { policy_document: obj.spec.policyDocument }, call(ctx));
    return { changed: ['policyDocument'] };
  },
};

/** Step 4: the user tags, per key. */
const endpointTagsStep: Step = tagsStep(
  (raw: VpcEndpoint) => raw.tags,
  (client: VpcepClient, id, action, tags, signal) => client.endpointTagAction(id, action, tags, { signal }),
);

/** Options of {@link makeEndpointAdapter}. */
export interface EndpointAdapterOptions {
  /** The operator's cache of `VpcEndpointService` resources (for `serviceRef`). */
  lookupService: ServiceLookup;
  /** Keeps the published Service of an accepted endpoint (absent: publishing is not wired). */
  publish?: (
    obj: VpcEndpointResource,
    seen: Seen,
    service: ResolvedService | undefined,
    ctx: CallContext,
  ) => Promise<Wait | undefined>;
  /** Summarizes the service side of an endpoint's connection (see `relatedVersion`). */
  related?: (obj: VpcEndpointResource) => string | undefined;
  /** For the pending-poll cadence. */
  now?: () => number;
}

/** The adapter of the `VpcEndpoint` kind (see the module doc). */
export function makeEndpointAdapter(o: EndpointAdapterOptions): EndpointAdapter {
  const now = o.now ?? Date.now;
  // The service resolved by a pass's prerequisites, reused by its create (one describe per create).
  const resolved = new WeakMap<VpcEndpointResource, ResolvedService>();
  const resolve = async (
    client: VpcepClient,
    obj: VpcEndpointResource,
    ctx: CallContext,
  ): Promise<ResolvedService | Wait> => {
    const known = resolved.get(obj);
    if (known) return known;
    const r = await resolveService(client, obj, o.lookupService, ctx);
    if (!isWait(r)) resolved.set(obj, r);
    return r;
  };
  return {
    ...(o.related ? { relatedVersion: o.related } : {}),
    async observe(client, id, ctx) {
      try {
        return observation(await client.getEndpoint(id, call(ctx)), now());
      } catch (e) {
        if (isCloudError(e) && e.kind === 'notFound') return undefined;
        throw e;
      }
    },
    async findOwned(client, uid, ctx) {
      const found = await client.queryEndpointsByTags(
        { tags: [{ key: OWNERSHIP_TAG_KEY, values: [uid] }] },
        call(ctx),
      );
      return found.map((r) => r.resource_id).sort();
    },
    async prerequisites(client, obj, ctx) {
      const r = await resolve(client, obj, ctx);
      return isWait(r) ? r : undefined;
    },
    async create(client, obj, uid, ctx) {
      const r = await resolve(client, obj, ctx);
      // The prerequisites of this pass resolved it; should it have changed since, wait like they would.
      if (isWait(r))
        throw new CloudError({ kind: 'retryable', operation: 'createEndpoint', message: r.message });
      return observation(await client.createEndpoint(toCreateRequest(obj.spec, r.id, uid), call(ctx)), now());
    },
    async claim(client, id, uid, ctx) {
      await client.endpointTagAction(id, 'create', [{ key: OWNERSHIP_TAG_KEY, value: uid }], call(ctx));
    },
    steps: [whitelistStep, routeTablesStep, policyStep, endpointTagsStep],
    async dependents(obj, seen, ctx) {
      if (!o.publish) return undefined;
      const svc = referencedService(obj, o.lookupService);
      const service = svc?.status?.id ? { id: svc.status.id, ports: svc.spec.ports } : undefined;
      return o.publish(obj, seen, service, ctx);
    },
    async delete(client, id, ctx) {
      await client.deleteEndpoint(id, call(ctx));
    },
    isId: (id) => isCloudId(id),
    verdict(err: CloudError): ErrorVerdict | undefined {
      const message = describeCloudError(err);
      if (isCode(err, 'EndPoint.2012'))
        return {
          reason: Reason.NotWhitelisted,
          terminal: false,
          recheckMs: NOT_WHITELISTED_RECHECK_MS,
          message: `${message}; the service's owner must add this account to its whitelist (permissions)`,
        };
      if (err.operation === 'createEndpoint' && (err.kind === 'notFound' || isCode(err, 'EndPoint.0005')))
        return {
          reason: Reason.ServiceNotFound,
          terminal: false,
          recheckMs: SERVICE_WAIT_MS,
          message: `${message}; check the service this endpoint names`,
        };
      if (isCode(err, 'Endpoint.1018'))
        return { reason: Reason.QuotaExceeded, terminal: true, recheckMs: QUOTA_RECHECK_MS, message };
      if (isCode(err, 'EndPoint.2004'))
        return { reason: Reason.ServiceNotReady, terminal: false, recheckMs: SERVICE_WAIT_MS, message };
      return undefined;
    },
    cloudFields: [
      'status',
      'ip',
      'dnsNames',
      'markerId',
      'serviceId',
      'serviceName',
      'createdAt',
      'updatedAt',
    ],
  };
}
