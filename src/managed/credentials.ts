/**
 * What the lifecycle asks of a credential source: a client for one object, and where its credentials
 * came from (for conditions and logs, never their value). Kind-agnostic: the client type is the
 * adapter's.
 */
import type { CloudError } from '../cloud/errors.js';

/** Credentials are missing or unusable; `source` names where they were looked for (never their value). */
export class CredentialsError extends Error {
  constructor(
    message: string,
    readonly source: string,
    /** True when the lookup failed transiently (apiserver error): retry with backoff, not a condition. */
    readonly transient = false,
    /**
     * True when the resource names no Secret and its namespace may not use the operator's defaults
     * (`--default-credentials-namespaces`): no cloud call was made with them for it on this resolve.
     */
    readonly defaultsRefused = false,
  ) {
    super(message);
    this.name = 'CredentialsError';
  }
}

/**
 * Resolving the credentials needed the cloud (e.g. an IAM token request to learn the project) and the
 * cloud refused or failed: `cloudError` is judged like any cloud error of the pass (kind `auth` is
 * `AuthFailed` naming `source`, `retryable` is retried with backoff). Its message never holds a secret.
 */
export class CredentialsCloudError extends Error {
  constructor(
    readonly cloudError: CloudError,
    /** Where the credentials came from (a Secret's name, the environment), never their value. */
    readonly source: string,
  ) {
    super(cloudError.message);
    this.name = 'CredentialsCloudError';
  }
}

/** A client and a description of where its credentials came from. */
export interface Resolved<C> {
  client: C;
  source: string;
  /** The project the client acts in (absent only in tests that build a client themselves). */
  projectId?: string;
}

/**
 * Resolves the client for an object; throws {@link CredentialsError} when it cannot, or
 * {@link CredentialsCloudError} when the cloud refused what it needed to ask.
 */
export interface CredentialSource<O, C> {
  resolve(obj: O): Promise<Resolved<C>>;
  /**
   * Optional, synchronous and cheap: a value that changes whenever what {@link resolve} would read for
   * `obj` may have changed (e.g. the resourceVersion of its Secret as a watch last saw it). The
   * lifecycle lets a pass through its gates (a recent sync, a credentials verdict waiting for its slow
   * recheck) when it differs from the value at the last pass that went past them. Undefined, or a
   * source without it: the gates decide as if credentials never changed.
   */
  version?(obj: O): string | undefined;
}
