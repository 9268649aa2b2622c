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
 * - 404 (object gone) returns `false`; other errors propagate (retryable by the controller).
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { httpStatusOf, isNotFound } from './api-errors.js';
import { createMergePatch } from './json.js';
import type { Logger } from './logging.js';
import { ConflictError } from './reconcile.js';

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
}

/** The observed object: what the status is compared against. */
export interface ObservedObject {
  metadata?: { resourceVersion?: string };
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
    const body: Record<string, unknown> = { status: diff };
    if (this.o.optimisticLock && current.metadata?.resourceVersion)
      body.metadata = { resourceVersion: current.metadata.resourceVersion };
    try {
      await this.o.api.patchNamespacedCustomObjectStatus(
        { group: this.o.group, version: this.o.version, plural: this.o.plural, ...ref, body },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      this.o.log?.debug({ namespace: ref.namespace, name: ref.name }, 'status written');
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      if (httpStatusOf(err) === 409)
        throw new ConflictError(`status of ${ref.namespace}/${ref.name} changed concurrently`, {
          cause: err,
        });
      throw err;
    }
  }
}
