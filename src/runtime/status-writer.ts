/**
 * Writes the `status` subresource only when it actually changed: the main defence against hot loops
 * (every status write bumps the resourceVersion and comes back as a watch event).
 *
 * Guarantees:
 * - No request when the desired status equals the observed one (deep, key-order-insensitive JSON
 *   comparison; `undefined` fields count as absent). Returns `false` then.
 * - Otherwise one merge patch (`application/merge-patch+json`) on `/status` with the minimal RFC 7386
 *   diff: changed fields, and `null` for fields to remove, so the stored status equals `next` exactly.
 * - With `optimisticLock`, the patch carries the observed `resourceVersion`: a concurrent write gives
 *   409, surfaced as {@link ConflictError} (retryable). Without it, 409 cannot happen.
 * - With `bindToUid`, the write is bound to the observed object's UID instead: a JSON Patch whose first
 *   op `test`s `metadata.uid`, then sets the whole status. A pass that read an object which was since
 *   deleted and re-created under the same name can never write into the successor: the apiserver
 *   refuses the patch (422/409, surfaced as {@link ConflictError}) and a 404 raises
 *   {@link ObjectGoneError}. (A UID in a merge patch would not do: the status strategy of custom
 *   resources copies the stored metadata over the patched object, so the UID would be ignored.)
 * - Otherwise 404 (object gone) returns `false`; other errors propagate (retryable by the controller).
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { httpStatusOf, isNotFound } from './api-errors.js';
import { createMergePatch } from './json.js';
import type { Logger } from './logging.js';
import { ConflictError, ObjectGoneError } from './reconcile.js';

/** The subset of `CustomObjectsApi` used here; the real client satisfies it, tests fake it. */
export interface StatusPatcher {
  patchNamespacedCustomObjectStatus(
    req: { group: string; version: string; plural: string; namespace: string; name: string; body: object },
    options?: ReturnType<typeof setHeaderOptions>,
  ): Promise<object>;
}

/** Options of {@link StatusWriter}. */
export interface StatusWriterOptions {
  api: StatusPatcher;
  group: string;
  version: string;
  plural: string;
  log?: Logger;
  /** Send the observed resourceVersion with each write (409 on concurrent change). Default false. */
  optimisticLock?: boolean;
  /** Bind each write to the observed object's UID (JSON Patch `test`; see the module doc). */
  bindToUid?: boolean;
}

/** The observed object: what the status is compared against. */
export interface ObservedObject {
  metadata?: { resourceVersion?: string; uid?: string };
  status?: unknown;
}

/** See the module doc for the guarantees. */
export class StatusWriter {
  private readonly o: StatusWriterOptions;

  constructor(opts: StatusWriterOptions) {
    this.o = opts;
  }

  /**
   * Makes the stored status of `ref` equal `next`, if it differs from `current.status`. Returns true if
   * a write was sent and accepted.
   */
  async patchStatusIfChanged(
    ref: { namespace: string; name: string },
    current: ObservedObject,
    next: object,
  ): Promise<boolean> {
    const diff = createMergePatch(current.status ?? {}, next);
    if (diff === undefined) return false;
    const uid = this.o.bindToUid ? current.metadata?.uid : undefined;
    const where = { group: this.o.group, version: this.o.version, plural: this.o.plural, ...ref };
    try {
      if (uid) {
        // client-node 1.4 sends JSON Patch by default.
        const ops = [
          { op: 'test', path: '/metadata/uid', value: uid },
          { op: 'add', path: '/status', value: next },
        ];
        await this.o.api.patchNamespacedCustomObjectStatus({ ...where, body: ops });
      } else {
        const body: Record<string, unknown> = { status: diff };
        if (this.o.optimisticLock && current.metadata?.resourceVersion)
          body.metadata = { resourceVersion: current.metadata.resourceVersion };
        await this.o.api.patchNamespacedCustomObjectStatus(
          { ...where, body },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
      }
      this.o.log?.debug({ namespace: ref.namespace, name: ref.name }, 'status written');
      return true;
    } catch (err) {
      if (isNotFound(err)) {
        if (uid) throw new ObjectGoneError(`${ref.namespace}/${ref.name} is gone`, { cause: err });
        return false;
      }
      if (httpStatusOf(err) === 409 || (uid && httpStatusOf(err) === 422))
        throw new ConflictError(`status of ${ref.namespace}/${ref.name} changed concurrently`, {
          cause: err,
        });
      throw err;
    }
  }
}
