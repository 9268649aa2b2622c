/**
 * The VpcEndpointService reconciler: one pass reads the resource and the cloud as they are now (never the
 * event that woke it) and takes the next step. The state machine, in order:
 *
 *   paused                      -> no cloud calls; Synced=False Paused
 *   being deleted               -> CRD deleted: abandon | Retain/observe: release | Delete: DELETE, poll to 404
 *   no finalizer                -> add it (before anything can be created)
 *   terminal for this generation-> nothing (until the spec changes, or a slow recheck for quota/credentials)
 *   find the cloud service      -> status.id | adoption annotation | ownership-tag lookup | create (tagged)
 *   creating / deleting         -> poll on an adaptive cadence
 *   failed                      -> Ready=False CreateFailed; a new generation deletes it and creates anew
 *   available                   -> one PUT for mutable drift, tag diff, Ready=True, resync later
 *
 * Ownership, checked on the service just read before every write: the operator changes or deletes only
 * a service whose ownership tag names this resource's UID. The one exception is an untagged service
 * being adopted (or one of ours that lost its tag), which is tagged first, before any other write. A
 * service tagged by another UID gets `OwnedByAnother` and no write ever; deleting such a resource
 * releases it without a cloud call. Observe-only of another resource's service is refused unless the
 * operator allows it (`--allow-observe-owned`). Every Kubernetes write is bound to the UID read at the
 * start of the pass, so a pass for a deleted object never writes into a same-name successor.
 *
 * Guarantees: never two cloud services for one resource (the finalizer precedes any create; a create
 * is preceded by a lookup by the ownership tag, whose value is the resource's UID; `status.id` is
 * written right after a create returns, and an unknown create outcome is resolved by the tag lookup);
 * no status write when nothing changed; no cloud call when a Ready resource was synced less than a
 * resync period ago, so steady state costs one GET per resource per period.
 */
import {
  ANNOTATION_MANAGEMENT_POLICY,
  ANNOTATION_PAUSED,
  ANNOTATION_RESYNC_PERIOD,
  ANNOTATION_SERVICE_ID,
  ConditionType,
  FINALIZER,
  MANAGEMENT_POLICY_OBSERVE,
  OWNERSHIP_TAG_KEY,
} from '../api/constants.js';
import { getCondition } from '../api/conditions.js';
import { diffMutable, diffTags, toCreateRequest, toStatusFields, toUpdateRequest } from '../api/mapping.js';
import type { VpcEndpointService } from '../api/types.js';
import type { VpcepClient } from '../cloud/client.js';
import { CloudError, isCloudError } from '../cloud/errors.js';
import { isCloudId } from '../cloud/ids.js';
import type { EndpointService } from '../cloud/wire.js';
import type { Clock } from '../runtime/clock.js';
import {
  ObjectGoneError,
  TerminalError,
  type ReconcileContext,
  type ReconcileResult,
  type Request,
} from '../runtime/reconcile.js';
import { CredentialsError, type CredentialResolver, type ResolvedClient } from './credentials.js';
import {
  describeCloudError,
  Reason,
  RECHECK_MS,
  TERMINAL_REASONS,
  verdictFor,
  type ReasonName,
} from './reasons.js';
import type { ResourceOps } from './resource-ops.js';
import { StatusDraft } from './status-draft.js';
import {
  CREATE_GRACE_MS,
  CREDENTIALS_RECHECK_MS,
  DEFAULT_RESYNC_MS,
  DELETE_BLOCKED_RECHECK_MS,
  jitter,
  parseCloudTime,
  parseDuration,
  pollDelay,
  OWNED_RECHECK_MS,
  UNKNOWN_OUTCOME_RECHECK_MS,
} from './timing.js';

/** Operator annotation: when the last create was sent (ISO time); guards against a lagging tag index. */
export const ANNOTATION_CREATE_REQUESTED_AT = 'vpcep.huaweicloud.io/create-requested-at';

export interface ReconcilerOptions {
  ops: ResourceOps;
  credentials: Pick<CredentialResolver, 'resolve'>;
  clock: Clock;
  /** Steady-state resync period (±10 % jitter); per-resource annotation overrides it. */
  resyncMs?: number;
  random?: () => number;
  /**
   * Let observe-only resources read a service that another resource owns (`--allow-observe-owned`).
   * Off by default: the status would show another team's service to the requester.
   */
  allowObserveOwned?: boolean;
}

/**
 * What this process remembers about one resource between passes, keyed by `namespace/name` and reset
 * when the UID changes (a new resource of the same name). Lost on restart, by design harmlessly: the
 * next pass then simply looks at the cloud.
 */
interface Memo {
  uid: string;
  /** The next create replaces a service that vanished or failed (event `Recreated`). */
  recreating?: boolean;
  /** When the cloud was last fully observed in sync (steady-state gate). */
  syncedAt?: number;
  /** Generation that sync was for. */
  syncedGeneration?: number;
  /** When a terminal verdict was last reached (slow recheck gate). */
  terminalAt?: number;
  /** The adoption and policy annotations when that verdict was reached (a change lifts the gate). */
  terminalAnnotations?: string;
  /** When this process sent the DELETE. */
  deleteSentAt?: number;
}

type Client = VpcepClient;

/** The reconciler; `reconcile` is the runtime's `Reconciler`. */
export class VpcEndpointServiceReconciler {
  private readonly memo = new Map<string, Memo>();
  private readonly resyncMs: number;
  private readonly random: () => number;

  constructor(private readonly opts: ReconcilerOptions) {
    this.resyncMs = opts.resyncMs ?? DEFAULT_RESYNC_MS;
    this.random = opts.random ?? Math.random;
  }

  /**
   * One level-based pass for `req`. Throws retryable errors (rate-limited requeue) or TerminalError.
   * A pass whose object was deleted or replaced meanwhile (a bound write refused) ends quietly: the
   * next pass reads the successor afresh.
   */
  readonly reconcile = async (req: Request, ctx: ReconcileContext): Promise<ReconcileResult> => {
    try {
      return await this.pass(req, ctx);
    } catch (e) {
      if (!(e instanceof ObjectGoneError)) throw e;
      this.memo.delete(req.key);
      ctx.log.info({ decision: 'object-gone' }, e.message);
      return undefined;
    }
  };

  private async pass(req: Request, ctx: ReconcileContext): Promise<ReconcileResult> {
    const { ops } = this.opts;
    const cr = await ops.get(req.namespace, req.name);
    if (!cr) {
      this.memo.delete(req.key);
      return undefined;
    }
    const memo = this.memoFor(req.key, cr.metadata.uid ?? '');
    const draft = new StatusDraft(cr, this.opts.clock);
    const annotations = cr.metadata.annotations ?? {};
    const observeOnly = annotations[ANNOTATION_MANAGEMENT_POLICY] === MANAGEMENT_POLICY_OBSERVE;
    const paused = annotations[ANNOTATION_PAUSED] === 'true';
    const log = ctx.log;

    if (cr.metadata.deletionTimestamp) return this.finalize(cr, draft, memo, observeOnly, paused, ctx);

    if (paused) {
      draft.condition(
        ConditionType.Synced,
        'False',
        Reason.Paused,
        `reconciliation is paused by the annotation ${ANNOTATION_PAUSED}; remove it to resume`,
      );
      await this.commit(cr, draft);
      return undefined;
    }

    // Gates that keep the cloud quiet: a terminal verdict for this generation, and a recent sync.
    const gate = this.gate(cr, memo);
    if (gate !== 'proceed') {
      log.debug({ decision: 'gated', gate }, 'no cloud call needed');
      return gate;
    }

    let resolved: ResolvedClient;
    try {
      resolved = await this.opts.credentials.resolve(cr);
    } catch (e) {
      if (e instanceof CredentialsError && !e.transient) {
        await this.stop(cr, draft, memo, Reason.CredentialsMissing, e.message);
        log.warn({ decision: 'credentials-missing', source: e.source }, e.message);
        return { requeueAfterMs: CREDENTIALS_RECHECK_MS };
      }
      throw e;
    }
    const moved = this.projectMoved(cr, resolved);
    if (moved) {
      await this.stop(cr, draft, memo, Reason.ProjectChanged, moved, {
        reason: 'ProjectChanged',
        action: 'Observe',
      });
      log.warn({ decision: 'project-changed' }, moved);
      return { requeueAfterMs: CREDENTIALS_RECHECK_MS };
    }

    // Before anything can be created, and only then: a resource that never got usable credentials
    // holds no finalizer, so deleting it never waits on credentials it cannot have.
    if (!observeOnly && !(cr.metadata.finalizers ?? []).includes(FINALIZER)) {
      await ops.addFinalizer(cr);
      log.info({ decision: 'finalizer-added' }, 'finalizer added');
    }

    try {
      let svc = await this.locate(cr, draft, memo, resolved.client, observeOnly, ctx);
      if (!svc) {
        if (observeOnly) {
          const msg =
            'no cloud endpoint service to observe: set the annotation ' +
            `${ANNOTATION_SERVICE_ID} to an existing service id`;
          draft.condition(ConditionType.Ready, 'False', Reason.NotFound, msg);
          draft.condition(ConditionType.Synced, 'False', Reason.NotFound, msg);
          draft.observed();
          await this.commit(cr, draft);
          return { requeueAfterMs: this.resyncFor(cr) };
        }
        const wait = this.createGuard(cr);
        if (wait > 0) {
          log.info(
            { decision: 'await-tag-index', waitMs: wait },
            'a recent create is not visible yet; looking again before creating',
          );
          return { requeueAfterMs: Math.min(wait, 2_000) };
        }
        svc = await this.create(cr, draft, memo, resolved.client, ctx);
      }
      draft.setProject(resolved.projectId);
      return await this.converge(cr, draft, memo, resolved.client, svc, observeOnly, ctx);
    } catch (e) {
      return this.fail(cr, draft, memo, e, resolved.source, ctx);
    }
  }

  // ---- finding the cloud service ------------------------------------------------------------------

  /**
   * The cloud service this resource owns, or undefined when there is none (so one may be created).
   * Order: `status.id`; the adoption annotation; a lookup by the ownership tag. Writes `status.id` as
   * soon as the service is known.
   */
  private async locate(
    cr: VpcEndpointService,
    draft: StatusDraft,
    memo: Memo,
    client: Client,
    observeOnly: boolean,
    ctx: ReconcileContext,
  ): Promise<EndpointService | undefined> {
    const { ops } = this.opts;
    const knownId = cr.status?.id;
    if (knownId) {
      const svc = await getOrUndefined(client, knownId);
      if (svc) {
        this.checkOwner(cr, svc, observeOnly, ctx);
        return svc;
      }
      if (getCondition(cr.status?.conditions, ConditionType.Ready)?.reason === Reason.Replacing) {
        // The failed service we deleted is gone: create its replacement (no one else took it away).
        draft.clearCloud();
        await this.commit(cr, draft);
        await ops.setAnnotations(cr, { [ANNOTATION_CREATE_REQUESTED_AT]: null });
        memo.recreating = true;
        return undefined;
      }
      // Gone behind our back (or not yet readable right after the create).
      if (this.withinCreateGrace(cr))
        throw new CloudError({
          kind: 'retryable',
          operation: 'get',
          message: `service ${knownId} not readable yet after its create`,
        });
      await ops.event(cr, {
        type: 'Warning',
        reason: 'ServiceVanished',
        action: 'Observe',
        note: `cloud endpoint service ${knownId} no longer exists${observeOnly ? '' : '; creating it again'}`,
      });
      ctx.log.warn({ decision: 'vanished', serviceId: knownId }, 'cloud service vanished');
      draft.clearCloud();
      draft.condition(
        ConditionType.Ready,
        'False',
        Reason.NotFound,
        `cloud endpoint service ${knownId} no longer exists${observeOnly ? '' : '; creating it again'}`,
      );
      await this.commit(cr, draft);
      // That create's outcome is known (it succeeded, then the service went): no reason to wait for it.
      await ops.setAnnotations(cr, { [ANNOTATION_CREATE_REQUESTED_AT]: null });
      if (observeOnly) return undefined;
      memo.recreating = true;
    }
    const adoptId = cr.metadata.annotations?.[ANNOTATION_SERVICE_ID];
    if (adoptId && !knownId) {
      const shown = JSON.stringify(adoptId.slice(0, 80));
      if (!isCloudId(adoptId))
        throw new CloudError({
          kind: 'terminal',
          operation: 'adopt',
          code: 'Client.InvalidId',
          message: `the annotation ${ANNOTATION_SERVICE_ID} must be a service id (a UUID), got ${shown}`,
        });
      let svc = await getOrUndefined(client, adoptId);
      if (!svc)
        throw new CloudError({
          kind: 'terminal',
          operation: 'adopt',
          code: 'EndPoint.0005',
          message: `the service ${adoptId} named by ${ANNOTATION_SERVICE_ID} does not exist`,
        });
      this.checkOwner(cr, svc, observeOnly, ctx);
      if (!observeOnly && ownerOf(svc) === undefined) {
        // Tagged before any other write (status included), then read back: of two resources adopting
        // the same untagged service at once, only the one whose tag stuck goes on.
        await client.tagAction(svc.id, 'create', [{ key: OWNERSHIP_TAG_KEY, value: cr.metadata.uid ?? '' }]);
        svc = await getOrUndefined(client, adoptId);
        if (!svc)
          throw new CloudError({
            kind: 'retryable',
            operation: 'adopt',
            message: `service ${adoptId} vanished while being adopted`,
          });
        this.checkOwner(cr, svc, observeOnly, ctx);
      }
      draft.setCloud(toStatusFields(svc));
      await this.commit(cr, draft);
      await ops.event(cr, {
        type: 'Normal',
        reason: 'Adopted',
        action: 'Adopt',
        note: `adopted existing cloud endpoint service ${svc.id}${observeOnly ? ' (observe only)' : ''}`,
      });
      ctx.log.info({ decision: 'adopted', serviceId: svc.id, observeOnly }, 'adopted by id');
      return svc;
    }
    if (adoptId) return undefined;
    const found = await client.queryByTags({
      tags: [{ key: OWNERSHIP_TAG_KEY, values: [cr.metadata.uid ?? ''] }],
    });
    if (found.length === 0) return undefined;
    const ids = found.map((r) => r.resource_id).sort();
    if (ids.length > 1) {
      await ops.event(cr, {
        type: 'Warning',
        reason: 'DuplicateServices',
        action: 'Observe',
        note: `several cloud services carry this resource's ownership tag: ${ids.join(', ')}; managing ${ids[0]}, leaving the others untouched`,
      });
    }
    const svc = await getOrUndefined(client, ids[0] ?? '');
    if (!svc) return undefined;
    this.checkOwner(cr, svc, observeOnly, ctx);
    draft.setCloud(toStatusFields(svc));
    await this.commit(cr, draft);
    await ops.event(cr, {
      type: 'Normal',
      reason: 'Adopted',
      action: 'Adopt',
      note: `found cloud endpoint service ${svc.id} by its ownership tag (an earlier create's response was lost)`,
    });
    ctx.log.info(
      { decision: 'found-by-tag', serviceId: svc.id },
      'resolved an earlier create by its ownership tag',
    );
    return svc;
  }

  /** Milliseconds to wait before creating, while a create sent moments ago may still surface by tag. */
  private createGuard(cr: VpcEndpointService): number {
    const at = Date.parse(cr.metadata.annotations?.[ANNOTATION_CREATE_REQUESTED_AT] ?? '');
    if (Number.isNaN(at) || cr.status?.id) return 0;
    const age = this.opts.clock.now() - at;
    return age >= 0 && age < CREATE_GRACE_MS ? CREATE_GRACE_MS - age : 0;
  }

  /** A 404 right after our own create, before the service was ever seen past `creating`, may be read lag. */
  private withinCreateGrace(cr: VpcEndpointService): boolean {
    if (cr.status?.status !== 'creating') return false;
    const at = Date.parse(cr.metadata.annotations?.[ANNOTATION_CREATE_REQUESTED_AT] ?? '');
    const age = this.opts.clock.now() - at;
    return !Number.isNaN(at) && age >= 0 && age < CREATE_GRACE_MS;
  }

  /** Marks the create, sends it once, and writes `status.id` before anything else. */
  private async create(
    cr: VpcEndpointService,
    draft: StatusDraft,
    memo: Memo,
    client: Client,
    ctx: ReconcileContext,
  ): Promise<EndpointService> {
    const { ops } = this.opts;
    await ops.setAnnotations(cr, {
      [ANNOTATION_CREATE_REQUESTED_AT]: new Date(this.opts.clock.now()).toISOString(),
    });
    let svc: EndpointService;
    try {
      svc = await client.createService(toCreateRequest(cr.spec, cr.metadata.uid ?? ''));
    } catch (e) {
      // Any outcome but `unknownOutcome` means the cloud did not act: nothing can surface by tag, so the
      // next create (e.g. after a spec fix) must not wait out the grace period for it.
      if (isCloudError(e) && e.kind !== 'unknownOutcome')
        await ops.setAnnotations(cr, { [ANNOTATION_CREATE_REQUESTED_AT]: null });
      throw e;
    }
    draft.setCloud(toStatusFields(svc));
    draft.condition(
      ConditionType.Ready,
      'False',
      Reason.Creating,
      'the cloud is creating the endpoint service',
    );
    // Written with status.id in the same write, so the pass that follows has nothing left to write.
    draft.condition(ConditionType.Synced, 'True', Reason.ReconcileSuccess, '');
    try {
      await this.commit(cr, draft);
    } catch (e) {
      if (e instanceof ObjectGoneError) await this.orphaned(cr, client, svc, ctx);
      throw e;
    }
    const again = memo.recreating === true;
    memo.recreating = false;
    await ops.event(cr, {
      type: 'Normal',
      reason: again ? 'Recreated' : 'Created',
      action: 'Create',
      note: `${again ? 're-created' : 'created'} cloud endpoint service ${svc.id}`,
    });
    ctx.log.info(
      { decision: again ? 'recreated' : 'created', serviceId: svc.id },
      'created the cloud endpoint service',
    );
    return svc;
  }

  // ---- converging ---------------------------------------------------------------------------------

  private async converge(
    cr: VpcEndpointService,
    draft: StatusDraft,
    memo: Memo,
    client: Client,
    svc: EndpointService,
    observeOnly: boolean,
    ctx: ReconcileContext,
  ): Promise<ReconcileResult> {
    const { ops, clock } = this.opts;
    draft.setCloud(toStatusFields(svc));
    const status = svc.status ?? '';
    const replacing = getCondition(cr.status?.conditions, ConditionType.Ready)?.reason === Reason.Replacing;
    if (status === 'creating' || status === 'deleting') {
      if (!(status === 'deleting' && replacing)) {
        const reason = status === 'creating' ? Reason.Creating : Reason.Deleting;
        const msg =
          status === 'creating'
            ? 'the cloud is creating the endpoint service'
            : 'the endpoint service is being deleted outside the operator';
        draft.condition(ConditionType.Ready, 'False', reason, msg);
      }
      draft.condition(ConditionType.Synced, 'True', Reason.ReconcileSuccess, '');
      await this.commit(cr, draft);
      const started = parseCloudTime(status === 'creating' ? svc.created_at : svc.updated_at) ?? clock.now();
      return { requeueAfterMs: pollDelay(clock.now() - started) };
    }
    if (status === 'failed') {
      const prior = getCondition(cr.status?.conditions, ConditionType.Ready);
      const generation = cr.metadata.generation ?? 0;
      if (
        !observeOnly &&
        prior?.reason === Reason.CreateFailed &&
        (prior.observedGeneration ?? 0) < generation
      ) {
        // The spec changed since the failure: delete the failed service, wait until it is gone (its
        // ports stay taken until then), then create the replacement.
        await deleteIgnoringNotFound(client, svc.id);
        draft.setCloud({ status: 'deleting' });
        draft.condition(
          ConditionType.Ready,
          'False',
          Reason.Replacing,
          `deleting failed service ${svc.id} to create it again with the new spec`,
        );
        await this.commit(cr, draft);
        await ops.event(cr, {
          type: 'Normal',
          reason: 'Deleted',
          action: 'Delete',
          note: `deleting failed cloud endpoint service ${svc.id}; it is created again with the new spec`,
        });
        return { requeueAfterMs: pollDelay(0) };
      }
      const detail =
        (svc.error ?? []).map((e) => `${e.error_code}: ${e.error_message}`).join('; ') || 'no error detail';
      const msg = `the cloud failed to create endpoint service ${svc.id}: ${detail}`;
      await this.stop(cr, draft, memo, Reason.CreateFailed, msg, {
        reason: 'CreateFailed',
        action: 'Create',
      });
      throw new TerminalError(msg);
    }

    // available (or a status word we do not know: treat it like available, never block on it)
    const generation = cr.metadata.generation ?? 0;
    const readyBefore =
      cr.status?.observedGeneration === generation &&
      getCondition(cr.status?.conditions, ConditionType.Ready)?.status === 'True';
    if (!observeOnly) {
      // Ownership was checked on this read: the tag is ours or absent. Absent, it is put back first,
      // before any other write.
      if (ownerOf(svc) === undefined) {
        await client.tagAction(svc.id, 'create', [{ key: OWNERSHIP_TAG_KEY, value: cr.metadata.uid ?? '' }]);
      }
      const fields = diffMutable(cr.spec, svc);
      const tags = diffTags(cr.spec.tags, svc.tags);
      const changes: string[] = [];
      if (fields.length > 0) {
        draft.condition(ConditionType.Ready, 'False', Reason.Updating, `updating ${fields.join(', ')}`);
        svc = await client.updateService(svc.id, toUpdateRequest(cr.spec));
        draft.setCloud(toStatusFields(svc));
        changes.push(...fields);
      }
      if (tags.delete.length > 0) await client.tagAction(svc.id, 'delete', tags.delete);
      if (tags.create.length > 0) await client.tagAction(svc.id, 'create', tags.create);
      if (tags.delete.length + tags.create.length > 0) changes.push('tags');
      if (changes.length > 0) {
        const drift = readyBefore;
        await ops.event(cr, {
          type: drift ? 'Warning' : 'Normal',
          reason: drift ? 'DriftCorrected' : 'Updated',
          action: 'Update',
          note: `${drift ? 'corrected drift in' : 'updated'} ${changes.join(', ')} of cloud endpoint service ${svc.id}`,
        });
        ctx.log.info(
          { decision: drift ? 'drift-corrected' : 'updated', serviceId: svc.id, fields: changes },
          'updated the cloud endpoint service',
        );
      }
    }
    draft.condition(
      ConditionType.Ready,
      'True',
      Reason.Available,
      observeOnly
        ? 'the endpoint service is available (observed only, never changed)'
        : 'the endpoint service is available and matches the spec',
    );
    draft.condition(
      ConditionType.Synced,
      'True',
      observeOnly ? Reason.Observing : Reason.ReconcileSuccess,
      '',
    );
    draft.observed();
    await this.commit(cr, draft);
    if (!readyBefore)
      ctx.log.info({ decision: 'ready', serviceId: svc.id, generation }, 'available and in sync');
    memo.syncedAt = clock.now();
    memo.syncedGeneration = generation;
    memo.terminalAt = undefined;
    return { requeueAfterMs: jitter(this.resyncFor(cr), this.random) };
  }

  // ---- deletion -----------------------------------------------------------------------------------

  private async finalize(
    cr: VpcEndpointService,
    draft: StatusDraft,
    memo: Memo,
    observeOnly: boolean,
    paused: boolean,
    ctx: ReconcileContext,
  ): Promise<ReconcileResult> {
    const { ops, clock } = this.opts;
    if (!(cr.metadata.finalizers ?? []).includes(FINALIZER)) return undefined;
    const release = async (reason: string, note: string): Promise<ReconcileResult> => {
      await ops.event(cr, { type: 'Normal', reason, action: 'Delete', note });
      await ops.removeFinalizer(cr);
      this.memo.delete(`${cr.metadata.namespace ?? 'default'}/${cr.metadata.name ?? ''}`);
      ctx.log.info({ decision: reason }, note);
      return undefined;
    };
    if (await ops.crdBeingDeleted())
      return release(
        'Abandoned',
        `the CRD is being deleted: leaving cloud endpoint service ${cr.status?.id ?? '(none)'} in place`,
      );
    if (cr.spec.deletionPolicy === 'Retain')
      return release(
        'Retained',
        `deletionPolicy Retain: leaving cloud endpoint service ${cr.status?.id ?? '(none)'} in place`,
      );
    if (observeOnly)
      return release(
        'Retained',
        `observe-only: leaving cloud endpoint service ${cr.status?.id ?? '(none)'} in place`,
      );
    if (getCondition(cr.status?.conditions, ConditionType.Ready)?.reason === Reason.OwnedByAnother)
      return release(
        'Released',
        'this resource was refused its cloud endpoint service (owned by another resource): released without touching the cloud',
      );
    if (paused) {
      draft.condition(
        ConditionType.Synced,
        'False',
        Reason.Paused,
        `deletion waits: reconciliation is paused by the annotation ${ANNOTATION_PAUSED}`,
      );
      await this.commit(cr, draft);
      return undefined;
    }
    let client: Client;
    let source: string;
    let projectId: string | undefined;
    try {
      ({ client, source, projectId } = await this.opts.credentials.resolve(cr));
    } catch (e) {
      if (e instanceof CredentialsError && !e.transient) {
        const msg = `cannot delete the cloud service: ${e.message}`;
        draft.condition(ConditionType.Synced, 'False', Reason.CredentialsMissing, msg);
        await this.commit(cr, draft);
        return { requeueAfterMs: CREDENTIALS_RECHECK_MS };
      }
      throw e;
    }
    const moved = this.projectMoved(cr, { client, source, ...(projectId ? { projectId } : {}) });
    if (moved) {
      // Deleting through the other project would find nothing and let the service leak: wait instead.
      const msg = `cannot delete: ${moved}`;
      draft.condition(ConditionType.Synced, 'False', Reason.ProjectChanged, msg);
      await this.commit(cr, draft);
      return { requeueAfterMs: CREDENTIALS_RECHECK_MS };
    }
    try {
      const annotated = cr.metadata.annotations?.[ANNOTATION_SERVICE_ID];
      let id = cr.status?.id ?? (annotated && isCloudId(annotated) ? annotated : undefined);
      if (!id) {
        // A create whose response was lost may have left a service: find it by tag before letting go.
        const found = await client.queryByTags({
          tags: [{ key: OWNERSHIP_TAG_KEY, values: [cr.metadata.uid ?? ''] }],
        });
        id = found.map((r) => r.resource_id).sort()[0];
        if (!id && this.createGuard(cr) > 0) return { requeueAfterMs: 2_000 };
      }
      if (!id) return release('Deleted', 'no cloud endpoint service was created for this resource');
      const svc = await getOrUndefined(client, id);
      if (!svc) return release('Deleted', `deleted cloud endpoint service ${id}`);
      // Deleted only when ours: tagged with this UID, or untagged but recorded in status.id (ours, then
      // its tag was lost). A service named only by the adoption annotation and never tagged is not.
      const owner = ownerOf(svc);
      if (owner !== cr.metadata.uid && !(owner === undefined && id === cr.status?.id)) {
        ctx.log.warn(
          { decision: 'release-not-owned', serviceId: id, ownerUid: owner ?? null },
          'not deleting a cloud service this resource does not own',
        );
        return release(
          'Released',
          `cloud endpoint service ${id} is not owned by this resource: released without deleting it`,
        );
      }
      if (svc.status !== 'deleting') {
        try {
          await client.deleteService(id);
        } catch (e) {
          if (isCloudError(e) && e.kind === 'notFound')
            return release('Deleted', `deleted cloud endpoint service ${id}`);
          if (isCloudError(e) && e.kind === 'inUse') {
            const msg = repeatedMessage(
              cr,
              Reason.DeleteBlocked,
              `${describeCloudError(e)}; reject or remove the connected endpoints, or set deletionPolicy: Retain`,
            );
            draft.condition(ConditionType.Ready, 'False', Reason.DeleteBlocked, msg);
            draft.condition(ConditionType.Synced, 'False', Reason.DeleteBlocked, msg);
            if (await this.commit(cr, draft))
              await ops.event(cr, { type: 'Warning', reason: 'DeleteBlocked', action: 'Delete', note: msg });
            return { requeueAfterMs: jitter(DELETE_BLOCKED_RECHECK_MS, this.random) };
          }
          throw e;
        }
        memo.deleteSentAt = clock.now();
        ctx.log.info({ decision: 'delete-sent', serviceId: id }, 'DELETE sent');
      }
      draft.setCloud({ id, status: 'deleting' });
      draft.condition(ConditionType.Ready, 'False', Reason.Deleting, `deleting cloud endpoint service ${id}`);
      draft.condition(ConditionType.Synced, 'True', Reason.ReconcileSuccess, '');
      await this.commit(cr, draft);
      return { requeueAfterMs: pollDelay(clock.now() - (memo.deleteSentAt ?? clock.now())) };
    } catch (e) {
      return this.fail(cr, draft, memo, e, source, ctx);
    }
  }

  // ---- errors -------------------------------------------------------------------------------------

  private async fail(
    cr: VpcEndpointService,
    draft: StatusDraft,
    memo: Memo,
    e: unknown,
    source: string,
    ctx: ReconcileContext,
  ): Promise<ReconcileResult> {
    if (e instanceof TerminalError || e instanceof ObjectGoneError) throw e;
    if (e instanceof OwnedByAnother) {
      await this.stop(cr, draft, memo, Reason.OwnedByAnother, e.message, {
        reason: 'OwnedByAnother',
        action: 'Adopt',
      });
      return { requeueAfterMs: OWNED_RECHECK_MS };
    }
    if (!isCloudError(e)) throw e;
    if (e.kind === 'retryable' && e.retryAfterMs !== undefined && e.retryAfterMs > 0) {
      // The wait was too long to sleep in a worker: back to the queue for exactly that long.
      const secs = Math.ceil(e.retryAfterMs / 1000);
      const what = e.code ?? (e.httpStatus ? `HTTP ${e.httpStatus}` : 'no code');
      const msg = e.throttled
        ? `the cloud is throttling requests (${e.operation}: ${what}) and asked to wait; trying again in ${secs} s`
        : `${e.operation} failed (${what}); the cloud asked to wait, trying again in ${secs} s`;
      draft.condition(
        ConditionType.Synced,
        'False',
        e.throttled ? Reason.Throttled : Reason.ReconcileError,
        msg,
      );
      await this.commit(cr, draft);
      ctx.log.warn(
        {
          decision: e.throttled ? 'throttled' : 'retry-later',
          code: e.code,
          requestId: e.requestId,
          waitMs: e.retryAfterMs,
        },
        msg,
      );
      return { requeueAfterMs: e.retryAfterMs };
    }
    if (e.kind === 'unknownOutcome') {
      const msg = `${describeCloudError(e)}; looking the service up by its ownership tag before anything else`;
      draft.condition(ConditionType.Synced, 'False', Reason.OutcomeUnknown, msg);
      await this.commit(cr, draft);
      ctx.log.warn({ decision: 'create-outcome-unknown', requestId: e.requestId }, msg);
      return { requeueAfterMs: UNKNOWN_OUTCOME_RECHECK_MS };
    }
    const verdict = verdictFor(e, source);
    ctx.log.warn(
      {
        decision: verdict.terminal ? 'terminal' : 'retry',
        code: e.code,
        requestId: e.requestId,
        operation: e.operation,
      },
      verdict.message,
    );
    if (verdict.terminal) {
      const updating = cr.status?.id !== undefined;
      await this.stop(cr, draft, memo, verdict.reason, repeatedMessage(cr, verdict.reason, verdict.message), {
        reason: updating ? 'UpdateFailed' : 'CreateFailed',
        action: updating ? 'Update' : 'Create',
      });
      if (verdict.recheckMs) return { requeueAfterMs: verdict.recheckMs };
      throw new TerminalError(verdict.message);
    }
    draft.condition(ConditionType.Synced, 'False', Reason.ReconcileError, verdict.message);
    await this.commit(cr, draft);
    throw e;
  }

  // ---- helpers ------------------------------------------------------------------------------------

  /**
   * Stops on a terminal verdict for this generation: Ready=False and Synced=False with `reason`, the
   * generation marked observed, status written; a Warning event only when that changed the status (a
   * repeat of the same refusal stays quiet); the time noted for the slow-recheck gate.
   */
  private async stop(
    cr: VpcEndpointService,
    draft: StatusDraft,
    memo: Memo,
    reason: ReasonName,
    message: string,
    event?: { reason: string; action: string },
  ): Promise<void> {
    draft.condition(ConditionType.Ready, 'False', reason, message);
    draft.condition(ConditionType.Synced, 'False', reason, message);
    draft.observed();
    if ((await this.commit(cr, draft)) && event)
      await this.opts.ops.event(cr, { type: 'Warning', ...event, note: message });
    memo.terminalAt = this.opts.clock.now();
    memo.terminalAnnotations = gatingAnnotations(cr);
  }

  /**
   * Throws {@link OwnedByAnother} unless this resource may act on `svc`: its ownership tag is absent or
   * names this resource's UID (or the resource only observes and the operator allows observing others'
   * services). The message never names the other resource; the log does, for administrators.
   */
  private checkOwner(
    cr: VpcEndpointService,
    svc: EndpointService,
    observeOnly: boolean,
    ctx: ReconcileContext,
  ): void {
    const owner = ownerOf(svc);
    if (owner === undefined || owner === cr.metadata.uid) return;
    if (observeOnly && this.opts.allowObserveOwned) return;
    ctx.log.warn(
      { decision: 'owned-by-another', serviceId: svc.id, ownerUid: owner },
      'refusing a cloud service whose ownership tag names another resource',
    );
    const how = observeOnly
      ? 'observing the services of other resources is disabled in this operator (--allow-observe-owned)'
      : `remove the annotation ${ANNOTATION_SERVICE_ID}, or ask an administrator if the owning resource no longer exists`;
    throw new OwnedByAnother(
      `cloud endpoint service ${svc.id} belongs to another resource (its ${OWNERSHIP_TAG_KEY} tag names ` +
        `a different resource): this resource never changes or deletes it; ${how}`,
    );
  }

  /**
   * The object a create was for went away (or was replaced) before `status.id` could be written: the
   * service just created carries the old UID, which no resource can claim any more. Delete it (unless
   * the resource asked to retain its service), so nothing leaks and nothing is re-tagged.
   */
  private async orphaned(
    cr: VpcEndpointService,
    client: Client,
    svc: EndpointService,
    ctx: ReconcileContext,
  ): Promise<void> {
    if (cr.spec.deletionPolicy === 'Retain') {
      ctx.log.warn(
        { decision: 'orphan-retained', serviceId: svc.id },
        'the resource went away while its create was in flight; deletionPolicy Retain keeps the service',
      );
      return;
    }
    try {
      await deleteIgnoringNotFound(client, svc.id);
      ctx.log.warn(
        { decision: 'orphan-deleted', serviceId: svc.id },
        'the resource went away while its create was in flight; deleted the service it created',
      );
    } catch (err) {
      ctx.log.error(
        { decision: 'orphan-left', serviceId: svc.id, err },
        `the resource went away while its create was in flight; deleting the service failed: find it by the tag ${OWNERSHIP_TAG_KEY}`,
      );
    }
  }

  /**
   * `proceed`, or the result to return without touching the cloud: a terminal verdict already recorded
   * for this generation (rechecked slowly only for reasons outside the spec), or a sync younger than
   * the resync period for this generation (the informer's periodic requeue then costs nothing).
   */
  private gate(cr: VpcEndpointService, memo: Memo): 'proceed' | ReconcileResult {
    const now = this.opts.clock.now();
    const generation = cr.metadata.generation ?? 0;
    const synced = getCondition(cr.status?.conditions, ConditionType.Synced);
    if (
      synced &&
      synced.status === 'False' &&
      TERMINAL_REASONS.has(synced.reason) &&
      synced.observedGeneration === generation
    ) {
      // A changed adoption or policy annotation may lift a refusal: look again now.
      if (memo.terminalAnnotations !== undefined && memo.terminalAnnotations !== gatingAnnotations(cr))
        return 'proceed';
      const recheck = RECHECK_MS[synced.reason as ReasonName];
      if (recheck === undefined) return undefined;
      const since = memo.terminalAt;
      if (since !== undefined && now - since < recheck) return { requeueAfterMs: recheck - (now - since) };
      return 'proceed';
    }
    const ready = getCondition(cr.status?.conditions, ConditionType.Ready);
    if (
      ready?.status === 'True' &&
      memo.syncedAt !== undefined &&
      memo.syncedGeneration === generation &&
      cr.status?.observedGeneration === generation
    ) {
      const period = this.resyncFor(cr);
      const age = now - memo.syncedAt;
      if (age >= 0 && age < period * 0.9) return { requeueAfterMs: period - age };
    }
    return 'proceed';
  }

  /**
   * Why the resolved client may not act on this resource's service, or undefined: the service was
   * recorded in one project and the credentials (Secret, spec.projectId or operator defaults) now act
   * in another. Acting anyway would see the service as vanished and create a second one elsewhere.
   */
  private projectMoved(cr: VpcEndpointService, resolved: ResolvedClient): string | undefined {
    const recorded = cr.status?.projectId;
    if (!cr.status?.id || !recorded || !resolved.projectId || recorded === resolved.projectId)
      return undefined;
    return (
      `cloud endpoint service ${cr.status.id} lives in project ${recorded}, but the credentials from ` +
      `${resolved.source} act in project ${resolved.projectId}; point them back at ${recorded} ` +
      `(or set deletionPolicy: Retain and delete this resource to let the service go)`
    );
  }

  private resyncFor(cr: VpcEndpointService): number {
    return parseDuration(cr.metadata.annotations?.[ANNOTATION_RESYNC_PERIOD]) ?? this.resyncMs;
  }

  private memoFor(key: string, uid: string): Memo {
    let m = this.memo.get(key);
    if (!m || m.uid !== uid) {
      m = { uid };
      this.memo.set(key, m);
    }
    return m;
  }

  private async commit(cr: VpcEndpointService, draft: StatusDraft): Promise<boolean> {
    return this.opts.ops.writeStatus(cr, draft.build());
  }
}

/**
 * The message to record for a refusal with `reason`: the one already recorded when the Ready condition
 * says the same for this generation, differing only in the request id. Each attempt gets a new request
 * id; recording it would write status and emit a Warning event on every recheck while nothing changed.
 */
function repeatedMessage(cr: VpcEndpointService, reason: string, message: string): string {
  const prior = getCondition(cr.status?.conditions, ConditionType.Ready);
  const withoutId = (m: string): string => m.replace(/ \(request id [^)]*\)/g, '');
  return prior?.status === 'False' &&
    prior.reason === reason &&
    prior.observedGeneration === (cr.metadata.generation ?? 0) &&
    withoutId(prior.message) === withoutId(message)
    ? prior.message
    : message;
}

/** The service carries the ownership tag of another resource. */
class OwnedByAnother extends Error {}

/** The ownership tag's value on `svc`, or undefined when untagged. */
function ownerOf(svc: EndpointService): string | undefined {
  return svc.tags?.find((t) => t.key === OWNERSHIP_TAG_KEY)?.value;
}

/** The annotations whose change may lift a terminal verdict without a spec change. */
function gatingAnnotations(cr: VpcEndpointService): string {
  const a = cr.metadata.annotations ?? {};
  return JSON.stringify([a[ANNOTATION_SERVICE_ID] ?? null, a[ANNOTATION_MANAGEMENT_POLICY] ?? null]);
}

async function getOrUndefined(client: Client, id: string): Promise<EndpointService | undefined> {
  try {
    return await client.getService(id);
  } catch (e) {
    if (isCloudError(e) && e.kind === 'notFound') return undefined;
    throw e;
  }
}

async function deleteIgnoringNotFound(client: Client, id: string): Promise<void> {
  try {
    await client.deleteService(id);
  } catch (e) {
    if (!(isCloudError(e) && e.kind === 'notFound')) throw e;
  }
}
