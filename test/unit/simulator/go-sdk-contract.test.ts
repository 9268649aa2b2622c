/**
 * Contract with Huawei's official Go SDK (`huaweicloud-sdk-go-v3`, `services/vpcep/v1`, pinned in
 * test/sdk-contract/go.mod): the Go program there drives a simulator started here with the SDK's own
 * client, AK/SK signer and models, and prints one JSON line per SDK operation. Each operation is a test:
 * it fails with the SDK's error or the first field that did not decode as the model says.
 *
 * The Go binary is built once into the tools cache (the directory hack/lib.sh uses), keyed by a hash
 * of the module's go.mod, go.sum and sources, through the machine's Go module proxy configuration.
 * Without a Go toolchain the suite fails with a message saying so; it never skips.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { startSimulator, type OperationName, type Simulator } from '../../../src/simulator/index.js';
import { OPERATIONS } from '../../../src/simulator/routes.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const MODULE_DIR = path.join(ROOT, 'test/sdk-contract');
const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const REGION = 'cn-north-4';
const CREDS = { accessKey: 'SDKCONTRACTAK0001', secretKey: 'sdk-contract-secret-0001' };
const TEMP = {
  accessKey: 'SDKCONTRACTTEMPAK',
  secretKey: 'sdk-contract-temp-secret',
  token: 'sdk-contract-token-0001',
};
/** A second account, in its own project: the consumer whose endpoints connect to the provider's service. */
const CONSUMER = {
  accessKey: 'SDKCONTRACTCONSUMERAK',
  secretKey: 'sdk-contract-consumer-secret',
  projectId: '1b2c3d4e5f60718293a4b5c6d7e8f9a0',
  domainId: 'c0115e7e1d0c4f6a9b3e2d1c0b9a8f7e',
};
/** A Huawei-operated gateway service with endpoint policies (route tables, policy_statement). */
const GATEWAY = {
  id: '2f3b5c9d-1e20-4d4f-8b6c-7e8f9a012345',
  name: 'obs',
  serviceType: 'gateway',
  enablePolicy: true,
} as const;

/**
 * Which SDK calls must reach each simulator operation. Typed by `OperationName`, so an operation added
 * to the simulator does not compile until it is mapped to the SDK request that exercises it.
 */
const COVERAGE: Record<OperationName, readonly string[]> = {
  create: ['CreateEndpointService'],
  get: ['ListServiceDetails', 'ListServiceDetails/missing', 'ListServiceDetails/afterDelete'],
  list: ['ListEndpointService'],
  update: ['UpdateEndpointService'],
  rename: ['UpdateEndpointServiceName'],
  delete: ['DeleteEndpointService', 'DeleteEndpointService/inUse'],
  describe: ['ListServiceDescribeDetails/byId', 'ListServiceDescribeDetails/byName'],
  listPublic: ['ListServicePublicDetails'],
  quotas: [
    'ListQuotaDetails',
    'ListQuotaDetails/afterCreate',
    'ListQuotaDetails/wrongSecret',
    'ListQuotaDetails/securityToken',
    'ListQuotaDetails/endpoint',
    'ListQuotaDetails/endpointAfterCreate',
  ],
  tags: ['BatchAddOrRemoveResourceInstance/create', 'BatchAddOrRemoveResourceInstance/delete'],
  queryTags: ['ListResourceInstances/filter', 'ListResourceInstances/count'],
  projectTags: ['ListQueryProjectResourceTags'],
  listPermissions: ['ListServicePermissionsDetails'],
  permissionAction: ['AddOrRemoveServicePermissions/add', 'AddOrRemoveServicePermissions/remove'],
  permissionBatchCreate: ['BatchAddEndpointServicePermissions'],
  permissionBatchDelete: ['BatchRemoveEndpointServicePermissions'],
  permissionUpdate: ['UpdateEndpointServicePermissionDesc'],
  listConnections: [
    'ListServiceConnections',
    'ListServiceConnections/endpoint',
    'ListServiceConnections/afterEndpointDelete',
  ],
  connectionAction: [
    'AcceptOrRejectEndpoint/receive',
    'AcceptOrRejectEndpoint/reject',
    'AcceptOrRejectEndpoint/receiveEndpoint',
  ],
  connectionDescription: ['UpdateEndpointConnectionsDesc'],
  createEndpoint: ['CreateEndpoint', 'CreateEndpoint/gateway', 'CreateEndpoint/notWhitelisted'],
  getEndpoint: [
    'ListEndpointInfoDetails',
    'ListEndpointInfoDetails/otherProject',
    'ListEndpointInfoDetails/afterDelete',
    'ListEndpointInfoDetails/missing',
  ],
  listEndpoints: ['ListEndpoints'],
  updateEndpointWhitelist: ['UpdateEndpointWhite'],
  updateEndpointRouteTables: ['UpdateEndpointRoutetable'],
  updateEndpointPolicy: ['UpdateEndpointPolicy'],
  deleteEndpointPolicy: ['DeleteEndpointPolicy'],
  deleteEndpoint: ['DeleteEndpoint', 'DeleteEndpoint/gateway'],
  endpointTags: [
    'BatchAddOrRemoveResourceInstance/endpointCreate',
    'BatchAddOrRemoveResourceInstance/endpointDelete',
  ],
  endpointQueryTags: ['ListResourceInstances/endpointFilter', 'ListResourceInstances/endpointCount'],
  endpointProjectTags: ['ListQueryProjectResourceTags/endpoint'],
};
const EXPECTED_OPS = Object.values(COVERAGE).flat();

/**
 * Answer fields the simulator sends that the Go SDK's response model lacks (the SDK ignores them). Each
 * is here with its evidence; anything else the walker finds fails the suite, so a new field is noticed.
 */
const KNOWN_EXTRA: Record<string, readonly string[]> = {
  // GET: the API notes (§3.1) say GET returns the create fields (so `pool_id`, which the operator
  // copies to status.poolId) and the Go golangsdk that Terraform vendors adds `connection_count`.
  ListServiceDetails: ['connection_count', 'pool_id'],
  // list items: the notes (§3.2) describe them as services (create fields) plus domain_id etc.
  ListEndpointService: ['endpoint_services[].pool_id'],
};

interface OpLine {
  op: string;
  ok: boolean;
  status?: number;
  detail: string;
  extra?: string[];
  signed?: string;
}
interface SummaryLine {
  summary: true;
  ops: number;
  failed: number;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      {
        cwd: opts.cwd,
        env: opts.env,
        timeout: opts.timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return reject(err);
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The tools cache root of hack/lib.sh (`VPCEP_TOOLS_DIR`, else the user's cache directory). */
function toolsRoot(): string {
  return process.env.VPCEP_TOOLS_DIR ?? path.join(homedir(), '.cache', 'vpcep-operator', 'tools');
}

/** Hash of everything the binary is built from: go.mod, go.sum and the Go sources. */
function moduleKey(): string {
  const h = createHash('sha256');
  const files = [
    'go.mod',
    'go.sum',
    ...readdirSync(MODULE_DIR)
      .filter((f) => f.endsWith('.go'))
      .sort(),
  ];
  for (const f of files)
    h.update(`${f}\0`)
      .update(readFileSync(path.join(MODULE_DIR, f)))
      .update('\0');
  return h.digest('hex').slice(0, 16);
}

/**
 * Builds the contract binary unless the cache already has it for this exact source; resolves to its
 * path. Module downloads go through the machine's Go module proxy configuration; go.sum is authoritative
 * (`-mod=readonly`). Throws a clear error when `go` is missing.
 */
async function buildContract(): Promise<string> {
  const dir = path.join(toolsRoot(), `sdk-contract-${moduleKey()}`);
  const bin = path.join(dir, 'sdk-contract');
  if (existsSync(bin)) return bin;
  try {
    await run('go', ['version'], { timeoutMs: 30_000 });
  } catch {
    throw new Error(
      'The Go SDK contract suite needs the Go toolchain (`go` on PATH, Go >= 1.24, the one hack/build-tools.sh uses) and none was found: install Go. This suite never skips.',
    );
  }
  mkdirSync(dir, { recursive: true });
  const tmp = `${bin}.tmp-${process.pid}`;
  const started = Date.now();
  const r = await run('go', ['build', '-mod=readonly', '-trimpath', '-buildvcs=false', '-o', tmp, '.'], {
    cwd: MODULE_DIR,
    env: { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0' },
    timeoutMs: 840_000,
  });
  if (r.code !== 0) {
    rmSync(tmp, { force: true });
    throw new Error(`go build of test/sdk-contract failed (exit ${String(r.code)}):\n${r.stderr}`);
  }
  renameSync(tmp, bin); // atomic: a concurrent run sees the whole binary or none
  console.info(`built the Go SDK contract binary in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return bin;
}

let sim: Simulator | undefined;
const lines: OpLine[] = [];
let summary: SummaryLine | undefined;
let stderr = '';

beforeAll(async () => {
  const bin = await buildContract();
  // Virtual time that never moves: a create stays `creating` until the Go program finishes it through
  // the test controls, and nothing depends on how fast this machine is.
  sim = await startSimulator({
    ...CREDS,
    projectId: PROJECT,
    region: REGION,
    createDelayMs: 60_000,
    deleteDelayMs: 60_000,
    credentials: [
      { accessKey: TEMP.accessKey, secretKey: TEMP.secretKey, securityToken: TEMP.token, projectId: PROJECT },
      CONSUMER,
    ],
    publicServices: [GATEWAY],
    clock: new ManualClock(Date.now()),
  });
  const r = await run(bin, [], {
    env: {
      PATH: process.env.PATH ?? '',
      VPCEP_ENDPOINT: sim.url,
      HUAWEICLOUD_SDK_AK: CREDS.accessKey,
      HUAWEICLOUD_SDK_SK: CREDS.secretKey,
      HUAWEICLOUD_SDK_PROJECT_ID: PROJECT,
      HUAWEICLOUD_REGION: REGION,
      SDK_CONTRACT_TEMP_AK: TEMP.accessKey,
      SDK_CONTRACT_TEMP_SK: TEMP.secretKey,
      SDK_CONTRACT_TEMP_TOKEN: TEMP.token,
      SDK_CONTRACT_CONSUMER_AK: CONSUMER.accessKey,
      SDK_CONTRACT_CONSUMER_SK: CONSUMER.secretKey,
      SDK_CONTRACT_CONSUMER_PROJECT_ID: CONSUMER.projectId,
      SDK_CONTRACT_CONSUMER_DOMAIN_ID: CONSUMER.domainId,
      SDK_CONTRACT_GATEWAY_SERVICE_ID: GATEWAY.id,
    },
    timeoutMs: 120_000,
  });
  stderr = r.stderr;
  for (const text of r.stdout.split('\n').filter((l) => l.trim() !== '')) {
    const parsed = JSON.parse(text) as OpLine | SummaryLine;
    if ('summary' in parsed) summary = parsed;
    else lines.push(parsed);
  }
  // 0: all agreed; 1: some operation did not; 2: the scenario stopped early (its lines still say why).
  if (![0, 1, 2].includes(r.code ?? -1) || lines.length === 0)
    throw new Error(`sdk-contract exited ${String(r.code)} after ${lines.length} operations:\n${r.stderr}`);
}, 900_000);

afterAll(async () => {
  await sim?.close();
});

describe('the official Go SDK agrees with the simulator', () => {
  it('reports every SDK operation of the scenario, once, and a summary', () => {
    expect(stderr, 'the Go program stopped early').toBe('');
    expect(lines.map((l) => l.op).sort()).toEqual([...EXPECTED_OPS].sort());
    expect(summary).toEqual({
      summary: true,
      ops: EXPECTED_OPS.length,
      failed: lines.filter((l) => !l.ok).length,
    });
  });

  it.each(EXPECTED_OPS)('%s decodes into the SDK model with the important fields set', (op) => {
    const line = lines.find((l) => l.op === op);
    expect(line, `${op} was not reported`).toBeDefined();
    expect(line?.ok, `${op}: ${line?.detail ?? ''}`).toBe(true);
  });

  it('every operation the simulator serves is mapped to SDK calls and was reached by them', () => {
    expect(Object.keys(COVERAGE).sort()).toEqual([...new Set(OPERATIONS)].sort());
    const counters = sim?.controls.counters() ?? {};
    for (const op of OPERATIONS)
      expect(counters[op] ?? 0, `simulator operation ${op}`).toBeGreaterThanOrEqual(1);
  });

  it("the SDK's signer passes the simulator's check, with X-Project-Id and, when temporary, X-Security-Token", () => {
    for (const l of lines) {
      const signed = (l.signed ?? '').split(';');
      expect(signed, l.op).toEqual(expect.arrayContaining(['x-sdk-date', 'x-project-id']));
    }
    expect(lines.find((l) => l.op === 'ListQuotaDetails/securityToken')?.signed?.split(';')).toContain(
      'x-security-token',
    );
  });

  it('answers carry no field the SDK models lack, beyond the documented ones', () => {
    const unexpected: Record<string, string[]> = {};
    for (const l of lines) {
      const base = l.op.split('/')[0] ?? l.op;
      const extra = (l.extra ?? []).filter((f) => !(KNOWN_EXTRA[base] ?? []).includes(f));
      if (extra.length > 0) unexpected[l.op] = extra;
    }
    expect(unexpected, 'answer fields missing from the SDK models, per operation').toEqual({});
  });
});
