/**
 * `vpcep-simulator` as a library: {@link startSimulator} runs a faithful local VPCEP endpoint-service
 * API on `node:http` and hands back its URL, its test controls and `close()`.
 *
 * ```ts
 * const sim = await startSimulator({ accessKey: 'AK', secretKey: 'SK', projectId: 'p1', createDelayMs: 50 });
 * // point a client at sim.url with the same AK/SK and project id
 * await sim.close();
 * ```
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../util/clock.js';
import type { ApiConfig } from './api.js';
import type { SimCredential, SimToken } from './auth.js';
import { createControls, type SimulatorControls } from './controls.js';
import { FaultEngine, parseFaults, type Faults } from './faults.js';
import { SimIam, type IamErrorShape, type SimIamUser, type SimProject } from './iam.js';
import { createRequestListener } from './server.js';
import { BUILTIN_PUBLIC_SERVICES, checkPublicServices, type PublicService } from './public-services.js';
import { SimState, type FailedErrorShape, type Inventory } from './state.js';

export type { SimulatorControls, ServicePatch, ConnectionRequest, EndpointPatch } from './controls.js';
export type { Faults, FaultErrorKind, Throttle } from './faults.js';
export type { Inventory, FailedErrorShape } from './state.js';
export type { PublicService } from './public-services.js';
export type { InventorySubnet } from './network.js';
export type { OperationName } from './api.js';
export type { SimCredential, SimToken } from './auth.js';
export type { SimIamUser, IamErrorShape } from './iam.js';
export { isLoopback } from './controls.js';

/** Options of {@link startSimulator}. Only the primary credential is required. */
export interface SimulatorOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind; default `127.0.0.1`. */
  host?: string;
  /** Primary credential: AK, SK, the project it is scoped to and (optionally) its account id. */
  accessKey: string;
  secretKey: string;
  projectId: string;
  /** Account (domain) id of the primary credential; default derived from the project id. */
  domainId?: string;
  /** Further AK/SK identities, each with its own project (data is isolated per project). */
  credentials?: Array<{
    accessKey: string;
    secretKey: string;
    projectId: string;
    domainId?: string;
    securityToken?: string;
  }>;
  /**
   * Static IAM tokens accepted in `X-Auth-Token`: a string is scoped to the primary project, an
   * object to the project it names. Default none (token auth refused).
   */
  authTokens?: Array<string | { token: string; projectId: string; domainId?: string }>;
  /** Region used in full service names; default `cn-north-4`. */
  region?: string;
  /**
   * IAM users of `POST /v3/auth/tokens` (password method). A user may scope a token to any project
   * the simulator knows: by id, or by name (the primary project is named after `region`). Default none.
   */
  iamUsers?: SimIamUser[];
  /** Life of issued IAM tokens (default 24 h, as IAM's). */
  tokenTtlMs?: number;
  /** Body of a refused password token request: `keystone` (default) or `iam` (see src/simulator/README.md). */
  iamErrorShape?: IamErrorShape;
  /** OIDC federation (`POST /v3.0/OS-AUTH/id-token/tokens`): the identity provider id (`X-Idp-Id`); off when unset. */
  idpId?: string;
  /** The `iss` an ID token must carry (required with `idpId`). */
  oidcIssuer?: string;
  /** The `aud` an ID token must carry (the client id; required with `idpId`). */
  oidcAudience?: string;
  /** PEM public key or JWKS JSON that ID tokens must be signed with; unset: signatures are not checked. */
  oidcPublicKey?: string;
  /** Time from create to `available`/`failed` (default 1000 ms; the cloud takes 60–120 s). */
  createDelayMs?: number;
  /** Time from delete to gone (default 1000 ms). */
  deleteDelayMs?: number;
  /** Share (0–1) of creates that end `failed` with an `error[]` (default 0). */
  failRate?: number;
  /**
   * Shape of the entries of a failed service's `error[]`: `sdk` (default) = `{code, message}`, as the
   * official Go and Node SDKs model it; `legacy` = `{error_code, error_message}`, as the team's API
   * notes said. `startSimulator` rejects any other value.
   */
  failedErrorShape?: FailedErrorShape;
  /** Services per project (`Endpoint.1018` beyond); default 50. */
  quota?: number;
  /** Endpoints per project (`Endpoint.1018` beyond, reported by `GET /quotas`); default 50. */
  endpointQuota?: number;
  /** Calls a second (0 = off, default), per operation or in total (`qpsScope`); refused per `throttleMode`. */
  qps?: number;
  /** `operation` (default): a budget per operation; `total`: one budget for all VPCEP calls. */
  qpsScope?: 'operation' | 'total';
  /** `429` (default): 429 `APIGW.0308`; `0022`: 400 `EndPoint.0022`. */
  throttleMode?: '429' | '0022';
  /**
   * Fixed VPCs, ports, subnets and route tables (unknown VPC `EndPoint.2001`, unknown port
   * `EndPoint.3008`, subnet not of the VPC `EndPoint.4004`); default: any well-formed id, subnets
   * `10.x.y.0/24` derived from their ids.
   */
  inventory?: Inventory;
  /**
   * Huawei-operated services besides the built-in DNS one (listed publicly, connectable by every
   * account without approval), e.g. a gateway service with `enablePolicy` for route tables and
   * endpoint policies.
   */
  publicServices?: PublicService[];
  /**
   * Suffix of endpoints' private domain names `{endpoint id}.{service short name}.{region}.{dnsDomain}`
   * (default `vpcep.myhuaweicloud.com`; the real format is unconfirmed, see README).
   */
  dnsDomain?: string;
  /** Services per backend port (`EndPoint.3056` beyond); 0 = no cap (default). */
  maxServicesPerPort?: number;
  /** Whitelist entries per service (`EndPoint.3049` beyond); default 1000. */
  whitelistCap?: number;
  /** Status of a successful DELETE; default 204. */
  deleteSuccessStatus?: 200 | 204;
  /** Refuse PUT bodies that try to change `vpc_id`, `server_type`, `enable_policy`… (default: ignore them). */
  rejectImmutableUpdates?: boolean;
  /**
   * The looser reading of rules the reference leaves open (default false = strict): list `limit=0`
   * accepted, only identical port mappings refused within a service, PUT/rename allowed in any state
   * but `deleting`.
   */
  lenient?: boolean;
  /** Faults in force from the start. */
  faults?: Faults;
  /** Clock for async transitions, throttle windows, latency and signature dates (default: real time). */
  clock?: Clock;
  /** Random source in [0, 1) for rates (default `Math.random`). */
  random?: () => number;
  /** Where unexpected internal failures are reported (default: stderr). */
  logError?: (msg: string) => void;
}

/** A running simulator. */
export interface Simulator {
  /** Base URL, e.g. `http://127.0.0.1:40123` (use it as the client's endpoint). */
  url: string;
  /** The bound port. */
  port: number;
  /** Test controls (same operations as the `/_sim/` routes). */
  controls: SimulatorControls;
  /** IAM controls. */
  iam: {
    /** Revokes every issued IAM token (as a password change would); returns how many. */
    revokeTokens(): number;
  };
  /** Stops listening, drops open connections and cancels pending transitions. */
  close(): Promise<void>;
}

/** Default account id for a project: stable, 32 hex characters. */
export function defaultDomainId(projectId: string): string {
  return createHash('sha256').update(`domain:${projectId}`).digest('hex').slice(0, 32);
}

/** Starts a simulator and resolves once it is listening. */
export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const credentials: SimCredential[] = [
    {
      accessKey: options.accessKey,
      secretKey: options.secretKey,
      projectId: options.projectId,
      domainId: options.domainId ?? defaultDomainId(options.projectId),
    },
    ...(options.credentials ?? []).map((c) => ({
      ...c,
      domainId: c.domainId ?? defaultDomainId(c.projectId),
    })),
  ];
  const primaryDomain = credentials[0]?.domainId ?? defaultDomainId(options.projectId);
  const tokens: SimToken[] = (options.authTokens ?? []).map((t) =>
    typeof t === 'string'
      ? { token: t, projectId: options.projectId, domainId: primaryDomain }
      : { token: t.token, projectId: t.projectId, domainId: t.domainId ?? defaultDomainId(t.projectId) },
  );
  if (options.qpsScope !== undefined && options.qpsScope !== 'operation' && options.qpsScope !== 'total')
    throw new Error(`qpsScope must be 'operation' or 'total', got ${JSON.stringify(options.qpsScope)}`);
  const initialThrottle = {
    qps: options.qps ?? 0,
    mode: options.throttleMode ?? '429',
    ...(options.qpsScope ? { scope: options.qpsScope } : {}),
  } as const;
  const faults = new FaultEngine(clock, random, initialThrottle);
  if (options.faults) faults.set(parseFaults(options.faults));
  const failRate = options.failRate ?? 0;
  const failedErrorShape = options.failedErrorShape ?? 'sdk';
  if (failedErrorShape !== 'sdk' && failedErrorShape !== 'legacy')
    throw new Error(`failedErrorShape must be 'sdk' or 'legacy', got ${JSON.stringify(failedErrorShape)}`);
  const quota = options.quota ?? 50;
  const publicServices = [...BUILTIN_PUBLIC_SERVICES, ...(options.publicServices ?? [])];
  checkPublicServices(publicServices);
  const dnsDomain = options.dnsDomain ?? 'vpcep.myhuaweicloud.com';
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(dnsDomain))
    throw new Error(`dnsDomain must be a domain name, got ${JSON.stringify(dnsDomain)}`);
  const state = new SimState({
    region: options.region ?? 'cn-north-4',
    clock,
    createDelayMs: options.createDelayMs ?? 1000,
    deleteDelayMs: options.deleteDelayMs ?? 1000,
    quota,
    decideFailure: () => faults.createFails(failRate),
    failedErrorShape,
    inventory: options.inventory,
    maxServicesPerPort: options.maxServicesPerPort ?? 0,
    lenient: options.lenient ?? false,
    publicServices,
    dnsDomain,
    decideEndpointFailure: () => faults.endpointCreateFails(),
  });
  const config: ApiConfig = {
    region: options.region ?? 'cn-north-4',
    deleteSuccessStatus: options.deleteSuccessStatus ?? 204,
    whitelistCap: options.whitelistCap ?? 1000,
    rejectImmutableUpdates: options.rejectImmutableUpdates ?? false,
    quota,
    endpointQuota: options.endpointQuota ?? 50,
    lenient: options.lenient ?? false,
  };
  const counters = new Map<string, number>();
  if (options.idpId !== undefined && (!options.oidcIssuer || !options.oidcAudience))
    throw new Error('idpId needs oidcIssuer and oidcAudience');
  const tokenTtlMs = options.tokenTtlMs ?? 24 * 3600_000;
  if (!(tokenTtlMs > 0)) throw new Error(`tokenTtlMs must be positive, got ${String(tokenTtlMs)}`);
  const iamErrorShape = options.iamErrorShape ?? 'keystone';
  if (iamErrorShape !== 'keystone' && iamErrorShape !== 'iam')
    throw new Error(`iamErrorShape must be 'keystone' or 'iam', got ${JSON.stringify(iamErrorShape)}`);
  const projects: SimProject[] = credentials.map((c, i) =>
    i === 0
      ? { id: c.projectId, name: options.region ?? 'cn-north-4', domainId: c.domainId }
      : { id: c.projectId, domainId: c.domainId },
  );
  const iam = new SimIam({
    users: options.iamUsers ?? [],
    projects,
    tokenTtlMs,
    errorShape: iamErrorShape,
    clock,
    tokens,
    counters,
    ...(options.idpId !== undefined
      ? {
          oidc: {
            idpId: options.idpId,
            issuer: options.oidcIssuer ?? '',
            audience: options.oidcAudience ?? '',
            ...(options.oidcPublicKey !== undefined ? { publicKey: options.oidcPublicKey } : {}),
          },
        }
      : {}),
  });
  const controls = createControls({ state, faults, counters, initialThrottle, ownerDomainId: primaryDomain });
  const server: Server = createServer(
    { keepAlive: true },
    createRequestListener({
      state,
      faults,
      config,
      credentials,
      tokens,
      clock,
      counters,
      controls,
      iam,
      logError: options.logError ?? ((m) => process.stderr.write(m + '\n')),
    }),
  );
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  // A wildcard bind is reached through loopback (where the test controls answer too).
  const urlHost =
    host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    controls,
    iam: { revokeTokens: () => iam.revokeTokens() },
    close: () =>
      new Promise<void>((resolve) => {
        state.reset();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
