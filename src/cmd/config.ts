/**
 * `vpcep-operator` configuration: flags (controller-runtime's names, so operators feel at home) and the
 * environment, validated once at startup with errors that say which flag or variable is wrong.
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { CredentialValues } from '../cloud/credentials.js';
import { ENV } from '../cloud/credentials.js';
import { parseDuration } from '../util/durations.js';
import { parseLabelSelector } from '../runtime/label-selector.js';

/** The validated configuration of one operator process; every field has its default filled in. */
export interface OperatorConfig {
  kubeconfig?: string;
  namespaces: string[];
  /**
   * `--default-credentials-namespaces`: the only namespaces whose resources may use the operator's own
   * (environment) credentials. Empty: every namespace may (the default).
   */
  defaultCredentialsNamespaces: string[];
  /**
   * `--allow-observe-owned`: when false (the default), an observe-only resource naming a cloud service
   * that another resource owns is refused.
   */
  allowObserveOwned: boolean;
  /**
   * `--watch-secrets` (default true): watch the metadata of Secrets in the watched namespaces, so a
   * change to a Secret that resources name re-reconciles exactly those resources within seconds. Needs
   * list/watch on Secrets; false: Secret changes are noticed by the periodic rechecks only.
   */
  watchSecrets: boolean;
  /**
   * `--enable-publish` (default true): keep the Services (and EndpointSlices) `VpcEndpoint`s ask for
   * with `spec.publish`. Needs write access to Services and EndpointSlices; false: a resource asking
   * for one reads `Ready=False PublishDisabled` and nothing is written.
   */
  enablePublish: boolean;
  /**
   * `--credential-secret-names`: the only names a `spec.credentialsSecretRef` may name (any other is
   * `CredentialsMissing` without a read); the Secret watch then selects these names, so RBAC may grant
   * get/list/watch by `resourceNames`. Empty: any name (the default).
   */
  credentialSecretNames: string[];
  leaderElect: boolean;
  leaderElectionNamespace?: string;
  /**
   * The Lease name: `--leader-election-id`, else `vpcep-operator-leader` without a selector and
   * `vpcep-operator-leader-<8 hex of sha256(canonical selector)>` with one, so each shard elects its own
   * leader and two releases with the same selection share one Lease.
   */
  leaderElectionId: string;
  /**
   * `--selector`: a label selector (canonical form) on the watched resources: this process lists,
   * watches and reconciles only the matching ones (one shard). Absent: all of them.
   */
  selector?: string;
  metricsAddress: string;
  healthAddress: string;
  maxConcurrentReconciles: number;
  cloudQps: number;
  cloudBurst: number;
  resyncMs: number;
  gracefulShutdownMs: number;
  /** A reconcile's signal aborts after this long (its cloud and Kubernetes calls stop). */
  reconcileTimeoutMs: number;
  logLevel: string;
  /** Operator-wide default credentials (may be partial: resources can bring their own Secret). */
  defaults: CredentialValues;
  endpointOverride?: string;
}

/** The result of parsing: run with a config, or print text and exit with a code. */
export type ParsedCommand =
  { kind: 'run'; config: OperatorConfig } | { kind: 'print'; text: string; exitCode: number };

/** The `--help` text: every flag and environment variable {@link parseCommand} reads. */
export const USAGE = `Usage: vpcep-operator [flags]

Manages Huawei Cloud VPC Endpoint services declared as VpcEndpointService resources.

Flags:
  --kubeconfig PATH                  kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)
  --namespaces NS[,NS...]            namespaces to watch (default: all)
  --selector SELECTOR                label selector on the resources to manage, e.g. shard=a or
                                     'team in (a,b)': one shard of them (default: all)
  --default-credentials-namespaces NS[,NS...]
                                     namespaces whose resources may use the operator's own credentials
                                     (the environment); elsewhere a resource must name a Secret with
                                     spec.credentialsSecretRef (default: all namespaces)
  --allow-observe-owned              allow observe-only resources (management-policy: observe) of a
                                     cloud service another resource owns; refused unless set
                                     (default: false)
  --watch-secrets=true|false         watch Secret metadata (list/watch on Secrets) so that a changed
                                     credentials Secret re-reconciles its resources within seconds;
                                     false: changes are seen by the periodic rechecks (default: true)
  --enable-publish=true|false        keep the Services and EndpointSlices that VpcEndpoints ask for
                                     with spec.publish (write access to both); false: none is written
                                     and such resources show PublishDisabled (default: true)
  --credential-secret-names NAME[,NAME...]
                                     the only Secret names spec.credentialsSecretRef may name; the
                                     Secret watch selects them by name (default: any name)
  --leader-elect                     elect a leader through a Lease before reconciling (default: false)
  --leader-election-namespace NS     namespace of the Lease (default: the pod's, else "default")
  --leader-election-id NAME          name of the Lease (default: vpcep-operator-leader, or with
                                     --selector vpcep-operator-leader-<hash of the selector>)
  --metrics-bind-address ADDR        /metrics address, "0" disables (default: ":8080")
  --health-probe-bind-address ADDR   /healthz and /readyz address, "0" disables (default: ":8081")
  --max-concurrent-reconciles N      parallel reconciles (default: 4)
  --cloud-qps N                      VPCEP calls per second per identity (default: 10)
  --cloud-burst N                    VPCEP call burst per identity (default: 20)
  --resync-period DURATION           steady-state drift check period, e.g. 10m (default: 10m)
  --graceful-shutdown-timeout DUR    time for in-flight reconciles on SIGTERM (default: 30s)
  --reconcile-timeout DUR            one reconcile's deadline: its calls in flight are cancelled (default: 2m)
  --log-level LEVEL                  trace, debug, info, warn, error (default: info)
  --version                          print the version and exit
  --help                             print this help and exit

Environment:
  ${ENV.accessKey}, ${ENV.secretKey}, ${ENV.securityToken}   default credentials
  ${ENV.idpId}, ${ENV.idTokenFile}                    or workload identity: the IAM identity
                                                                           provider and the projected token file
  ${ENV.projectId}, ${ENV.region}                            default project and region
  ${ENV.endpoint}                                            VPCEP endpoint override (e.g. the simulator)
  ${ENV.iamEndpoint}                                                 IAM endpoint override (token credentials)
  POD_NAMESPACE, POD_NAME                                    set by the Helm chart (downward API)
`;

class ConfigError extends Error {}

function positiveInt(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new ConfigError(`--${flag} must be a positive integer (got ${JSON.stringify(v)})`);
  return n;
}

function positiveNumber(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new ConfigError(`--${flag} must be a positive number (got ${JSON.stringify(v)})`);
  return n;
}

function duration(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const ms = parseDuration(v);
  if (ms === undefined)
    throw new ConfigError(`--${flag} must be a duration such as 30s, 10m or 1h (got ${JSON.stringify(v)})`);
  return ms;
}

function address(flag: string, v: string | undefined, dflt: string): string {
  const a = v ?? dflt;
  if (a === '0' || /^([\w.-]*|\[[0-9a-fA-F:]+\]):\d{1,5}$/.test(a)) return a;
  throw new ConfigError(`--${flag} must be HOST:PORT, :PORT or 0 (got ${JSON.stringify(a)})`);
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A comma-separated list of namespace names; empty entries are dropped, bad names are a ConfigError. */
function namespaceList(flag: string, v: string | undefined): string[] {
  const names = (v ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  for (const n of names)
    if (!NAMESPACE.test(n)) throw new ConfigError(`--${flag}: ${JSON.stringify(n)} is not a namespace name`);
  return [...new Set(names)];
}

const SECRET_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** A comma-separated list of Secret names (DNS subdomains); empty entries dropped, bad names refused. */
function nameList(flag: string, v: string | undefined): string[] {
  const names = (v ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  for (const n of names)
    if (!SECRET_NAME.test(n)) throw new ConfigError(`--${flag}: ${JSON.stringify(n)} is not a Secret name`);
  return [...new Set(names)];
}

/** The canonical form of `--selector`, or undefined when absent or empty; bad syntax is a ConfigError. */
function selectorOf(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  try {
    return parseLabelSelector(v).text || undefined;
  } catch (e) {
    throw new ConfigError(`--selector: ${(e as Error).message}`);
  }
}

/** The default Lease name: one per selection (the canonical selector's hash), the plain name without. */
export function defaultLeaseName(selector: string | undefined): string {
  if (!selector) return 'vpcep-operator-leader';
  return `vpcep-operator-leader-${createHash('sha256').update(selector).digest('hex').slice(0, 8)}`;
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Parses argv (without node and script) and the environment. Never exits; the caller prints and exits. */
export function parseCommand(argv: string[], env: NodeJS.ProcessEnv, version: string): ParsedCommand {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        kubeconfig: { type: 'string' },
        namespaces: { type: 'string' },
        selector: { type: 'string' },
        'default-credentials-namespaces': { type: 'string' },
        'allow-observe-owned': { type: 'boolean' },
        'watch-secrets': { type: 'string' },
        'enable-publish': { type: 'string' },
        'credential-secret-names': { type: 'string' },
        'leader-elect': { type: 'boolean' },
        'leader-election-namespace': { type: 'string' },
        'leader-election-id': { type: 'string' },
        'metrics-bind-address': { type: 'string' },
        'health-probe-bind-address': { type: 'string' },
        'max-concurrent-reconciles': { type: 'string' },
        'cloud-qps': { type: 'string' },
        'cloud-burst': { type: 'string' },
        'resync-period': { type: 'string' },
        'graceful-shutdown-timeout': { type: 'string' },
        'reconcile-timeout': { type: 'string' },
        'log-level': { type: 'string' },
        version: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    return { kind: 'print', text: `vpcep-operator: ${(e as Error).message}\n\n${USAGE}`, exitCode: 2 };
  }
  if (values.help) return { kind: 'print', text: USAGE, exitCode: 0 };
  if (values.version) return { kind: 'print', text: `vpcep-operator ${version}\n`, exitCode: 0 };
  const s = (k: string): string | undefined =>
    typeof values[k] === 'string' ? (values[k] as string) : undefined;
  try {
    const logLevel = s('log-level') ?? 'info';
    if (!LEVELS.includes(logLevel)) throw new ConfigError(`--log-level must be one of ${LEVELS.join(', ')}`);
    const namespaces = namespaceList('namespaces', s('namespaces'));
    const selector = selectorOf(s('selector'));
    const defaultCredentialsNamespaces = namespaceList(
      'default-credentials-namespaces',
      s('default-credentials-namespaces'),
    );
    const watchSecrets = s('watch-secrets') ?? 'true';
    if (watchSecrets !== 'true' && watchSecrets !== 'false')
      throw new ConfigError(`--watch-secrets must be true or false (got ${JSON.stringify(watchSecrets)})`);
    const enablePublish = s('enable-publish') ?? 'true';
    if (enablePublish !== 'true' && enablePublish !== 'false')
      throw new ConfigError(`--enable-publish must be true or false (got ${JSON.stringify(enablePublish)})`);
    const credentialSecretNames = nameList('credential-secret-names', s('credential-secret-names'));
    const nonEmpty = (k: string): string | undefined => (env[k]?.trim() ? env[k]?.trim() : undefined);
    const defaults: CredentialValues = {};
    for (const [field, name] of Object.entries(ENV) as Array<[keyof typeof ENV, string]>) {
      const v = nonEmpty(name);
      if (v !== undefined && field !== 'endpoint') defaults[field] = v;
    }
    const kubeconfig = s('kubeconfig');
    const lens = s('leader-election-namespace') ?? nonEmpty('POD_NAMESPACE');
    const endpointOverride = nonEmpty(ENV.endpoint);
    const config: OperatorConfig = {
      namespaces,
      defaultCredentialsNamespaces,
      allowObserveOwned: values['allow-observe-owned'] === true,
      watchSecrets: watchSecrets === 'true',
      enablePublish: enablePublish === 'true',
      credentialSecretNames,
      leaderElect: values['leader-elect'] === true,
      leaderElectionId: s('leader-election-id') ?? defaultLeaseName(selector),
      ...(selector ? { selector } : {}),
      metricsAddress: address('metrics-bind-address', s('metrics-bind-address'), ':8080'),
      healthAddress: address('health-probe-bind-address', s('health-probe-bind-address'), ':8081'),
      maxConcurrentReconciles: positiveInt('max-concurrent-reconciles', s('max-concurrent-reconciles'), 4),
      cloudQps: positiveNumber('cloud-qps', s('cloud-qps'), 10),
      cloudBurst: positiveInt('cloud-burst', s('cloud-burst'), 20),
      resyncMs: duration('resync-period', s('resync-period'), 10 * 60_000),
      gracefulShutdownMs: duration('graceful-shutdown-timeout', s('graceful-shutdown-timeout'), 30_000),
      reconcileTimeoutMs: duration('reconcile-timeout', s('reconcile-timeout'), 120_000),
      logLevel,
      defaults,
      ...(kubeconfig ? { kubeconfig } : {}),
      ...(lens ? { leaderElectionNamespace: lens } : {}),
      ...(endpointOverride ? { endpointOverride } : {}),
    };
    return { kind: 'run', config };
  } catch (e) {
    if (e instanceof ConfigError)
      return { kind: 'print', text: `vpcep-operator: ${e.message}\n`, exitCode: 2 };
    throw e;
  }
}
