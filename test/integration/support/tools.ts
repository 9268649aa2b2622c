import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

const root = path.resolve(import.meta.dirname, '../../..');

/** What a command did: exit code and output. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in the repository root; never throws (the exit code is part of the answer). */
export function run(cmd: string, args: string[], input?: string, cwd = root): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      { cwd, encoding: 'utf8', maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** The output of a run that must succeed; throws with both streams otherwise. */
export function ok(r: Run, what: string): string {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/** Writes a kubeconfig for `admin`'s cluster (server + CA) whose only credential is `token`. */
export function tokenKubeconfig(admin: KubeConfig, token: string, file: string): string {
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('the admin kubeconfig has no current cluster');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'it',
        server: cluster.server,
        skipTLSVerify: false,
        ...(cluster.caData ? { caData: cluster.caData } : {}),
        ...(cluster.caFile ? { caFile: cluster.caFile } : {}),
      },
    ],
    users: [{ name: 'sa', token }],
    contexts: [{ name: 'sa', cluster: 'it', user: 'sa' }],
    currentContext: 'sa',
  });
  writeFileSync(file, kc.exportConfig(), { mode: 0o600 });
  return file;
}
