/**
 * Fault injection and throttling, settable at run time.
 *
 * Order per request (after routing and authentication): throttle → connection reset → injected error
 * → latency → the operation → commit-then-drop. Throttling is a token bucket per operation, or one for
 * all operations with `scope: 'total'` (a tenant's quota on the whole API; capacity and refill both
 * `qps`, on the injected clock), so a client keeping under `qps` calls a second never sees a refusal. Count-based faults (`errorCount`, `resetCount`, `commitThenDrop.count`,
 * `failCreates`) apply to the next N matching requests: deterministic for tests; rates use the
 * injected random source.
 */
import type { Clock } from '../util/clock.js';
import type { OperationName } from './api.js';
import { gatewayThrottled, paramError, SimError, vpcepError, type ErrorShape } from './errors.js';

/** What an injected error looks like. */
export type FaultErrorKind = '500' | '504' | '429' | '0022' | 'nestedShape';

/**
 * Faults in force. All fields optional; {@link FaultEngine.set} replaces the whole set.
 *
 * - `operations`: operations that `errorRate`/`errorCount`, `latencyMs` and `resetRate`/`resetCount`
 *   apply to (default: all).
 * - `errorRate` (0–1) / `errorCount` (next N): answer `errorKind` instead of running the operation:
 *   `500` → 500 `EndPoint.0001`; `504` → 504 `EndPoint.0013`; `429` → 429 `APIGW.0308`; `0022` → 400
 *   `EndPoint.0022`; `nestedShape` → 500 `EndPoint.0001` in the `{"error":{"code","message"}}` body.
 * - `errorShape`: render every VPCEP error (validation ones too) flat (default) or nested.
 * - `latencyMs`: delay each matching response uniformly in `[min, max]` ms (on the injected clock).
 * - `resetRate` (0–1) / `resetCount` (next N): destroy the connection without effect or response.
 * - `commitThenDrop`: the next `count` calls of `operation` take effect, then the connection is
 *   destroyed (`mode: 'reset'`) or answered 504 `EndPoint.0013` (`mode: '504'`), after `holdMs`
 *   (default 0): the window in which a test can kill the caller between the commit and the response.
 * - `failCreates`: the next N creates end `failed` (besides the configured `failRate`).
 * - `failEndpointCreates`: the next N endpoint creates end `failed` (with an `error[]`) when their
 *   create delay has passed.
 * - `match`: the error, latency and reset faults hit only requests whose path or body contains this
 *   string (e.g. a description that marks some resources), so a test can fault some resources and
 *   leave others healthy.
 * - `retryAfter`: a `Retry-After` header value sent with every injected error (verbatim, so a test can
 *   send a hostile `999999` or a malformed value).
 */
export interface Faults {
  operations?: OperationName[];
  errorRate?: number;
  errorCount?: number;
  errorKind?: FaultErrorKind;
  errorShape?: ErrorShape;
  latencyMs?: { min: number; max: number };
  resetRate?: number;
  resetCount?: number;
  commitThenDrop?: { operation: OperationName; count: number; mode: 'reset' | '504'; holdMs?: number };
  failCreates?: number;
  failEndpointCreates?: number;
  match?: string;
  retryAfter?: string;
}

/**
 * Throttling settings: `qps` calls a second (0 = off) per operation, or over all operations together
 * with `scope: 'total'` (absent: per operation), refused as `429` or `0022`.
 */
export interface Throttle {
  qps: number;
  mode: '429' | '0022';
  scope?: 'operation' | 'total';
}

/** What to do with a request before running it. */
export type PreDecision =
  | { kind: 'run'; latencyMs: number }
  | { kind: 'reset' }
  | { kind: 'error'; error: SimError; shape: ErrorShape; retryAfter?: string };

/** What to do after the operation took effect. */
export type PostDecision = { action: 'respond' | 'reset' | '504'; holdMs: number };

function rate(v: unknown, field: string): void {
  if (v !== undefined && (typeof v !== 'number' || !(v >= 0 && v <= 1)))
    throw paramError(`${field} must be a number in [0, 1].`);
}
function count(v: unknown, field: string): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0))
    throw paramError(`${field} must be a non-negative integer.`);
}

/** Checks a fault set received over HTTP (`EndPoint.0002` on a bad field) and returns it typed. */
export function parseFaults(v: unknown): Faults {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw paramError('faults must be an object.');
  const f = v as Record<string, unknown>;
  rate(f.errorRate, 'errorRate');
  rate(f.resetRate, 'resetRate');
  count(f.errorCount, 'errorCount');
  count(f.resetCount, 'resetCount');
  count(f.failCreates, 'failCreates');
  count(f.failEndpointCreates, 'failEndpointCreates');
  if (
    f.errorKind !== undefined &&
    !['500', '504', '429', '0022', 'nestedShape'].includes(String(f.errorKind))
  )
    throw paramError('errorKind must be 500, 504, 429, 0022 or nestedShape.');
  if (f.errorShape !== undefined && f.errorShape !== 'flat' && f.errorShape !== 'nested')
    throw paramError('errorShape must be flat or nested.');
  if (
    f.operations !== undefined &&
    (!Array.isArray(f.operations) || f.operations.some((o) => typeof o !== 'string'))
  )
    throw paramError('operations must be an array of operation names.');
  if (f.match !== undefined && (typeof f.match !== 'string' || f.match === ''))
    throw paramError('match must be a non-empty string.');
  if (f.retryAfter !== undefined && typeof f.retryAfter !== 'string')
    throw paramError('retryAfter must be a string (the header value).');
  if (f.latencyMs !== undefined) {
    const l = f.latencyMs as Record<string, unknown> | null;
    if (
      typeof l !== 'object' ||
      l === null ||
      typeof l.min !== 'number' ||
      typeof l.max !== 'number' ||
      l.min < 0 ||
      l.max < l.min
    )
      throw paramError('latencyMs must be {min, max} with 0 <= min <= max.');
  }
  if (f.commitThenDrop !== undefined) {
    const c = f.commitThenDrop as Record<string, unknown> | null;
    if (
      typeof c !== 'object' ||
      c === null ||
      typeof c.operation !== 'string' ||
      (c.mode !== 'reset' && c.mode !== '504')
    )
      throw paramError('commitThenDrop must be {operation, count, mode: reset|504}.');
    count(c.count, 'commitThenDrop.count');
    if (c.holdMs !== undefined) count(c.holdMs, 'commitThenDrop.holdMs');
  }
  return structuredClone(f) as Faults;
}

function injected(kind: FaultErrorKind): SimError {
  switch (kind) {
    case '504':
      return vpcepError('EndPoint.0013');
    case '429':
      return gatewayThrottled();
    case '0022':
      return vpcepError('EndPoint.0022');
    default:
      return vpcepError('EndPoint.0001');
  }
}

/** The faults and throttle of one simulator. */
export class FaultEngine {
  private faults: Faults = {};
  private throttle: Throttle;
  private readonly buckets = new Map<string, { tokens: number; last: number }>();
  private readonly throttledBy = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly random: () => number,
    throttle: Throttle,
  ) {
    this.throttle = { scope: 'operation', ...throttle };
  }

  /** Replaces the fault set. */
  set(f: Faults): void {
    this.faults = structuredClone(f);
  }

  /** The faults in force, with counts as consumed so far. */
  get(): Faults {
    return structuredClone(this.faults);
  }

  /** Changes the throttle (and refills every bucket). */
  setThrottle(t: Partial<Throttle>): void {
    this.throttle = { ...this.throttle, ...t };
    this.buckets.clear();
  }

  /** The throttle in force. */
  getThrottle(): Throttle {
    return { ...this.throttle };
  }

  /** Requests refused by throttling, per operation, since the last reset. */
  throttled(): Record<string, number> {
    return Object.fromEntries(this.throttledBy);
  }

  /** Forgets throttle counts and buckets. */
  resetCounters(): void {
    this.throttledBy.clear();
    this.buckets.clear();
  }

  /** How VPCEP errors are rendered now. */
  shape(): ErrorShape {
    return this.faults.errorShape ?? 'flat';
  }

  private takeToken(op: string): boolean {
    const { qps, scope } = this.throttle;
    if (!(qps > 0)) return true;
    const now = this.clock.now();
    const key = scope === 'total' ? '*' : op;
    const b = this.buckets.get(key) ?? { tokens: qps, last: now };
    b.tokens = Math.min(qps, b.tokens + ((now - b.last) / 1000) * qps);
    b.last = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private applies(op: OperationName, text: string): boolean {
    const { operations, match } = this.faults;
    return (
      (operations === undefined || operations.includes(op)) && (match === undefined || text.includes(match))
    );
  }

  private consume(field: 'errorCount' | 'resetCount' | 'failCreates' | 'failEndpointCreates'): boolean {
    const n = this.faults[field] ?? 0;
    if (n <= 0) return false;
    this.faults[field] = n - 1;
    return true;
  }

  /**
   * Decides, before the operation runs, whether it is throttled, reset, failed or delayed. `text` is
   * what `match` is looked for in (the request's path and body).
   */
  before(op: OperationName, text = ''): PreDecision {
    if (!this.takeToken(op)) {
      this.throttledBy.set(op, (this.throttledBy.get(op) ?? 0) + 1);
      const error = this.throttle.mode === '0022' ? vpcepError('EndPoint.0022') : gatewayThrottled();
      return { kind: 'error', error, shape: this.shape() };
    }
    const f = this.faults;
    const hit = this.applies(op, text);
    if (hit) {
      if (this.consume('resetCount') || (f.resetRate !== undefined && this.random() < f.resetRate))
        return { kind: 'reset' };
      if (this.consume('errorCount') || (f.errorRate !== undefined && this.random() < f.errorRate)) {
        const kind = f.errorKind ?? '500';
        return {
          kind: 'error',
          error: injected(kind),
          shape: kind === 'nestedShape' ? 'nested' : this.shape(),
          ...(f.retryAfter !== undefined ? { retryAfter: f.retryAfter } : {}),
        };
      }
    }
    let latencyMs = 0;
    if (f.latencyMs && hit) latencyMs = f.latencyMs.min + this.random() * (f.latencyMs.max - f.latencyMs.min);
    return { kind: 'run', latencyMs };
  }

  /** Decides, after the operation took effect, whether its response is delivered. */
  after(op: OperationName): PostDecision {
    const c = this.faults.commitThenDrop;
    if (!c || c.operation !== op || c.count <= 0) return { action: 'respond', holdMs: 0 };
    c.count -= 1;
    return { action: c.mode, holdMs: c.holdMs ?? 0 };
  }

  /** True if the create completing now should end `failed` (`failCreates` first, then `failRate`). */
  createFails(failRate: number): boolean {
    return this.consume('failCreates') || (failRate > 0 && this.random() < failRate);
  }

  /** True if the endpoint create completing now should end `failed` (`failEndpointCreates`). */
  endpointCreateFails(): boolean {
    return this.consume('failEndpointCreates');
  }
}
