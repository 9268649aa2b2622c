/**
 * The reconcile contract, modelled on controller-runtime's `pkg/reconcile`.
 *
 * A reconcile is **level-based**: a {@link Request} carries only `namespace/name`; the reconciler reads
 * the current state (cache or API) and drives the world towards it. It may run any number of times for
 * the same key, so it must be idempotent.
 *
 * Outcomes, and what the {@link Controller} does with each:
 *
 * | reconciler                         | queue action                                  | `result` label  |
 * |------------------------------------|-----------------------------------------------|-----------------|
 * | returns `done` / `undefined`       | `forget(key)`                                 | `success`       |
 * | returns `requeueAfter(ms)`         | `forget(key)`, then `addAfter(key, ms)`       | `requeue_after` |
 * | returns `{ requeue: true }`        | `addRateLimited(key)`                         | `requeue`       |
 * | throws {@link TerminalError}       | `forget(key)`, no requeue; logged and counted | `error`         |
 * | throws anything else               | `addRateLimited(key)` (≥ `retryAfterMs`)      | `error`         |
 *
 * Priority: a requeue keeps the priority the key was handed out with (a user's change stays ahead of
 * routine work while it converges), unless the result names one: a routine recheck returns
 * `{ requeueAfterMs, priority: LOW_PRIORITY }`.
 */
import type { Logger } from './logging.js';

/**
 * What a reconcile returns: nothing (done), or when to look again, and at which queue priority
 * (default: the priority the key was handed out with).
 */
export type ReconcileResult = { requeueAfterMs?: number; requeue?: boolean; priority?: number } | void;

/** The result meaning "converged; look again only when something changes". */
export const done: ReconcileResult = undefined;

/**
 * Asks for another reconcile of the same key after `ms` (replaces any rate-limited backoff), at
 * `priority` when given.
 */
export function requeueAfter(ms: number, priority?: number): ReconcileResult {
  return priority === undefined
    ? { requeueAfterMs: Math.max(0, ms) }
    : { requeueAfterMs: Math.max(0, ms), priority };
}

/**
 * An error retrying cannot fix (bad spec, quota exceeded, cloud state `failed`). The key is not
 * requeued; the next change to the object (a new watch event) or the periodic resync reconciles again.
 */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/**
 * An error worth retrying. Any non-terminal throw is retried anyway; this class only adds
 * `retryAfterMs`, a lower bound on the delay (e.g. from a `Retry-After` header).
 */
export class RetryableError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RetryableError';
  }
}

/** A write lost an optimistic-concurrency race (HTTP 409, or 422 from a failed JSON Patch `test`). */
export class ConflictError extends RetryableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, undefined, options);
    this.name = 'ConflictError';
  }
}

/**
 * The object a pass read is gone, or was replaced by a new object of the same name (another UID): a
 * write bound to the old object's UID was refused. Nothing more may be written for that pass; the next
 * pass reads the successor afresh.
 */
export class ObjectGoneError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ObjectGoneError';
  }
}

/** True for {@link TerminalError} (the runtime decides from its own error classes, never by shape). */
export function isTerminal(err: unknown): boolean {
  return err instanceof TerminalError;
}

/** The minimum retry delay a {@link RetryableError} asks for, if any. */
export function retryAfterOf(err: unknown): number | undefined {
  if (!(err instanceof RetryableError)) return undefined;
  const v = err.retryAfterMs;
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}

/** One unit of work: which object to reconcile. `key` is `namespace/name`, or `name` if cluster-scoped. */
export interface Request {
  namespace: string;
  name: string;
  key: string;
}

/** Per-reconcile context. `signal` aborts on the reconcile timeout or when shutdown's deadline passes. */
export interface ReconcileContext {
  /** Unique per reconcile attempt; also bound into `log`. */
  reconcileId: string;
  /** A child logger carrying controller, namespace, name and reconcileID. */
  log: Logger;
  signal: AbortSignal;
}

/** The function a controller calls for each key. See the module doc for what each outcome does. */
export type Reconciler = (req: Request, ctx: ReconcileContext) => Promise<ReconcileResult>;

/** client-go's `MetaNamespaceKeyFunc`: `namespace/name`, or `name` for cluster-scoped objects. */
export function keyOf(obj: { metadata?: { namespace?: string; name?: string } }): string {
  const ns = obj.metadata?.namespace ?? '';
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

/** Splits a key made by {@link keyOf} back into a {@link Request}. */
export function parseKey(key: string): Request {
  const i = key.indexOf('/');
  return i < 0
    ? { namespace: '', name: key, key }
    : { namespace: key.slice(0, i), name: key.slice(i + 1), key };
}
