/**
 * Which cloud client serves a resource: the operator's default credentials (environment), or the
 * Secret named by `spec.credentialsSecretRef` in the resource's namespace, with `spec.region` and
 * `spec.projectId` overriding the target. One client per distinct credential and target, and one rate
 * limiter per access key (shared by every client of that key), so the cloud's per-account quota holds.
 * A Secret whose contents change yields a new client on the next reconcile; unused clients are closed.
 * With `defaultCredentialsNamespaces` set, the operator's defaults serve only resources of those
 * namespaces; a resource elsewhere without a Secret gets a non-transient {@link CredentialsError} and
 * no client, so no cloud call is ever made with the defaults on its behalf.
 */
import { createHash } from 'node:crypto';
import { ApiException, type CoreV1Api } from '@kubernetes/client-node';
import type { VpcEndpointService } from '../api/types.js';
import { VpcepClient, type CallEvent } from '../cloud/client.js';
import { credentialsFromValues, type CredentialValues } from '../cloud/credentials.js';
import type { Clock } from '../runtime/clock.js';
import { CredentialsError, type Resolved } from '../managed/credentials.js';
import { TokenBucket } from '../runtime/token-bucket.js';

/** Secret keys read for `spec.credentialsSecretRef`. */
export const SECRET_KEYS = {
  accessKey: 'accessKey',
  secretKey: 'secretKey',
  securityToken: 'securityToken',
  projectId: 'projectId',
  region: 'region',
} as const;

export { CredentialsError };

/** A VPCEP client and where its credentials came from. */
export type ResolvedClient = Resolved<VpcepClient>;

/** How a {@link CredentialResolver} reads Secrets, which defaults it has and who may use them. */
export interface CredentialResolverOptions {
  core: Pick<CoreV1Api, 'readNamespacedSecret'>;
  /** The operator's defaults (from the environment), possibly partial. */
  defaults: CredentialValues;
  /**
   * `--default-credentials-namespaces`: the only namespaces whose resources may use `defaults`.
   * Empty or absent: every namespace may. A Secret named by `spec.credentialsSecretRef` is always usable.
   */
  defaultCredentialsNamespaces?: readonly string[];
  /** `VPCEP_ENDPOINT`: when set, overrides every endpoint derived from a region. */
  endpointOverride?: string;
  qps: number;
  burst: number;
  clock: Clock;
  onCall?: (e: CallEvent) => void;
  /** Builds a client; injectable for tests. */
  makeClient?: (o: ConstructorParameters<typeof VpcepClient>[0]) => VpcepClient;
  /** Clients unused for this long are closed and dropped. Default 1 h. */
  idleMs?: number;
}

interface Entry {
  client: VpcepClient;
  lastUsed: number;
}

const decode = (v: string | undefined): string | undefined =>
  v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');

const DEFAULT_SOURCE =
  'the operator environment (HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_PROJECT_ID)';

/** Resolves and caches clients. Safe to call concurrently for different resources. */
export class CredentialResolver {
  private readonly clients = new Map<string, Entry>();
  private readonly limiters = new Map<string, TokenBucket>();
  private readonly make: (o: ConstructorParameters<typeof VpcepClient>[0]) => VpcepClient;
  /** Undefined: every namespace may use the defaults. */
  private readonly defaultsFor: ReadonlySet<string> | undefined;

  constructor(private readonly opts: CredentialResolverOptions) {
    this.make = opts.makeClient ?? ((o) => new VpcepClient(o));
    const allowed = opts.defaultCredentialsNamespaces ?? [];
    this.defaultsFor = allowed.length ? new Set(allowed) : undefined;
  }

  /**
   * The client for `cr`. Throws {@link CredentialsError} when the Secret is missing, lacks a key, or the
   * defaults are incomplete; the message names the Secret or the environment variables, never a value.
   * Throws a non-transient one, before looking at the defaults, when `cr` names no Secret and its
   * namespace is not in `defaultCredentialsNamespaces`.
   */
  async resolve(cr: VpcEndpointService): Promise<ResolvedClient> {
    const ns = cr.metadata.namespace ?? 'default';
    const ref = cr.spec.credentialsSecretRef?.name;
    let values: CredentialValues;
    let source: string;
    if (ref) {
      source = `Secret ${ns}/${ref}`;
      values = { ...(await this.readSecret(ns, ref, source)) };
      values.projectId ??= this.opts.defaults.projectId;
      values.region ??= this.opts.defaults.region;
    } else {
      source = DEFAULT_SOURCE;
      if (this.defaultsFor && !this.defaultsFor.has(ns))
        throw new CredentialsError(
          `namespace ${ns} may not use the operator's default credentials ` +
            `(--default-credentials-namespaces); name a Secret in this namespace with ` +
            `spec.credentialsSecretRef`,
          source,
          false,
          true,
        );
      values = { ...this.opts.defaults };
    }
    if (cr.spec.region) values.region = cr.spec.region;
    if (cr.spec.projectId) values.projectId = cr.spec.projectId;
    if (this.opts.endpointOverride) values.endpoint = this.opts.endpointOverride;
    let resolved: ReturnType<typeof credentialsFromValues>;
    try {
      resolved = credentialsFromValues(values);
    } catch (e) {
      throw new CredentialsError(`${(e as Error).message} in ${source}`, source);
    }
    const { credentials, target } = resolved;
    const key = createHash('sha256')
      .update(
        JSON.stringify([
          credentials.accessKey,
          credentials.secretKey,
          credentials.securityToken ?? '',
          target,
        ]),
      )
      .digest('hex');
    const now = this.opts.clock.now();
    this.evictIdle(now);
    let entry = this.clients.get(key);
    if (!entry) {
      let limiter = this.limiters.get(credentials.accessKey);
      if (!limiter) {
        limiter = new TokenBucket(this.opts.qps, this.opts.burst, this.opts.clock);
        this.limiters.set(credentials.accessKey, limiter);
      }
      entry = {
        client: this.make({
          target,
          credentials,
          limiter,
          clock: this.opts.clock,
          ...(this.opts.onCall ? { onCall: this.opts.onCall } : {}),
        }),
        lastUsed: now,
      };
      this.clients.set(key, entry);
    }
    entry.lastUsed = now;
    return { client: entry.client, source, projectId: target.projectId };
  }

  /** Number of cached clients (for tests and metrics). */
  size(): number {
    return this.clients.size;
  }

  /** Closes every client. */
  close(): void {
    for (const e of this.clients.values()) e.client.close();
    this.clients.clear();
  }

  private evictIdle(now: number): void {
    const idle = this.opts.idleMs ?? 3_600_000;
    for (const [k, e] of this.clients) {
      if (now - e.lastUsed > idle) {
        e.client.close();
        this.clients.delete(k);
      }
    }
  }

  private async readSecret(ns: string, name: string, source: string): Promise<CredentialValues> {
    let data: Record<string, string>;
    try {
      const secret = await this.opts.core.readNamespacedSecret({ namespace: ns, name });
      data = secret.data ?? {};
    } catch (e) {
      if (e instanceof ApiException && e.code === 404)
        throw new CredentialsError(`${source} not found`, source);
      if (e instanceof ApiException && e.code === 403)
        throw new CredentialsError(`the operator may not read ${source} (RBAC)`, source);
      throw new CredentialsError(`reading ${source} failed: ${(e as Error).message}`, source, true);
    }
    const out: CredentialValues = {};
    for (const [field, key] of Object.entries(SECRET_KEYS) as Array<[keyof typeof SECRET_KEYS, string]>) {
      const v = decode(data[key]);
      if (v !== undefined && v.trim() !== '') out[field] = v.trim();
    }
    for (const required of ['accessKey', 'secretKey'] as const)
      if (!out[required]) throw new CredentialsError(`${source} has no key ${SECRET_KEYS[required]}`, source);
    return out;
  }
}
