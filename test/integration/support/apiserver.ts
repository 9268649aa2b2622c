import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import './context.js';

const execFileP = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');

/**
 * Why the apiserver cannot be restarted in this run, or `undefined` if it can: only a control plane
 * the global setup started itself (not a caller-provided KUBECONFIG) can be restarted.
 */
export function cannotRestartApiserver(): string | undefined {
  return inject('clusterDir')
    ? undefined
    : 'the control plane was provided through KUBECONFIG, so this run cannot restart its kube-apiserver';
}

/**
 * Stops kube-apiserver and starts it again on the same port, PKI and etcd
 * (`hack/cluster-up.sh --restart-apiserver`); resolves once it answers `/readyz` again, with the
 * wall-clock times it went down and came back.
 */
export async function restartApiserver(): Promise<{ stoppedAt: number; readyAt: number }> {
  const clusterDir = inject('clusterDir');
  const reason = cannotRestartApiserver();
  if (reason) throw new Error(reason);
  const stoppedAt = Date.now();
  try {
    await execFileP('bash', ['hack/cluster-up.sh', '--restart-apiserver', clusterDir], {
      cwd: root,
      encoding: 'utf8',
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`restarting kube-apiserver failed: ${err.stderr || err.message}`);
  }
  return { stoppedAt, readyAt: Date.now() };
}
