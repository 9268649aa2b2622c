import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ApiException, type CustomObjectsApi } from '@kubernetes/client-node';
import { API_VERSION, GROUP, KIND, PLURAL, VERSION } from '../../../src/api/constants.js';
import type { Condition, VpcEndpointService, VpcEndpointServiceSpec } from '../../../src/api/types.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../../src/simulator/index.js';
import { afterAll, beforeAll, expect } from 'vitest';
import { eventually, testKube, type TestKube } from './kube.js';
import { expectNoSecretsLeaked } from './leaks.js';
import { OPERATOR_NODE_ARGS } from './node-flags.js';

const root = path.resolve(import.meta.dirname, '../../..');

/** Credentials the tests give the simulator and the operator. The secret key is grepped for in logs. */
export const TEST_CREDS = {
  accessKey: 'it-access-key',
  secretKey: 'it-SECRET-never-logged-7f3a9c',
  projectId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
};

/** Starts a simulator with the test credentials and short delays (overridable). */
export function startTestSimulator(opts: Partial<SimulatorOptions> = {}): Promise<Simulator> {
  return startSimulator({ ...TEST_CREDS, createDelayMs: 1_500, deleteDelayMs: 1_000, ...opts });
}

/** A `vpcep-operator` child process (the built binary, as users run it). */
export interface OperatorProcess {
  proc: ChildProcess;
  /** Everything it printed (stdout and stderr), one entry per line. */
  lines: string[];
  /** SIGTERM, then wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, then wait for exit. */
  kill(): Promise<void>;
}

/**
 * Starts the operator watching `namespaces` against `simUrl`, with extra flags appended. `binary`
 * runs another build (the upgrade test runs the previous release's); default: this tree's `dist/`.
 */
export { OPERATOR_NODE_ARGS };

export function startOperator(opts: {
  kubeconfig: string;
  simUrl: string;
  namespaces: string[];
  args?: string[];
  env?: NodeJS.ProcessEnv;
  binary?: string;
  /** Options of node itself, before the script. Default {@link OPERATOR_NODE_ARGS}. */
  nodeArgs?: readonly string[];
}): OperatorProcess {
  const proc = spawn(
    process.execPath,
    [
      ...(opts.nodeArgs ?? OPERATOR_NODE_ARGS),
      opts.binary ?? path.join(root, 'dist/src/cmd/operator.js'),
      `--kubeconfig=${opts.kubeconfig}`,
      `--namespaces=${opts.namespaces.join(',')}`,
      '--metrics-bind-address=127.0.0.1:0',
      '--health-probe-bind-address=127.0.0.1:0',
      '--log-level=debug',
      ...(opts.args ?? []),
    ],
    {
      env: {
        PATH: process.env.PATH,
        HUAWEICLOUD_SDK_AK: TEST_CREDS.accessKey,
        HUAWEICLOUD_SDK_SK: TEST_CREDS.secretKey,
        HUAWEICLOUD_SDK_PROJECT_ID: TEST_CREDS.projectId,
        HUAWEICLOUD_REGION: 'cn-north-4',
        VPCEP_ENDPOINT: opts.simUrl,
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  for (const stream of [proc.stdout, proc.stderr]) {
    let buf = '';
    stream?.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      lines.push(...parts);
      if (process.env.VPCEP_IT_OPERATOR_LOGS)
        for (const p of parts) process.stderr.write(`[operator] ${p}\n`);
    });
  }
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    proc,
    lines,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

const ref = (namespace: string) => ({ group: GROUP, version: VERSION, plural: PLURAL, namespace });

/** A valid spec with unique-ish ports; override any field. */
export function specFor(overrides: Partial<VpcEndpointServiceSpec> = {}): VpcEndpointServiceSpec {
  return {
    portId: '4189d3c2-8882-4871-a3c2-d380272eed88',
    vpcId: '4189d3c2-8882-4871-a3c2-d380272eed80',
    serverType: 'VM',
    approvalEnabled: false,
    ports: [{ clientPort: 8080, serverPort: 90 }],
    ...overrides,
  };
}

/** Random lower-case UUID (a distinct backend port per test avoids EndPoint.3044 across tests). */
export function uuid(): string {
  return crypto.randomUUID();
}

/** Creates a VpcEndpointService. */
export async function createCR(
  custom: CustomObjectsApi,
  namespace: string,
  name: string,
  spec: VpcEndpointServiceSpec,
  annotations: Record<string, string> = {},
): Promise<VpcEndpointService> {
  return (await custom.createNamespacedCustomObject({
    ...ref(namespace),
    body: { apiVersion: API_VERSION, kind: KIND, metadata: { name, annotations }, spec },
  })) as VpcEndpointService;
}

/** Reads a VpcEndpointService; undefined when it is gone. */
export async function getCR(
  custom: CustomObjectsApi,
  namespace: string,
  name: string,
): Promise<VpcEndpointService | undefined> {
  try {
    return (await custom.getNamespacedCustomObject({ ...ref(namespace), name })) as VpcEndpointService;
  } catch (e) {
    if (e instanceof ApiException && e.code === 404) return undefined;
    throw e;
  }
}

/** Every VpcEndpointService of `namespace`. */
export async function listCRs(custom: CustomObjectsApi, namespace: string): Promise<VpcEndpointService[]> {
  return ((await custom.listNamespacedCustomObject(ref(namespace))) as { items: VpcEndpointService[] }).items;
}

/** Merge-patches a VpcEndpointService (spec or metadata). */
export async function patchCR(
  custom: CustomObjectsApi,
  namespace: string,
  name: string,
  body: object,
): Promise<VpcEndpointService> {
  const { PatchStrategy, setHeaderOptions } = await import('@kubernetes/client-node');
  return (await custom.patchNamespacedCustomObject(
    { ...ref(namespace), name, body },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  )) as VpcEndpointService;
}

/** Deletes a VpcEndpointService (does not wait). */
export async function deleteCR(custom: CustomObjectsApi, namespace: string, name: string): Promise<void> {
  await custom.deleteNamespacedCustomObject({ ...ref(namespace), name });
}

/** A resource of either kind, as far as its conditions go. */
type WithConditions = { metadata: { generation?: number }; status?: { conditions?: Condition[] } };

/** The condition of `type`. */
export function cond(cr: WithConditions | undefined, type: string) {
  return cr?.status?.conditions?.find((c) => c.type === type);
}

/** True when Ready=True for the current generation. */
export function isReady(cr: WithConditions | undefined): boolean {
  const c = cond(cr, 'Ready');
  return c?.status === 'True' && c.observedGeneration === cr?.metadata.generation;
}

/** Waits until `pred` holds for the resource; returns it. */
export function waitForCR(
  custom: CustomObjectsApi,
  namespace: string,
  name: string,
  pred: (cr: VpcEndpointService | undefined) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<VpcEndpointService | undefined> {
  return eventually(
    async () => {
      const cr = await getCR(custom, namespace, name);
      return pred(cr) ? { cr } : undefined;
    },
    `${namespace}/${name}: ${what}`,
    timeoutMs,
    200,
  ).then((r) => r.cr);
}

/** What {@link useOperatorFixture} sets up for a test file; the fields are filled in by `beforeAll`. */
export interface OperatorFixture {
  k: TestKube;
  ns: string;
  sim: Simulator;
  op: OperatorProcess;
  /** Secret values the file used besides the test secret key; teardown proves none of them leaked. */
  secrets: string[];
}

/**
 * Registers `beforeAll`/`afterAll` for the usual operator test file: a fresh namespace (`prefix-xxxxxx`),
 * a simulator, and the operator watching that namespace (or all of them). Teardown first proves that
 * no secret (the test secret key, and every value in `f.secrets`) appears in the operator's output,
 * the namespace's events and statuses or the operator's metrics, then stops the operator and expects a
 * clean exit (code 0), then closes the simulator.
 */
export function useOperatorFixture(
  prefix: string,
  opts: {
    sim?: Partial<SimulatorOptions>;
    args?: string[];
    allNamespaces?: boolean;
    env?: NodeJS.ProcessEnv;
  } = {},
): OperatorFixture {
  const f = { secrets: [] as string[] } as OperatorFixture;
  beforeAll(async () => {
    f.k = testKube();
    f.ns = await f.k.freshNamespace(prefix);
    f.sim = await startTestSimulator(opts.sim);
    f.op = startOperator({
      kubeconfig: f.k.kubeconfig,
      simUrl: f.sim.url,
      namespaces: opts.allNamespaces ? [] : [f.ns],
      ...(opts.args ? { args: opts.args } : {}),
      ...(opts.env ? { env: opts.env } : {}),
    });
  });
  afterAll(async () => {
    try {
      if (f.op && f.op.proc.exitCode === null)
        await expectNoSecretsLeaked(f.k, f.op, [f.ns], [TEST_CREDS.secretKey, ...f.secrets], {
          requireMetrics: false,
        });
    } finally {
      const code = await f.op?.stop();
      await f.sim?.close();
      expect(code).toBe(0);
    }
  });
  return f;
}
