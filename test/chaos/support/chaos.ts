/**
 * Chaos harness helpers: a seeded PRNG, env knobs, and {@link ChaosFaults}, which drives the
 * simulator's fault set during a chaos run and counts every fault it actually injected.
 */
import type { FaultErrorKind, Faults, OperationName, Simulator } from '../../../src/simulator/index.js';

/** mulberry32: a small, fast, seedable PRNG in [0, 1). Same seed, same sequence. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A non-negative integer from the environment, or `fallback` when unset or malformed. */
export function intEnv(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || !/^\d+$/.test(v.trim())) return fallback;
  return Number(v.trim());
}

/** Uniform integer in [min, max]. */
export function between(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** A lower-case UUID-shaped id drawn from `random` (deterministic for a seed). */
export function seededUuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/** Faults the simulator injected, as counted by {@link FaultTally}. */
export interface FaultCounts {
  /** Connections destroyed before the operation ran. */
  resets: number;
  /** Injected error responses by kind (`500`, `429`, ...). */
  errors: Partial<Record<FaultErrorKind, number>>;
  /** Requests that ran with injected latency, and the latency added in total. */
  delayed: number;
  latencyMs: number;
}

/**
 * The simulator's random source, instrumented. `faults.ts` documents the order of its per-request
 * decisions (reset, then error, then latency), each drawing one number only when its field is set
 * (`operations` unset, no count-based faults, `failRate` 0). Following that order, the tally knows
 * which draw decided what, so it counts exactly the faults injected, with no hook in the simulator.
 * Every fault set given to the simulator must also go through {@link track}.
 */
export class FaultTally {
  readonly counts: FaultCounts = { resets: 0, errors: {}, delayed: 0, latencyMs: 0 };
  private faults: Faults = {};
  private pending: Array<'reset' | 'error' | 'latency'> = [];

  constructor(private readonly source: () => number) {}

  /** Records the fault set now in force (call with exactly what the simulator was given). */
  track(f: Faults): void {
    this.faults = structuredClone(f);
    this.pending = [];
  }

  /** The random source to hand to `startSimulator`. */
  readonly random = (): number => {
    const v = this.source();
    const f = this.faults;
    if (this.pending.length === 0) {
      if (f.resetRate !== undefined) this.pending.push('reset');
      if (f.errorRate !== undefined) this.pending.push('error');
      if (f.latencyMs !== undefined) this.pending.push('latency');
    }
    const step = this.pending.shift();
    if (step === 'reset' && v < (f.resetRate ?? 0)) {
      this.counts.resets++;
      this.pending = [];
    } else if (step === 'error' && v < (f.errorRate ?? 0)) {
      const kind = f.errorKind ?? '500';
      this.counts.errors[kind] = (this.counts.errors[kind] ?? 0) + 1;
      this.pending = [];
    } else if (step === 'latency' && f.latencyMs) {
      this.counts.delayed++;
      this.counts.latencyMs += f.latencyMs.min + v * (f.latencyMs.max - f.latencyMs.min);
    }
    return v;
  };
}

/** A batch of commit-then-drop faults on `operation` (default `create`, the service create). */
export interface DropPhase {
  mode: 'reset' | '504';
  count: number;
  holdMs?: number;
  operation?: OperationName;
}

/** Rates of the background faults of a chaos run. */
export interface ChaosRates {
  resetRate: number;
  /** Share of calls answered with an injected error; the kind is drawn from `errorKinds` by weight. */
  errorRate: number;
  errorKinds: Array<[FaultErrorKind, number]>;
  latencyMs: { min: number; max: number };
}

/**
 * Drives the simulator's faults during a chaos run. The simulator holds one `errorKind` at a time, so
 * {@link tick} (called every few hundred ms) draws the kind anew by weight, giving the configured mix
 * over time; it also carries the commit-then-drop queue across fault-set replacements. All reads and
 * writes of the simulator's fault set happen synchronously on the test's event loop (the simulator
 * runs in-process), so no drop is lost or double counted between a read and a write.
 */
export class ChaosFaults {
  /** Commit-then-drop faults consumed (taken effect, response lost), by mode. */
  readonly drops: Record<'reset' | '504', number> = { reset: 0, '504': 0 };
  /** Of those, the VPC endpoint creates (`createEndpoint`). */
  endpointDrops = 0;
  private readonly queue: DropPhase[];
  private kind: FaultErrorKind = '500';
  private active = false;
  /** The phase whose remaining count the simulator holds now. */
  private installed: DropPhase | undefined;

  constructor(
    private readonly sim: Simulator,
    private readonly tally: FaultTally,
    private readonly rates: ChaosRates,
    private readonly random: () => number,
    drops: DropPhase[],
  ) {
    this.queue = drops.map((d) => ({ ...d }));
  }

  /** Starts injecting. */
  start(): void {
    this.active = true;
    this.tick();
  }

  /** Accounts for consumed drops, draws the next error kind, and installs the resulting fault set. */
  tick(): void {
    if (!this.active) return;
    this.account();
    let w = this.random() * this.rates.errorKinds.reduce((s, [, n]) => s + n, 0);
    for (const [kind, n] of this.rates.errorKinds) {
      this.kind = kind;
      if ((w -= n) < 0) break;
    }
    this.install();
  }

  /**
   * Puts a held commit-then-drop in front of the queue: the next create takes effect and its response
   * is held `holdMs`, the window in which the caller is killed. Resolves true once a create consumed it,
   * false after `waitMs` without one (the hold is then withdrawn).
   */
  async armHold(mode: 'reset' | '504', holdMs: number, waitMs: number): Promise<boolean> {
    this.account();
    const hold: DropPhase = { mode, count: 1, holdMs };
    this.queue.unshift(hold);
    this.install();
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline && this.queue[0] === hold) {
      await new Promise((r) => setTimeout(r, 25));
      this.account();
    }
    const consumed = this.queue[0] !== hold;
    if (!consumed) this.queue.shift();
    this.install();
    return consumed;
  }

  /** Stops every fault (the queue's unconsumed drops are abandoned). */
  stop(): void {
    this.account();
    this.active = false;
    this.installed = undefined;
    this.sim.controls.clearFaults();
    this.tally.track({});
  }

  /** Drops still queued (not consumed). */
  pendingDrops(): number {
    return this.queue.reduce((s, d) => s + d.count, 0);
  }

  /** Moves drops consumed from the installed phase into {@link drops}; dequeues the phase once used up. */
  private account(): void {
    const phase = this.installed;
    if (!phase) return;
    const left = this.sim.controls.faults().commitThenDrop?.count ?? phase.count;
    this.drops[phase.mode] += phase.count - left;
    if (phase.operation === 'createEndpoint') this.endpointDrops += phase.count - left;
    phase.count = left;
    if (phase.count <= 0) {
      const i = this.queue.indexOf(phase);
      if (i >= 0) this.queue.splice(i, 1);
    }
  }

  private install(): void {
    const head = this.queue[0];
    this.installed = head;
    const f: Faults = {
      resetRate: this.rates.resetRate,
      errorRate: this.rates.errorRate,
      errorKind: this.kind,
      latencyMs: this.rates.latencyMs,
      ...(head
        ? {
            commitThenDrop: {
              operation: head.operation ?? 'create',
              count: head.count,
              mode: head.mode,
              ...(head.holdMs !== undefined ? { holdMs: head.holdMs } : {}),
            },
          }
        : {}),
    };
    this.sim.controls.setFaults(f);
    this.tally.track(f);
  }
}
