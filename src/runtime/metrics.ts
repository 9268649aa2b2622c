/**
 * Prometheus metrics of the runtime, named as controller-runtime and client-go name them so existing
 * dashboards and alerts work: `controller_runtime_*`, `workqueue_*`, `leader_election_master_status`.
 * Metrics with no standard name carry a prefix (default `vpcep_operator_`).
 *
 * Guarantees: several {@link RuntimeMetrics} (one per controller) can share one `Registry`: each
 * metric is registered once and reused, and every instance writes only its own `controller` label.
 * Reconcile result series start at 0 for every result, so rates work from the first scrape.
 * `workqueue_unfinished_work_seconds` and `workqueue_longest_running_processor_seconds` are computed
 * at scrape time from the keys held by workers (client-go updates them every 500 ms), so a stuck
 * reconcile shows as a value growing with wall time.
 */
import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import type { WorkQueueMetrics } from './queue.js';

/** controller-runtime's reconcile time buckets (seconds). */
const RECONCILE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5,
  1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];
/** client-go's workqueue latency buckets: 10 ns → 10 s, ×10. */
const QUEUE_BUCKETS = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10];

/** Reconcile outcomes, as controller-runtime labels them. */
export type ReconcileResultLabel = 'success' | 'error' | 'requeue' | 'requeue_after';

type Ctor<M> = new (cfg: {
  name: string;
  help: string;
  labelNames: string[];
  registers: Registry[];
  buckets?: number[];
}) => M;

function getOrCreate<M extends Counter | Gauge | Histogram>(
  registry: Registry,
  ctor: Ctor<M>,
  name: string,
  help: string,
  labelNames: string[],
  buckets?: number[],
): M {
  const existing = registry.getSingleMetric(name);
  if (existing) {
    if (!(existing instanceof ctor)) throw new Error(`metric ${name} already registered with another type`);
    return existing;
  }
  return new ctor({ name, help, labelNames, registers: [registry], ...(buckets ? { buckets } : {}) });
}

type Unfinished = () => { totalSeconds: number; longestSeconds: number };
/** Per registry: each controller's unfinished-work reader (its queue registers it). */
const unfinishedReaders = new WeakMap<Registry, Map<string, Unfinished>>();

/** A gauge whose value is read at scrape time from every registered queue; registered once per registry. */
function unfinishedGauge(
  registry: Registry,
  name: string,
  help: string,
  pick: (u: ReturnType<Unfinished>) => number,
): void {
  if (registry.getSingleMetric(name)) return;
  new Gauge({
    name,
    help,
    labelNames: ['name', 'controller'],
    registers: [registry],
    collect() {
      for (const [controller, read] of unfinishedReaders.get(registry) ?? [])
        this.set({ name: controller, controller }, pick(read()));
    },
  });
}

/** Registers Node process metrics (`process_*`, `nodejs_*`) once per registry. */
export function registerProcessMetrics(registry: Registry): void {
  if (registry.getSingleMetric('process_cpu_user_seconds_total')) return;
  collectDefaultMetrics({ register: registry });
}

/** `leader_election_master_status{name}`: 1 while leading the named lease, else 0. */
export function leaderMetrics(registry: Registry): {
  leaderStatusChanged(lease: string, leading: boolean): void;
} {
  const g = getOrCreate(
    registry,
    Gauge,
    'leader_election_master_status',
    'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master',
    ['name'],
  );
  return { leaderStatusChanged: (lease, leading) => g.set({ name: lease }, leading ? 1 : 0) };
}

/** `<prefix>informer_restarts_total{resource,reason}`: watch restarts after an error or a stall. */
export function informerMetrics(
  registry: Registry,
  prefix = 'vpcep_operator_',
): { informerRestarted(resource: string, reason: 'error' | 'stalled'): void } {
  const c = getOrCreate(
    registry,
    Counter,
    `${prefix}informer_restarts_total`,
    'Restarts of a watch after an error or a silent stall',
    ['resource', 'reason'],
  );
  return { informerRestarted: (resource, reason) => c.inc({ resource, reason }) };
}

/** Options of {@link RuntimeMetrics}. */
export interface RuntimeMetricsOptions {
  /** Prefix of metrics without a standard name. Default `vpcep_operator_`. */
  prefix?: string;
}

/** The runtime's metrics for one controller (and the process-wide leader/informer series). */
export class RuntimeMetrics {
  readonly registry: Registry;
  readonly controller: string;
  private readonly reconcileTotal: Counter;
  private readonly reconcileErrors: Counter;
  private readonly terminalErrors: Counter;
  private readonly reconcileTime: Histogram;
  private readonly activeWorkers: Gauge;
  private readonly maxConcurrent: Gauge;
  private readonly depth: Gauge;
  private readonly adds: Counter;
  private readonly queueDuration: Histogram;
  private readonly workDuration: Histogram;
  private readonly retries: Counter;
  private readonly leader: ReturnType<typeof leaderMetrics>;
  private readonly informers: ReturnType<typeof informerMetrics>;
  /** Sink for the controller's {@link WorkQueue}; labels `name` and `controller` are the controller name. */
  readonly workqueue: WorkQueueMetrics;

  constructor(registry: Registry, controller: string, opts: RuntimeMetricsOptions = {}) {
    const prefix = opts.prefix ?? 'vpcep_operator_';
    this.registry = registry;
    this.controller = controller;
    const r = registry;
    this.reconcileTotal = getOrCreate(
      r,
      Counter,
      'controller_runtime_reconcile_total',
      'Total number of reconciliations per controller',
      ['controller', 'result'],
    );
    this.reconcileErrors = getOrCreate(
      r,
      Counter,
      'controller_runtime_reconcile_errors_total',
      'Total number of reconciliation errors per controller',
      ['controller'],
    );
    this.terminalErrors = getOrCreate(
      r,
      Counter,
      'controller_runtime_terminal_reconcile_errors_total',
      'Total number of terminal reconciliation errors per controller',
      ['controller'],
    );
    this.reconcileTime = getOrCreate(
      r,
      Histogram,
      'controller_runtime_reconcile_time_seconds',
      'Length of time per reconciliation per controller',
      ['controller'],
      RECONCILE_BUCKETS,
    );
    this.activeWorkers = getOrCreate(
      r,
      Gauge,
      'controller_runtime_active_workers',
      'Number of currently used workers per controller',
      ['controller'],
    );
    this.maxConcurrent = getOrCreate(
      r,
      Gauge,
      'controller_runtime_max_concurrent_reconciles',
      'Maximum number of concurrent reconciles per controller',
      ['controller'],
    );
    this.depth = getOrCreate(r, Gauge, 'workqueue_depth', 'Current depth of workqueue', [
      'name',
      'controller',
    ]);
    this.adds = getOrCreate(r, Counter, 'workqueue_adds_total', 'Total number of adds handled by workqueue', [
      'name',
      'controller',
    ]);
    this.queueDuration = getOrCreate(
      r,
      Histogram,
      'workqueue_queue_duration_seconds',
      'How long in seconds an item stays in workqueue before being requested',
      ['name', 'controller'],
      QUEUE_BUCKETS,
    );
    this.workDuration = getOrCreate(
      r,
      Histogram,
      'workqueue_work_duration_seconds',
      'How long in seconds processing an item from workqueue takes',
      ['name', 'controller'],
      QUEUE_BUCKETS,
    );
    this.retries = getOrCreate(
      r,
      Counter,
      'workqueue_retries_total',
      'Total number of retries handled by workqueue',
      ['name', 'controller'],
    );
    this.leader = leaderMetrics(r);
    this.informers = informerMetrics(r, prefix);
    unfinishedGauge(
      r,
      'workqueue_unfinished_work_seconds',
      "How many seconds of work has been done that is in progress and hasn't been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.",
      (u) => u.totalSeconds,
    );
    unfinishedGauge(
      r,
      'workqueue_longest_running_processor_seconds',
      'How many seconds has the longest running processor for workqueue been running.',
      (u) => u.longestSeconds,
    );
    const readers = unfinishedReaders.get(r) ?? new Map<string, Unfinished>();
    unfinishedReaders.set(r, readers);

    for (const result of ['success', 'error', 'requeue', 'requeue_after'] as const)
      this.reconcileTotal.inc({ controller, result }, 0);
    this.reconcileErrors.inc({ controller }, 0);
    this.terminalErrors.inc({ controller }, 0);
    this.activeWorkers.set({ controller }, 0);

    const q = { name: controller, controller };
    this.workqueue = {
      setDepth: (n) => this.depth.set(q, n),
      add: () => this.adds.inc(q),
      queueLatency: (s) => this.queueDuration.observe(q, s),
      workDuration: (s) => this.workDuration.observe(q, s),
      retry: () => this.retries.inc(q),
      unfinished: (read) => void readers.set(controller, read),
    };
  }

  /** Counts one finished reconcile and its duration. */
  reconcileDone(result: ReconcileResultLabel, seconds: number, terminal = false): void {
    const controller = this.controller;
    this.reconcileTotal.inc({ controller, result });
    this.reconcileTime.observe({ controller }, seconds);
    if (result === 'error') this.reconcileErrors.inc({ controller });
    if (terminal) this.terminalErrors.inc({ controller });
  }

  /** Tracks the number of workers inside a reconcile. */
  workerActive(delta: 1 | -1): void {
    this.activeWorkers.inc({ controller: this.controller }, delta);
  }

  /** Publishes the configured worker count. */
  setMaxConcurrentReconciles(n: number): void {
    this.maxConcurrent.set({ controller: this.controller }, n);
  }

  /** Sets `leader_election_master_status{name=lease}` to 1 while leading, else 0. */
  leaderStatusChanged(lease: string, leading: boolean): void {
    this.leader.leaderStatusChanged(lease, leading);
  }

  /** Counts one informer restart; `reason` is `error` or `stalled`. */
  informerRestarted(resource: string, reason: 'error' | 'stalled'): void {
    this.informers.informerRestarted(resource, reason);
  }
}
