/**
 * Secrets picked up in seconds: which resources name which Secret (`spec.credentialsSecretRef`, an
 * index kept from the resources' own events), the metadata-only Secret sources the controller
 * watches, and the mapping from a Secret event to the keys of exactly the resources that reference it.
 *
 * Only Secret metadata is watched (names and resourceVersions, never data): the data is read on demand
 * by the credential resolver when a resource is reconciled.
 */
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { ManagedObject } from '../managed/kind.js';
import type { InformerEvent } from '../runtime/informer-supervisor.js';
import { metadataSource, type MetadataSource } from '../runtime/metadata-source.js';

/**
 * Secret (`namespace/name`) → keys (`namespace/name`) of the resources whose spec names it. Guarantees:
 * after {@link observe} of every event of the resources, {@link keysFor} returns exactly the resources
 * whose latest seen spec names the Secret (a resource that changes its reference moves; a deleted one
 * leaves); memory is proportional to the resources that name a Secret.
 */
export class SecretReferences {
  private readonly bySecret = new Map<string, Set<string>>();
  private readonly byResource = new Map<string, string>();

  /** Updates the index from one event of the resource `key`. */
  observe(key: string, obj: ManagedObject, event: InformerEvent): void {
    const ref = obj.spec?.credentialsSecretRef?.name;
    const secret = event !== 'delete' && ref ? `${obj.metadata.namespace ?? 'default'}/${ref}` : undefined;
    const before = this.byResource.get(key);
    if (before === secret) return;
    if (before !== undefined) {
      const users = this.bySecret.get(before);
      users?.delete(key);
      if (users?.size === 0) this.bySecret.delete(before);
    }
    if (secret === undefined) {
      this.byResource.delete(key);
      return;
    }
    this.byResource.set(key, secret);
    let users = this.bySecret.get(secret);
    if (!users) this.bySecret.set(secret, (users = new Set()));
    users.add(key);
  }

  /** Keys of the resources that name the Secret `namespace/name` (sorted; empty when none). */
  keysFor(namespace: string, name: string): string[] {
    return [...(this.bySecret.get(`${namespace}/${name}`) ?? [])].sort();
  }

  /** True when some resource names the Secret. */
  referenced(namespace: string, name: string): boolean {
    return this.bySecret.has(`${namespace}/${name}`);
  }

  /** Number of Secrets referenced. */
  size(): number {
    return this.bySecret.size;
  }
}

/** What a Secret event needs to know of the credential resolver. */
export interface SecretVersions {
  /** True when `resourceVersion` (or the deletion) is news for this Secret. */
  secretChanged(
    namespace: string,
    name: string,
    resourceVersion: string | undefined,
    deleted?: boolean,
  ): boolean;
}

/**
 * The mapper for `ControllerBuilder.watches`: every Secret event is reported to `versions` (so a
 * Secret's version is known before any resource names it, whichever informer lists first), and it
 * enqueues exactly the resources that name that Secret, only when the event is news (a new
 * resourceVersion, or a deletion); a relist of unchanged Secrets, and every Secret no resource names,
 * enqueue nothing. The versions are what lets those passes through the lifecycle's gates. `others`:
 * the resources of other kinds (other controllers) that name Secrets, enqueued the same way.
 */
export function secretEventMapper(
  refs: SecretReferences,
  versions: SecretVersions,
  others: ReadonlyArray<{ refs: SecretReferences; enqueue: (key: string) => void }> = [],
): (secret: KubernetesObject, event: InformerEvent, info?: { initial: boolean }) => string[] {
  return (secret, event, info) => {
    const ns = secret.metadata?.namespace;
    const name = secret.metadata?.name;
    if (!ns || !name) return [];
    const news = versions.secretChanged(ns, name, secret.metadata?.resourceVersion, event === 'delete');
    if (!news) return [];
    // Other kinds' resources (their controllers' own initial lists cover them at start).
    if (!info?.initial) for (const o of others) for (const key of o.refs.keysFor(ns, name)) o.enqueue(key);
    return refs.referenced(ns, name) ? refs.keysFor(ns, name) : [];
  };
}

/** Options of {@link secretSources}. */
export interface SecretSourcesOptions {
  kc: KubeConfig;
  /** `--credential-secret-names`: watch only Secrets of these names (one watch per name). Empty: all. */
  names: readonly string[];
  /** The operator may not list Secrets in `namespace` (undefined: cluster-wide). */
  onForbidden?: (namespace: string | undefined) => void;
}

/**
 * The metadata-only Secret sources: one for every Secret, or one per name (field selector
 * `metadata.name`, so RBAC may restrict list and watch by `resourceNames`).
 */
export function secretSources(o: SecretSourcesOptions): MetadataSource[] {
  const base = {
    kc: o.kc,
    group: '',
    version: 'v1',
    plural: 'secrets',
    ...(o.onForbidden ? { onForbidden: o.onForbidden } : {}),
  };
  if (o.names.length === 0) return [metadataSource(base)];
  return [...new Set(o.names)].map((name) => metadataSource({ ...base, name }));
}
