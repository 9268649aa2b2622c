/**
 * User tags, the same for every kind: the spec's tags (without the reserved ownership key) against the
 * cloud's, as per-key actions, and the update step that applies them (deletes first, so a changed
 * value is replaced, never duplicated). Pure apart from the step's calls.
 */
import { OWNERSHIP_TAG_KEY } from '../api/constants.js';
import type { TagSpec } from '../api/types.js';
import type { Tag } from '../cloud/wire.js';
import type { ManagedObject, ManagedSpec, ManagedStatus } from '../managed/kind.js';
import type { UpdateStep } from '../managed/adapter.js';

/** Tag actions that bring the cloud's user tags in line with the spec. */
export interface TagDiff {
  /** Tags to create (new keys, and changed keys with their new value). Apply after {@link TagDiff.delete}. */
  create: Tag[];
  /** Tags to delete (removed keys, and changed keys with their old value). Apply first. */
  delete: Tag[];
}

/** The spec's user tags as wire tags (value defaulted to `""`), without the reserved ownership key. */
export function userTags(tags: readonly TagSpec[] | undefined): Tag[] {
  return (tags ?? [])
    .filter((t) => t.key !== OWNERSHIP_TAG_KEY)
    .map((t) => ({ key: t.key, value: t.value ?? '' }));
}

/**
 * Tag actions that turn the cloud's tags into the spec's, key by key; both lists empty means in sync.
 *
 * Never touches {@link OWNERSHIP_TAG_KEY}, on either side. vpcep-api.md §4.3 does not say whether the
 * tag `create` action overwrites an existing key (it lists a duplicate-key error, 3067), so a changed
 * value is a delete of the old tag followed by a create of the new one: apply `delete` first, then
 * `create`. Only the changed keys are briefly absent, never the whole set (unlike Terraform's delete-all
 * then create-all). `create` follows the spec's order, `delete` the cloud's.
 */
export function diffTags(
  specTags: readonly TagSpec[] | undefined,
  observedTags: readonly Tag[] | undefined,
): TagDiff {
  const desired = new Map(userTags(specTags).map((t) => [t.key, t.value]));
  const observed = new Map(
    (observedTags ?? []).filter((t) => t.key !== OWNERSHIP_TAG_KEY).map((t) => [t.key, t.value ?? '']),
  );
  const create: Tag[] = [];
  const del: Tag[] = [];
  for (const [key, value] of observed) {
    if (desired.get(key) !== value) del.push({ key, value });
  }
  for (const [key, value] of desired) {
    if (observed.get(key) !== value) create.push({ key, value });
  }
  return { create, delete: del };
}

/** The tags step of a kind whose cloud resource carries `tags` and whose client has a tag action. */
export function tagsStep<
  O extends ManagedObject<ManagedSpec & { tags?: TagSpec[] }>,
  C,
  St extends ManagedStatus,
  R,
>(
  tagsOf: (raw: R) => readonly Tag[] | undefined,
  act: (
    client: C,
    id: string,
    action: 'create' | 'delete',
    tags: Tag[],
    signal: AbortSignal,
  ) => Promise<void>,
): UpdateStep<O, C, St, R> {
  return {
    name: 'tags',
    async apply(client, obj, seen, ctx) {
      const tags = diffTags(obj.spec.tags, tagsOf(seen.raw));
      if (tags.delete.length + tags.create.length === 0) return { changed: [] };
      ctx.changing(['tags']);
      if (tags.delete.length > 0) await act(client, seen.id, 'delete', tags.delete, ctx.signal);
      if (tags.create.length > 0) await act(client, seen.id, 'create', tags.create, ctx.signal);
      return { changed: ['tags'] };
    },
  };
}
