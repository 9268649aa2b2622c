/**
 * Metadata-only collections for the controller builder: any resource listed and watched as
 * `PartialObjectMetadata` (the apiserver's content negotiation `application/json;as=…;g=meta.k8s.io;v=v1`),
 * so the informer's cache holds names, namespaces, labels, annotations and resourceVersions, never the
 * objects' contents. Made for Secrets: the operator learns that a Secret changed without keeping its
 * data in memory, and reads the data on demand.
 *
 * client-node 1.4 sets no `Accept` of our choosing on a watch (`Watch` asks its KubeConfig for fetch
 * options and adds nothing); a {@link MetadataSource} brings its own informer factory whose `Watch`
 * sees a KubeConfig view that adds the header. The list is a plain GET with the same header.
 *
 * Guarantees:
 * - every list and watch request carries the metadata `Accept` header; an answer that is not a
 *   `PartialObjectMetadataList` (a server ignoring the negotiation) is rejected, so full objects never
 *   enter the cache;
 * - with `name`, list and watch carry the field selector `metadata.name=NAME` (RBAC `resourceNames`
 *   then suffices for list and watch);
 * - a 403 on the list resolves to an empty list after calling `onForbidden` (once per scope until a
 *   list succeeds again), so a missing grant degrades to "no events" instead of an informer that never
 *   syncs and holds the operator's readiness down; the watch's own 403 is then retried by the
 *   supervisor with its backoff.
 */
import fetch from 'node-fetch';
import type * as https from 'node:https';
import {
  KubeConfig,
  ListWatch,
  Watch,
  type Cluster,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { Source } from './builder.js';
import type { InformerLike } from './informer-supervisor.js';

/** `Accept` of a metadata-only list. */
export const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
/** `Accept` of a metadata-only watch (each event's object is a `PartialObjectMetadata`). */
export const METADATA_WATCH_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

/** A {@link Source} that lists metadata only and builds informers whose watch asks for metadata only. */
export interface MetadataSource extends Source<KubernetesObject> {
  /** The informer factory for `SupervisedInformerOptions.makeInformer`. */
  makeInformer(
    path: string,
    list: () => Promise<KubernetesListObject<KubernetesObject>>,
  ): InformerLike<KubernetesObject>;
}

/** Options of {@link metadataSource}. */
export interface MetadataSourceOptions {
  kc: KubeConfig;
  /** API group; `''` for the core group (`/api/v1`). */
  group: string;
  version: string;
  plural: string;
  /** Watch only the object(s) of this name (field selector `metadata.name`). */
  name?: string;
  /** Called when a list is forbidden (RBAC): the scope then counts as empty. */
  onForbidden?: (namespace: string | undefined) => void;
}

/** An HTTP failure of the list, shaped like client-node's watch errors (`statusCode`). */
class ListError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = 'ListError';
  }
}

/**
 * A view of `base` for client-node's `Watch`, which calls only these two methods: the same cluster,
 * and fetch options with `Accept` set. Not a general KubeConfig.
 */
class AcceptingKubeConfig extends KubeConfig {
  constructor(
    private readonly base: KubeConfig,
    private readonly accept: string,
  ) {
    super();
  }

  override getCurrentCluster(): Cluster | null {
    return this.base.getCurrentCluster();
  }

  override applyToFetchOptions(opts: https.RequestOptions): ReturnType<KubeConfig['applyToFetchOptions']> {
    return this.base.applyToFetchOptions({ ...opts, headers: { ...opts.headers, Accept: this.accept } });
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** A metadata-only source of `group/version/plural` (see the module doc). */
export function metadataSource(o: MetadataSourceOptions): MetadataSource {
  const prefix = o.group ? `/apis/${o.group}/${o.version}` : `/api/${o.version}`;
  const selector = o.name ? `?fieldSelector=${encodeURIComponent(`metadata.name=${o.name}`)}` : '';
  const path = (ns: string | undefined): string =>
    `${ns ? `${prefix}/namespaces/${ns}/${o.plural}` : `${prefix}/${o.plural}`}${selector}`;
  const watch = new Watch(new AcceptingKubeConfig(o.kc, METADATA_WATCH_ACCEPT));
  const forbidden = new Set<string>();

  const list = async (ns: string | undefined): Promise<KubernetesListObject<KubernetesObject>> => {
    const cluster = o.kc.getCurrentCluster();
    if (!cluster) throw new Error('no current cluster in the kubeconfig');
    const init = await o.kc.applyToFetchOptions({ headers: { Accept: METADATA_LIST_ACCEPT } });
    const res = await fetch(`${cluster.server}${path(ns)}`, { ...init, method: 'GET' });
    const scope = ns ?? '';
    if (res.status === 403 && o.onForbidden) {
      await res.text().catch(() => '');
      if (!forbidden.has(scope)) {
        forbidden.add(scope);
        o.onForbidden(ns);
      }
      return { apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadataList', metadata: {}, items: [] };
    }
    const text = await res.text();
    if (res.status !== 200) throw new ListError(`listing ${path(ns)} failed: HTTP ${res.status}`, res.status);
    const body: unknown = JSON.parse(text);
    const items = isRecord(body) ? (body['items'] ?? []) : undefined; // an empty list has `items: null`
    if (!isRecord(body) || body['kind'] !== 'PartialObjectMetadataList' || !Array.isArray(items))
      throw new ListError(`listing ${path(ns)}: the server did not answer with metadata only`, 406);
    forbidden.delete(scope);
    return { ...body, items } as unknown as KubernetesListObject<KubernetesObject>;
  };

  return {
    name: o.name ? `${o.plural}(${o.name})` : o.plural,
    path,
    list,
    makeInformer: (watchPath, listFn) => new ListWatch<KubernetesObject>(watchPath, watch, listFn, false),
  };
}
