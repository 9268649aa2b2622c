/**
 * Workload identity: the pod's projected ServiceAccount token (an OIDC ID token, a JWT in a file the
 * kubelet rotates) exchanged at IAM for a scoped token through an OpenID Connect identity provider
 * (docs/iam-auth.md §2): `POST {iam}/v3.0/OS-AUTH/id-token/tokens` with header `X-Idp-Id` and body
 * `{"auth":{"id_token":{"id":"<jwt>"},"scope":{"project":{"id"|"name"}}}}`; the token comes back in
 * `X-Subject-Token`. The same exchange the official Go SDK makes for `WithIdpId`/`WithIdTokenFile`.
 */
import { readFile, stat } from 'node:fs/promises';
import { iamEndpointForRegion, normaliseEndpoint } from '../credentials.js';
import { CloudError } from '../errors.js';
import { exchangeIamToken, IAM_TOKEN_OPERATION, type IamTokenGrant } from './iam-exchange.js';
import { IamTokenProvider, type IamTokenProviderOptions } from './iam-token.js';
import { ID_TOKEN_UNREADABLE_CODE, isHeaderSafe } from './provider.js';

/** How the ID token file is read; injectable for tests. */
export interface IdTokenFileReader {
  /** A value that changes whenever the file's content may have (e.g. mtime + size + inode). */
  version(path: string): Promise<string>;
  read(path: string): Promise<string>;
}

const fsReader: IdTokenFileReader = {
  async version(path) {
    const s = await stat(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  },
  read: (path) => readFile(path, 'utf8'),
};

/** What the workload-identity provider needs. */
export interface WorkloadIdentityProviderOptions extends IamTokenProviderOptions {
  /** The IAM identity provider id (`X-Idp-Id`), e.g. the one registered for the cluster's issuer. */
  idpId: string;
  /** Path of the projected ServiceAccount token (re-read whenever it changes). */
  idTokenFile: string;
  /** Project to scope the token to, by id. */
  projectId?: string;
  /** Project to scope the token to by name when `projectId` is not given (the region). */
  region?: string;
  /** IAM endpoint (scheme + host[:port]), e.g. `HUAWEICLOUD_IAM_ENDPOINT`; default `iamEndpointForRegion(region)`. */
  iamEndpoint?: string;
  /** File access (default: node:fs). */
  reader?: IdTokenFileReader;
}

/** Three base64url segments: the shape of a compact JWS. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * OIDC federation tokens (caching, refresh, single flight and the hold after a refusal: see
 * {@link IamTokenProvider}). Guarantees: the ID token file is read when a token is requested, and read
 * again only when its version (inode, size, mtime) changed, so a rotated file is picked up by the next
 * token request; a missing, empty or non-JWT file rejects with kind `auth`, code
 * {@link ID_TOKEN_UNREADABLE_CODE}, naming the path and never its content; `identity` is
 * `idp:{idpId}`; the JWT never appears in an error message, `JSON.stringify` or `util.inspect`. The
 * constructor throws when neither `projectId` nor `region` is given, or neither an IAM
 * endpoint nor a region, or the endpoint is not an http(s) URL.
 */
export class WorkloadIdentityProvider extends IamTokenProvider {
  readonly identity: string;
  readonly #idpId: string;
  readonly #file: string;
  readonly #scope: { id: string } | { name: string };
  readonly #endpoint: string;
  readonly #reader: IdTokenFileReader;
  #jwt: { version: string; value: string } | undefined;

  constructor(opts: WorkloadIdentityProviderOptions) {
    super(opts);
    this.#idpId = opts.idpId;
    this.#file = opts.idTokenFile;
    this.identity = `idp:${opts.idpId}`;
    if (opts.projectId) this.#scope = { id: opts.projectId };
    else if (opts.region) this.#scope = { name: opts.region };
    else throw new Error('IAM ID-token exchange: a project id or a region (the project name) is required');
    if (opts.iamEndpoint !== undefined) this.#endpoint = normaliseEndpoint(opts.iamEndpoint, 'IAM endpoint');
    else if (opts.region) this.#endpoint = iamEndpointForRegion(opts.region);
    else throw new Error('IAM ID-token exchange: an IAM endpoint or a region is required');
    this.#reader = opts.reader ?? fsReader;
  }

  protected async requestToken(): Promise<IamTokenGrant> {
    const jwt = await this.idToken();
    return exchangeIamToken(this.transport, {
      endpoint: this.#endpoint,
      path: '/v3.0/OS-AUTH/id-token/tokens',
      headers: { 'X-Idp-Id': this.#idpId },
      body: { auth: { id_token: { id: jwt }, scope: { project: this.#scope } } },
      timeoutMs: this.timeoutMs,
      userAgent: this.userAgent,
      what: `ID-token exchange (identity provider ${this.#idpId})`,
      secrets: [jwt],
    });
  }

  /** The current JWT, from the cache when the file has not changed. */
  private async idToken(): Promise<string> {
    const unreadable = (why: string): CloudError =>
      new CloudError({
        kind: 'auth',
        operation: IAM_TOKEN_OPERATION,
        code: ID_TOKEN_UNREADABLE_CODE,
        message: `IAM ID-token exchange: the ID token file ${JSON.stringify(this.#file)} ${why}`,
        attempts: 0,
      });
    let version: string;
    let value: string;
    try {
      version = await this.#reader.version(this.#file);
      const cached = this.#jwt;
      if (cached && cached.version === version) return cached.value;
      value = (await this.#reader.read(this.#file)).trim();
    } catch (e) {
      const code = (e as { code?: unknown } | null)?.code;
      throw unreadable(`cannot be read (${typeof code === 'string' ? code : 'error'})`);
    }
    if (value === '') throw unreadable('is empty');
    if (!isHeaderSafe(value) || !JWT_SHAPE.test(value)) throw unreadable('does not hold a JWT');
    this.#jwt = { version, value };
    return value;
  }
}
