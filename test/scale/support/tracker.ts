/**
 * Follows the VpcEndpointService resources of one namespace through a watch (a LIST, then a watch from
 * its resourceVersion; re-listed whenever the watch ends) and records, per resource, when it was
 * first seen Ready and when it was seen gone. Reads only: it adds no write to what the benchmark counts.
 */
import {
  Watch,
  type CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
} from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../../../src/api/constants.js';
import type { VpcEndpointService } from '../../../src/api/types.js';
import { isReady } from '../../integration/support/operator.js';

/** What the tracker knows of one resource (by name). */
export interface Tracked {
  uid: string;
  /** When it was first seen Ready for its generation (the tracker's clock). */
  readyAt?: number;
  /** When it was seen gone. */
  goneAt?: number;
}

export class ResourceTracker {
  /** Every resource seen, by name. */
  readonly seen = new Map<string, Tracked>();
  /** Times the watch ended and the tracker re-listed. */
  relists = 0;
  private readonly present = new Set<string>();
  private resourceVersion = '';
  private abort: AbortController | undefined;
  private stopped = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly custom: CustomObjectsApi,
    private readonly namespace: string,
    private readonly now: () => number,
  ) {}

  /** Lists, then watches (resolves once the watch is open). */
  async start(): Promise<void> {
    await this.relist();
    await this.watch();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  /** Resources present now. */
  presentCount(): number {
    return this.present.size;
  }

  /** Resources present now and seen Ready. */
  readyCount(): number {
    let n = 0;
    for (const name of this.present) if (this.seen.get(name)?.readyAt !== undefined) n++;
    return n;
  }

  private path(): string {
    return `/apis/${GROUP}/${VERSION}/namespaces/${this.namespace}/${PLURAL}`;
  }

  private async relist(): Promise<void> {
    const list = (await this.custom.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace: this.namespace,
    })) as KubernetesListObject<VpcEndpointService>;
    const t = this.now();
    const names = new Set<string>();
    for (const cr of list.items) {
      names.add(cr.metadata.name ?? '');
      this.observe(cr, t);
    }
    for (const name of [...this.present]) if (!names.has(name)) this.gone(name, t);
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    this.abort = await new Watch(this.kc).watch(
      this.path(),
      { resourceVersion: this.resourceVersion, allowWatchBookmarks: true },
      (phase: string, obj: unknown) => this.onEvent(phase, obj),
      () => this.restart(),
    );
  }

  /** The watch ended (server timeout, error, 410 Gone): list again and watch from there. */
  private restart(): void {
    if (this.stopped) return;
    this.relists++;
    setTimeout(() => {
      this.relist()
        .then(() => this.watch())
        .catch(() => this.restart());
    }, 200);
  }

  private onEvent(phase: string, obj: unknown): void {
    const t = this.now();
    if (phase === 'ERROR') {
      // Typically 410 Gone (resourceVersion too old): end this watch; `restart` re-lists.
      this.abort?.abort();
      return;
    }
    const cr = obj as VpcEndpointService;
    const rv = cr.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (phase === 'ADDED' || phase === 'MODIFIED') this.observe(cr, t);
    else if (phase === 'DELETED') this.gone(cr.metadata.name ?? '', t);
  }

  private observe(cr: VpcEndpointService, t: number): void {
    const name = cr.metadata.name ?? '';
    const uid = cr.metadata.uid ?? '';
    let s = this.seen.get(name);
    if (!s || s.uid !== uid) {
      s = { uid };
      this.seen.set(name, s);
    }
    this.present.add(name);
    if (s.readyAt === undefined && isReady(cr)) s.readyAt = t;
  }

  private gone(name: string, t: number): void {
    if (!this.present.delete(name)) return;
    const s = this.seen.get(name);
    if (s && s.goneAt === undefined) s.goneAt = t;
  }
}
