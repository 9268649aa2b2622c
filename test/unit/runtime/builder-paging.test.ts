/**
 * The custom resource source lists in pages (limit and continue), as client-go's pager does: one
 * snapshot's objects, without their managedFields, and the first page's resourceVersion for the watch.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { customResourceSource, LIST_PAGE_SIZE } from '../../../src/runtime/builder.js';

interface Req {
  namespace?: string;
  labelSelector?: string;
  limit?: number;
  _continue?: string;
}

function fakeCustom(total: number) {
  const requests: Req[] = [];
  const page = async (r: Req): Promise<unknown> => {
    requests.push(r);
    const start = r._continue ? Number(r._continue) : 0;
    const end = Math.min(total, start + (r.limit ?? total));
    const items: KubernetesObject[] = [];
    for (let i = start; i < end; i++)
      items.push({
        metadata: {
          name: `w-${i}`,
          namespace: r.namespace ?? 'a',
          managedFields: [{ manager: 'kubectl', operation: 'Update' }],
        },
      });
    return {
      items,
      // The apiserver's JSON names the token `continue` (CustomObjectsApi hands it over as is). A later
      // page's resourceVersion would be the same snapshot's; a different one makes a wrong pick visible.
      metadata: {
        resourceVersion: start === 0 ? '100' : `${100 + start}`,
        ...(end < total ? { continue: String(end) } : {}),
      },
    };
  };
  return { requests, listNamespacedCustomObject: page, listCustomObjectForAllNamespaces: page };
}

describe('customResourceSource.list', () => {
  it('pages through the collection, drops managedFields, keeps the first page’s resourceVersion', async () => {
    const custom = fakeCustom(2 * LIST_PAGE_SIZE + 17);
    const source = customResourceSource({ group: 'g', version: 'v1', plural: 'widgets' }, custom);
    const list = await source.list('ns', 'shard=a');
    expect(list.items).toHaveLength(2 * LIST_PAGE_SIZE + 17);
    expect(new Set(list.items.map((o) => o.metadata?.name)).size).toBe(list.items.length);
    expect(list.items.every((o) => o.metadata && !('managedFields' in o.metadata))).toBe(true);
    expect(list.metadata?.resourceVersion).toBe('100');
    expect(list.metadata && 'continue' in list.metadata).toBe(false);
    expect(custom.requests.map((r) => [r.namespace, r.labelSelector, r.limit, r._continue])).toEqual([
      ['ns', 'shard=a', LIST_PAGE_SIZE, undefined],
      ['ns', 'shard=a', LIST_PAGE_SIZE, String(LIST_PAGE_SIZE)],
      ['ns', 'shard=a', LIST_PAGE_SIZE, String(2 * LIST_PAGE_SIZE)],
    ]);
  });

  it('an empty collection is one request', async () => {
    const custom = fakeCustom(0);
    const source = customResourceSource({ group: 'g', version: 'v1', plural: 'widgets' }, custom);
    const list = await source.list(undefined);
    expect(list.items).toEqual([]);
    expect(custom.requests).toHaveLength(1);
  });
});
