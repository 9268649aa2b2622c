/**
 * An event recorder for `events.k8s.io/v1`, de-duplicating like kube-rs `Recorder` and client-go
 * `tools/events`.
 *
 * Guarantees:
 * - {@link EventRecorder.record} never throws and never rejects: events are best effort. The first
 *   failure to create (or to update the series of) an Event of a given reason is logged at warn level,
 *   later ones of that reason at debug; the log names the reason, action and regarding object, never
 *   the note (it may quote user data).
 * - Repeats of the same event (same type, reason, action, note, reporting controller and instance,
 *   and regarding object) within 6 minutes of the previous occurrence are folded into the first
 *   Event's `series` (`count`, `lastObservedTime`) by a merge patch, instead of creating new objects.
 *   If that Event has gone (404), a fresh one is created.
 * - Records of one series are applied in call order (per-key chaining), so counts never go backwards.
 * - Names are `<base>.<hex time>`, unique per recorder, and always a valid DNS subdomain of at most 253
 *   characters (see {@link eventNameBase}): `<base>` is the regarding name when it is short enough,
 *   else a stable shortened form of it. Times are `V1MicroTime`.
 * - The folding cache is bounded (entries older than 6 minutes are dropped; at most `maxCacheEntries`).
 */
import { createHash } from 'node:crypto';
import { PatchStrategy, V1MicroTime, setHeaderOptions, type EventsV1Event } from '@kubernetes/client-node';
import type { Clock } from '../util/clock.js';
import { describeError, isNotFound } from './api-errors.js';
import type { Logger } from './logging.js';

/** The subset of `EventsV1Api` used here; the real client satisfies it, tests fake it. */
export interface EventsClient {
  createNamespacedEvent(req: { namespace: string; body: EventsV1Event }): Promise<EventsV1Event>;
  patchNamespacedEvent(
    req: { name: string; namespace: string; body: object },
    options?: ReturnType<typeof setHeaderOptions>,
  ): Promise<EventsV1Event>;
}

/** The object an event is about. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
}

/** One occurrence. `reason` is UpperCamelCase; `action` says what the controller did or failed to do. */
export interface EventInfo {
  type: 'Normal' | 'Warning';
  reason: string;
  action: string;
  note: string;
}

/** Options of {@link EventRecorder}. */
export interface EventRecorderOptions {
  events: EventsClient;
  /** `reportingController`, e.g. `vpcep.huaweicloud.io/operator`. */
  controller: string;
  /** `reportingInstance`, e.g. the pod name. */
  instance: string;
  clock: Clock;
  log: Logger;
  /** Folding window. Default 6 minutes (client-go and kube-rs). */
  seriesWindowMs?: number;
  /** Bound of the folding cache. Default 4096. */
  maxCacheEntries?: number;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  last: number;
  chain: Promise<void>;
}

/** The API limit on `note` is 1 KiB. */
const MAX_NOTE = 1024;

/** The API limit on object names (DNS subdomain). */
const MAX_NAME = 253;
/** Room for `.<hex time>`: 16 hex digits hold any 64-bit stamp, so the base never depends on the time. */
const STAMP_ROOM = 1 + 16;
/** The longest `<base>` (236). */
export const MAX_EVENT_NAME_BASE = MAX_NAME - STAMP_ROOM;
/** Hex digits of SHA-256 in a shortened base. */
const HASH_LEN = 10;
/** Bound of the set of reasons already warned about. */
const MAX_WARNED = 256;

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * The part of an Event's name before `.<hex time>`. Guarantees: a valid DNS subdomain of at most
 * {@link MAX_EVENT_NAME_BASE} characters ending in an alphanumeric character, a pure function of `name`
 * (the same object always gets the same base). A valid name that fits is returned unchanged; otherwise
 * the result is a prefix of the name (made valid if it was not) + `-` + 10 hex digits of the SHA-256 of
 * the full name, so two long names sharing their first 240 characters still get different bases.
 */
export function eventNameBase(name: string): string {
  if (name.length <= MAX_EVENT_NAME_BASE && DNS_SUBDOMAIN.test(name)) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, HASH_LEN);
  const room = MAX_EVENT_NAME_BASE - 1 - HASH_LEN;
  // A prefix of a valid subdomain stays valid once trailing `-`/`.` are cut; anything else is reduced to
  // `[a-z0-9-]` first (dots dropped, so no label can start or end badly).
  const valid = name.length <= MAX_NAME && DNS_SUBDOMAIN.test(name);
  const source = valid ? name : name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const prefix = source
    .slice(0, room)
    .replace(/[-.]+$/, '')
    .replace(/^[-.]+/, '');
  return prefix ? `${prefix}-${hash}` : hash;
}

/** See the module doc for the guarantees. */
export class EventRecorder {
  private readonly o: EventRecorderOptions;
  private readonly seen = new Map<string, Seen>();
  private readonly warned = new Set<string>();
  private seq = 0;

  constructor(opts: EventRecorderOptions) {
    this.o = opts;
  }

  /** Records `e` about `regarding` (see the module doc). Never throws. */
  record(regarding: ObjectRef, e: EventInfo): Promise<void> {
    try {
      const key = JSON.stringify([
        e.type,
        e.reason,
        e.action,
        e.note,
        this.o.controller,
        this.o.instance,
        regarding.apiVersion,
        regarding.kind,
        regarding.namespace ?? '',
        regarding.name,
        regarding.uid ?? '',
      ]);
      this.prune();
      const prev = this.seen.get(key);
      if (prev) {
        const run = prev.chain.then(() => this.fold(prev, regarding, e));
        prev.chain = run;
        return run;
      }
      const entry: Seen = {
        name: '',
        namespace: regarding.namespace || 'default',
        count: 0,
        last: this.o.clock.now(),
        chain: Promise.resolve(),
      };
      this.seen.set(key, entry);
      entry.chain = this.create(entry, regarding, e);
      return entry.chain;
    } catch (err) {
      this.o.log.debug({ error: describeError(err), reason: e.reason }, 'recording an event failed');
      return Promise.resolve();
    }
  }

  /** Logs a failed write: warn the first time for this (operation, reason), debug afterwards. */
  private failed(op: 'create' | 'patch', err: unknown, regarding: ObjectRef, e: EventInfo): void {
    const key = `${op}/${e.reason}`;
    const first = !this.warned.has(key) && this.warned.size < MAX_WARNED;
    if (first) this.warned.add(key);
    const fields = {
      error: describeError(err),
      reason: e.reason,
      action: e.action,
      regarding: { kind: regarding.kind, namespace: regarding.namespace, name: regarding.name },
    };
    const msg = op === 'create' ? 'creating an event failed' : 'updating an event series failed';
    if (first) this.o.log.warn({ ...fields, repeats: 'logged at debug level' }, msg);
    else this.o.log.debug(fields, msg);
  }

  private prune(): void {
    const now = this.o.clock.now();
    const window = this.o.seriesWindowMs ?? 360_000;
    for (const [k, v] of this.seen) if (now - v.last > window) this.seen.delete(k);
    const max = this.o.maxCacheEntries ?? 4096;
    while (this.seen.size > max) {
      const oldest = this.seen.keys().next().value;
      if (oldest === undefined) break;
      this.seen.delete(oldest);
    }
  }

  private async fold(s: Seen, regarding: ObjectRef, e: EventInfo): Promise<void> {
    const now = this.o.clock.now();
    if (s.count === 0 || now - s.last > (this.o.seriesWindowMs ?? 360_000)) {
      // The first create failed, or the window passed while queued: start afresh.
      await this.create(s, regarding, e);
      return;
    }
    const count = s.count + 1;
    try {
      await this.o.events.patchNamespacedEvent(
        {
          name: s.name,
          namespace: s.namespace,
          body: { series: { count, lastObservedTime: new V1MicroTime(now) } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      s.count = count;
      s.last = now;
    } catch (err) {
      if (isNotFound(err)) {
        await this.create(s, regarding, e);
        return;
      }
      this.failed('patch', err, regarding, e);
    }
  }

  private async create(s: Seen, regarding: ObjectRef, e: EventInfo): Promise<void> {
    const now = this.o.clock.now();
    // A microsecond-like suffix keeps names unique when several events share one millisecond.
    const stamp = (BigInt(now) * 1000n + BigInt(this.seq++ % 1000)).toString(16);
    const name = `${eventNameBase(regarding.name)}.${stamp}`;
    const body: EventsV1Event = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name, namespace: s.namespace },
      eventTime: new V1MicroTime(now),
      type: e.type,
      reason: e.reason,
      action: e.action,
      note: e.note.length > MAX_NOTE ? `${e.note.slice(0, MAX_NOTE - 3)}...` : e.note,
      reportingController: this.o.controller,
      reportingInstance: this.o.instance,
      regarding: {
        apiVersion: regarding.apiVersion,
        kind: regarding.kind,
        name: regarding.name,
        namespace: regarding.namespace,
        uid: regarding.uid,
        resourceVersion: regarding.resourceVersion,
      },
    };
    try {
      await this.o.events.createNamespacedEvent({ namespace: s.namespace, body });
      s.name = name;
      s.count = 1;
      s.last = now;
    } catch (err) {
      s.count = 0;
      this.failed('create', err, regarding, e);
    }
  }
}
