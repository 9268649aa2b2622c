import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** Repository root, from test/unit/deploy. */
export const root = path.resolve(import.meta.dirname, '../../..');
/** The Helm chart. */
export const chartDir = path.join(root, 'deploy/helm/vpcep-operator');
/** ArgoCD's resource_customizations layout for our kind. */
export const healthDir = path.join(root, 'deploy/argocd/vpcep.huaweicloud.io/VpcEndpointService');
/** The same layout for the consumer-side kind (issue 13). */
export const endpointHealthDir = path.join(root, 'deploy/argocd/vpcep.huaweicloud.io/VpcEndpoint');

/**
 * The test-bed tools' helm (hack/lib.sh's `TOOLS_BIN`, as the Makefile's `HELM_BIN` finds it), or
 * `undefined` when `make tools` has not built it yet: unit tests never start that (long) build.
 */
export function cachedHelm(): string | undefined {
  const r = spawnSync('bash', ['-c', '. hack/lib.sh && echo "$TOOLS_BIN"'], { cwd: root, encoding: 'utf8' });
  const helm = path.join(r.stdout.trim(), 'helm');
  return r.status === 0 && r.stdout.trim() && existsSync(helm) ? helm : undefined;
}
