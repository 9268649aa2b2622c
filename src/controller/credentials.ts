/**
 * Which cloud client serves a resource: the operator's default credentials (environment), or the
 * Secret named by `spec.credentialsSecretRef` in the resource's namespace, with `spec.region` and
 * `spec.projectId` overriding the target. The shape of the credentials decides the credential provider
 * (`providerFromValues` in src/cloud/auth): an access key (AK/SK, optionally temporary with an expiry),
 * an IAM user's password (an IAM token), or, from the environment only, workload identity (the pod's
 * projected ServiceAccount token exchanged at IAM).
 *
 * Guarantees:
 * - one client (and one provider, so one cached IAM token) per distinct credential fingerprint and
 *   target; concurrent resolves of the same credentials build it once (single flight), so N resources
 *   on one Secret cause one token request, not N;
 * - one rate limiter per provider identity (access key id, `user@domain`, `idp:{id}`), shared by every
 *   client of that identity and kept for the life of the resolver, so the cloud's per-account quota
 *   holds whatever Secrets carry it and however often they change;
 * - a client no resource resolves to any more (its Secret changed, the resource is gone) is closed
 *   with its provider; so is one unused for `idleMs`;
 * - an IAM refusal while building a provider (a token shape without a project id asks IAM for one) is
 *   remembered for a minute per fingerprint, so resources sharing a wrong password do not hammer IAM
 *   into locking the account; it surfaces as {@link CredentialsCloudError} (the lifecycle's
 *   `AuthFailed`, naming the source);
 * - with `defaultCredentialsNamespaces` set, the operator's defaults serve only resources of those
 *   namespaces; a resource elsewhere without a Secret gets a non-transient {@link CredentialsError} and
 *   no client, so no cloud call is ever made with the defaults on its behalf;
 * - with `secretNames` set, only Secrets of those names are read; any other name is
 *   `CredentialsMissing` without an API call;
 * - messages name the Secret (or the environment variables) and its keys, never a value.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { ApiException, type CoreV1Api } from '@kubernetes/client-node';
import type { ManagedObject } from '../managed/kind.js';
import {
  providerFromValues,
  type CredentialProvider,
  type IdTokenFileReader,
  type ProviderFromValuesOptions,
  type ProviderResolution,
} from '../cloud/auth/index.js';
import { VpcepClient, type CallEvent, type VpcepClientProviderOptions } from '../cloud/client.js';
import { ENV, parseCredentialValues, type CredentialValues } from '../cloud/credentials.js';
import { CloudError } from '../cloud/errors.js';
import type { Clock } from '../util/clock.js';
import { CredentialsCloudError, CredentialsError, type Resolved } from '../managed/credentials.js';
import { TokenBucket } from '../util/token-bucket.js';

/** Secret keys read for `spec.credentialsSecretRef` (the contract; deploy/README.md, "Credentials"). */
export const SECRET_KEYS = {
  accessKey: 'accessKey',
  secretKey: 'secretKey',
  securityToken: 'securityToken',
  /** Expiry of temporary credentials (`securityToken`), an ISO 8601 time, e.g. `2026-05-01T12:00:00Z`. */
  securityTokenExpiresAt: 'securityTokenExpiresAt',
  username: 'username',
  password: 'password',
  domainName: 'domainName',
  projectId: 'projectId',
  region: 'region',
} as const;

type SecretField = keyof typeof SECRET_KEYS;

/** The credential shapes a Secret may hold: the keys that select each, and the ones it requires. */
export const SECRET_SHAPES: ReadonlyArray<{
  kind: 'aksk' | 'password';
  what: string;
  select: readonly SecretField[];
  required: readonly SecretField[];
  optional: readonly SecretField[];
}> = [
  {
    kind: 'aksk',
    what: 'an access key',
    select: ['accessKey', 'secretKey', 'securityToken', 'securityTokenExpiresAt'],
    required: ['accessKey', 'secretKey'],
    optional: ['securityToken', 'securityTokenExpiresAt'],
  },
  {
    kind: 'password',
    what: 'an IAM user',
    select: ['username', 'password', 'domainName'],
    required: ['username', 'password', 'domainName'],
    optional: [],
  },
];

/** `accessKey + secretKey [+ securityToken, securityTokenExpiresAt] (an access key), or …`. */
const SECRET_SHAPES_TEXT =
  SECRET_SHAPES.map(
    (s) => `${s.required.join(' + ')}${s.optional.length ? ` [+ ${s.optional.join(', ')}]` : ''} (${s.what})`,
  ).join(', or ') + `; either with optional ${SECRET_KEYS.projectId}, ${SECRET_KEYS.region}`;

export { CredentialsError, CredentialsCloudError };

/** A VPCEP client and where its credentials came from. */
export type ResolvedClient = Resolved<VpcepClient>;

/** How a {@link CredentialResolver} reads Secrets, which defaults it has and who may use them. */
export interface CredentialResolverOptions {
  core: Pick<CoreV1Api, 'readNamespacedSecret'>;
  /**
   * The operator's defaults (from the environment), possibly partial: an access key, or workload
   * identity (`idpId` + `idTokenFile`); `projectId` and `region` also fill in what a Secret lacks, and
   * `iamEndpoint` (`HUAWEICLOUD_IAM_ENDPOINT`) overrides the IAM endpoint for every token shape.
   */
  defaults: CredentialValues;
  /**
   * `--default-credentials-namespaces`: the only namespaces whose resources may use `defaults`.
   * Empty or absent: every namespace may. A Secret named by `spec.credentialsSecretRef` is always usable.
   */
  defaultCredentialsNamespaces?: readonly string[];
  /** `--credential-secret-names`: the only Secret names that are read. Empty or absent: any name. */
  secretNames?: readonly string[];
  /** `VPCEP_ENDPOINT`: when set, overrides every endpoint derived from a region. */
  endpointOverride?: string;
  qps: number;
  burst: number;
  /**
   * Each identity's bucket starts empty, not full: a process that just started (a restart, a new
   * leader) cannot know what its predecessor spent against the same account's quota a moment ago, so
   * its first second makes at most `qps` calls rather than `burst + qps`. Default false (full).
   */
  startEmpty?: boolean;
  clock: Clock;
  onCall?: (e: CallEvent) => void;
  /** Builds a client; injectable for tests. */
  makeClient?: (o: VpcepClientProviderOptions) => VpcepClient;
  /** Builds a provider; injectable for tests. Default: `providerFromValues`. */
  makeProvider?: (values: CredentialValues, opts: ProviderFromValuesOptions) => Promise<ProviderResolution>;
  /** Workload identity: how the ID token file is read (tests). */
  reader?: IdTokenFileReader;
  /** How long an IAM refusal met while building a provider is remembered. Default 60 s. */
  authFailureHoldMs?: number;
  /** Clients unused for this long are closed and dropped. Default 1 h. */
  idleMs?: number;
}

interface Entry {
  client: VpcepClient;
  provider: CredentialProvider;
  identity: string;
  projectId: string;
  lastUsed: number;
  /** Keys (`namespace/name`) of the resources whose last resolve returned this entry. */
  users: Set<string>;
}

const decode = (v: string | undefined): string | undefined =>
  v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');

/** Key of the fingerprints: random per process, never leaves it. */
const FINGERPRINT_KEY = randomBytes(32);

/** Environment names of the values, for messages about the defaults. */
const ENV_NAMES: Partial<Record<keyof CredentialValues, string>> = { ...ENV };

/** What resolving found before any provider exists: validated values and where they came from. */
interface Gathered {
  values: CredentialValues;
  source: string;
  names: Partial<Record<keyof CredentialValues, string>>;
}

/** Resolves and caches clients. Safe to call concurrently for different resources. */
export class CredentialResolver {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<Entry>>();
  private readonly failures = new Map<string, { error: CloudError; until: number }>();
  private readonly limiters = new Map<string, TokenBucket>();
  /** Resource key → fingerprint of the entry its last resolve returned. */
  private readonly usedBy = new Map<string, string>();
  /** `namespace/name` of a Secret → its resourceVersion as the Secret watch last reported it. */
  private readonly secretVersions = new Map<string, string>();
  private readonly make: (o: VpcepClientProviderOptions) => VpcepClient;
  private readonly makeProvider: NonNullable<CredentialResolverOptions['makeProvider']>;
  /** Undefined: every namespace may use the defaults. */
  private readonly defaultsFor: ReadonlySet<string> | undefined;
  private readonly secretNames: ReadonlySet<string> | undefined;

  constructor(private readonly opts: CredentialResolverOptions) {
    this.make = opts.makeClient ?? ((o) => new VpcepClient(o));
    this.makeProvider = opts.makeProvider ?? providerFromValues;
    const allowed = opts.defaultCredentialsNamespaces ?? [];
    this.defaultsFor = allowed.length ? new Set(allowed) : undefined;
    this.secretNames = opts.secretNames?.length ? new Set(opts.secretNames) : undefined;
  }

  /**
   * The client for `cr`. Throws {@link CredentialsError} when the Secret is missing, has an unknown
   * shape or lacks a key, or the defaults are incomplete (the message names the Secret or the
   * environment variables and lists the accepted shapes, never a value); throws a non-transient one,
   * before looking at the defaults, when `cr` names no Secret and its namespace is not in
   * `defaultCredentialsNamespaces`. Throws {@link CredentialsCloudError} when IAM refused or failed
   * the token request that names the project (token shapes without a project id).
   */
  async resolve(cr: ManagedObject): Promise<ResolvedClient> {
    const ns = cr.metadata.namespace ?? 'default';
    // The UID tells apart resources of different kinds with the same name.
    const resourceKey = cr.metadata.uid || `${ns}/${cr.metadata.name ?? ''}`;
    const ref = cr.spec.credentialsSecretRef?.name;
    const g = ref ? await this.fromSecret(ns, ref) : this.fromDefaults(ns);
    const { values, source } = g;
    if (cr.spec.region) values.region = cr.spec.region;
    if (cr.spec.projectId) values.projectId = cr.spec.projectId;
    if (this.opts.endpointOverride) values.endpoint = this.opts.endpointOverride;
    if (this.opts.defaults.iamEndpoint) values.iamEndpoint = this.opts.defaults.iamEndpoint;
    let fingerprint: string;
    try {
      const parsed = parseCredentialValues(values, g.names);
      fingerprint = createHmac('sha256', FINGERPRINT_KEY).update(JSON.stringify(parsed)).digest('hex');
    } catch (e) {
      throw new CredentialsError(`${(e as Error).message} in ${source}`, source);
    }
    const now = this.opts.clock.now();
    this.evictIdle(now);
    const entry = await this.entryFor(fingerprint, g);
    entry.lastUsed = now;
    this.use(resourceKey, fingerprint, entry);
    return { client: entry.client, source, projectId: entry.projectId };
  }

  /**
   * A value that changes whenever the credentials `cr` resolves to may have changed: for a Secret, its
   * resourceVersion as last reported to {@link secretChanged} (empty until the watch reported it); for
   * the defaults, a constant (they are read once, at start).
   */
  version(cr: ManagedObject): string {
    const ns = cr.metadata.namespace ?? 'default';
    const ref = cr.spec.credentialsSecretRef?.name;
    if (!ref) return 'defaults';
    return `secret ${ns}/${ref}@${this.secretVersions.get(`${ns}/${ref}`) ?? ''}`;
  }

  /**
   * The Secret watch saw `namespace/name` at `resourceVersion` (`deleted`: gone). Returns true when
   * that is news (a version not seen before, or the deletion of a Secret it knew), false for a repeat
   * (a relist of an unchanged Secret). Keeps one version string per existing Secret, none for deleted
   * ones (a deleted Secret reads as never seen, which differs from any version it had).
   */
  secretChanged(
    namespace: string,
    name: string,
    resourceVersion: string | undefined,
    deleted = false,
  ): boolean {
    const key = `${namespace}/${name}`;
    if (deleted) return this.secretVersions.delete(key);
    const next = resourceVersion ?? '';
    if (this.secretVersions.get(key) === next) return false;
    this.secretVersions.set(key, next);
    return true;
  }

  /**
   * The resource `key` (its UID; `namespace/name` for an object without one) is gone: its client is
   * closed unless another resource uses it.
   */
  forget(key: string): void {
    const fp = this.usedBy.get(key);
    if (fp === undefined) return;
    this.usedBy.delete(key);
    const entry = this.entries.get(fp);
    if (!entry) return;
    entry.users.delete(key);
    if (entry.users.size === 0) this.drop(fp, entry);
  }

  /** Number of cached clients (for tests and metrics). */
  size(): number {
    return this.entries.size;
  }

  /** Closes every client and provider; later resolves still work (and build anew). */
  close(): void {
    for (const [fp, e] of this.entries) this.drop(fp, e);
    this.usedBy.clear();
  }

  // ---- where the values come from ----------------------------------------------------------------

  private fromDefaults(ns: string): Gathered {
    const defaults = this.opts.defaults;
    const workloadIdentity = Boolean(defaults.idpId || defaults.idTokenFile);
    const source = workloadIdentity
      ? `the operator environment (workload identity: ${ENV.idpId}, ${ENV.idTokenFile})`
      : `the operator environment (${ENV.accessKey}, ${ENV.secretKey}, ${ENV.projectId})`;
    if (this.defaultsFor && !this.defaultsFor.has(ns))
      throw new CredentialsError(
        `namespace ${ns} may not use the operator's default credentials ` +
          `(--default-credentials-namespaces); name a Secret in this namespace with ` +
          `spec.credentialsSecretRef`,
        source,
        false,
        true,
      );
    return { values: { ...defaults }, source, names: ENV_NAMES };
  }

  private async fromSecret(ns: string, name: string): Promise<Gathered> {
    const source = `Secret ${ns}/${name}`;
    if (this.secretNames && !this.secretNames.has(name))
      throw new CredentialsError(
        `${source} is not one the operator may read: the credential Secrets must be named ` +
          `${[...this.secretNames].join(' or ')} (--credential-secret-names, chart value rbac.credentialSecretNames)`,
        source,
      );
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
    const values: CredentialValues = {};
    for (const [field, key] of Object.entries(SECRET_KEYS) as Array<[SecretField, string]>) {
      const v = decode(data[key])?.trim();
      if (v) values[field] = v;
    }
    const present = SECRET_SHAPES.filter((s) => s.select.some((k) => values[k] !== undefined));
    if (present.length !== 1) {
      const found = Object.keys(data).sort();
      const why =
        present.length === 0
          ? `holds no cloud credentials of a known shape (keys: ${found.length ? found.join(', ') : 'none'})`
          : `mixes the keys of ${present.map((s) => `${s.what} (${s.select.filter((k) => values[k] !== undefined).join(', ')})`).join(' and ')}`;
      throw new CredentialsError(`${source} ${why}: expected the keys ${SECRET_SHAPES_TEXT}`, source);
    }
    for (const required of present[0]?.required ?? [])
      if (!values[required])
        throw new CredentialsError(`${source} has no key ${SECRET_KEYS[required]}`, source);
    values.projectId ??= this.opts.defaults.projectId;
    values.region ??= this.opts.defaults.region;
    return { values, source, names: { ...SECRET_KEYS } };
  }

  // ---- the cache ----------------------------------------------------------------------------------

  /** The entry of `fingerprint`, building it once however many resolves ask at the same time. */
  private async entryFor(fingerprint: string, g: Gathered): Promise<Entry> {
    const cached = this.entries.get(fingerprint);
    if (cached) return cached;
    const held = this.failures.get(fingerprint);
    if (held && this.opts.clock.now() < held.until)
      throw new CredentialsCloudError(
        held.error.with({
          message: `${held.error.message} (IAM is not asked again before ${new Date(held.until).toISOString()})`,
          attempts: 0,
        }),
        g.source,
      );
    let p = this.pending.get(fingerprint);
    if (!p) {
      p = this.build(fingerprint, g).finally(() => this.pending.delete(fingerprint));
      this.pending.set(fingerprint, p);
    }
    try {
      return await p;
    } catch (e) {
      if (e instanceof CloudError) throw new CredentialsCloudError(e, g.source);
      throw new CredentialsError(`${(e as Error).message} in ${g.source}`, g.source);
    }
  }

  private async build(fingerprint: string, g: Gathered): Promise<Entry> {
    const { clock } = this.opts;
    let res: ProviderResolution;
    try {
      res = await this.makeProvider(g.values, {
        clock,
        names: g.names,
        ...(this.opts.reader ? { reader: this.opts.reader } : {}),
      });
    } catch (e) {
      if (e instanceof CloudError && e.kind === 'auth')
        this.failures.set(fingerprint, {
          error: e,
          until: clock.now() + (this.opts.authFailureHoldMs ?? 60_000),
        });
      throw e;
    }
    this.failures.delete(fingerprint);
    let limiter = this.limiters.get(res.identity);
    if (!limiter) {
      limiter = new TokenBucket(
        this.opts.qps,
        this.opts.burst,
        clock,
        this.opts.startEmpty ? 0 : this.opts.burst,
      );
      this.limiters.set(res.identity, limiter);
    }
    const entry: Entry = {
      client: this.make({
        target: res.target,
        provider: res.provider,
        limiter,
        clock,
        ...(this.opts.onCall ? { onCall: this.opts.onCall } : {}),
      }),
      provider: res.provider,
      identity: res.identity,
      projectId: res.target.projectId,
      lastUsed: clock.now(),
      users: new Set(),
    };
    this.entries.set(fingerprint, entry);
    return entry;
  }

  /** Notes that `resourceKey` now uses `entry`; the entry it used before is dropped if unused. */
  private use(resourceKey: string, fingerprint: string, entry: Entry): void {
    const before = this.usedBy.get(resourceKey);
    if (before !== fingerprint) {
      this.usedBy.set(resourceKey, fingerprint);
      if (before !== undefined) {
        const old = this.entries.get(before);
        old?.users.delete(resourceKey);
        if (old && old.users.size === 0) this.drop(before, old);
      }
    }
    entry.users.add(resourceKey);
  }

  private drop(fingerprint: string, entry: Entry): void {
    this.entries.delete(fingerprint);
    for (const user of entry.users) if (this.usedBy.get(user) === fingerprint) this.usedBy.delete(user);
    entry.client.close();
    entry.provider.close?.();
  }

  private evictIdle(now: number): void {
    const idle = this.opts.idleMs ?? 3_600_000;
    for (const [fp, e] of this.entries) if (now - e.lastUsed > idle) this.drop(fp, e);
  }
}
