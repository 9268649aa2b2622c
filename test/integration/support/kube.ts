import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { inject } from 'vitest';
import './context.js';

const execFileP = promisify(execFile);

/** Clients for the control plane under test, built from the kubeconfig the global setup provided. */
export interface TestKube {
  kc: KubeConfig;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  kubeconfig: string;
  /** Runs the tools' kubectl against the test cluster; resolves to stdout, rejects with stderr in the message. */
  kubectl(...args: string[]): Promise<string>;
  /** Creates a namespace with a unique name (`prefix-xxxxxx`) and returns its name. */
  freshNamespace(prefix: string): Promise<string>;
}

/** Builds the clients; call once per test file. */
export function testKube(): TestKube {
  const kubeconfig = inject('kubeconfig');
  const toolsBin = inject('toolsBin');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  return {
    kc,
    core,
    custom: kc.makeApiClient(CustomObjectsApi),
    kubeconfig,
    async kubectl(...args) {
      try {
        const { stdout } = await execFileP(
          path.join(toolsBin, 'kubectl'),
          ['--kubeconfig', kubeconfig, ...args],
          {
            encoding: 'utf8',
          },
        );
        return stdout;
      } catch (e) {
        const err = e as { stderr?: string; message: string };
        throw new Error(`kubectl ${args.join(' ')}: ${err.stderr || err.message}`);
      }
    },
    async freshNamespace(prefix) {
      const name = `${prefix}-${randomBytes(3).toString('hex')}`;
      await core.createNamespace({ body: { metadata: { name } } });
      return name;
    },
  };
}

/** Polls `probe` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
