/**
 * Credentials and the cloud endpoint: from the environment, or from values the operator read elsewhere
 * (a Kubernetes Secret). Knows nothing of Kubernetes.
 */
import { PROJECT_ID_RULE, isSafeProjectId } from './ids.js';

/** AK/SK, plus the security token of temporary credentials. */
export interface Credentials {
  accessKey: string;
  secretKey: string;
  securityToken?: string;
  /**
   * Expiry of temporary credentials, epoch ms. From then on the client refuses to sign (kind `auth`,
   * `Client.CredentialsExpired`) instead of sending requests the cloud would refuse.
   */
  securityTokenExpiresAt?: number;
}

/** Where calls go: the VPCEP endpoint (scheme + host[:port], no trailing slash) and the project. */
export interface CloudTarget {
  endpoint: string;
  projectId: string;
  region?: string;
}

/** Environment variable names (the DESIGN.md contract). */
export const ENV = {
  accessKey: 'HUAWEICLOUD_SDK_AK',
  secretKey: 'HUAWEICLOUD_SDK_SK',
  securityToken: 'HUAWEICLOUD_SDK_SECURITY_TOKEN',
  projectId: 'HUAWEICLOUD_SDK_PROJECT_ID',
  region: 'HUAWEICLOUD_REGION',
  endpoint: 'VPCEP_ENDPOINT',
  /** IAM endpoint override (token providers); default {@link iamEndpointForRegion}. */
  iamEndpoint: 'HUAWEICLOUD_IAM_ENDPOINT',
  /** Workload identity: the IAM identity provider id (the official SDKs' name). */
  idpId: 'HUAWEICLOUD_SDK_IDP_ID',
  /** Workload identity: the projected ServiceAccount token file (the official SDKs' name). */
  idTokenFile: 'HUAWEICLOUD_SDK_ID_TOKEN_FILE',
} as const;

/**
 * The public VPCEP endpoint of a region: `https://vpcep.{region}.myhuaweicloud.com`, except regions whose
 * name starts with `eu-west-1` (e.g. `eu-west-101`), which live on `.myhuaweicloud.eu`. `eu-west-0` stays
 * on `.com`. Throws on an empty or malformed region (regions never contain dots or spaces).
 */
export function endpointForRegion(region: string): string {
  const r = region.trim();
  if (!/^[a-z0-9-]+$/i.test(r)) throw new Error(`invalid region ${JSON.stringify(region)}`);
  const tld = r.startsWith('eu-west-1') ? 'eu' : 'com';
  return `https://vpcep.${r}.myhuaweicloud.${tld}`;
}

/**
 * The IAM endpoint of a region: `https://iam.{region}.myhuaweicloud.com`, with the same `.eu` rule as
 * {@link endpointForRegion} (`eu-west-101` → `https://iam.eu-west-101.myhuaweicloud.eu`, as the official
 * SDKs list it). Throws on an empty or malformed region.
 */
export function iamEndpointForRegion(region: string): string {
  return endpointForRegion(region).replace('https://vpcep.', 'https://iam.');
}

/**
 * Strips trailing slashes and checks the scheme, so paths can be appended verbatim. `label` names the
 * endpoint in error messages (default `VPCEP endpoint`).
 */
export function normaliseEndpoint(endpoint: string, label = 'VPCEP endpoint'): string {
  const e = endpoint.trim().replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(e);
  } catch {
    throw new Error(`invalid ${label} ${JSON.stringify(endpoint)}: not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`invalid ${label} ${JSON.stringify(endpoint)}: scheme must be http or https`);
  if (url.search || url.hash) throw new Error(`invalid ${label} ${JSON.stringify(endpoint)}: no query`);
  return e;
}

/**
 * Values the operator gathered itself (e.g. from a Secret plus the CR's region/projectId). Three
 * shapes are accepted (see {@link ACCEPTED_SHAPES}); `projectId`, `region`, `endpoint` and
 * `iamEndpoint` go with any of them.
 */
export interface CredentialValues {
  accessKey?: string;
  secretKey?: string;
  securityToken?: string;
  /**
   * Expiry of temporary credentials (`securityToken`), an ISO 8601 time such as
   * `2026-05-01T12:00:00Z` (IAM's `expires_at`). Optional; only with `securityToken`.
   */
  securityTokenExpiresAt?: string;
  /** IAM user name (password token). */
  username?: string;
  password?: string;
  /** The account (domain) name of the IAM user. */
  domainName?: string;
  /** Workload identity: the IAM identity provider id (`X-Idp-Id`). */
  idpId?: string;
  /** Workload identity: path of the projected ServiceAccount token. */
  idTokenFile?: string;
  projectId?: string;
  region?: string;
  /** Overrides the endpoint derived from `region`. */
  endpoint?: string;
  /** Overrides the IAM endpoint derived from `region` (token shapes only). */
  iamEndpoint?: string;
}

/** The credential shapes {@link credentialsFromValues} and `providerFromValues` accept, for messages. */
export const ACCEPTED_SHAPES: ReadonlyArray<{
  kind: ParsedCredentials['kind'];
  required: ReadonlyArray<keyof CredentialValues>;
  optional: ReadonlyArray<keyof CredentialValues>;
}> = [
  {
    kind: 'aksk',
    required: ['accessKey', 'secretKey', 'projectId'],
    optional: ['securityToken', 'securityTokenExpiresAt'],
  },
  { kind: 'password', required: ['username', 'password', 'domainName'], optional: ['projectId', 'region'] },
  { kind: 'workloadIdentity', required: ['idpId', 'idTokenFile'], optional: ['projectId', 'region'] },
];

/** Where calls go before the project id is known (token shapes scoped by region name). */
export interface ParsedTarget {
  endpoint: string;
  projectId?: string;
  region?: string;
}

/** IAM user credentials (password token). */
export interface PasswordCredentials {
  username: string;
  password: string;
  domainName: string;
}

/** Workload-identity settings. */
export interface WorkloadIdentitySettings {
  idpId: string;
  idTokenFile: string;
}

/** Validated values, by shape. */
export type ParsedCredentials =
  | { kind: 'aksk'; credentials: Credentials; target: CloudTarget }
  | { kind: 'password'; password: PasswordCredentials; target: ParsedTarget; iamEndpoint: string }
  | {
      kind: 'workloadIdentity';
      workloadIdentity: WorkloadIdentitySettings;
      target: ParsedTarget;
      iamEndpoint: string;
    };

const nonEmpty = (v: string | undefined): string | undefined => {
  const t = v?.trim();
  return t ? t : undefined;
};

/** Printable ASCII only: what may go verbatim into an HTTP header value (AK, security token). */
const HEADER_SAFE = /^[\x20-\x7e]+$/;
/** True when `v` holds a C0 or C1 control character or DEL: never part of a real key. */
const hasControl = (v: string): boolean => {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
};

/** The keys that select each shape (any of them present, non-blank, means that shape). */
const SHAPE_KEYS: Record<ParsedCredentials['kind'], ReadonlyArray<keyof CredentialValues>> = {
  aksk: ['accessKey', 'secretKey', 'securityToken', 'securityTokenExpiresAt'],
  password: ['username', 'password', 'domainName'],
  workloadIdentity: ['idpId', 'idTokenFile'],
};

type Names = Partial<Record<keyof CredentialValues, string>>;

/** `accessKey + secretKey + projectId [+ securityToken [+ securityTokenExpiresAt]]; …`, in `names`. */
function shapesText(names: Names): string {
  const n = (k: keyof CredentialValues): string => names[k] ?? k;
  return ACCEPTED_SHAPES.map(
    (s) =>
      `${s.required.map(n).join(' + ')}${s.optional.length ? ` [+ ${s.optional.map(n).join(', ')}]` : ''}`,
  ).join('; or ');
}

/**
 * Validates gathered values of any accepted shape. Guarantees:
 * - the shape is decided by which keys are present (blank counts as missing): AK/SK keys, IAM user keys
 *   or workload-identity keys; none, or keys of two shapes, throws an `Error` listing the accepted shapes;
 * - AK/SK: as {@link credentialsFromValues} (AK, SK and project id required; `securityTokenExpiresAt`, when
 *   given, is an ISO 8601 time and needs `securityToken`);
 * - password: `username`, `password`, `domainName` non-empty and free of control characters;
 *   workload identity: `idpId` printable ASCII, `idTokenFile` a path; for both, a project id (checked
 *   like the AK/SK one) or a region is required, and the IAM endpoint is `iamEndpoint` when given, else
 *   derived from `region`;
 * - the VPCEP endpoint is `endpoint` when given, else derived from `region`.
 * Messages name the field (through `names`, e.g. environment variable names), never a value.
 */
export function parseCredentialValues(v: CredentialValues, names: Names = {}): ParsedCredentials {
  const n = (k: keyof CredentialValues): string => names[k] ?? k;
  const present = (Object.keys(SHAPE_KEYS) as Array<ParsedCredentials['kind']>).filter((kind) =>
    SHAPE_KEYS[kind].some((k) => nonEmpty(v[k]) !== undefined),
  );
  if (present.length !== 1)
    throw new Error(
      `${present.length === 0 ? 'no cloud credentials given' : `cloud credentials mix the ${present.join(' and ')} shapes`}: ` +
        `expected ${shapesText(names)}`,
    );
  const need = (key: keyof CredentialValues): string => {
    const value = nonEmpty(v[key]);
    if (value === undefined) throw new Error(`missing cloud credential setting ${n(key)}`);
    return value;
  };
  const headerUnsafe = (field: keyof CredentialValues): Error =>
    new Error(`${n(field)} contains characters not allowed in an HTTP header`);
  const projectIdOf = (value: string | undefined): string | undefined => {
    if (value !== undefined && !isSafeProjectId(value))
      throw new Error(`invalid cloud credential setting ${n('projectId')}: expected ${PROJECT_ID_RULE}`);
    return value;
  };
  const region = nonEmpty(v.region);
  const endpointOf = (): string => {
    const override = nonEmpty(v.endpoint);
    if (override === undefined && region === undefined)
      throw new Error(`missing cloud credential setting ${n('region')} (or ${n('endpoint')})`);
    return override !== undefined ? normaliseEndpoint(override) : endpointForRegion(region ?? '');
  };
  const kind = present[0] ?? 'aksk';

  if (kind === 'aksk') {
    const accessKey = need('accessKey');
    if (!HEADER_SAFE.test(accessKey)) throw headerUnsafe('accessKey');
    const secretKey = need('secretKey');
    if (hasControl(secretKey)) throw new Error(`${n('secretKey')} contains control characters`);
    const projectId = projectIdOf(need('projectId')) ?? '';
    const endpoint = endpointOf();
    const securityToken = nonEmpty(v.securityToken);
    if (securityToken !== undefined && !HEADER_SAFE.test(securityToken)) throw headerUnsafe('securityToken');
    const expiresText = nonEmpty(v.securityTokenExpiresAt);
    const credentials: Credentials = securityToken
      ? { accessKey, secretKey, securityToken }
      : { accessKey, secretKey };
    if (expiresText !== undefined) {
      if (securityToken === undefined)
        throw new Error(`${n('securityTokenExpiresAt')} is set without ${n('securityToken')}`);
      const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(expiresText) ? Date.parse(expiresText) : NaN;
      if (!Number.isFinite(at))
        throw new Error(
          `invalid cloud credential setting ${n('securityTokenExpiresAt')}: expected an ISO 8601 time`,
        );
      credentials.securityTokenExpiresAt = at;
    }
    return {
      kind,
      credentials,
      target: region ? { endpoint, projectId, region } : { endpoint, projectId },
    };
  }

  const projectId = projectIdOf(nonEmpty(v.projectId));
  if (projectId === undefined && region === undefined)
    throw new Error(
      `missing cloud credential setting ${n('projectId')} (or ${n('region')}, the project name)`,
    );
  const endpoint = endpointOf();
  const iamOverride = nonEmpty(v.iamEndpoint);
  if (iamOverride === undefined && region === undefined)
    throw new Error(`missing cloud credential setting ${n('region')} (or ${n('iamEndpoint')})`);
  const iamEndpoint =
    iamOverride !== undefined
      ? normaliseEndpoint(iamOverride, 'IAM endpoint')
      : iamEndpointForRegion(region ?? '');
  const target: ParsedTarget = { endpoint };
  if (projectId !== undefined) target.projectId = projectId;
  if (region !== undefined) target.region = region;

  if (kind === 'password') {
    const username = need('username');
    const password = need('password');
    const domainName = need('domainName');
    for (const [key, value] of [
      ['username', username],
      ['password', password],
      ['domainName', domainName],
    ] as const)
      if (hasControl(value)) throw new Error(`${n(key)} contains control characters`);
    return { kind, password: { username, password, domainName }, target, iamEndpoint };
  }

  const idpId = need('idpId');
  if (!HEADER_SAFE.test(idpId)) throw headerUnsafe('idpId');
  const idTokenFile = need('idTokenFile');
  if (hasControl(idTokenFile)) throw new Error(`${n('idTokenFile')} contains control characters`);
  return { kind, workloadIdentity: { idpId, idTokenFile }, target, iamEndpoint };
}

/**
 * Validates gathered AK/SK values into credentials and a target. Guarantees:
 * - AK, SK and project id are non-empty (values trimmed; blank counts as missing);
 * - the access key and security token are printable ASCII (no control characters, CR/LF or non-ASCII,
 *   so they can go into a header verbatim); the secret key (used only as the HMAC key) has no control
 *   characters;
 * - the project id is 1–64 characters of `[A-Za-z0-9_-]` (it goes into the URL path);
 * - `securityTokenExpiresAt`, when given, is an ISO 8601 time (carried as epoch ms) and needs
 *   `securityToken`;
 * - the endpoint is `endpoint` when given, else derived from `region`.
 * It recognises every shape of {@link parseCredentialValues}: values without any credential, or mixing
 * shapes, throw an `Error` listing the accepted shapes; IAM user or workload-identity values throw an
 * `Error` saying they need a provider (`providerFromValues` in `src/cloud/auth`), since they are not an
 * AK/SK pair. Messages name the field, using `names` (e.g. environment variable names), never a value.
 */
export function credentialsFromValues(
  v: CredentialValues,
  names: Names = {},
): { credentials: Credentials; target: CloudTarget } {
  const parsed = parseCredentialValues(v, names);
  if (parsed.kind !== 'aksk')
    throw new Error(
      `the cloud credentials are ${parsed.kind === 'password' ? 'IAM user (password)' : 'workload-identity'} ` +
        `credentials, not an AK/SK pair: build a credential provider with providerFromValues`,
    );
  return { credentials: parsed.credentials, target: parsed.target };
}

/**
 * Reads `HUAWEICLOUD_SDK_AK`, `HUAWEICLOUD_SDK_SK`, optional `HUAWEICLOUD_SDK_SECURITY_TOKEN`,
 * `HUAWEICLOUD_SDK_PROJECT_ID`, `HUAWEICLOUD_REGION` and optional `VPCEP_ENDPOINT` (which overrides the
 * endpoint derived from the region; the region is then optional). Throws an `Error` naming the first
 * missing or invalid variable (checks as in {@link credentialsFromValues}; never a value). Values are
 * trimmed; blank counts as missing.
 */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): {
  credentials: Credentials;
  target: CloudTarget;
} {
  return credentialsFromValues(
    {
      accessKey: env[ENV.accessKey],
      secretKey: env[ENV.secretKey],
      securityToken: env[ENV.securityToken],
      projectId: env[ENV.projectId],
      region: env[ENV.region],
      endpoint: env[ENV.endpoint],
    },
    { ...ENV },
  );
}
