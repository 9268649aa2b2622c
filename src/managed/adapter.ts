/**
 * The cloud-facing half of a managed kind: a small adapter that reads, creates, updates and deletes
 * one kind of cloud resource and returns results. It never writes Kubernetes (except the objects its
 * optional `dependents` hook owns, such as a published Service), never decides about
 * conditions, finalizers or policies: the generic lifecycle (lifecycle.ts) does all of that, the same
 * way for every kind. After crossplane-runtime's `ExternalClient` and ACK's resource manager, with two
 * differences: ownership is part of every observation (the lifecycle checks it before any write), and
 * sub-resources are ordered update steps rather than branches of one update function.
 */
import type { CloudError } from '../cloud/errors.js';
import type { ManagedObject, ManagedStatus } from './kind.js';
import type { ErrorVerdict, ReasonName } from './verdicts.js';

/**
 * What the cloud's status word means for the lifecycle. `waiting`: the resource exists and matches
 * the spec, but another party must act before it is usable (a connection waiting for the service
 * owner's approval, or rejected by it): Ready=False with the observation's {@link Wait}.
 */
export type Phase = 'creating' | 'deleting' | 'failed' | 'waiting' | 'ready';

/**
 * Something outside this object must happen first (another resource gets its id, an owner approves,
 * a name is freed): Ready=False with `reason` and `message`, nothing failed, and a look again after
 * `recheckMs` — at low priority when `routine`, else keeping the key's priority (a user's change
 * that is still converging). Never a hot loop, never a terminal gate: events can wake it sooner.
 */
export interface Wait {
  reason: ReasonName;
  message: string;
  recheckMs: number;
  routine?: boolean;
}

/** One read of a cloud resource; `R` is the adapter's own view of it (for its update steps). */
export interface Observation<St extends ManagedStatus, R = unknown> {
  id: string;
  /** What the adapter read (the lifecycle never looks inside). */
  raw: R;
  phase: Phase;
  /** The UID its ownership marker names; undefined when it carries none. */
  owner: string | undefined;
  /** Status fields taken from the cloud (merged into status; absent fields keep their value). */
  fields: Partial<St>;
  /** When the cloud's current operation began (epoch ms), for the adaptive poll. */
  startedAt?: number;
  /** For `failed`: the cloud's code and message, for the condition. */
  failure?: string;
  /** For `waiting`: what it waits for. */
  wait?: Wait;
}

/** Per-call context: the pass's cancellation signal. */
export interface CallContext {
  signal: AbortSignal;
}

/** What an update step gets: the signal, and a way to say what it is about to change. */
export interface StepContext extends CallContext {
  /** Call before writing: the condition then reads `Updating <what>` should the write fail. */
  changing(what: string[]): void;
  /** Queues an event about the object (recorded after the pass's status write). */
  event(type: 'Normal' | 'Warning', reason: string, note: string): void;
}

/** One ordered step of the update of a ready resource (fields, tags; next: whitelist, connections). */
export interface UpdateStep<O extends ManagedObject, C, St extends ManagedStatus, R = unknown> {
  /** For logs. */
  name: string;
  /**
   * Brings this aspect of the cloud resource in line with `obj`; returns what it changed (names users
   * read in events) and, when it re-read or re-wrote the resource, the new observation.
   */
  apply(
    client: C,
    obj: O,
    seen: Observation<St, R>,
    ctx: StepContext,
  ): Promise<{ changed: string[]; seen?: Observation<St, R> }>;
}

/** The adapter of one kind. Every method may reject with a `CloudError`; none writes Kubernetes. */
export interface ExternalAdapter<O extends ManagedObject, C, St extends ManagedStatus, R = unknown> {
  /** Reads the cloud resource `id`; undefined when it does not exist. Never changes the cloud. */
  observe(client: C, id: string, ctx: CallContext): Promise<Observation<St, R> | undefined>;
  /** Ids of the cloud resources whose ownership marker names `uid`, sorted. Never changes the cloud. */
  findOwned(client: C, uid: string, ctx: CallContext): Promise<string[]>;
  /**
   * Creates the cloud resource for `obj`, carrying the ownership marker `uid`. Sent once: a lost answer
   * rejects with kind `unknownOutcome`, resolved by {@link findOwned} on the next pass.
   */
  create(client: C, obj: O, uid: string, ctx: CallContext): Promise<Observation<St, R>>;
  /** Puts the ownership marker `uid` on `id` (adoption of an unmarked resource). */
  claim(client: C, id: string, uid: string, ctx: CallContext): Promise<void>;
  /** The ordered update steps, run only on a ready resource this object owns and manages. */
  readonly steps: ReadonlyArray<UpdateStep<O, C, St, R>>;
  /** Starts the deletion of `id` (asynchronous in the cloud: the lifecycle polls {@link observe}). */
  delete(client: C, id: string, ctx: CallContext): Promise<void>;
  /** Whether `id` is a well-formed id of this kind (the adoption annotation is checked with it). */
  isId(id: string): boolean;
  /**
   * What a create needs that is not there yet (e.g. the service to connect to has no id): the
   * lifecycle waits, before any write, instead of creating. Never changes the cloud.
   */
  prerequisites?(client: C, obj: O, ctx: CallContext): Promise<Wait | undefined>;
  /**
   * Kubernetes objects derived from the ready cloud resource (e.g. a published Service), brought in
   * line after the update steps; a returned {@link Wait} keeps Ready=False (e.g. a name conflict).
   * The only adapter hook that writes Kubernetes, and only objects it owns (owner reference).
   */
  dependents?(obj: O, seen: Observation<St, R>, ctx: CallContext): Promise<Wait | undefined>;
  /**
   * A value that changes whenever other objects this one acts on changed (e.g. the in-cluster endpoints
   * connecting to a service): a change lets the next pass through the steady-state gate, like a
   * changed credentials Secret. Read from caches only; undefined: nothing related.
   */
  relatedVersion?(obj: O): string | undefined;
  /** Kind-specific verdicts (codes the generic table does not know); undefined: the generic verdict. */
  verdict?(err: CloudError, source: string): ErrorVerdict | undefined;
  /**
   * A period shorter than the resync for objects that need polling (e.g. connections waiting for an
   * approval rule); undefined: the resync period.
   */
  syncPeriod?(obj: O): number | undefined;
  /** Runs before the delete of a resource this object owns (e.g. reject its consumers first). */
  prepareDelete?(client: C, obj: O, seen: Observation<St, R>, ctx: CallContext): Promise<void>;
  /** What still uses `id` when its delete was refused as in use (for the DeleteBlocked message). */
  describeBlocked?(client: C, obj: O, id: string, ctx: CallContext): Promise<string | undefined>;
  /** Status fields that describe the cloud resource (removed when it is gone). */
  readonly cloudFields: ReadonlyArray<keyof St>;
}
