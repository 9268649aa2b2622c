import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import { decodePermissionAction } from '../../../src/cloud/decode.js';
import { CloudError } from '../../../src/cloud/errors.js';
import type { VpcepClient } from '../../../src/cloud/client.js';
import { PROJECT, SVC_ID, makeClient, reply, startFakeCloud, uuidFor } from './fake-cloud.js';
import type { FakeCloud, Handler, Seen } from './fake-cloud.js';

let fake: FakeCloud;
let client: VpcepClient;

const base = `/v1/${PROJECT}/vpc-endpoint-services`;

beforeEach(async () => {
  fake = await startFakeCloud();
  ({ client } = makeClient(fake));
});
afterEach(async () => {
  client.close();
  await fake.close();
});

/** A server-side pager serving at most `cap` items per page whatever the limit asked. */
function pager(key: string, items: unknown[], cap: number): Handler {
  return (s: Seen, res) => {
    const offset = Number(s.query.get('offset') ?? (s.json as { offset?: string } | undefined)?.offset ?? 0);
    const limit = Math.min(
      cap,
      Number(s.query.get('limit') ?? (s.json as { limit?: string } | undefined)?.limit ?? 10),
    );
    reply(200, { [key]: items.slice(offset, offset + limit), total_count: items.length })(
      s,
      res,
      undefined as never,
    );
  };
}

describe('typed operations', () => {
  it('signs every request so an independent verifier accepts it, with X-Project-Id and a security token', async () => {
    client.close();
    ({ client } = makeClient(fake, {
      credentials: { accessKey: 'test-ak', secretKey: 'test-secret-key', securityToken: 'sts-token' },
    }));
    fake.script.push(reply(200, { id: SVC_ID }), reply(200, { id: SVC_ID }));
    await client.getService(SVC_ID);
    await client.updateService(SVC_ID, { description: 'héllo <none>' });
    for (const s of fake.seen) {
      expect(s.signatureOk).toBe(true);
      expect(s.headers['x-project-id']).toBe(PROJECT);
      expect(s.headers['x-security-token']).toBe('sts-token');
      expect(s.headers['authorization']).toMatch(
        /^SDK-HMAC-SHA256 Access=test-ak, SignedHeaders=[a-z;-]*host;x-project-id;x-sdk-date;x-security-token, /,
      );
    }
    expect(fake.seen[1]?.json).toEqual({ description: 'héllo <none>' });
  });

  it('listAllServices follows pages until total_count, passing filters', async () => {
    const items = Array.from({ length: 25 }, (_, i) => ({ id: uuidFor(i), status: 'available' }));
    fake.fallback = pager('endpoint_services', items, 10);
    const all = await client.listAllServices({ status: 'available', sort_key: 'create_at' });
    expect(all.map((s) => s.id)).toEqual(items.map((s) => s.id));
    expect(
      fake.seen.map((s) => [s.path, s.query.get('offset'), s.query.get('limit'), s.query.get('status')]),
    ).toEqual([
      [base, '0', '1000', 'available'],
      [base, '10', '1000', 'available'],
      [base, '20', '1000', 'available'],
    ]);
    expect(fake.seen.every((s) => s.signatureOk && s.query.get('sort_key') === 'create_at')).toBe(true);
  });

  it('listServices returns one page with total_count', async () => {
    fake.fallback = pager('endpoint_services', [{ id: uuidFor(1) }, { id: uuidFor(2) }], 1);
    const page = await client.listServices({ limit: 1, endpoint_service_name: 'my svc' });
    expect(page).toMatchObject({ endpoint_services: [{ id: uuidFor(1) }], total_count: 2 });
    expect(fake.seen[0]?.rawQuery).toBe('endpoint_service_name=my%20svc&limit=1');
  });

  it('deleteService accepts 200, 202 and 204; notFound on EndPoint.0005', async () => {
    fake.script.push(reply(200, {}), reply(202), reply(204));
    await client.deleteService(SVC_ID);
    await client.deleteService(SVC_ID);
    await client.deleteService(SVC_ID);
    fake.script.push(reply(404, { error_code: 'EndPoint.0005', error_msg: 'gone' }));
    await expect(client.deleteService(SVC_ID)).rejects.toMatchObject({
      kind: 'notFound',
      code: 'EndPoint.0005',
    });
    expect(fake.seen.map((s) => [s.method, s.path])).toEqual(Array(4).fill(['DELETE', `${base}/${SVC_ID}`]));
  });

  it('renameService PUTs the short name and returns the full one', async () => {
    fake.script.push(reply(200, { endpoint_service_name: `cn-north-4.newname.${SVC_ID}` }));
    expect(await client.renameService(SVC_ID, 'newname')).toBe(`cn-north-4.newname.${SVC_ID}`);
    expect(fake.seen[0]).toMatchObject({ method: 'PUT', path: `${base}/${SVC_ID}/name` });
    expect(fake.seen[0]?.json).toEqual({ endpoint_service_name: 'newname' });
  });

  it('tagAction posts to the tag path and accepts 204', async () => {
    fake.script.push(reply(204));
    await client.tagAction(SVC_ID, 'delete', [{ key: 'env' }]);
    expect(fake.seen[0]).toMatchObject({
      method: 'POST',
      path: `/v1/${PROJECT}/endpoint_service/${SVC_ID}/tags/action`,
    });
    expect(fake.seen[0]?.json).toEqual({ action: 'delete', tags: [{ key: 'env' }] });
  });

  it('queryByTags filters over all pages with string limit/offset; countByTags counts', async () => {
    const resources = Array.from({ length: 3 }, (_, i) => ({
      resource_id: uuidFor(i),
      resource_name: `n${i}`,
      tags: [],
    }));
    fake.script.push(pager('resources', resources, 2), pager('resources', resources, 2));
    const tags = [{ key: 'owner', values: ['uid-1'] }];
    const found = await client.queryByTags({ tags });
    expect(found.map((r) => r.resource_id)).toEqual([uuidFor(0), uuidFor(1), uuidFor(2)]);
    expect(fake.seen.map((s) => s.json)).toEqual([
      { tags, action: 'filter', limit: '1000', offset: '0' },
      { tags, action: 'filter', limit: '1000', offset: '2' },
    ]);
    fake.script.push(reply(200, { total_count: 7 }));
    expect(await client.countByTags({ tags })).toBe(7);
    expect(fake.seen[2]?.json).toEqual({ tags, action: 'count' });
    expect(fake.seen[2]?.path).toBe(`/v1/${PROJECT}/endpoint_service/resource_instances/action`);
  });

  it('whitelist: lists every page and adds/removes entries', async () => {
    const perms = Array.from({ length: 3 }, (_, i) => ({ id: `p${i}`, permission: `iam:domain::d${i}` }));
    fake.script.push(pager('permissions', perms, 2), pager('permissions', perms, 2));
    expect((await client.listPermissions(SVC_ID)).map((p) => p.permission)).toEqual(
      perms.map((p) => p.permission),
    );
    expect(fake.seen[0]?.rawQuery).toBe('limit=500&offset=0');
    fake.script.push(reply(200, { permissions: ['iam:domain::d9'] }));
    expect(await client.permissionAction(SVC_ID, 'add', ['iam:domain::d9'], 'domainId')).toEqual([
      'iam:domain::d9',
    ]);
    expect(fake.seen[2]).toMatchObject({ method: 'POST', path: `${base}/${SVC_ID}/permissions/action` });
    expect(fake.seen[2]?.json).toEqual({
      permissions: ['iam:domain::d9'],
      action: 'add',
      permission_type: 'domainId',
    });
    // the official SDKs' AddOrRemoveServicePermissionsResponse adds `permission_type`
    fake.script.push(reply(200, { permissions: ['iam:domain::d9'], permission_type: 'domainId' }));
    expect(await client.permissionAction(SVC_ID, 'remove', ['iam:domain::d8'])).toEqual(['iam:domain::d9']);
    expect(decodePermissionAction({ permissions: ['iam:domain::d9'], permission_type: 'orgPath' })).toEqual({
      permissions: ['iam:domain::d9'],
      permission_type: 'orgPath',
    });
    // tolerant: no type (the notes' shape), a junk type, and the list API's object entries
    expect(decodePermissionAction({ permissions: [{ id: 'p1', permission: 'iam:domain::d1' }] })).toEqual({
      permissions: ['iam:domain::d1'],
    });
    expect(decodePermissionAction({ permissions: [], permission_type: 7 })).toEqual({ permissions: [] });
  });

  it('connections: lists with filters and acts on one endpoint per call', async () => {
    const EP = uuidFor(7);
    fake.script.push(reply(200, { connections: [{ id: EP, status: 'pendingAcceptance' }], total_count: 1 }));
    const conns = await client.listConnections(SVC_ID, { status: 'pendingAcceptance' });
    expect(conns).toEqual([{ id: EP, status: 'pendingAcceptance' }]);
    expect(fake.seen[0]?.query.get('status')).toBe('pendingAcceptance');
    fake.script.push(reply(200, { connections: [{ id: EP, status: 'accepted' }] }));
    expect(await client.connectionAction(SVC_ID, 'receive', EP)).toEqual([{ id: EP, status: 'accepted' }]);
    expect(fake.seen[1]?.json).toEqual({ action: 'receive', endpoints: [EP] });
    expect(fake.seen[1]?.path).toBe(`${base}/${SVC_ID}/connections/action`);
  });

  it('quotas and describe', async () => {
    const quotas = { quotas: { resources: [{ type: 'endpoint_service', used: 3, quota: 20 }] } };
    fake.script.push(reply(200, quotas), reply(200, { id: SVC_ID, service_name: 'cn-north-4.x.' + SVC_ID }));
    expect(await client.getQuotas('endpoint_service')).toEqual(quotas);
    expect(fake.seen[0]).toMatchObject({ path: `/v1/${PROJECT}/quotas`, rawQuery: 'type=endpoint_service' });
    expect((await client.describeService({ name: 'cn-north-4.x.' + SVC_ID })).id).toBe(SVC_ID);
    expect(fake.seen[1]).toMatchObject({ path: `${base}/describe` });
    expect(fake.seen[1]?.query.get('endpoint_service_name')).toBe('cn-north-4.x.' + SVC_ID);
  });

  it('a 2xx body of the wrong shape is an error, not a silently wrong value', async () => {
    client.close();
    ({ client } = makeClient(fake, { maxRetries: 0 }));
    fake.script.push(reply(200, { status: 'available' }));
    const err = await client.getService(SVC_ID).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloudError);
    expect(err).toMatchObject({ kind: 'retryable', code: 'Client.InvalidResponse', httpStatus: 200 });
  });
});
