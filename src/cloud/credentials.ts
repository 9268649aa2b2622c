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

/** Strips trailing slashes and checks the scheme, so paths can be appended verbatim. */
export function normaliseEndpoint(endpoint: string): string {
  const e = endpoint.trim().replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(e);
  } catch {
    throw new Error(`invalid VPCEP endpoint ${JSON.stringify(endpoint)}: not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`invalid VPCEP endpoint ${JSON.stringify(endpoint)}: scheme must be http or https`);
  if (url.search || url.hash) throw new Error(`invalid VPCEP endpoint ${JSON.stringify(endpoint)}: no query`);
  return e;
}

/** Values the operator gathered itself (e.g. from a Secret plus the CR's region/projectId). */
export interface CredentialValues {
  accessKey?: string;
  secretKey?: string;
  securityToken?: string;
  projectId?: string;
  region?: string;
  /** Overrides the endpoint derived from `region`. */
  endpoint?: string;
}

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

/**
 * Validates gathered values into credentials and a target. Guarantees:
 * - AK, SK and project id are non-empty (values trimmed; blank counts as missing);
 * - the access key and security token are printable ASCII (no control characters, CR/LF or non-ASCII,
 *   so they can go into a header verbatim); the secret key (used only as the HMAC key) has no control
 *   characters;
 * - the project id is 1–64 characters of `[A-Za-z0-9_-]` (it goes into the URL path);
 * - the endpoint is `endpoint` when given, else derived from `region`.
 * Throws an `Error` naming the missing or invalid field, using `names` (e.g. environment variable
 * names) in the message; the message never contains a credential value.
 */
export function credentialsFromValues(
  v: CredentialValues,
  names: Record<keyof CredentialValues, string> = {
    accessKey: 'accessKey',
    secretKey: 'secretKey',
    securityToken: 'securityToken',
    projectId: 'projectId',
    region: 'region',
    endpoint: 'endpoint',
  },
): { credentials: Credentials; target: CloudTarget } {
  const need = (key: 'accessKey' | 'secretKey' | 'projectId'): string => {
    const value = nonEmpty(v[key]);
    if (value === undefined) throw new Error(`missing cloud credential setting ${names[key]}`);
    return value;
  };
  const headerUnsafe = (field: keyof CredentialValues): Error =>
    new Error(`${names[field]} contains characters not allowed in an HTTP header`);
  const accessKey = need('accessKey');
  if (!HEADER_SAFE.test(accessKey)) throw headerUnsafe('accessKey');
  const secretKey = need('secretKey');
  if (hasControl(secretKey)) throw new Error(`${names.secretKey} contains control characters`);
  const projectId = need('projectId');
  if (!isSafeProjectId(projectId))
    throw new Error(`invalid cloud credential setting ${names.projectId}: expected ${PROJECT_ID_RULE}`);
  const region = nonEmpty(v.region);
  const override = nonEmpty(v.endpoint);
  if (override === undefined && region === undefined)
    throw new Error(`missing cloud credential setting ${names.region} (or ${names.endpoint})`);
  const endpoint = override !== undefined ? normaliseEndpoint(override) : endpointForRegion(region ?? '');
  const securityToken = nonEmpty(v.securityToken);
  if (securityToken !== undefined && !HEADER_SAFE.test(securityToken)) throw headerUnsafe('securityToken');
  return {
    credentials: securityToken ? { accessKey, secretKey, securityToken } : { accessKey, secretKey },
    target: region ? { endpoint, projectId, region } : { endpoint, projectId },
  };
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
