import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import './support/context.js';

const root = path.resolve(import.meta.dirname, '../..');

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(cmd, args, { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

/**
 * Integration global setup: builds (or reuses) the test-bed tools, starts a fresh kube-apiserver + etcd +
 * kube-controller-manager on loopback unless the caller gave `KUBECONFIG`, applies `crds/` and waits for
 * every CRD to be Established. The returned teardown stops the control plane even when tests failed.
 */
export default function setup(project: TestProject): () => void {
  const toolsBin = run('bash', ['hack/build-tools.sh']).trim().split('\n').pop() ?? '';
  const kubectl = path.join(toolsBin, 'kubectl');
  let clusterDir = '';
  let kubeconfig = process.env.KUBECONFIG ?? '';
  if (!kubeconfig || !existsSync(kubeconfig)) {
    clusterDir = mkdtempSync(path.join(tmpdir(), 'vpcep-it-'));
    run('bash', ['hack/cluster-up.sh', clusterDir]);
    kubeconfig = path.join(clusterDir, 'kubeconfig');
  }
  const teardown = (): void => {
    if (clusterDir) run('bash', ['hack/cluster-down.sh', clusterDir]);
  };
  try {
    const crds = readdirSync(path.join(root, 'crds')).filter((f) => f.endsWith('.yaml'));
    if (crds.length > 0) {
      run(kubectl, ['--kubeconfig', kubeconfig, 'apply', '--server-side', '-f', 'crds/']);
      run(kubectl, [
        '--kubeconfig',
        kubeconfig,
        'wait',
        '--for=condition=Established',
        '--timeout=60s',
        ...crds.map((f) => `-f=crds/${f}`),
      ]);
    }
  } catch (e) {
    teardown();
    throw e;
  }
  project.provide('kubeconfig', kubeconfig);
  project.provide('clusterDir', clusterDir);
  project.provide('toolsBin', toolsBin);
  return teardown;
}
