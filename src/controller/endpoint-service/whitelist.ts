/**
 * The whitelist step of the endpoint-service adapter: `spec.permissions` as a set, diffed per
 * permission type against `GET …/permissions` (paged to the end) and applied with `permissions/action`
 * add/remove (batch-create where a description is set; descriptions kept in sync by `PUT
 * …/permissions/{id}`). Absent `spec.permissions`: the whitelist is not managed at all (an adopted
 * service's hand-made whitelist stays). The user writes ids and paths; the cloud's strings are
 * formatted here (`iam:domain::<id>`, `organizations:orgPath::<path>`).
 */
import type { PermissionSpec, VpcEndpointService, VpcEndpointServiceStatus } from '../../api/types.js';
import type { VpcepClient } from '../../cloud/client.js';
import type { EndpointService, Permission } from '../../cloud/wire.js';
import type { UpdateStep } from '../../managed/adapter.js';

/** The cloud's permission type of a spec entry. */
export type PermissionType = 'domainId' | 'orgPath';

/** The cloud's string for one spec entry. */
export function permissionString(p: PermissionSpec): { type: PermissionType; value: string } {
  if (p.domainId !== undefined && p.domainId !== '')
    return { type: 'domainId', value: `iam:domain::${p.domainId}` };
  return { type: 'orgPath', value: `organizations:orgPath::${p.orgPath ?? ''}` };
}

/** The type of a cloud entry (its `permission_type`, else its prefix). */
function typeOf(p: Permission): PermissionType {
  if (p.permission_type === 'domainId' || p.permission_type === 'orgPath') return p.permission_type;
  return p.permission.startsWith('organizations:') ? 'orgPath' : 'domainId';
}

/** What must change so that the cloud's whitelist equals the desired one. */
export interface WhitelistDiff {
  add: Array<{ type: PermissionType; value: string; description?: string }>;
  remove: Array<{ type: PermissionType; value: string }>;
  describe: Array<{ id: string; description: string }>;
}

/** Pure diff of the desired entries against the cloud's (cloud strings compared case-sensitively). */
export function diffWhitelist(
  desired: readonly PermissionSpec[],
  current: readonly Permission[],
): WhitelistDiff {
  const want = new Map<string, { type: PermissionType; description?: string }>();
  for (const p of desired) {
    const { type, value } = permissionString(p);
    want.set(value, { type, ...(p.description !== undefined ? { description: p.description } : {}) });
  }
  const have = new Map(current.map((p) => [p.permission, p]));
  const diff: WhitelistDiff = { add: [], remove: [], describe: [] };
  for (const [value, w] of want) {
    const h = have.get(value);
    if (!h)
      diff.add.push({
        type: w.type,
        value,
        ...(w.description !== undefined ? { description: w.description } : {}),
      });
    else if (w.description !== undefined && (h.description ?? '') !== w.description)
      diff.describe.push({ id: h.id, description: w.description });
  }
  for (const [value, h] of have) if (!want.has(value)) diff.remove.push({ type: typeOf(h), value });
  return diff;
}

/** Step 3 of the adapter: the whitelist. */
export const whitelistStep: UpdateStep<
  VpcEndpointService,
  VpcepClient,
  VpcEndpointServiceStatus,
  EndpointService
> = {
  name: 'whitelist',
  async apply(client, obj, seen, ctx) {
    const desired = obj.spec.permissions;
    if (desired === undefined) return { changed: [] };
    const call = { signal: ctx.signal };
    const diff = diffWhitelist(desired, await client.listPermissions(seen.id, call));
    if (diff.add.length + diff.remove.length + diff.describe.length === 0) return { changed: [] };
    ctx.changing(['whitelist']);
    for (const type of ['domainId', 'orgPath'] as const) {
      const removing = diff.remove.filter((r) => r.type === type).map((r) => r.value);
      if (removing.length > 0) await client.permissionAction(seen.id, 'remove', removing, type, call);
      const plain = diff.add
        .filter((a) => a.type === type && a.description === undefined)
        .map((a) => a.value);
      if (plain.length > 0) await client.permissionAction(seen.id, 'add', plain, type, call);
    }
    const described = diff.add.filter((a) => a.description !== undefined);
    if (described.length > 0)
      await client.batchCreatePermissions(
        seen.id,
        described.map((a) => ({ permission: a.value, description: a.description ?? '' })),
        call,
      );
    for (const d of diff.describe)
      await client.updatePermissionDescription(seen.id, d.id, d.description, call);
    return { changed: ['whitelist'] };
  },
};
