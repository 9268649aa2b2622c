/**
 * Leader election on a `coordination.k8s.io/v1` Lease, ported from client-go
 * `tools/leaderelection/leaderelection.go` (`tryAcquireOrRenew`, `acquire`, `renew`, `release`).
 *
 * Guarantees:
 * - **Skew-tolerant:** another holder's lease counts as valid until `observedAt + leaseDuration`, where
 *   `observedAt` is *our* clock's time when we last saw the record change, never the remote
 *   `renewTime`. A holder that stops renewing is taken over one lease duration after we noticed.
 * - **Race-safe:** every write is a create (409 if someone else created first) or a replace carrying
 *   the `resourceVersion` we read (409 if anyone wrote since). Losing a race is never an error, just
 *   "not leader this round".
 * - Timestamps are `V1MicroTime` (six fractional digits, as the API requires).
 * - While not leader, tries every `retryPeriod·(1 + 1.2·random)`, and once more right when another
 *   holder's lease runs out by our clock (`observedAt + leaseDuration`), so a killed leader is
 *   succeeded one lease duration after we last saw it renew, not up to one jittered retry later.
 *   While leader, renews every `retryPeriod`; if no renewal succeeds within `renewDeadline` (a hung
 *   call counts as failed when the deadline passes), leadership is **lost**: `onStoppedLeading({reason:
 *   'lost'})` is called once and {@link LeaderElector.run} resolves. The caller must then stop reconciling and exit.
 * - When `run`'s signal aborts while leading and `releaseOnCancel` is set, the lease is released
 *   (holder cleared) so a successor takes over at once; `onStoppedLeading({reason: 'released'})`.
 * - Requires `leaseDuration > renewDeadline > 1.2 · retryPeriod` (client-go's check); throws otherwise.
 */
import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import type { Clock } from '../util/clock.js';
import { describeError, isConflict, isNotFound } from './api-errors.js';
import type { Logger } from './logging.js';

/** How long after another holder's lease runs out (by our clock) a waiting candidate tries again. */
const EXPIRY_MARGIN_MS = 10;

/** The subset of `CoordinationV1Api` used here; the real client satisfies it, tests fake it. */
export interface LeaseClient {
  readNamespacedLease(req: { name: string; namespace: string }): Promise<V1Lease>;
  createNamespacedLease(req: { namespace: string; body: V1Lease }): Promise<V1Lease>;
  replaceNamespacedLease(req: { name: string; namespace: string; body: V1Lease }): Promise<V1Lease>;
}

/** Why leadership ended. */
export type StoppedLeadingReason = 'lost' | 'released';

/** Options of {@link LeaderElector}. */
export interface LeaderElectorOptions {
  coordination: LeaseClient;
  namespace: string;
  /** Lease name. */
  name: string;
  /** Our identity (pod name plus a random suffix, so a restarted pod never reuses a stale lease). */
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  clock: Clock;
  log: Logger;
  /** Jitter source in [0, 1). Default `Math.random`. */
  random?: () => number;
  onStartedLeading(): void;
  onStoppedLeading(info: { reason: StoppedLeadingReason }): void;
  /** Clear the holder when `run`'s signal aborts while leading. Default true. */
  releaseOnCancel?: boolean;
  /** Sets `leader_election_master_status` (a {@link RuntimeMetrics} fits). */
  metrics?: { leaderStatusChanged(lease: string, leading: boolean): void };
}

/** Internal: the parts of the record we compare to detect change. */
function recordKey(l: V1Lease | undefined): string {
  const s = l?.spec;
  return JSON.stringify([
    s?.holderIdentity ?? '',
    s?.leaseDurationSeconds ?? 0,
    String(s?.acquireTime ?? ''),
    String(s?.renewTime ?? ''),
    s?.leaseTransitions ?? 0,
  ]);
}

/** Converts a read timestamp (a string on read, a Date when we wrote it) back to `V1MicroTime`. */
function micro(v: unknown, fallback: number): V1MicroTime {
  if (v instanceof Date) return new V1MicroTime(v.getTime());
  if (typeof v === 'string') {
    const t = Date.parse(v);
    if (Number.isFinite(t)) return new V1MicroTime(t);
  }
  return new V1MicroTime(fallback);
}

/** See the module doc for the guarantees. */
export class LeaderElector {
  private readonly o: Required<Omit<LeaderElectorOptions, 'metrics'>> & Pick<LeaderElectorOptions, 'metrics'>;
  private readonly log: Logger;
  private observed: V1Lease | undefined;
  private observedAt = 0;
  private leading = false;

  constructor(opts: LeaderElectorOptions) {
    this.o = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      random: Math.random,
      releaseOnCancel: true,
      ...opts,
    };
    const { leaseDurationMs: ld, renewDeadlineMs: rd, retryPeriodMs: rp } = this.o;
    if (!(ld > rd)) throw new Error(`leaseDuration (${ld}) must be greater than renewDeadline (${rd})`);
    if (!(rd > 1.2 * rp))
      throw new Error(`renewDeadline (${rd}) must be greater than 1.2 × retryPeriod (${rp})`);
    if (!(rp > 0)) throw new Error('retryPeriod must be positive');
    if (!opts.identity) throw new Error('leader election identity must not be empty');
    this.log = opts.log.child({ lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
    this.o.metrics?.leaderStatusChanged(opts.name, false);
  }

  /** True while we hold the lease (between acquire and loss/release). */
  isLeader(): boolean {
    return this.leading;
  }

  /** The holder we last observed (ours or another's), if any. */
  observedHolder(): string | undefined {
    return this.observed?.spec?.holderIdentity || undefined;
  }

  /**
   * Acquires the lease (retrying until `signal` aborts), then renews it until it is lost or `signal`
   * aborts. Resolves when leadership has ended or was never gained; never rejects.
   */
  async run(signal: AbortSignal): Promise<void> {
    const acquired = await this.acquire(signal);
    if (!acquired) return;
    this.setLeading(true);
    this.log.info('became leader');
    try {
      this.o.onStartedLeading();
    } catch (err) {
      this.log.error({ err }, 'onStartedLeading failed');
    }
    const lost = await this.renewLoop(signal);
    if (lost) {
      this.setLeading(false);
      this.log.error('leader election lost');
      this.notifyStopped('lost');
      return;
    }
    if (this.o.releaseOnCancel) await this.release();
    else this.setLeading(false);
    this.notifyStopped('released');
  }

  /**
   * Clears the holder of the lease if we hold it, so a successor does not wait for expiry. Never throws
   * (failure is logged; the lease then simply expires). After it, {@link isLeader} is false.
   */
  async release(): Promise<void> {
    if (!this.leading || !this.observed) {
      this.setLeading(false);
      return;
    }
    const now = this.o.clock.now();
    const spec = this.observed.spec ?? {};
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { ...this.observed.metadata, name: this.o.name, namespace: this.o.namespace },
      spec: {
        holderIdentity: '',
        leaseDurationSeconds: 1,
        acquireTime: new V1MicroTime(now),
        renewTime: new V1MicroTime(now),
        leaseTransitions: spec.leaseTransitions ?? 0,
      },
    };
    try {
      const written = await this.o.coordination.replaceNamespacedLease({
        name: this.o.name,
        namespace: this.o.namespace,
        body,
      });
      this.observe(written, now);
      this.log.info('lease released');
    } catch (err) {
      this.log.warn({ error: describeError(err) }, 'lease release failed; it will expire');
    } finally {
      this.setLeading(false);
    }
  }

  private notifyStopped(reason: StoppedLeadingReason): void {
    try {
      this.o.onStoppedLeading({ reason });
    } catch (err) {
      this.log.error({ err }, 'onStoppedLeading failed');
    }
  }

  private setLeading(v: boolean): void {
    if (this.leading === v) return;
    this.leading = v;
    this.o.metrics?.leaderStatusChanged(this.o.name, v);
  }

  private async acquire(signal: AbortSignal): Promise<boolean> {
    let lastHolder: string | undefined;
    for (;;) {
      if (signal.aborted) return false;
      const ok = await this.tryAcquireOrRenew(signal, this.o.renewDeadlineMs);
      if (ok) return true;
      const holder = this.observedHolder();
      if (holder !== lastHolder) {
        this.log.info({ holder }, 'lease held by another candidate; waiting');
        lastHolder = holder;
      }
      let wait = this.o.retryPeriodMs * (1 + 1.2 * this.o.random());
      // Wake when the other holder's lease runs out by our clock rather than up to a retry later.
      const untilExpiry = this.expiresInMs();
      if (untilExpiry !== undefined && untilExpiry > 0) wait = Math.min(wait, untilExpiry + EXPIRY_MARGIN_MS);
      try {
        await this.o.clock.sleep(wait, signal);
      } catch {
        return false;
      }
    }
  }

  /** Returns true if leadership was lost, false if `signal` aborted while still leading. */
  private async renewLoop(signal: AbortSignal): Promise<boolean> {
    for (;;) {
      try {
        await this.o.clock.sleep(this.o.retryPeriodMs, signal);
      } catch {
        return false;
      }
      const windowStart = this.o.clock.now();
      for (;;) {
        if (signal.aborted) return false;
        const remaining = windowStart + this.o.renewDeadlineMs - this.o.clock.now();
        if (remaining <= 0) return true;
        const ok = await this.tryAcquireOrRenew(signal, remaining);
        if (ok) break;
        if (signal.aborted) return false;
        if (windowStart + this.o.renewDeadlineMs - this.o.clock.now() <= 0) return true;
        try {
          await this.o.clock.sleep(
            Math.min(this.o.retryPeriodMs, windowStart + this.o.renewDeadlineMs - this.o.clock.now()),
            signal,
          );
        } catch {
          return false;
        }
      }
    }
  }

  /** Races an API call against a deadline; a call still pending at the deadline counts as failed. */
  private async withDeadline<R>(p: Promise<R>, ms: number, signal: AbortSignal): Promise<R> {
    const ac = new AbortController();
    const onAbort = (): void => ac.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await Promise.race([
        p,
        this.o.clock.sleep(ms, ac.signal).then(() => {
          throw new Error(`lease call did not finish within ${ms} ms`);
        }),
      ]);
    } finally {
      signal.removeEventListener('abort', onAbort);
      ac.abort();
    }
  }

  /** Ms until another holder's observed lease runs out by our clock; undefined if none is held. */
  private expiresInMs(): number | undefined {
    const spec = this.observed?.spec;
    const holder = spec?.holderIdentity ?? '';
    if (!holder || holder === this.o.identity) return undefined;
    const durationMs = (spec?.leaseDurationSeconds ?? Math.ceil(this.o.leaseDurationMs / 1000)) * 1000;
    return this.observedAt + durationMs - this.o.clock.now();
  }

  private observe(l: V1Lease, now: number): void {
    if (recordKey(l) !== recordKey(this.observed)) this.observedAt = now;
    this.observed = l;
  }

  /** One round of client-go's `tryAcquireOrRenew`. True if we hold the lease afterwards. */
  private async tryAcquireOrRenew(signal: AbortSignal, deadlineMs: number): Promise<boolean> {
    const { coordination: api, namespace, name, identity, clock } = this.o;
    const leaseSeconds = Math.ceil(this.o.leaseDurationMs / 1000);
    let current: V1Lease;
    try {
      current = await this.withDeadline(api.readNamespacedLease({ name, namespace }), deadlineMs, signal);
    } catch (err) {
      if (!isNotFound(err)) {
        this.log.warn({ error: describeError(err) }, 'reading the lease failed');
        return false;
      }
      const now = clock.now();
      const body: V1Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace },
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: leaseSeconds,
          acquireTime: new V1MicroTime(now),
          renewTime: new V1MicroTime(now),
          leaseTransitions: 0,
        },
      };
      try {
        const created = await this.withDeadline(
          api.createNamespacedLease({ namespace, body }),
          deadlineMs,
          signal,
        );
        this.observe(created, clock.now());
        return true;
      } catch (e) {
        if (!isConflict(e)) this.log.warn({ error: describeError(e) }, 'creating the lease failed');
        return false;
      }
    }

    const now = clock.now();
    this.observe(current, now);
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const durationMs = (spec.leaseDurationSeconds ?? leaseSeconds) * 1000;
    if (holder && holder !== identity && this.observedAt + durationMs > now) return false;

    const weHeldIt = holder === identity;
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { ...current.metadata, name, namespace, resourceVersion: current.metadata?.resourceVersion },
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds: leaseSeconds,
        acquireTime: weHeldIt ? micro(spec.acquireTime, now) : new V1MicroTime(now),
        renewTime: new V1MicroTime(now),
        leaseTransitions: weHeldIt ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
      },
    };
    try {
      const written = await this.withDeadline(
        api.replaceNamespacedLease({ name, namespace, body }),
        deadlineMs,
        signal,
      );
      this.observe(written, clock.now());
      if (!weHeldIt) this.log.info({ previousHolder: holder || undefined }, 'lease acquired');
      return true;
    } catch (err) {
      if (isConflict(err)) this.log.info('lease update lost a race (409)');
      else this.log.warn({ error: describeError(err) }, 'updating the lease failed');
      return false;
    }
  }
}
