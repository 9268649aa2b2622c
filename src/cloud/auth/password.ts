/**
 * An IAM user token obtained with the user's password (docs/iam-auth.md §1; vpcep-api.md §6.3):
 * `POST {iam}/v3/auth/tokens?nocatalog=true` with the password method, scoped to the project by id when
 * known, else by name (the region). VPCEP requests then carry it as `X-Auth-Token`.
 */
import { iamEndpointForRegion, normaliseEndpoint } from '../credentials.js';
import { exchangeIamToken, type IamTokenGrant } from './iam-exchange.js';
import { IamTokenProvider, type IamTokenProviderOptions } from './iam-token.js';

/** What the password provider needs. */
export interface PasswordTokenProviderOptions extends IamTokenProviderOptions {
  /** IAM user name. */
  username: string;
  password: string;
  /** The account (domain) name the user belongs to. */
  domainName: string;
  /** Project to scope the token to, by id. */
  projectId?: string;
  /** Project to scope the token to by name when `projectId` is not given (IAM names projects by region). */
  region?: string;
  /** IAM endpoint (scheme + host[:port]), e.g. `HUAWEICLOUD_IAM_ENDPOINT`; default `iamEndpointForRegion(region)`. */
  iamEndpoint?: string;
}

/**
 * Password-method IAM tokens (see {@link IamTokenProvider} for caching, refresh, single flight and the
 * hold after a refusal). Guarantees: the request body is exactly
 * `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name","password","domain":{"name"}}}},"scope":{"project":{"id"|"name"}}}}`;
 * `identity` is `user@domain`; the password is never in an error message, `JSON.stringify` or
 * `util.inspect`. The constructor throws when neither `projectId` nor `region` is given, or neither an
 * IAM endpoint nor a region, or the endpoint is not an http(s) URL.
 */
export class PasswordTokenProvider extends IamTokenProvider {
  readonly identity: string;
  readonly #password: string;
  readonly #username: string;
  readonly #domainName: string;
  readonly #scope: { id: string } | { name: string };
  readonly #endpoint: string;

  constructor(opts: PasswordTokenProviderOptions) {
    super(opts);
    this.#username = opts.username;
    this.#password = opts.password;
    this.#domainName = opts.domainName;
    this.identity = `${opts.username}@${opts.domainName}`;
    if (opts.projectId) this.#scope = { id: opts.projectId };
    else if (opts.region) this.#scope = { name: opts.region };
    else throw new Error('IAM password token: a project id or a region (the project name) is required');
    if (opts.iamEndpoint !== undefined) this.#endpoint = normaliseEndpoint(opts.iamEndpoint, 'IAM endpoint');
    else if (opts.region) this.#endpoint = iamEndpointForRegion(opts.region);
    else throw new Error('IAM password token: an IAM endpoint or a region is required');
  }

  protected requestToken(): Promise<IamTokenGrant> {
    return exchangeIamToken(this.transport, {
      endpoint: this.#endpoint,
      path: '/v3/auth/tokens?nocatalog=true',
      body: {
        auth: {
          identity: {
            methods: ['password'],
            password: {
              user: {
                name: this.#username,
                password: this.#password,
                domain: { name: this.#domainName },
              },
            },
          },
          scope: { project: this.#scope },
        },
      },
      timeoutMs: this.timeoutMs,
      userAgent: this.userAgent,
      what: `password token for ${this.identity}`,
      secrets: [this.#password],
    });
  }
}
