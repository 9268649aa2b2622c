/**
 * Credential providers of the VPCEP client, and {@link providerFromValues}: gathered values (a Secret,
 * the environment) to the right provider and target.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../../util/clock.js';
import { parseCredentialValues, type CloudTarget, type CredentialValues } from '../credentials.js';
import { CloudError } from '../errors.js';
import { isSafeProjectId, PROJECT_ID_RULE, quoteForMessage } from '../ids.js';
import { AkSkProvider } from './aksk.js';
import { IAM_TOKEN_OPERATION } from './iam-exchange.js';
import type { IamTokenProvider } from './iam-token.js';
import { PasswordTokenProvider } from './password.js';
import { IAM_INVALID_RESPONSE_CODE, type CredentialProvider } from './provider.js';
import { WorkloadIdentityProvider, type IdTokenFileReader } from './workload-identity.js';

export { AkSkProvider, type AkSkProviderOptions } from './aksk.js';
export { PasswordTokenProvider, type PasswordTokenProviderOptions } from './password.js';
export {
  WorkloadIdentityProvider,
  type WorkloadIdentityProviderOptions,
  type IdTokenFileReader,
} from './workload-identity.js';
export {
  IamTokenProvider,
  refreshTime,
  type IamTokenProviderOptions,
  type IamTokenStats,
  REFRESH_BEFORE_EXPIRY_MS,
  REFRESH_AT_LIFE_SHARE,
  DEFAULT_AUTH_FAILURE_HOLD_MS,
} from './iam-token.js';
export { IAM_TOKEN_OPERATION, parseIamError, type IamErrorBody } from './iam-exchange.js';
export * from './provider.js';

/** Key of {@link ProviderResolution.fingerprint}: random per process, never leaves it. */
const FINGERPRINT_KEY = randomBytes(32);

/** Options of {@link providerFromValues}. */
export interface ProviderFromValuesOptions {
  /** Expiry of temporary credentials and token refresh (default: the real clock). */
  clock?: Clock;
  /** Names of the fields in error messages (e.g. Secret keys or environment variables). */
  names?: Partial<Record<keyof CredentialValues, string>>;
  /** Token providers: deadline of one IAM request (default 30 s). */
  timeoutMs?: number;
  /** Token providers: how long an IAM refusal is remembered (default 60 s). */
  authFailureHoldMs?: number;
  userAgent?: string;
  /** Workload identity: file access (default node:fs). */
  reader?: IdTokenFileReader;
  /** Ends the wait for the token that names the project (only when the values name none). */
  signal?: AbortSignal;
}

/** What {@link providerFromValues} builds. */
export interface ProviderResolution {
  kind: 'aksk' | 'password' | 'workloadIdentity';
  provider: CredentialProvider;
  target: CloudTarget;
  /** The provider's non-secret identity (rate-limit key): access key id, `user@domain`, `idp:{id}`. */
  identity: string;
  /**
   * HMAC-SHA-256 (hex, under a random key of this process) of the kind, every credential value and the
   * target: within one process, equal for equal values and different when anything (a rotated password
   * or key) changed; reveals nothing, not even to a dictionary attack on a leaked value. A cache key.
   */
  fingerprint: string;
}

/**
 * Builds the provider for gathered values of any shape of `parseCredentialValues`:
 * AK/SK (with an optional `securityTokenExpiresAt`) → {@link AkSkProvider}; `username` + `password` +
 * `domainName` → {@link PasswordTokenProvider}; `idpId` + `idTokenFile` → {@link WorkloadIdentityProvider}.
 * Guarantees:
 * - invalid values (unknown or mixed shape, missing or malformed field) reject with the `Error` of
 *   `parseCredentialValues`, which lists the accepted shapes or names the field, never a value;
 * - no I/O, except for a token shape without `projectId`: then one token is obtained (scoped by the
 *   region's name) and the project id is read from IAM's answer (`token.project.id`, checked to be a
 *   safe project id); that token is cached in the provider, so it is not wasted. IAM's refusal rejects
 *   as the provider's `CloudError` (kind `auth`);
 * - the provider is new and the caller's: close it (`provider.close?.()`) when dropping it.
 */
export async function providerFromValues(
  values: CredentialValues,
  opts: ProviderFromValuesOptions = {},
): Promise<ProviderResolution> {
  const parsed = parseCredentialValues(values, opts.names ?? {});
  const common = {
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.authFailureHoldMs !== undefined ? { authFailureHoldMs: opts.authFailureHoldMs } : {}),
    ...(opts.userAgent !== undefined ? { userAgent: opts.userAgent } : {}),
  };
  const digest = (parts: unknown[]): string =>
    createHmac('sha256', FINGERPRINT_KEY).update(JSON.stringify(parts)).digest('hex');

  if (parsed.kind === 'aksk') {
    const provider = new AkSkProvider(parsed.credentials, opts.clock ? { clock: opts.clock } : {});
    const c = parsed.credentials;
    return {
      kind: 'aksk',
      provider,
      target: parsed.target,
      identity: provider.identity,
      fingerprint: digest([
        'aksk',
        c.accessKey,
        c.secretKey,
        c.securityToken ?? '',
        c.securityTokenExpiresAt ?? '',
        parsed.target,
      ]),
    };
  }

  const scope = {
    ...(parsed.target.projectId !== undefined ? { projectId: parsed.target.projectId } : {}),
    ...(parsed.target.region !== undefined ? { region: parsed.target.region } : {}),
  };
  let provider: IamTokenProvider;
  let secretParts: unknown[];
  if (parsed.kind === 'password') {
    const p = parsed.password;
    provider = new PasswordTokenProvider({ ...common, ...scope, ...p, iamEndpoint: parsed.iamEndpoint });
    secretParts = ['password', p.username, p.password, p.domainName];
  } else {
    const w = parsed.workloadIdentity;
    provider = new WorkloadIdentityProvider({
      ...common,
      ...scope,
      ...w,
      iamEndpoint: parsed.iamEndpoint,
      ...(opts.reader ? { reader: opts.reader } : {}),
    });
    secretParts = ['workloadIdentity', w.idpId, w.idTokenFile];
  }
  let projectId = parsed.target.projectId;
  if (projectId === undefined) {
    try {
      projectId = await provider.projectId(opts.signal);
    } catch (e) {
      provider.close();
      throw e;
    }
    if (!isSafeProjectId(projectId)) {
      provider.close();
      throw new CloudError({
        kind: 'auth',
        operation: IAM_TOKEN_OPERATION,
        code: IAM_INVALID_RESPONSE_CODE,
        message: `IAM named the project ${quoteForMessage(projectId)}, which is not a valid project id (expected ${PROJECT_ID_RULE})`,
      });
    }
  }
  const target: CloudTarget = { endpoint: parsed.target.endpoint, projectId };
  if (parsed.target.region !== undefined) target.region = parsed.target.region;
  return {
    kind: parsed.kind,
    provider,
    target,
    identity: provider.identity,
    fingerprint: digest([...secretParts, parsed.iamEndpoint, parsed.target]),
  };
}
