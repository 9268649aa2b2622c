/**
 * The `VpcEndpoint` adapter against a fake VpcepClient, on its own and run by the real generic
 * lifecycle (virtual time, an in-memory store): what a user reads in the conditions for each cloud
 * status, the verdicts on the endpoint's error codes, service resolution before the create, and the
 * update steps that call the cloud only for a difference.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { API_VERSION, ENDPOINT_KIND, FINALIZER } from '../../../src/api/constants.js';
import type {
  VpcEndpoint as VpcEndpointResource,
  VpcEndpointService,
  VpcEndpointSpec,
  VpcEndpointStatus,
} from '../../../src/api/types.js';
import type { VpcepClient } from '../../../src/cloud/client.js';
import { CloudError } from '../../../src/cloud/errors.js';
import type { CreateEndpointRequest, VpcEndpoint } from '../../../src/cloud/wire.js';
import {
  makeEndpointAdapter,
  observation,
  PENDING_POLL_MAX_MS,
  REJECTED_RECHECK_MS,
  type EndpointAdapterOptions,
} from '../../../src/controller/endpoint/adapter.js';
import { endpointKind } from '../../../src/controller/endpoint/kind.js';
import { ManagedReconciler } from '../../../src/managed/lifecycle.js';
import { LOW_PRIORITY } from '../../../src/runtime/queue.js';
import { silentLogger } from '../../../src/runtime/logging.js';
import { TerminalError } from '../../../src/runtime/reconcile.js';
import { ManualClock } from '../../../src/util/clock.js';
import { MemoryStore } from '../managed/memory-store.js';

const SVC = '3c1b2a90-7d6e-4f5a-9b8c-1d2e3f4a5b6c';
const VPC = '0d4e9f1a-6b2c-4d3e-8f5a-1b2c3d4e5f60';
const OWNER = 'k8s-vpcep-owner-uid';
const FULL_NAME = `eu-west-101.orders.${SVC}`;

const notFound = (operation: string): CloudError =>
  new CloudError({ kind: 'notFound', operation, code: 'EndPoint.0005', message: 'not found' });

/** The endpoint half of a VPCEP cloud, as the adapter uses it; every call is recorded by name. */
class FakeVpcep {
  readonly endpoints = new Map<string, VpcEndpoint>();
  readonly calls: string[] = [];
  readonly created: CreateEndpointRequest[] = [];
  /** Full service names describe resolves. */
  readonly names = new Map<string, string>([[FULL_NAME, SVC]]);
  /** The next create fails with this. */
  createError: CloudError | undefined;

  private rec(op: string): void {
    this.calls.push(op);
  }
  only(): VpcEndpoint {
    const [e] = [...this.endpoints.values()];
    if (!e) throw new Error('no endpoint');
    return e;
  }
  client(): VpcepClient {
    return this as unknown as VpcepClient;
  }

  async getEndpoint(id: string): Promise<VpcEndpoint> {
    this.rec('getEndpoint');
    const e = this.endpoints.get(id);
    if (!e) throw notFound('getEndpoint');
    return structuredClone(e);
  }
  async createEndpoint(req: CreateEndpointRequest): Promise<VpcEndpoint> {
    this.rec('createEndpoint');
    if (this.createError) throw this.createError;
    this.created.push(structuredClone(req));
    const e: VpcEndpoint = {
      id: randomUUID(),
      status: 'creating',
      endpoint_service_id: req.endpoint_service_id,
      vpc_id: req.vpc_id,
      tags: req.tags ?? [],
      ...(req.whitelist ? { whitelist: req.whitelist } : {}),
      ...(req.enable_whitelist !== undefined ? { enable_whitelist: req.enable_whitelist } : {}),
      ...(req.routetables ? { routetables: req.routetables } : {}),
      ...(req.policy_document !== undefined ? { policy_document: req.policy_document } : {}),
      created_at: '2026-01-01T00:00:00Z',
    };
    this.endpoints.set(e.id, e);
    return structuredClone(e);
  }
  async queryEndpointsByTags(req: { tags: Array<{ key: string; values: string[] }> }) {
    this.rec('queryEndpointsByTags');
    const want = req.tags[0];
    return [...this.endpoints.values()]
      .filter((e) => e.tags?.some((t) => t.key === want?.key && want.values.includes(t.value ?? '')))
      .map((e) => ({ resource_id: e.id }));
  }
  async endpointTagAction(
    id: string,
    action: 'create' | 'delete',
    tags: Array<{ key: string; value?: string }>,
  ) {
    this.rec(`endpointTagAction:${action}`);
    const e = this.endpoints.get(id)!;
    const keys = new Set(tags.map((t) => t.key));
    e.tags = (e.tags ?? []).filter((t) => !keys.has(t.key));
    if (action === 'create') e.tags.push(...tags.map((t) => ({ key: t.key, value: t.value ?? '' })));
  }
  async updateEndpointWhitelist(id: string, change: { whitelist?: string[]; enableWhitelist?: boolean }) {
    this.rec('updateEndpointWhitelist');
    const e = this.endpoints.get(id)!;
    if (change.whitelist) e.whitelist = change.whitelist;
    if (change.enableWhitelist !== undefined) e.enable_whitelist = change.enableWhitelist;
    // The answer of the whitelist update carries no tags (as the cloud's).
    const { tags: _tags, ...rest } = e;
    return structuredClone(rest);
  }
  async updateEndpointRouteTables(id: string, tables: string[]) {
    this.rec('updateEndpointRouteTables');
    this.endpoints.get(id)!.routetables = tables;
    return { routetables: tables };
  }
  async updateEndpointPolicy(id: string, policy: { policy_document?: unknown }) {
    this.rec('updateEndpointPolicy');
    this.endpoints.get(id)!.policy_document = policy.policy_document;
    return structuredClone(this.endpoints.get(id)!);
  }
  async deleteEndpoint(id: string) {
    this.rec('deleteEndpoint');
    if (!this.endpoints.has(id)) throw notFound('deleteEndpoint');
    this.endpoints.get(id)!.status = 'deleting';
  }
  async describeService(by: { name: string }) {
    this.rec('describeService');
    const id = this.names.get(by.name);
    if (!id) throw notFound('describeService');
    return { id };
  }
}

const service = (status?: VpcEndpointService['status']): VpcEndpointService => ({
  apiVersion: API_VERSION,
  kind: 'VpcEndpointService',
  metadata: { namespace: 'team-a', name: 'orders' },
  spec: { portId: 'p', vpcId: VPC, serverType: 'VM', ports: [{ clientPort: 5432, serverPort: 5432 }] },
  ...(status ? { status } : {}),
});

function rig(opts: Partial<EndpointAdapterOptions> = {}) {
  const clock = new ManualClock();
  const cloud = new FakeVpcep();
  const store = new MemoryStore<VpcEndpointResource>(FINALIZER);
  const services = new Map<string, VpcEndpointService>([['team-a/orders', service({ id: SVC })]]);
  const adapter = makeEndpointAdapter({
    lookupService: (ns, name) => services.get(`${ns}/${name}`),
    now: () => clock.now(),
    ...opts,
  });
  const reconciler = new ManagedReconciler<VpcEndpointResource, VpcepClient, VpcEndpointStatus>({
    kind: endpointKind,
    adapter,
    ops: store,
    credentials: { resolve: async () => ({ client: cloud.client(), source: 'test', projectId: 'p1' }) },
    clock,
    random: () => 0.5,
  });
  const apply = (spec: Partial<VpcEndpointSpec>) =>
    store.apply({
      apiVersion: API_VERSION,
      kind: ENDPOINT_KIND,
      metadata: { namespace: 'team-b', name: 'orders-db' },
      spec: { vpcId: VPC, ...spec },
    });
  const pass = async () =>
    reconciler.reconcile(
      { namespace: 'team-b', name: 'orders-db', key: 'team-b/orders-db' },
      { reconcileId: 'r', log: silentLogger(), signal: new AbortController().signal },
    );
  /** Applies `spec`, creates the endpoint and lets the cloud move it to `status`. */
  const created = async (spec: Partial<VpcEndpointSpec>, status = 'accepted') => {
    apply(spec);
    await pass();
    cloud.only().status = status;
    cloud.calls.length = 0;
  };
  return { clock, cloud, store, services, adapter, pass, apply, created };
}

describe('phases: what the cloud status word means', () => {
  const now = Date.parse('2026-01-01T00:10:00Z');
  const base: VpcEndpoint = {
    id: randomUUID(),
    endpoint_service_name: FULL_NAME,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:05:00Z',
  };

  it('pendingAcceptance waits for approval (polled, at most a minute apart, keeping priority)', () => {
    const o = observation({ ...base, status: 'pendingAcceptance' }, now);
    expect(o.phase).toBe('waiting');
    expect(o.wait).toMatchObject({ reason: 'PendingAcceptance' });
    expect(o.wait?.message).toContain(FULL_NAME);
    expect(o.wait?.routine).toBeUndefined();
    expect(o.wait?.recheckMs).toBeGreaterThan(0);
    expect(o.wait?.recheckMs).toBeLessThanOrEqual(PENDING_POLL_MAX_MS);
  });

  it('rejected waits too (a slow routine recheck, never an error loop)', () => {
    const o = observation({ ...base, status: 'rejected' }, now);
    expect(o.phase).toBe('waiting');
    expect(o.wait).toMatchObject({ reason: 'Rejected', recheckMs: REJECTED_RECHECK_MS, routine: true });
  });

  it('accepted is ready; creating, deleting are polled; an unknown word never blocks', () => {
    expect(observation({ ...base, status: 'accepted' }, now)).toMatchObject({ phase: 'ready' });
    expect(observation({ ...base, status: 'accepted' }, now).wait).toBeUndefined();
    expect(observation({ ...base, status: 'creating' }, now).phase).toBe('creating');
    expect(observation({ ...base, status: 'deleting' }, now).phase).toBe('deleting');
    expect(observation({ ...base, status: 'brandNew' }, now).phase).toBe('ready');
  });

  it("failed carries the cloud's error detail; the owner tag names the owner", () => {
    const o = observation(
      {
        ...base,
        status: 'failed',
        error: [{ error_code: 'EndPoint.2090', error_message: 'subnet exhausted' }],
        tags: [{ key: OWNER, value: 'u-1' }],
      },
      now,
    );
    expect(o).toMatchObject({ phase: 'failed', failure: 'EndPoint.2090: subnet exhausted', owner: 'u-1' });
    expect(observation({ ...base, status: 'failed' }, now).failure).toBe('no error detail');
  });

  it('through the lifecycle: pending reads PendingAcceptance, accepted reads Ready=True', async () => {
    const r = rig();
    await r.created({ serviceId: SVC }, 'pendingAcceptance');
    const result = await r.pass();
    expect(r.store.condition('Ready')).toMatchObject({ status: 'False', reason: 'PendingAcceptance' });
    expect(r.store.condition('Synced')?.status).toBe('True');
    expect(r.store.obj?.status?.status).toBe('pendingAcceptance');
    expect(result).not.toHaveProperty('priority');
    r.cloud.only().status = 'accepted';
    r.cloud.only().ip = '10.0.0.12';
    await r.pass();
    expect(r.store.condition('Ready')).toMatchObject({ status: 'True', reason: 'Available' });
    expect(r.store.obj?.status).toMatchObject({ status: 'accepted', ip: '10.0.0.12', serviceId: SVC });
  });

  it('through the lifecycle: rejected reads Rejected, rechecked at low priority', async () => {
    const r = rig();
    await r.created({ serviceId: SVC }, 'rejected');
    expect(await r.pass()).toEqual({ requeueAfterMs: REJECTED_RECHECK_MS, priority: LOW_PRIORITY });
    expect(r.store.condition('Ready')).toMatchObject({ status: 'False', reason: 'Rejected' });
  });

  it("through the lifecycle: failed reads CreateFailed with the cloud's error detail", async () => {
    const r = rig();
    await r.created({ serviceId: SVC }, 'failed');
    r.cloud.only().error = [{ error_code: 'EndPoint.2090', error_message: 'subnet exhausted' }];
    await expect(r.pass()).rejects.toBeInstanceOf(TerminalError);
    expect(r.store.condition('Ready')).toMatchObject({ status: 'False', reason: 'CreateFailed' });
    expect(r.store.condition('Ready')?.message).toContain('EndPoint.2090: subnet exhausted');
  });
});

describe('verdicts on the endpoint codes', () => {
  const adapter = makeEndpointAdapter({ lookupService: () => undefined });
  const err = (kind: CloudError['kind'], operation: string, code?: string) =>
    new CloudError({ kind, operation, message: 'refused', ...(code ? { code } : {}) });

  it('EndPoint.2012 is NotWhitelisted: not terminal, rechecked', () => {
    expect(adapter.verdict?.(err('terminal', 'createEndpoint', 'EndPoint.2012'), 's')).toMatchObject({
      reason: 'NotWhitelisted',
      terminal: false,
      recheckMs: 30_000,
    });
  });

  it('a create answered notFound is ServiceNotFound, not terminal, rechecked', () => {
    expect(adapter.verdict?.(err('notFound', 'createEndpoint'), 's')).toMatchObject({
      reason: 'ServiceNotFound',
      terminal: false,
    });
    expect(adapter.verdict?.(err('notFound', 'createEndpoint'), 's')?.recheckMs).toBeGreaterThan(0);
    // A 404 of another call is not about the service.
    expect(adapter.verdict?.(err('notFound', 'getEndpoint'), 's')).toBeUndefined();
  });

  it('Endpoint.1018 is QuotaExceeded, terminal with a slow recheck', () => {
    expect(adapter.verdict?.(err('terminal', 'createEndpoint', 'Endpoint.1018'), 's')).toMatchObject({
      reason: 'QuotaExceeded',
      terminal: true,
      recheckMs: 5 * 60_000,
    });
  });

  it('through the lifecycle: NotWhitelisted reads on both conditions and no error is thrown', async () => {
    const r = rig();
    r.cloud.createError = err('terminal', 'createEndpoint', 'EndPoint.2012');
    r.apply({ serviceId: SVC });
    expect(await r.pass()).toEqual({ requeueAfterMs: 30_000, priority: LOW_PRIORITY });
    expect(r.store.condition('Ready')).toMatchObject({ status: 'False', reason: 'NotWhitelisted' });
    expect(r.store.condition('Synced')).toMatchObject({ status: 'False', reason: 'NotWhitelisted' });
    expect(r.store.condition('Ready')?.message).toContain('whitelist');
  });
});

describe('service resolution before the create', () => {
  it('a serviceRef to a missing VpcEndpointService waits with ServiceNotFound, nothing written or created', async () => {
    const r = rig();
    r.apply({ serviceRef: { name: 'nope', namespace: 'team-a' } });
    await r.pass();
    expect(r.store.condition('Ready')).toMatchObject({ status: 'False', reason: 'ServiceNotFound' });
    expect(r.store.condition('Ready')?.message).toContain('team-a/nope');
    expect(r.cloud.calls).not.toContain('createEndpoint');
    expect(r.store.obj?.metadata.finalizers ?? []).toEqual([]);
  });

  it('a serviceRef without status.id waits with ServiceNotReady; once it has one, the create uses it', async () => {
    const r = rig();
    r.services.set('team-a/orders', service());
    r.apply({ serviceRef: { name: 'orders', namespace: 'team-a' } });
    await r.pass();
    expect(r.store.condition('Ready')).toMatchObject({ status: 'False', reason: 'ServiceNotReady' });
    expect(r.cloud.calls).not.toContain('createEndpoint');
    r.services.set('team-a/orders', service({ id: SVC }));
    await r.pass();
    expect(r.cloud.created).toHaveLength(1);
    expect(r.cloud.created[0]?.endpoint_service_id).toBe(SVC);
  });

  it("serviceRef's namespace defaults to the endpoint's own", async () => {
    const r = rig();
    r.services.set('team-b/local', {
      ...service({ id: SVC }),
      metadata: { namespace: 'team-b', name: 'local' },
    });
    r.apply({ serviceRef: { name: 'local' } });
    await r.pass();
    expect(r.cloud.created[0]?.endpoint_service_id).toBe(SVC);
  });

  it('serviceName is resolved through describe once per pass, though prerequisites and create both need it', async () => {
    const r = rig();
    r.apply({ serviceName: FULL_NAME });
    await r.pass();
    expect(r.cloud.calls.filter((c) => c === 'describeService')).toHaveLength(1);
    expect(r.cloud.created[0]?.endpoint_service_id).toBe(SVC);
  });

  it('an unknown serviceName waits with ServiceNotFound and creates nothing', async () => {
    const r = rig();
    r.apply({ serviceName: 'eu-west-101.gone.' + randomUUID() });
    await r.pass();
    expect(r.store.condition('Ready')).toMatchObject({ status: 'False', reason: 'ServiceNotFound' });
    expect(r.cloud.calls).not.toContain('createEndpoint');
  });

  it('the resolution is not remembered across passes (a later pass describes again)', async () => {
    const r = rig();
    const obj = r.apply({ serviceName: FULL_NAME });
    const ctx = { signal: new AbortController().signal };
    await r.adapter.prerequisites?.(r.cloud.client(), obj, ctx);
    await r.adapter.prerequisites?.(r.cloud.client(), structuredClone(obj), ctx);
    expect(r.cloud.calls.filter((c) => c === 'describeService')).toHaveLength(2);
  });
});

describe('update steps call the cloud only for a difference', () => {
  const full: Partial<VpcEndpointSpec> = {
    serviceId: SVC,
    whitelist: ['10.0.0.0/24'],
    routeTables: ['rt-1'],
    policyDocument: { Version: '5.0' },
    tags: [{ key: 'team', value: 'b' }],
  };

  it('in line: no write at all', async () => {
    const r = rig();
    await r.created(full);
    await r.pass();
    expect(r.store.condition('Ready')?.status).toBe('True');
    expect(r.cloud.calls).toEqual(['getEndpoint']);
  });

  it('each changed aspect calls its own method, and only that one', async () => {
    const cases: Array<[(s: VpcEndpointSpec) => void, string[]]> = [
      [(s) => (s.whitelist = ['10.0.1.0/24']), ['updateEndpointWhitelist']],
      [(s) => (s.enableWhitelist = false), ['updateEndpointWhitelist']],
      [(s) => (s.routeTables = ['rt-1', 'rt-2']), ['updateEndpointRouteTables']],
      [(s) => (s.policyDocument = { Version: '5.0', Statement: [] }), ['updateEndpointPolicy']],
      [
        (s) => (s.tags = [{ key: 'team', value: 'c' }]),
        ['endpointTagAction:delete', 'endpointTagAction:create'],
      ],
    ];
    for (const [edit, calls] of cases) {
      const r = rig();
      await r.created(full);
      r.store.editSpec(edit);
      await r.pass();
      expect(r.cloud.calls).toEqual(['getEndpoint', ...calls]);
      expect(r.store.condition('Ready')?.status).toBe('True');
      // The next look finds it in line: nothing more is written.
      r.cloud.calls.length = 0;
      await r.clock.advance(11 * 60_000);
      await r.pass();
      expect(r.cloud.calls).toEqual(['getEndpoint']);
    }
  });

  it('the ownership tag survives a tag update, and a whitelist change reaches the cloud', async () => {
    const r = rig();
    await r.created(full);
    r.store.editSpec((s) => {
      s.whitelist = ['10.9.0.0/16'];
      s.tags = [];
    });
    await r.pass();
    const ep = r.cloud.only();
    expect(ep.whitelist).toEqual(['10.9.0.0/16']);
    expect(ep.tags).toEqual([{ key: OWNER, value: r.store.obj?.metadata.uid }]);
  });

  it('unmanaged fields (absent from the spec) are never written', async () => {
    const r = rig();
    await r.created({ serviceId: SVC });
    const ep = r.cloud.only();
    ep.whitelist = ['1.2.3.4'];
    ep.enable_whitelist = true;
    ep.routetables = ['rt-x'];
    ep.policy_document = { any: true };
    await r.pass();
    expect(r.cloud.calls).toEqual(['getEndpoint']);
  });
});
