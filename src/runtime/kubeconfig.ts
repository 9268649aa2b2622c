/**
 * Kubeconfig loading with connection reuse.
 *
 * client-node 1.4 creates a new HTTP agent for every API call and every watch (re)connect, so every
 * request opens a new TCP+TLS connection and watch reconnects leak sockets. {@link useKeepAlive}
 * replaces that with one cached keep-alive agent per set of TLS credentials.
 */
import http from 'node:http';
import https from 'node:https';
import { createHash } from 'node:crypto';
import { KubeConfig, type Cluster } from '@kubernetes/client-node';

type MakeAgent = (cluster: Cluster | null, opts: https.AgentOptions) => http.Agent;

const PATCHED = Symbol.for('vpcep-operator.keepAlive');

/** Fingerprint of the TLS material in agent options (never logged; hashed so nothing secret is held twice). */
function fingerprint(cluster: Cluster | null, opts: https.AgentOptions): string {
  const h = createHash('sha256');
  h.update(cluster?.server ?? '');
  for (const v of [opts.ca, opts.cert, opts.key, opts.pfx, opts.passphrase, opts.servername]) {
    const parts = Array.isArray(v) ? v : [v];
    for (const p of parts)
      h.update(p === undefined ? '\0' : typeof p === 'string' || Buffer.isBuffer(p) ? p : JSON.stringify(p));
    h.update('|');
  }
  h.update(String(opts.rejectUnauthorized));
  return h.digest('hex');
}

/**
 * Makes all requests of `kc` (API calls and watches) share one keep-alive agent.
 *
 * Guarantees: connections are reused across calls; a change of TLS material (rotated client cert,
 * another cluster) gets a fresh agent; proxied clusters and the `http://` without `skipTLSVerify` case
 * keep client-node's own behaviour (its error included). Idempotent per `KubeConfig`.
 */
export function useKeepAlive(kc: KubeConfig, agentOptions: { maxSockets?: number } = {}): void {
  const target = kc as unknown as { createAgent: MakeAgent; [PATCHED]?: boolean };
  if (target[PATCHED]) return;
  const original = target.createAgent.bind(kc);
  let cached: { key: string; agent: http.Agent } | undefined;
  target.createAgent = (cluster, opts) => {
    const plain = cluster?.server.startsWith('http:') ?? false;
    if (cluster?.proxyUrl || (plain && !cluster?.skipTLSVerify)) return original(cluster, opts);
    const key = fingerprint(cluster, opts);
    if (cached?.key !== key) {
      const common = { keepAlive: true, maxSockets: agentOptions.maxSockets ?? 256 };
      const agent = plain ? new http.Agent(common) : new https.Agent({ ...opts, ...common });
      cached = { key, agent };
    }
    return cached.agent;
  };
  target[PATCHED] = true;
}

/**
 * Loads a kubeconfig from `path`, else the default chain (`$KUBECONFIG`, `~/.kube/config`, in-cluster),
 * and installs {@link useKeepAlive}. Throws if the file cannot be read or parsed.
 */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  useKeepAlive(kc);
  return kc;
}

/** The current context's namespace, if the kubeconfig names one (in-cluster: the pod's namespace). */
export function currentNamespace(kc: KubeConfig): string | undefined {
  return kc.getContextObject(kc.getCurrentContext())?.namespace || undefined;
}
