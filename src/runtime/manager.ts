/**
 * The manager: owns the process-level pieces and their order, like controller-runtime's manager.
 *
 * Start order: process metrics → probe endpoints → informers (caches) → leader election (if
 * configured) → controllers once the caches are synced **and** we lead. `/readyz` turns ready once
 * every informer has synced and no readiness gate holds it down ({@link Manager.addReadinessGate}),
 * independent of leadership (standby replicas are ready too).
 *
 * Shutdown:
 * - **Graceful** (SIGTERM/SIGINT or {@link Manager.shutdown}): stop intake, let in-flight reconciles
 *   finish within `gracefulShutdownMs`, release the lease, stop informers, close the endpoints, then
 *   `exit(0)`. A second signal during a graceful shutdown exits 1 at once.
 * - **Lease lost:** stop reconciling at once (in-flight reconciles are aborted, not awaited), then
 *   `exit(1)`, so the pod restarts clean rather than risking two leaders.
 *
 * `exit` is a callback (default `process.exit`) and {@link Manager.done} resolves with the code, so
 * tests observe the outcome without a process ending.
 */
import type { Registry } from 'prom-client';
import type { Clock } from '../util/clock.js';
import type { Controller } from './controller.js';
import { startProbeServer, type ProbeServer } from './http-server.js';
import { LeaderElector, type LeaderElectorOptions } from './leader-election.js';
import type { Logger } from './logging.js';
import { leaderMetrics, registerProcessMetrics } from './metrics.js';

/** What the manager needs of an informer ({@link SupervisedInformer} fits). */
export interface ManagedCache {
  readonly name?: string;
  readonly synced: Promise<void>;
  hasSynced(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Where signals come from (default `process`). */
export interface SignalSource {
  on(event: 'SIGTERM' | 'SIGINT', fn: () => void): unknown;
  off(event: 'SIGTERM' | 'SIGINT', fn: () => void): unknown;
}

/** Leader election settings; the manager supplies clock, log, callbacks and metrics. */
export type ManagerLeaderElection = Omit<
  LeaderElectorOptions,
  'clock' | 'log' | 'onStartedLeading' | 'onStoppedLeading' | 'metrics' | 'releaseOnCancel'
>;

/** Options of {@link Manager}. */
export interface ManagerOptions {
  clock: Clock;
  log: Logger;
  registry: Registry;
  /** Default `":8080"`; `"0"` disables. */
  metricsAddress?: string;
  /** Default `":8081"`; `"0"` disables. */
  healthAddress?: string;
  /** Absent: no leader election (this process always reconciles). */
  leaderElection?: ManagerLeaderElection;
  /** Deadline for in-flight reconciles on graceful shutdown. Default 30 s. */
  gracefulShutdownMs?: number;
  /** Ends the process. Default `process.exit`. */
  exit?: (code: number) => void;
  /** Default `process`; tests pass an EventEmitter. `null` installs no handlers. */
  signals?: SignalSource | null;
  /** Register `process_*`/`nodejs_*` metrics. Default true. */
  processMetrics?: boolean;
}

/** See the module doc for order and shutdown behaviour. */
export class Manager {
  /** Resolves with the exit code once the manager has finished (and `exit` has been called). */
  readonly done: Promise<number>;
  readonly log: Logger;
  readonly registry: Registry;
  private readonly o: ManagerOptions;
  private readonly caches: ManagedCache[] = [];
  private readonly controllers: Controller[] = [];
  // [readiness gates] issue 16: components that hold /readyz down with a reason (the CRD schema guard).
  private readonly gates: { name: string; reason: () => string | undefined }[] = [];
  private readonly leAbort = new AbortController();
  private elector: LeaderElector | undefined;
  private electorRun: Promise<void> | undefined;
  private probe: ProbeServer | undefined;
  private resolveDone!: (code: number) => void;
  private finished = false;
  private stopping: Promise<void> | undefined;
  private controllersStarted = false;
  private exitCode = 0;
  private readonly onSignal = (): void => {
    if (this.stopping) {
      this.log.warn('second signal during shutdown; exiting now');
      this.finish(1);
      return;
    }
    this.log.info('signal received; shutting down');
    void this.shutdown();
  };

  constructor(opts: ManagerOptions) {
    this.o = opts;
    this.log = opts.log;
    this.registry = opts.registry;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Adds an informer; call before {@link start}. */
  addCache(cache: ManagedCache): void {
    this.caches.push(cache);
  }

  /** Adds a controller; its workers start once caches are synced and we lead. Call before {@link start}. */
  addController(controller: Controller): void {
    this.controllers.push(controller);
  }

  /**
   * Holds `/readyz` at 503 while `reason()` returns a string (the body says `name: reason`). A gate
   * that throws holds readiness down too. Call before {@link start}.
   */
  addReadinessGate(name: string, reason: () => string | undefined): void {
    this.gates.push({ name, reason });
  }

  /** Why `/readyz` fails: caches not synced, or the first gate holding it down; `undefined` when ready. */
  notReadyReason(): string | undefined {
    if (!this.caches.every((c) => c.hasSynced())) return 'caches not synced';
    for (const g of this.gates) {
      let r: string | undefined;
      try {
        r = g.reason();
      } catch (err) {
        r = `check failed: ${err instanceof Error ? err.message : String(err)}`;
      }
      if (r !== undefined) return `${g.name}: ${r}`;
    }
    return undefined;
  }

  /** True once every cache has synced and no readiness gate holds it down (what `/readyz` reports). */
  ready(): boolean {
    return this.notReadyReason() === undefined;
  }

  /** True while we may reconcile: leading, or no leader election configured. */
  isLeader(): boolean {
    return this.elector ? this.elector.isLeader() : !this.stopping;
  }

  /** Bound ports of the probe endpoints (0 = disabled), once started. */
  ports(): { metricsPort: number; healthPort: number } | undefined {
    return this.probe
      ? { metricsPort: this.probe.metricsPort, healthPort: this.probe.healthPort }
      : undefined;
  }

  /**
   * Starts everything (see the module doc). Resolves once the endpoints listen and the informers are
   * started; syncing, election and controllers continue in the background. Rejects only if the
   * endpoints cannot bind (nothing else is left running then).
   */
  async start(): Promise<void> {
    if (this.o.processMetrics ?? true) registerProcessMetrics(this.registry);
    this.probe = await startProbeServer({
      metricsAddress: this.o.metricsAddress ?? ':8080',
      healthAddress: this.o.healthAddress ?? ':8081',
      registry: this.registry,
      ready: () => this.ready(),
      notReadyReason: () => this.notReadyReason(), // [readiness gates] issue 16
      healthy: () => !this.finished,
      log: this.log,
    });
    const signals = this.o.signals === undefined ? process : this.o.signals;
    if (signals) {
      signals.on('SIGTERM', this.onSignal);
      signals.on('SIGINT', this.onSignal);
    }
    for (const c of this.caches) await c.start();
    const synced = Promise.all(this.caches.map((c) => c.synced)).then(() => {
      if (!this.stopping) this.log.info('all caches synced; ready');
    });

    const le = this.o.leaderElection;
    if (!le) {
      void synced.then(() => this.startControllers());
      return;
    }
    this.elector = new LeaderElector({
      ...le,
      clock: this.o.clock,
      log: this.log,
      releaseOnCancel: true,
      metrics: leaderMetrics(this.registry),
      onStartedLeading: () => void synced.then(() => this.startControllers()),
      onStoppedLeading: ({ reason }) => {
        if (reason === 'lost') void this.leaseLost();
      },
    });
    this.electorRun = this.elector.run(this.leAbort.signal);
  }

  private startControllers(): void {
    if (this.stopping || this.finished || this.controllersStarted) return;
    if (this.elector && !this.elector.isLeader()) return;
    this.controllersStarted = true;
    for (const c of this.controllers) c.start();
  }

  /**
   * Graceful shutdown (what SIGTERM/SIGINT do): see the module doc. Resolves when finished; the exit
   * code is 0. Idempotent.
   */
  shutdown(): Promise<void> {
    this.stopping ??= this.gracefulStop();
    return this.stopping;
  }

  private async gracefulStop(): Promise<void> {
    const { clock } = this.o;
    const deadline = clock.now() + (this.o.gracefulShutdownMs ?? 30_000);
    await Promise.all(this.controllers.map((c) => c.stop(Math.max(0, deadline - clock.now()))));
    this.leAbort.abort();
    if (this.electorRun) {
      // Releasing is one API call; do not let a hung apiserver hold the exit past the deadline.
      const ac = new AbortController();
      await Promise.race([
        this.electorRun,
        clock.sleep(Math.max(1_000, deadline - clock.now()), ac.signal).catch(() => undefined),
      ]);
      ac.abort();
    }
    await this.stopInfra();
    this.log.info('shutdown complete');
    this.finish(this.exitCode);
  }

  private async leaseLost(): Promise<void> {
    if (this.finished) return;
    this.exitCode = 1;
    this.log.error('lost the leader lease; stopping reconciles now and exiting');
    // Even during a graceful drain: another replica may already lead, so in-flight work stops now.
    for (const c of this.controllers) c.abortInFlight('leader election lost');
    this.stopping ??= (async () => {
      await Promise.all(this.controllers.map((c) => c.stop(0)));
      await this.stopInfra();
      this.finish(1);
    })();
    await this.stopping;
  }

  private async stopInfra(): Promise<void> {
    await Promise.all(
      this.caches.map((c) =>
        c
          .stop()
          .catch((err: unknown) => this.log.warn({ err, cache: c.name }, 'stopping an informer failed')),
      ),
    );
    await this.probe?.close();
  }

  private finish(code: number): void {
    if (this.finished) return;
    this.finished = true;
    const signals = this.o.signals === undefined ? process : this.o.signals;
    if (signals) {
      signals.off('SIGTERM', this.onSignal);
      signals.off('SIGINT', this.onSignal);
    }
    this.resolveDone(code);
    (this.o.exit ?? ((c: number) => process.exit(c)))(code);
  }
}
