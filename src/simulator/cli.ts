/**
 * Command line of `vpcep-simulator`: flags (with environment fallbacks for the credentials) to
 * {@link SimulatorOptions}, and the run loop that prints the ready line and stops on SIGINT/SIGTERM.
 * Nothing but the ready line goes to stdout; errors go to stderr.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Inventory } from './state.js';
import type { Faults, FaultErrorKind } from './faults.js';
import { startSimulator, type SimulatorOptions } from './index.js';

/** `--help` text. */
export const USAGE = `Usage: vpcep-simulator --access-key AK --secret-key SK --project-id ID [options]

A local Huawei Cloud VPCEP endpoint-service API (AK/SK signatures, async states, error codes,
throttling, fault injection). Prints "vpcep-simulator listening on http://HOST:PORT" when ready.

  --port N                 port (default 0: a free one)
  --host H                 interface (default 127.0.0.1)
  --access-key AK          (env HUAWEICLOUD_SDK_AK)
  --secret-key SK          (env HUAWEICLOUD_SDK_SK)
  --project-id ID          (env HUAWEICLOUD_SDK_PROJECT_ID)
  --domain-id ID           account id of the credential (default derived from the project id)
  --credential AK:SK:PROJECT[:DOMAIN]
                           a further account's credential, scoped to its own project, with its account
                           (domain) id (default derived from the project id); repeatable
  --region R               region in full service names (default cn-north-4; env HUAWEICLOUD_REGION)
  --auth-token T           accept X-Auth-Token T for the project (repeatable)
  --iam-user N:P:D         IAM user N, password P, account (domain) name D for
                           POST /v3/auth/tokens (repeatable)
  --token-ttl DUR          life of issued IAM tokens, e.g. 24h, 90m, 30s (default 24h)
  --iam-error-shape S      body of a refused password token request: keystone
                           ({"error":{"code":401,...}}, default) or iam ({"error_code":"IAM.0001",...})
  --idp-id ID              accept OIDC ID tokens at POST /v3.0/OS-AUTH/id-token/tokens with
                           X-Idp-Id ID (needs --oidc-issuer and --oidc-audience)
  --oidc-issuer ISS        the iss an ID token must carry
  --oidc-audience AUD      the aud an ID token must carry
  --oidc-public-key FILE   PEM public key or JWKS the ID token must be signed with (default: not checked)
  --create-delay MS        creating -> available (default 1000)
  --delete-delay MS        deleting -> gone (default 1000)
  --fail-rate R            share 0..1 of creates that end failed (default 0)
  --failed-error-shape S   error[] entries of a failed service: sdk ({code, message}, default,
                           as the official SDKs model it) or legacy ({error_code, error_message})
  --quota N                services per project (default 50)
  --endpoint-quota N       endpoints per project (default 50)
  --dns-domain D           suffix of endpoints' private domain names
                           {endpoint id}.{service name}.{region}.D (default vpcep.myhuaweicloud.com)
  --qps N                  calls a second per operation, 0 = off (default 0)
  --qps-scope S            operation (a budget per operation, default) or total (one for all calls)
  --throttle-mode M        429 (APIGW.0308, default) or 0022 (400 EndPoint.0022)
  --inventory FILE         JSON {"vpcs":[{"id","ports":["id" | {"id","lbType"}],
                           "subnets"?:[{"id","cidr"}],"routeTables"?:["id"]}]}: only these exist
  --max-services-per-port N  EndPoint.3056 beyond N (default 0: no cap)
  --whitelist-cap N        EndPoint.3049 beyond N entries (default 1000)
  --delete-status 200|204  success status of DELETE (default 204)
  --reject-immutable-updates  refuse PUTs changing vpc_id/server_type/enable_policy (default: ignore)
  --lenient                the looser reading of unconfirmed rules (limit=0, only identical port
                           mappings refused, PUT in any state but deleting); default strict
  --error-rate R           share 0..1 of calls answered with --error-kind
  --error-kind K           500 | 504 | 429 | 0022 | nestedShape (default 500)
  --error-shape S          flat | nested rendering of VPCEP errors
  --latency-min MS, --latency-max MS   uniform response latency
  --reset-rate R           share 0..1 of calls whose connection is reset
  --help
`;

function num(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n))
    throw new Error(`${flag} needs a number, got ${JSON.stringify(v)}`);
  return n;
}

/** `24h`, `90m`, `30s`, `1500ms`, `1h30m` (or a bare number of ms) to milliseconds; throws naming the flag. */
export function parseDurationMs(v: string, flag: string): number {
  const s = v.trim();
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  if (/^\d+$/.test(s)) total = Number(s);
  else if (/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(s))
    for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g))
      total += Number(m[1]) * (units[m[2] ?? ''] ?? 0);
  if (!(total > 0))
    throw new Error(`${flag} needs a positive duration such as 24h, 90m or 30s, got ${JSON.stringify(v)}`);
  return Math.round(total);
}

/** The IAM flags: users (`NAME:PASSWORD:DOMAIN`, the password may hold `:`), token life, federation. */
function parseIamArgs(values: {
  'iam-user'?: string[];
  'token-ttl'?: string;
  'iam-error-shape'?: string;
  'idp-id'?: string;
  'oidc-issuer'?: string;
  'oidc-audience'?: string;
  'oidc-public-key'?: string;
}): Partial<SimulatorOptions> {
  const out: Partial<SimulatorOptions> = {};
  if (values['iam-user'])
    out.iamUsers = values['iam-user'].map((u) => {
      const first = u.indexOf(':');
      const last = u.lastIndexOf(':');
      if (first <= 0 || last === first || last === u.length - 1)
        throw new Error('--iam-user needs NAME:PASSWORD:DOMAIN');
      return { name: u.slice(0, first), password: u.slice(first + 1, last), domainName: u.slice(last + 1) };
    });
  if (values['token-ttl'] !== undefined) out.tokenTtlMs = parseDurationMs(values['token-ttl'], '--token-ttl');
  const shape = values['iam-error-shape'];
  if (shape !== undefined && shape !== 'keystone' && shape !== 'iam')
    throw new Error('--iam-error-shape must be keystone or iam');
  if (shape !== undefined) out.iamErrorShape = shape;
  if (values['idp-id'] !== undefined) {
    if (!values['oidc-issuer'] || !values['oidc-audience'])
      throw new Error('--idp-id needs --oidc-issuer and --oidc-audience');
    out.idpId = values['idp-id'];
    out.oidcIssuer = values['oidc-issuer'];
    out.oidcAudience = values['oidc-audience'];
    if (values['oidc-public-key']) out.oidcPublicKey = readFileSync(values['oidc-public-key'], 'utf8');
  }
  return out;
}

/**
 * `--credential AK:SK:PROJECT_ID[:DOMAIN_ID]` entries to further identities (`SimulatorOptions.credentials`).
 * Split on `:`, so none of the four may hold one; throws naming the flag (never echoing the value) on
 * any other shape.
 */
function parseCredentials(values: string[] | undefined): SimulatorOptions['credentials'] {
  if (!values) return undefined;
  return values.map((v) => {
    const parts = v.split(':');
    if ((parts.length !== 3 && parts.length !== 4) || parts.some((p) => p === ''))
      throw new Error(
        `--credential needs AK:SK:PROJECT_ID[:DOMAIN_ID] (got ${String(parts.length)} fields; the value is not echoed, it holds a secret key)`,
      );
    const [accessKey = '', secretKey = '', projectId = '', domainId] = parts;
    return { accessKey, secretKey, projectId, ...(domainId !== undefined ? { domainId } : {}) };
  });
}

/** Parses argv (without `node` and the script) and the environment into options; throws on bad input. */
export function parseSimulatorArgs(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): SimulatorOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'access-key': { type: 'string' },
      'secret-key': { type: 'string' },
      'project-id': { type: 'string' },
      'domain-id': { type: 'string' },
      credential: { type: 'string', multiple: true },
      region: { type: 'string' },
      'auth-token': { type: 'string', multiple: true },
      'iam-user': { type: 'string', multiple: true },
      'token-ttl': { type: 'string' },
      'iam-error-shape': { type: 'string' },
      'idp-id': { type: 'string' },
      'oidc-issuer': { type: 'string' },
      'oidc-audience': { type: 'string' },
      'oidc-public-key': { type: 'string' },
      'create-delay': { type: 'string' },
      'delete-delay': { type: 'string' },
      'fail-rate': { type: 'string' },
      'failed-error-shape': { type: 'string' },
      quota: { type: 'string' },
      'endpoint-quota': { type: 'string' },
      'dns-domain': { type: 'string' },
      qps: { type: 'string' },
      'throttle-mode': { type: 'string' },
      'qps-scope': { type: 'string' },
      inventory: { type: 'string' },
      'max-services-per-port': { type: 'string' },
      'whitelist-cap': { type: 'string' },
      'delete-status': { type: 'string' },
      'reject-immutable-updates': { type: 'boolean' },
      lenient: { type: 'boolean' },
      'error-rate': { type: 'string' },
      'error-kind': { type: 'string' },
      'error-shape': { type: 'string' },
      'latency-min': { type: 'string' },
      'latency-max': { type: 'string' },
      'reset-rate': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return 'help';
  const accessKey = values['access-key'] ?? env.HUAWEICLOUD_SDK_AK;
  const secretKey = values['secret-key'] ?? env.HUAWEICLOUD_SDK_SK;
  const projectId = values['project-id'] ?? env.HUAWEICLOUD_SDK_PROJECT_ID;
  if (!accessKey || !secretKey || !projectId)
    throw new Error('--access-key, --secret-key and --project-id are required');
  const mode = values['throttle-mode'];
  if (mode !== undefined && mode !== '429' && mode !== '0022')
    throw new Error('--throttle-mode must be 429 or 0022');
  const scope = values['qps-scope'];
  if (scope !== undefined && scope !== 'operation' && scope !== 'total')
    throw new Error('--qps-scope must be operation or total');
  const shape = values['failed-error-shape'];
  if (shape !== undefined && shape !== 'sdk' && shape !== 'legacy')
    throw new Error('--failed-error-shape must be sdk or legacy');
  const delStatus = num(values['delete-status'], '--delete-status');
  if (delStatus !== undefined && delStatus !== 200 && delStatus !== 204)
    throw new Error('--delete-status must be 200 or 204');
  const opts: SimulatorOptions = {
    accessKey,
    secretKey,
    projectId,
    port: num(values.port, '--port') ?? 0,
    host: values.host ?? '127.0.0.1',
    region: values.region ?? env.HUAWEICLOUD_REGION ?? 'cn-north-4',
    createDelayMs: num(values['create-delay'], '--create-delay'),
    deleteDelayMs: num(values['delete-delay'], '--delete-delay'),
    failRate: num(values['fail-rate'], '--fail-rate'),
    quota: num(values.quota, '--quota'),
    endpointQuota: num(values['endpoint-quota'], '--endpoint-quota'),
    qps: num(values.qps, '--qps'),
    throttleMode: mode,
    ...(scope ? { qpsScope: scope } : {}),
    maxServicesPerPort: num(values['max-services-per-port'], '--max-services-per-port'),
    whitelistCap: num(values['whitelist-cap'], '--whitelist-cap'),
    deleteSuccessStatus: delStatus as 200 | 204 | undefined,
    rejectImmutableUpdates: values['reject-immutable-updates'] ?? false,
    lenient: values.lenient ?? false,
  };
  if (shape !== undefined) opts.failedErrorShape = shape;
  if (values['domain-id']) opts.domainId = values['domain-id'];
  const more = parseCredentials(values.credential);
  if (more) opts.credentials = more;
  if (values['dns-domain']) opts.dnsDomain = values['dns-domain'];
  if (values['auth-token']) opts.authTokens = values['auth-token'];
  Object.assign(opts, parseIamArgs(values));
  if (values.inventory) opts.inventory = JSON.parse(readFileSync(values.inventory, 'utf8')) as Inventory;
  const faults: Faults = {};
  const errorRate = num(values['error-rate'], '--error-rate');
  if (errorRate !== undefined) faults.errorRate = errorRate;
  if (values['error-kind']) faults.errorKind = values['error-kind'] as FaultErrorKind;
  if (values['error-shape']) faults.errorShape = values['error-shape'] as 'flat' | 'nested';
  const resetRate = num(values['reset-rate'], '--reset-rate');
  if (resetRate !== undefined) faults.resetRate = resetRate;
  const lmin = num(values['latency-min'], '--latency-min');
  const lmax = num(values['latency-max'], '--latency-max');
  if (lmin !== undefined || lmax !== undefined) faults.latencyMs = { min: lmin ?? 0, max: lmax ?? lmin ?? 0 };
  if (Object.keys(faults).length > 0) opts.faults = faults;
  return opts;
}

/** Runs the CLI: starts the simulator, prints the ready line, closes on SIGINT/SIGTERM. Returns the exit code. */
export async function runSimulatorCli(argv: string[]): Promise<number> {
  let opts: SimulatorOptions | 'help';
  try {
    opts = parseSimulatorArgs(argv);
  } catch (e) {
    process.stderr.write(`vpcep-simulator: ${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
    return 2;
  }
  if (opts === 'help') {
    process.stderr.write(USAGE);
    return 0;
  }
  let sim;
  try {
    sim = await startSimulator(opts);
  } catch (e) {
    process.stderr.write(`vpcep-simulator: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  process.stdout.write(`vpcep-simulator listening on ${sim.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void sim.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
