/**
 * A minimal IAM, served at the simulator's own URL (docs/iam-auth.md has the facts and their sources):
 *
 * - `POST /v3/auth/tokens`: password method, project scope by id or by name; 201 with the token in
 *   `X-Subject-Token` and `token.expires_at` in the body. A wrong password or an unknown user is 401
 *   with Keystone's body `{"error":{"code":401,"title":"Unauthorized","message":…}}` (shape `keystone`,
 *   the default) or IAM's `{"error_code":"IAM.0001","error_msg":…}` (shape `iam`);
 * - `POST /v3.0/OS-AUTH/id-token/tokens`: OIDC federation: header `X-Idp-Id`, body
 *   `{"auth":{"id_token":{"id":JWT},"scope":{"project":{"id"|"name"}}}}`; the JWT must carry the
 *   configured `iss` and `aud`, be unexpired and, with a public key configured (PEM or JWKS), be signed
 *   by it (RS256 or ES256). Refusals are 401 `IAM.0001`; an unknown identity provider is 404 `IAM.0004`.
 *
 * Issued tokens go into the simulator's token store with their expiry, so VPCEP requests carrying them
 * in `X-Auth-Token` authenticate for the token's project until then (expired or revoked: 401
 * `APIGW.0307`). Counters: `iamToken` (tokens issued), `iamTokenRefused` (token requests refused).
 * Simplifications: project scope only (domain scope and unscoped tokens are 400 `IAM.0011`), no
 * catalog, no roles, no account lock-out; a user may scope to any project the simulator knows, and the
 * token carries that project's account (domain) id.
 */
import {
  createHash,
  createPublicKey,
  randomBytes,
  timingSafeEqual,
  verify,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import type { Clock } from '../util/clock.js';
import type { SimToken } from './auth.js';

/** Path of the password token API. */
export const PASSWORD_TOKEN_PATH = '/v3/auth/tokens';
/** Path of the OIDC ID-token exchange. */
export const ID_TOKEN_PATH = '/v3.0/OS-AUTH/id-token/tokens';
/** Counter of issued tokens in `/_sim/counters`. */
export const IAM_TOKEN_COUNTER = 'iamToken';
/** Counter of refused token requests in `/_sim/counters`. */
export const IAM_REFUSED_COUNTER = 'iamTokenRefused';

/** An IAM user the simulator knows. */
export interface SimIamUser {
  name: string;
  password: string;
  /** The account (domain) name the user logs in with. */
  domainName: string;
}

/** A project tokens may be scoped to. */
export interface SimProject {
  id: string;
  /** Name for scope-by-name (IAM names a region's project after the region). */
  name?: string;
  domainId: string;
}

/** The OIDC identity provider accepted by the ID-token exchange. */
export interface SimOidcProvider {
  idpId: string;
  issuer: string;
  audience: string;
  /** PEM public key, or JWKS JSON (`{"keys":[…]}`, as IAM's `signing_key`), or one JWK. Absent: signatures are not checked. */
  publicKey?: string;
}

/** Body shape of a refused password token request. */
export type IamErrorShape = 'keystone' | 'iam';

/** Everything {@link SimIam} works with. */
export interface SimIamConfig {
  users: readonly SimIamUser[];
  projects: readonly SimProject[];
  tokenTtlMs: number;
  oidc?: SimOidcProvider;
  errorShape: IamErrorShape;
  clock: Clock;
  /** The simulator's token store: issued tokens are appended (VPCEP authentication reads it). */
  tokens: SimToken[];
  counters: Map<string, number>;
}

/** An answer of the IAM routes. */
export interface IamResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

interface VerifyKey {
  kid?: string;
  key: KeyObject;
}

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
/** IAM's time format, e.g. `2026-01-01T00:00:00.000000Z`. */
const iamTime = (ms: number): string => new Date(ms).toISOString().replace(/Z$/, '000Z');
const sha = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
const hexId = (s: string): string => sha(s).toString('hex').slice(0, 32);

/**
 * Parses `PEM | JWKS | JWK` into verification keys; throws an `Error` naming what is wrong (the key is
 * public, so quoting it would be harmless, but it is long: it is not quoted).
 */
export function parsePublicKeys(text: string): VerifyKey[] {
  const t = text.trim();
  if (t.startsWith('-----BEGIN')) return [{ key: createPublicKey(t) }];
  let parsed: unknown;
  try {
    parsed = JSON.parse(t);
  } catch {
    throw new Error('oidcPublicKey is neither a PEM public key nor JSON (a JWKS or a JWK)');
  }
  const jwks = isRecord(parsed) && Array.isArray(parsed['keys']) ? (parsed['keys'] as unknown[]) : [parsed];
  const keys: VerifyKey[] = [];
  for (const jwk of jwks) {
    if (!isRecord(jwk)) throw new Error('oidcPublicKey: a JWKS entry is not an object');
    const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    const kid = str(jwk['kid']);
    keys.push(kid !== undefined ? { kid, key } : { key });
  }
  if (keys.length === 0) throw new Error('oidcPublicKey: the JWKS holds no key');
  return keys;
}

function decodeSegment(seg: string): unknown {
  try {
    return JSON.parse(Buffer.from(seg, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The IAM routes of one simulator. */
export class SimIam {
  private readonly keys: VerifyKey[] | undefined;

  /** Throws when the OIDC public key cannot be parsed. */
  constructor(private readonly cfg: SimIamConfig) {
    this.keys = cfg.oidc?.publicKey !== undefined ? parsePublicKeys(cfg.oidc.publicKey) : undefined;
  }

  /** True for the requests these routes answer (so the VPCEP router never sees them). */
  static handles(method: string, path: string): boolean {
    return method === 'POST' && (path === PASSWORD_TOKEN_PATH || path === ID_TOKEN_PATH);
  }

  /** Answers one token request. Never throws. */
  handle(path: string, headers: Array<[string, string]>, body: Buffer): IamResponse {
    let parsed: unknown;
    try {
      parsed = body.length ? (JSON.parse(body.toString('utf8')) as unknown) : undefined;
    } catch {
      parsed = undefined;
    }
    const auth = isRecord(parsed) && isRecord(parsed['auth']) ? parsed['auth'] : undefined;
    if (!auth) return this.badRequest('Request body is invalid.');
    return path === ID_TOKEN_PATH ? this.idToken(headers, auth) : this.password(auth);
  }

  /** Revokes every token issued so far (as a password change would): VPCEP answers 401 `APIGW.0307`. */
  revokeTokens(): number {
    let n = 0;
    for (const t of this.cfg.tokens)
      if (t.expiresAt !== undefined && !t.revoked) {
        t.revoked = true;
        n++;
      }
    return n;
  }

  private password(auth: Json): IamResponse {
    const identity = isRecord(auth['identity']) ? auth['identity'] : undefined;
    const methods = identity?.['methods'];
    const pw = isRecord(identity?.['password']) ? identity['password'] : undefined;
    const user = isRecord(pw?.['user']) ? pw['user'] : undefined;
    const domain = isRecord(user?.['domain']) ? user['domain'] : undefined;
    const name = str(user?.['name']);
    const password = typeof user?.['password'] === 'string' ? user['password'] : undefined;
    const domainName = str(domain?.['name']);
    if (
      !Array.isArray(methods) ||
      !methods.includes('password') ||
      !name ||
      password === undefined ||
      !domainName
    )
      return this.badRequest('Request body is invalid.');
    const found = this.cfg.users.find((u) => u.name === name && u.domainName === domainName);
    // Compare digests: constant time whatever the lengths; an unknown user costs the same.
    const ok =
      timingSafeEqual(sha(found?.password ?? randomBytes(16).toString('hex')), sha(password)) && !!found;
    if (!ok) return this.refusedPassword();
    const project = this.scopeProject(auth);
    if ('error' in project) return project.error;
    return this.issue(
      project.project,
      ['password'],
      {
        id: hexId(`user:${domainName}:${name}`),
        name,
        domain: { id: project.project.domainId, name: domainName },
        password_expires_at: '',
      },
      domainName,
    );
  }

  private idToken(headers: Array<[string, string]>, auth: Json): IamResponse {
    const idp = headers.find(([k]) => k.toLowerCase() === 'x-idp-id')?.[1].trim();
    if (!idp) return this.badRequest('X-Idp-Id is required.');
    const oidc = this.cfg.oidc;
    if (!oidc || oidc.idpId !== idp)
      return this.refused(404, 'IAM.0004', `Could not find identity provider: ${idp}.`);
    const idTok = isRecord(auth['id_token']) ? auth['id_token'] : undefined;
    const jwt = str(idTok?.['id']);
    if (!jwt) return this.badRequest('Request body is invalid.');
    const why = this.jwtProblem(jwt, oidc);
    if (typeof why === 'string')
      return this.refused(
        401,
        'IAM.0001',
        `The request you have made requires authentication. (simulator: ${why})`,
      );
    const project = this.scopeProject(auth);
    if ('error' in project) return project.error;
    const sub = str(why['sub']) ?? 'federated-user';
    return this.issue(project.project, ['mapped'], {
      'OS-FEDERATION': { identity_provider: { id: oidc.idpId }, protocol: { id: 'oidc' }, groups: [] },
      domain: { id: project.project.domainId, name: project.project.domainId },
      id: hexId(`federated:${oidc.idpId}:${sub}`),
      name: sub,
    });
  }

  /** The JWT's claims when it is acceptable, else why not (never the token itself). */
  private jwtProblem(jwt: string, oidc: SimOidcProvider): string | Json {
    const parts = jwt.split('.');
    if (parts.length !== 3) return 'the ID token is not a JWT';
    const [h = '', p = '', s = ''] = parts;
    const header = decodeSegment(h);
    const claims = decodeSegment(p);
    if (!isRecord(header) || !isRecord(claims)) return 'the ID token is not a JWT';
    if (this.keys) {
      const alg = header['alg'];
      if (alg !== 'RS256' && alg !== 'ES256') return `unsupported signature algorithm ${JSON.stringify(alg)}`;
      const kid = str(header['kid']);
      const data = Buffer.from(`${h}.${p}`, 'utf8');
      const sig = Buffer.from(s, 'base64url');
      const good = this.keys
        .filter((k) => kid === undefined || k.kid === undefined || k.kid === kid)
        .some((k) => {
          try {
            return alg === 'ES256'
              ? verify('sha256', data, { key: k.key, dsaEncoding: 'ieee-p1363' }, sig)
              : verify('sha256', data, k.key, sig);
          } catch {
            return false;
          }
        });
      if (!good) return 'the ID token signature does not verify';
    }
    if (claims['iss'] !== oidc.issuer) return 'the ID token issuer does not match the identity provider';
    const aud = claims['aud'];
    const auds = Array.isArray(aud) ? aud : [aud];
    if (!auds.includes(oidc.audience)) return 'the ID token audience does not match the client id';
    const nowS = this.cfg.clock.now() / 1000;
    const exp = claims['exp'];
    if (typeof exp !== 'number') return 'the ID token has no exp';
    if (nowS >= exp) return 'the ID token has expired';
    const nbf = claims['nbf'];
    if (typeof nbf === 'number' && nowS < nbf) return 'the ID token is not valid yet';
    return claims;
  }

  private scopeProject(auth: Json): { project: SimProject } | { error: IamResponse } {
    const scope = isRecord(auth['scope']) ? auth['scope'] : undefined;
    const proj = isRecord(scope?.['project']) ? scope['project'] : undefined;
    if (!proj)
      return { error: this.badRequest('Request body is invalid. (simulator: only project-scoped tokens)') };
    const id = str(proj['id']);
    const name = str(proj['name']);
    const project =
      id !== undefined
        ? this.cfg.projects.find((x) => x.id === id)
        : name !== undefined
          ? this.cfg.projects.find((x) => x.name === name)
          : undefined;
    if (id === undefined && name === undefined) return { error: this.badRequest('Request body is invalid.') };
    if (!project) return { error: this.refusedPassword() };
    return { project };
  }

  private issue(project: SimProject, methods: string[], user: Json, domainName?: string): IamResponse {
    const now = this.cfg.clock.now();
    const expiresAt = now + this.cfg.tokenTtlMs;
    const token = `MIIsim${randomBytes(36).toString('base64url')}`;
    const store = this.cfg.tokens;
    // Forget issued tokens long expired (keep recent ones so they answer "must be updated").
    for (let i = store.length - 1; i >= 0; i--) {
      const t = store[i];
      if (t?.expiresAt !== undefined && t.expiresAt + this.cfg.tokenTtlMs < now) store.splice(i, 1);
    }
    store.push({ token, projectId: project.id, domainId: project.domainId, expiresAt });
    this.count(IAM_TOKEN_COUNTER);
    return {
      status: 201,
      headers: { 'X-Subject-Token': token },
      body: {
        token: {
          expires_at: iamTime(expiresAt),
          issued_at: iamTime(now),
          methods,
          project: {
            id: project.id,
            name: project.name ?? project.id,
            domain: { id: project.domainId, name: domainName ?? project.domainId },
          },
          user,
          roles: [],
          catalog: [],
        },
      },
    };
  }

  private refusedPassword(): IamResponse {
    const message = 'The request you have made requires authentication.';
    if (this.cfg.errorShape === 'iam') return this.refused(401, 'IAM.0001', message);
    this.count(IAM_REFUSED_COUNTER);
    return { status: 401, headers: {}, body: { error: { code: 401, title: 'Unauthorized', message } } };
  }

  private badRequest(message: string): IamResponse {
    return this.refused(400, 'IAM.0011', message);
  }

  private refused(status: number, code: string, message: string): IamResponse {
    this.count(IAM_REFUSED_COUNTER);
    return { status, headers: {}, body: { error_code: code, error_msg: message } };
  }

  private count(name: string): void {
    this.cfg.counters.set(name, (this.cfg.counters.get(name) ?? 0) + 1);
  }
}
