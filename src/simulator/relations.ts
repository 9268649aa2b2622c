/**
 * Handlers of what hangs off a service: whitelist (permissions), connections, tags and tag queries
 * (vpcep-api.md §4.1–§4.3). Every write is all-or-nothing: a refused request changes nothing.
 */
import { randomUUID } from 'node:crypto';
import type { ResourceInstance, Tag } from '../cloud/wire.js';
import type { Handler } from './api.js';
import { notFound, paramError, vpcepError } from './errors.js';
import { renderConnection, renderPermission } from './render.js';
import { sortPage, type StoredService } from './state.js';
import {
  asObject,
  CONNECTION_STATUSES,
  looseInt,
  MAX_TAGS,
  parsePaging,
  validateDescription,
  validatePermission,
  validateTags,
  type PermissionType,
} from './validation.js';

const MAX_BATCH = 100;

function service(ctx: Parameters<Handler>[0]): StoredService {
  return ctx.state.find(ctx.projectId, ctx.params.id ?? '');
}

function requireAvailable(svc: StoredService): void {
  if (svc.status !== 'available') throw vpcepError('EndPoint.2004', `The endpoint service is ${svc.status}.`);
}

function permissionType(v: unknown): PermissionType {
  if (v === undefined || v === 'domainId') return 'domainId';
  if (v === 'orgPath') return 'orgPath';
  throw paramError('permission_type must be domainId or orgPath.');
}

/** `GET …/permissions`: fuzzy `permission` filter, `limit` 1–500 (strict), sorted by `create_at`. */
export const listPermissions: Handler = (ctx) => {
  const svc = service(ctx);
  const paging = parsePaging(ctx.query, 500, ctx.config.lenient);
  const filter = ctx.query.get('permission');
  const matched = svc.permissions.filter((p) => !filter || p.permission.includes(filter));
  const page = sortPage(matched, paging, (p) => [p.createdMs, p.createdMs, svc.permissions.indexOf(p)]);
  return { status: 200, body: { permissions: page.map(renderPermission), total_count: matched.length } };
};

/**
 * `POST …/permissions/action`: idempotent add/remove (`EndPoint.3036` empty, `EndPoint.3002` bad entry,
 * `EndPoint.0007` bad action, `EndPoint.3049` over the cap; only while `available`, `EndPoint.2004`).
 * Answers `{"permissions":[…strings], "permission_type"}`: the service's whole whitelist afterwards and
 * the type acted on (`domainId` by default), as the official SDKs model it
 * (`AddOrRemoveServicePermissionsResponse`).
 */
export const permissionAction: Handler = (ctx) => {
  const svc = service(ctx);
  const o = asObject(ctx.body);
  if (o.action !== 'add' && o.action !== 'remove')
    throw vpcepError('EndPoint.0007', 'action must be add or remove.');
  if (!Array.isArray(o.permissions)) throw paramError('permissions must be an array.');
  if (o.permissions.length === 0) throw vpcepError('EndPoint.3036');
  const type = permissionType(o.permission_type);
  const entries = o.permissions.map((p: unknown) => validatePermission(p, type));
  requireAvailable(svc);
  if (o.action === 'add') {
    const fresh = [...new Set(entries)].filter((e) => !svc.permissions.some((p) => p.permission === e));
    if (svc.permissions.length + fresh.length > ctx.config.whitelistCap) throw vpcepError('EndPoint.3049');
    const now = ctx.state.opts.clock.now();
    for (const e of fresh) svc.permissions.push({ id: randomUUID(), permission: e, type, createdMs: now });
  } else {
    svc.permissions = svc.permissions.filter((p) => !entries.includes(p.permission));
  }
  return {
    status: 200,
    body: { permissions: svc.permissions.map((p) => p.permission), permission_type: type },
  };
};

/** `POST …/permissions/batch-create` `{"permissions":[{permission, description?}], "permission_type"?}`. */
export const permissionBatchCreate: Handler = (ctx) => {
  const svc = service(ctx);
  const o = asObject(ctx.body);
  if (!Array.isArray(o.permissions)) throw paramError('permissions must be an array.');
  if (o.permissions.length === 0) throw vpcepError('EndPoint.3036');
  if (o.permissions.length > MAX_BATCH) throw vpcepError('EndPoint.0016');
  const type = permissionType(o.permission_type);
  const items = o.permissions.map((p: unknown) => {
    const it = asObject(p);
    const permission = validatePermission(it.permission, type);
    return {
      permission,
      description: it.description === undefined ? undefined : validateDescription(it.description),
    };
  });
  requireAvailable(svc);
  const fresh = items.filter((it, i) => items.findIndex((x) => x.permission === it.permission) === i);
  const added = fresh.filter((it) => !svc.permissions.some((p) => p.permission === it.permission));
  if (svc.permissions.length + added.length > ctx.config.whitelistCap) throw vpcepError('EndPoint.3049');
  const now = ctx.state.opts.clock.now();
  const created = added.map((it) => {
    const p = {
      id: randomUUID(),
      permission: it.permission,
      type,
      createdMs: now,
      ...(it.description !== undefined ? { description: it.description } : {}),
    };
    svc.permissions.push(p);
    return p;
  });
  return { status: 200, body: { permissions: created.map(renderPermission) } };
};

/**
 * `POST …/permissions/batch-delete` `{"permissions":[{"id"}]}`: unknown ids are ignored. Answers
 * `{"permissions":[…]}` with the entries removed (the SDKs' `BatchRemoveEndpointServicePermissionsResponse`
 * models a list of `EpsPermission`; which entries it holds is the simulator's pick, mirroring batch-create).
 */
export const permissionBatchDelete: Handler = (ctx) => {
  const svc = service(ctx);
  const o = asObject(ctx.body);
  if (!Array.isArray(o.permissions)) throw paramError('permissions must be an array.');
  if (o.permissions.length === 0) throw vpcepError('EndPoint.3036');
  if (o.permissions.length > MAX_BATCH) throw vpcepError('EndPoint.0016');
  const ids = o.permissions.map((p: unknown) => {
    const pid = asObject(p).id;
    if (typeof pid !== 'string') throw paramError('Each entry needs a string id.');
    return pid;
  });
  const removed = svc.permissions.filter((p) => ids.includes(p.id));
  svc.permissions = svc.permissions.filter((p) => !ids.includes(p.id));
  return { status: 200, body: { permissions: removed.map(renderPermission) } };
};

/**
 * `PUT …/permissions/{permission_id}` `{"permission":{"description"}}`: answers `{"permissions":[entry]}`,
 * a one-entry list, as the SDKs model it (`UpdateEndpointServicePermissionDescResponse`).
 */
export const permissionUpdate: Handler = (ctx) => {
  const svc = service(ctx);
  const p = svc.permissions.find((x) => x.id === ctx.params.pid);
  if (!p) throw notFound();
  const inner = asObject(asObject(ctx.body).permission);
  p.description = validateDescription(inner.description ?? '');
  return { status: 200, body: { permissions: [renderPermission(p)] } };
};

/** `GET …/connections`: `id`, `marker_id`, `status` filters, paging and sorting as for services. */
export const listConnections: Handler = (ctx) => {
  const svc = service(ctx);
  const q = ctx.query;
  const status = q.get('status') || undefined;
  if (status !== undefined && !CONNECTION_STATUSES.includes(status)) throw vpcepError('EndPoint.0019');
  const paging = parsePaging(q, 1000, ctx.config.lenient);
  const eid = q.get('id') || undefined;
  const marker = q.get('marker_id') || undefined;
  const matched = svc.connections.filter(
    (c) =>
      (eid === undefined || c.id === eid) &&
      (marker === undefined || String(c.markerId) === marker) &&
      (status === undefined || c.status === status),
  );
  const page = sortPage(matched, paging, (c) => [c.createdMs, c.updatedMs, svc.connections.indexOf(c)]);
  return { status: 200, body: { connections: page.map(renderConnection), total_count: matched.length } };
};

/** `POST …/connections/action`: `receive`|`reject` (`EndPoint.0007`), exactly one endpoint (`EndPoint.2031`). */
export const connectionAction: Handler = (ctx) => {
  const svc = service(ctx);
  const o = asObject(ctx.body);
  if (o.action !== 'receive' && o.action !== 'reject')
    throw vpcepError('EndPoint.0007', 'action must be receive or reject.');
  if (!Array.isArray(o.endpoints)) throw paramError('endpoints must be an array.');
  if (o.endpoints.length !== 1) throw vpcepError('EndPoint.2031');
  const [endpoint] = o.endpoints as unknown[];
  if (typeof endpoint !== 'string') throw paramError('endpoints must hold strings.');
  const conn = ctx.state.connectionAction(ctx.projectId, svc.id, o.action, endpoint);
  return { status: 200, body: { connections: [renderConnection(conn)] } };
};

/** `PUT …/connections/description` `{"connections":[{"id","description"}]}`. */
export const connectionDescription: Handler = (ctx) => {
  const svc = service(ctx);
  const o = asObject(ctx.body);
  if (!Array.isArray(o.connections) || o.connections.length === 0)
    throw paramError('connections must be a non-empty array.');
  const changes = o.connections.map((c: unknown) => {
    const it = asObject(c);
    const conn = svc.connections.find((x) => x.id === it.id);
    if (!conn) throw vpcepError('EndPoint.2013');
    return { conn, description: validateDescription(it.description ?? '') };
  });
  const now = ctx.state.opts.clock.now();
  for (const { conn, description } of changes) {
    conn.description = description;
    conn.updatedMs = now;
  }
  return { status: 200, body: { connections: changes.map((c) => renderConnection(c.conn)) } };
};

/**
 * `POST /endpoint_service/{id}/tags/action`: `create` upserts by key (≤ 10 in total, `EndPoint.3069`),
 * `delete` removes by key (and by value when one is given). 204, no body.
 */
export const tagAction: Handler = (ctx) => {
  const svc = service(ctx);
  svc.tags = applyTagAction(ctx.body, svc.tags);
  return { status: 204 };
};

/**
 * The tag list after a `tags/action` body (`create` upserts by key, at most 10 in all, `EndPoint.3069`;
 * `delete` removes by key, and by value when one is given); throws, leaving `current` as it was, on a
 * bad body (`EndPoint.0007` action, `EndPoint.3066` empty list, the tag rules).
 */
export function applyTagAction(body: unknown, current: Tag[]): Tag[] {
  const o = asObject(body);
  if (o.action !== 'create' && o.action !== 'delete')
    throw vpcepError('EndPoint.0007', 'action must be create or delete.');
  if (Array.isArray(o.tags) && o.tags.length === 0) throw vpcepError('EndPoint.3066');
  const tags = validateTags(o.tags, o.action === 'delete');
  if (o.action === 'delete')
    return current.filter(
      (x) => !tags.some((t) => t.key === x.key && (t.value === undefined || t.value === x.value)),
    );
  const next = current.map((t) => ({ ...t }));
  for (const t of tags) {
    const existing = next.find((x) => x.key === t.key);
    if (existing) existing.value = t.value ?? '';
    else next.push({ key: t.key, value: t.value ?? '' });
  }
  if (next.length > MAX_TAGS) throw vpcepError('EndPoint.3069', `A resource holds at most ${MAX_TAGS} tags.`);
  return next;
}

interface TagFilter {
  key: string;
  values: string[];
}

function tagFilters(v: unknown, field: string): TagFilter[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw paramError(`${field} must be an array.`);
  if (v.length > 10) throw paramError(`${field} holds at most 10 keys.`);
  return v.map((item: unknown) => {
    const o = asObject(item);
    if (typeof o.key !== 'string' || o.key === '')
      throw paramError(`${field}[].key must be a non-empty string.`);
    const values = o.values ?? [];
    if (!Array.isArray(values) || values.some((x) => typeof x !== 'string') || values.length > 10)
      throw paramError(`${field}[].values must be at most 10 strings.`);
    return { key: o.key, values: values as string[] };
  });
}

function hasTag(tags: Tag[], f: TagFilter): boolean {
  return tags.some((t) => t.key === f.key && (f.values.length === 0 || f.values.includes(t.value)));
}

/**
 * `POST /endpoint_service/resource_instances/action`: `filter` or `count` over the project's services.
 * `tags` (all must match; values of one key OR'ed), `tags_any` (any), `not_tags` (excluded if all
 * match), `not_tags_any` (excluded if any matches), `matches` (`resource_name`, substring of the full
 * service name), `without_any_tag`. `limit` 1–1000 (default 1000) and `offset` as numbers or strings.
 */
export const queryTags: Handler = (ctx) =>
  queryResources(
    ctx.body,
    ctx.state.all(ctx.projectId).map((s) => ({ id: s.id, name: ctx.state.fullName(s), tags: s.tags })),
  );

/** A resource as the tag queries see it: its id, its name (`matches` on `resource_name`) and tags. */
export interface TaggedResource {
  id: string;
  name: string;
  tags: Tag[];
}

/** Runs a `resource_instances/action` body (see {@link queryTags}) over `resources`, in their order. */
export function queryResources(body: unknown, resources: TaggedResource[]): ReturnType<Handler> {
  const o = asObject(body);
  if (o.action !== 'filter' && o.action !== 'count')
    throw vpcepError('EndPoint.0007', 'action must be filter or count.');
  const tags = tagFilters(o.tags, 'tags');
  const anyTags = tagFilters(o.tags_any, 'tags_any');
  const notTags = tagFilters(o.not_tags, 'not_tags');
  const notAny = tagFilters(o.not_tags_any, 'not_tags_any');
  if (o.without_any_tag !== undefined && typeof o.without_any_tag !== 'boolean')
    throw paramError('without_any_tag must be a boolean.');
  const matches = o.matches === undefined ? [] : o.matches;
  if (!Array.isArray(matches)) throw paramError('matches must be an array.');
  const names = matches.map((m: unknown) => {
    const mo = asObject(m);
    if (mo.key !== 'resource_name' || typeof mo.value !== 'string')
      throw paramError('matches supports key resource_name with a string value.');
    return mo.value;
  });
  const limit = looseInt(o.limit, 1000);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw vpcepError('EndPoint.0006');
  const offset = looseInt(o.offset, 0);
  if (!Number.isInteger(offset) || offset < 0) throw vpcepError('EndPoint.0010');
  const matched = resources.filter((s) => {
    if (o.without_any_tag === true) return s.tags.length === 0;
    if (!tags.every((f) => hasTag(s.tags, f))) return false;
    if (anyTags.length > 0 && !anyTags.some((f) => hasTag(s.tags, f))) return false;
    if (notTags.length > 0 && notTags.every((f) => hasTag(s.tags, f))) return false;
    if (notAny.some((f) => hasTag(s.tags, f))) return false;
    return names.every((n) => s.name.includes(n));
  });
  if (o.action === 'count') return { status: 200, body: { total_count: matched.length } };
  const page: ResourceInstance[] = matched.slice(offset, offset + limit).map((s) => ({
    resource_id: s.id,
    resource_name: s.name,
    tags: s.tags.map((t) => ({ ...t })),
  }));
  return { status: 200, body: { resources: page, total_count: matched.length } };
}

/** `GET /endpoint_service/tags`: the project's tag keys with their values `{"tags":[{key, values}]}`. */
export const projectTags: Handler = (ctx) => collectTags(ctx.state.all(ctx.projectId).map((s) => s.tags));

/** `{"tags":[{key, values}]}` over the tag lists of a project's resources (keys in first-seen order). */
export function collectTags(lists: Tag[][]): ReturnType<Handler> {
  const byKey = new Map<string, Set<string>>();
  for (const list of lists)
    for (const t of list) byKey.set(t.key, (byKey.get(t.key) ?? new Set()).add(t.value));
  const tags = [...byKey].map(([key, values]) => ({ key, values: [...values] }));
  return { status: 200, body: { tags } };
}
