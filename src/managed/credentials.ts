/**
 * What the lifecycle asks of a credential source: a client for one object, and where its credentials
 * came from (for conditions and logs, never their value). Kind-agnostic: the client type is the
 * adapter's.
 */

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

/** A client and a description of where its credentials came from. */
export interface Resolved<C> {
  client: C;
  source: string;
  /** The project the client acts in (absent only in tests that build a client themselves). */
  projectId?: string;
}

/** Resolves the client for an object; throws {@link CredentialsError} when it cannot. */
export interface CredentialSource<O, C> {
  resolve(obj: O): Promise<Resolved<C>>;
}
