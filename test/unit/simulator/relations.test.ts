import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimError } from '../../../src/simulator/errors.js';
import {
  call,
  createAvailable,
  createBody,
  harness,
  uuid,
  type CallResult,
  type Harness,
} from './helpers.js';

let h: Harness;
beforeEach(async () => {
  h = await harness({
    whitelistCap: 3,
    credentials: [{ accessKey: 'AK2', secretKey: 'SK2', projectId: 'project2', domainId: 'consumerdomain2' }],
  });
});
afterEach(async () => h.sim.close());

const svcPath = (id: unknown, rest = ''): string => h.p(`/vpc-endpoint-services/${String(id)}${rest}`);
function expectError(r: CallResult, status: number, code: string): void {
  expect(r.status, r.text).toBe(status);
  expect(r.json.error_code).toBe(code);
}
function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof SimError) return e.code;
    throw e;
  }
  return 'none';
}

describe('whitelist', () => {
  it('§8.19 owner implicit; add/remove idempotent; bad format → 3002; empty → 3036; cap → 3049; list limit 1–500; * admits everyone', async () => {
    const s = await createAvailable(h, { approval_enabled: true });
    const owner = String(h.sim.controls.services()[0]?.domain_id);
    const act = (body: unknown): Promise<CallResult> =>
      h.api({ method: 'POST', path: svcPath(s.id, '/permissions/action'), body });
    // owner connects without being listed
    expect(h.sim.controls.addConnection(String(s.id), { domainId: owner }).status).toBe('pendingAcceptance');
    const add = await act({
      action: 'add',
      permissions: ['iam:domain::abc123'],
      permission_type: 'domainId',
    });
    expect(add.status).toBe(200);
    // the SDKs' AddOrRemoveServicePermissionsResponse: the entries and the type acted on
    expect(add.json).toEqual({ permissions: ['iam:domain::abc123'], permission_type: 'domainId' });
    expect((await act({ action: 'add', permissions: ['iam:domain::abc123'] })).json).toEqual({
      permissions: ['iam:domain::abc123'],
      permission_type: 'domainId',
    });
    expectError(await act({ action: 'add', permissions: ['domain:abc'] }), 400, 'EndPoint.3002');
    expectError(
      await act({ action: 'add', permissions: ['iam:domain::' + 'a'.repeat(65)] }),
      400,
      'EndPoint.3002',
    );
    expectError(await act({ action: 'add', permissions: ['iam:domain::ab-c'] }), 400, 'EndPoint.3002');
    expectError(
      await act({ action: 'add', permissions: ['organizations:orgPath::o-1/r-2'] }),
      400,
      'EndPoint.3002',
    );
    const org = await act({
      action: 'add',
      permissions: ['organizations:orgPath::o-1/r-2'],
      permission_type: 'orgPath',
    });
    expect(org.status).toBe(200);
    expect(org.json).toEqual({
      permissions: ['iam:domain::abc123', 'organizations:orgPath::o-1/r-2'],
      permission_type: 'orgPath',
    });
    expectError(await act({ action: 'add', permissions: [] }), 400, 'EndPoint.3036');
    expectError(await act({ action: 'grant', permissions: ['iam:domain::x'] }), 400, 'EndPoint.0007');
    expect((await act({ action: 'add', permissions: ['iam:domain::third'] })).status).toBe(200);
    expectError(await act({ action: 'add', permissions: ['iam:domain::fourth'] }), 400, 'EndPoint.3049');
    const list = await h.api({ method: 'GET', path: svcPath(s.id, '/permissions'), query: { limit: 500 } });
    expect(list.json.total_count).toBe(3);
    expect((list.json.permissions as Array<Record<string, unknown>>)[0]).toMatchObject({
      id: expect.any(String),
      permission: expect.any(String),
      permission_type: expect.any(String),
      created_at: expect.stringMatching(/Z$/),
    });
    expectError(
      await h.api({ method: 'GET', path: svcPath(s.id, '/permissions'), query: { limit: 501 } }),
      400,
      'EndPoint.0006',
    );
    expectError(
      await h.api({ method: 'GET', path: svcPath(s.id, '/permissions'), query: { limit: 0 } }),
      400,
      'EndPoint.0006',
    );
    const filtered = await h.api({
      method: 'GET',
      path: svcPath(s.id, '/permissions'),
      query: { permission: 'abc' },
    });
    expect(filtered.json.total_count).toBe(1);
    expect((await act({ action: 'remove', permissions: ['iam:domain::abc123'] })).status).toBe(200);
    expect((await act({ action: 'remove', permissions: ['iam:domain::abc123'] })).status).toBe(200);
    // a stranger is refused, then `*` admits everyone
    expect(codeOf(() => h.sim.controls.addConnection(String(s.id), { domainId: 'stranger' }))).toBe(
      'EndPoint.2012',
    );
    await act({ action: 'remove', permissions: ['iam:domain::third'] });
    expect((await act({ action: 'add', permissions: ['iam:domain::*'] })).status).toBe(200);
    expect(h.sim.controls.addConnection(String(s.id), { domainId: 'stranger' }).domain_id).toBe('stranger');
  });

  it('batch create/delete and description update', async () => {
    const s = await createAvailable(h);
    const bc = await h.api({
      method: 'POST',
      path: svcPath(s.id, '/permissions/batch-create'),
      body: {
        permissions: [{ permission: 'iam:domain::d1', description: 'one' }, { permission: 'iam:domain::d2' }],
      },
    });
    expect(bc.status).toBe(200);
    const created = bc.json.permissions as Array<Record<string, unknown>>;
    expect(created.map((p) => p.permission)).toEqual(['iam:domain::d1', 'iam:domain::d2']);
    const upd = await h.api({
      method: 'PUT',
      path: svcPath(s.id, `/permissions/${String(created[1]?.id)}`),
      body: { permission: { description: 'two' } },
    });
    // the SDKs' UpdateEndpointServicePermissionDescResponse: `permissions`, a list of EpsPermission
    expect(upd.status).toBe(200);
    expect(upd.json.permission).toBeUndefined();
    expect(upd.json.permissions).toEqual([
      expect.objectContaining({ id: created[1]?.id, permission: 'iam:domain::d2', description: 'two' }),
    ]);
    // the SDKs' BatchRemoveEndpointServicePermissionsResponse: `permissions` (here: the entries removed)
    const bd = await h.api({
      method: 'POST',
      path: svcPath(s.id, '/permissions/batch-delete'),
      body: { permissions: [{ id: created[0]?.id }, { id: uuid() }] },
    });
    expect(bd.status).toBe(200);
    expect(bd.json.permissions).toEqual([
      expect.objectContaining({
        id: created[0]?.id,
        permission: 'iam:domain::d1',
        permission_type: 'domainId',
      }),
    ]);
    const list = await h.api({ method: 'GET', path: svcPath(s.id, '/permissions') });
    expect((list.json.permissions as Array<Record<string, unknown>>).map((p) => p.permission)).toEqual([
      'iam:domain::d2',
    ]);
  });
});

describe('connections', () => {
  it('§8.20 not whitelisted → 2012; pendingAcceptance with approval, accepted without; connection_count = creating + accepted', async () => {
    const withApproval = await createAvailable(h, { approval_enabled: true, port_id: uuid() });
    const without = await createAvailable(h, { approval_enabled: false, port_id: uuid() });
    expect(
      codeOf(() => h.sim.controls.addConnection(String(withApproval.id), { domainId: 'consumer1' })),
    ).toBe('EndPoint.2012');
    for (const s of [withApproval, without])
      await h.api({
        method: 'POST',
        path: svcPath(s.id, '/permissions/action'),
        body: { action: 'add', permissions: ['iam:domain::consumer1'] },
      });
    expect(h.sim.controls.addConnection(String(withApproval.id), { domainId: 'consumer1' }).status).toBe(
      'pendingAcceptance',
    );
    expect(h.sim.controls.addConnection(String(without.id), { domainId: 'consumer1' }).status).toBe(
      'accepted',
    );
    h.sim.controls.addConnection(String(without.id), { domainId: 'consumer1', status: 'creating' });
    h.sim.controls.addConnection(String(without.id), { domainId: 'consumer1', status: 'rejected' });
    const g1 = await h.api({ method: 'GET', path: svcPath(withApproval.id) });
    expect(g1.json.connection_count).toBe(0);
    const g2 = await h.api({ method: 'GET', path: svcPath(without.id) });
    expect(g2.json.connection_count).toBe(2);
    const list = await h.api({
      method: 'GET',
      path: h.p('/vpc-endpoint-services'),
      query: { id: String(without.id) },
    });
    expect((list.json.endpoint_services as Array<Record<string, unknown>>)[0]?.connection_count).toBe(2);
    // the connection list
    const conns = await h.api({ method: 'GET', path: svcPath(without.id, '/connections') });
    expect(conns.json.total_count).toBe(3);
    expect((conns.json.connections as Array<Record<string, unknown>>)[0]).toMatchObject({
      id: expect.any(String),
      marker_id: expect.any(Number),
      domain_id: 'consumer1',
      status: expect.any(String),
      created_at: expect.stringMatching(/Z$/),
    });
    const accepted = await h.api({
      method: 'GET',
      path: svcPath(without.id, '/connections'),
      query: { status: 'accepted' },
    });
    expect(accepted.json.total_count).toBe(1);
    expectError(
      await h.api({ method: 'GET', path: svcPath(without.id, '/connections'), query: { status: 'ok' } }),
      400,
      'EndPoint.0019',
    );
    // the HTTP control does the same
    const viaHttp = await call(h.sim.url, {
      method: 'POST',
      path: `/_sim/services/${String(withApproval.id)}/connections`,
      body: { domainId: 'stranger' },
      unsigned: true,
    });
    expectError(viaHttp, 400, 'EndPoint.2012');
  });

  it('§8.21 connections/action: receive/reject only (0007); exactly one endpoint (2031); another service’s endpoint → 2013; returns {"connections":[…]}', async () => {
    const a = await createAvailable(h, { approval_enabled: true, port_id: uuid() });
    const b = await createAvailable(h, { approval_enabled: true, port_id: uuid() });
    const owner = String(h.sim.controls.services()[0]?.domain_id);
    const ca = h.sim.controls.addConnection(String(a.id), { domainId: owner });
    const ca2 = h.sim.controls.addConnection(String(a.id), { domainId: owner });
    const cb = h.sim.controls.addConnection(String(b.id), { domainId: owner });
    const act = (body: unknown): Promise<CallResult> =>
      h.api({ method: 'POST', path: svcPath(a.id, '/connections/action'), body });
    expectError(await act({ action: 'accept', endpoints: [ca.id] }), 400, 'EndPoint.0007');
    expectError(await act({ action: 'receive', endpoints: [ca.id, ca2.id] }), 400, 'EndPoint.2031');
    expectError(await act({ action: 'receive', endpoints: [] }), 400, 'EndPoint.2031');
    expectError(await act({ action: 'receive', endpoints: [cb.id] }), 400, 'EndPoint.2013');
    const ok = await act({ action: 'receive', endpoints: [ca.id] });
    expect(ok.status).toBe(200);
    expect(ok.json.connections).toEqual([expect.objectContaining({ id: ca.id, status: 'accepted' })]);
    const rej = await act({ action: 'reject', endpoints: [ca2.id] });
    expect(rej.json.connections).toEqual([expect.objectContaining({ id: ca2.id, status: 'rejected' })]);
    const creating = h.sim.controls.addConnection(String(a.id), { domainId: owner, status: 'creating' });
    expectError(await act({ action: 'receive', endpoints: [creating.id] }), 400, 'EndPoint.2019');
    const desc = await h.api({
      method: 'PUT',
      path: svcPath(a.id, '/connections/description'),
      body: { connections: [{ id: ca.id, description: 'hi' }] },
    });
    expect(desc.json.connections).toEqual([expect.objectContaining({ id: ca.id, description: 'hi' })]);
  });
});

describe('tags', () => {
  it('§8.22 tags/action create (upsert) and delete-by-key with the §2 limits; 204, no body', async () => {
    const s = await createAvailable(h, { tags: [{ key: 'a', value: '1' }] });
    const act = (body: unknown): Promise<CallResult> =>
      h.api({ method: 'POST', path: h.p(`/endpoint_service/${String(s.id)}/tags/action`), body });
    const c = await act({
      action: 'create',
      tags: [
        { key: 'b', value: '2' },
        { key: 'a', value: '9' },
      ],
    });
    expect(c.status).toBe(204);
    expect(c.text).toBe('');
    const tags = async (): Promise<unknown> =>
      (await h.api({ method: 'GET', path: svcPath(s.id) })).json.tags;
    expect(await tags()).toEqual([
      { key: 'a', value: '9' },
      { key: 'b', value: '2' },
    ]);
    expect((await act({ action: 'delete', tags: [{ key: 'a' }] })).status).toBe(204);
    expect(await tags()).toEqual([{ key: 'b', value: '2' }]);
    await act({ action: 'delete', tags: [{ key: 'b', value: 'other' }] });
    expect(await tags()).toEqual([{ key: 'b', value: '2' }]);
    expectError(await act({ action: 'create', tags: [] }), 400, 'EndPoint.3066');
    expectError(
      await act({
        action: 'create',
        tags: [
          { key: 'x', value: '1' },
          { key: 'x', value: '2' },
        ],
      }),
      400,
      'EndPoint.3067',
    );
    expectError(await act({ action: 'create', tags: [{ key: 'x|y', value: '1' }] }), 400, 'EndPoint.3068');
    expectError(
      await act({ action: 'create', tags: [{ key: 'k'.repeat(37), value: '1' }] }),
      400,
      'EndPoint.3072',
    );
    expectError(
      await act({ action: 'create', tags: [{ key: 'k', value: 'v'.repeat(44) }] }),
      400,
      'EndPoint.3073',
    );
    expectError(await act({ action: 'remove', tags: [{ key: 'k', value: 'v' }] }), 400, 'EndPoint.0007');
    const nine = Array.from({ length: 9 }, (_, i) => ({ key: `n${i}`, value: '' }));
    expect((await act({ action: 'create', tags: nine })).status).toBe(204);
    expectError(
      await act({ action: 'create', tags: [{ key: 'eleventh', value: '' }] }),
      400,
      'EndPoint.3069',
    );
    expect(await tags()).toHaveLength(10);
    expectError(
      await h.api({
        method: 'POST',
        path: h.p(`/endpoint_service/${uuid()}/tags/action`),
        body: { action: 'create', tags: [{ key: 'a', value: 'b' }] },
      }),
      404,
      'EndPoint.0005',
    );
    const projectTags = await h.api({ method: 'GET', path: h.p('/endpoint_service/tags') });
    expect(projectTags.json.tags).toContainEqual({ key: 'b', values: ['2'] });
  });

  it('§8.23 resource_instances/action filter/count honour tags, not_tags, matches, without_any_tag; limit/offset as strings or numbers', async () => {
    const mk = async (name: string, tags: Array<{ key: string; value: string }>): Promise<string> => {
      const r = await h.api({
        method: 'POST',
        path: h.p('/vpc-endpoint-services'),
        body: createBody({ port_id: uuid(), service_name: name, tags }),
      });
      return String(r.json.id);
    };
    const prod = await mk('alpha', [
      { key: 'env', value: 'prod' },
      { key: 'team', value: 'a' },
    ]);
    const dev = await mk('beta', [{ key: 'env', value: 'dev' }]);
    const none = await mk('gamma', []);
    const q = async (body: Record<string, unknown>): Promise<CallResult> =>
      h.api({
        method: 'POST',
        path: h.p('/endpoint_service/resource_instances/action'),
        body: { action: 'filter', ...body },
      });
    const ids = (r: CallResult): unknown[] =>
      (r.json.resources as Array<Record<string, unknown>>).map((x) => x.resource_id).sort();
    expect(ids(await q({ tags: [{ key: 'env', values: ['prod'] }] }))).toEqual([prod]);
    expect(ids(await q({ tags: [{ key: 'env', values: ['prod', 'dev'] }] }))).toEqual([prod, dev].sort());
    expect(ids(await q({ tags: [{ key: 'env', values: [] }] }))).toEqual([prod, dev].sort());
    expect(ids(await q({ not_tags: [{ key: 'env', values: ['prod'] }] }))).toEqual([dev, none].sort());
    expect(ids(await q({ matches: [{ key: 'resource_name', value: 'bet' }] }))).toEqual([dev]);
    expect(ids(await q({ without_any_tag: true }))).toEqual([none]);
    expect(
      ids(
        await q({
          tags_any: [
            { key: 'team', values: ['a'] },
            { key: 'env', values: ['dev'] },
          ],
        }),
      ),
    ).toEqual([prod, dev].sort());
    const paged = await q({ limit: '1', offset: '1' });
    expect(paged.json.total_count).toBe(3);
    expect(paged.json.resources).toHaveLength(1);
    const pagedNum = await q({ limit: 2, offset: 0 });
    expect(pagedNum.json.resources).toHaveLength(2);
    const first = (await q({ tags: [{ key: 'env', values: ['prod'] }] })).json.resources as Array<
      Record<string, unknown>
    >;
    expect(first[0]).toMatchObject({
      resource_name: expect.stringContaining('alpha'),
      tags: [
        { key: 'env', value: 'prod' },
        { key: 'team', value: 'a' },
      ],
    });
    const count = await h.api({
      method: 'POST',
      path: h.p('/endpoint_service/resource_instances/action'),
      body: { action: 'count', tags: [{ key: 'env', values: ['prod', 'dev'] }] },
    });
    expect(count.json).toEqual({ total_count: 2 });
    expectError(await q({ action: 'list' }), 400, 'EndPoint.0007');
    expectError(await q({ limit: '0' }), 400, 'EndPoint.0006');
    expectError(await q({ offset: -1 }), 400, 'EndPoint.0010');
  });
});

describe('describe', () => {
  it('§8.24 needs exactly one of name/id; works cross-project; hides backend fields', async () => {
    const s = await createAvailable(h, { service_name: 'shared' });
    const other = (query: Record<string, string>): Promise<CallResult> =>
      call(h.sim.url, {
        method: 'GET',
        path: '/v1/project2/vpc-endpoint-services/describe',
        query,
        ak: 'AK2',
        sk: 'SK2',
        now: h.clock.now(),
      });
    const byId = await other({ id: String(s.id) });
    expect(byId.status).toBe(200);
    expect(byId.json).toEqual({
      id: s.id,
      service_name: s.service_name,
      service_type: 'interface',
      created_at: s.created_at,
      is_charge: false,
      enable_policy: false,
      public_border_group: 'center',
    });
    const byName = await other({ endpoint_service_name: String(s.service_name) });
    expect(byName.json.id).toBe(s.id);
    for (const k of ['port_id', 'vpc_id', 'pool_id', 'ports', 'project_id'])
      expect(k in byName.json).toBe(false);
    expectError(await other({}), 400, 'EndPoint.0002');
    expectError(await other({ id: String(s.id), endpoint_service_name: 'x' }), 400, 'EndPoint.0002');
    expectError(await other({ id: uuid() }), 404, 'EndPoint.0005');
    // the owner sees the same through its own project path
    expect(
      (
        await h.api({
          method: 'GET',
          path: h.p('/vpc-endpoint-services/describe'),
          query: { id: String(s.id) },
        })
      ).json.id,
    ).toBe(s.id);
  });

  it('public services list', async () => {
    const r = await h.api({ method: 'GET', path: h.p('/vpc-endpoint-services/public') });
    expect(r.status).toBe(200);
    expect(r.json.total_count).toBe(1);
    expect((r.json.endpoint_services as Array<Record<string, unknown>>)[0]).toMatchObject({
      owner: 'huaweicloud',
      service_type: 'interface',
    });
  });
});
