import { describe, expect, it } from 'vitest';
import type { KubernetesObject } from '@kubernetes/client-node';
import { addFinalizer, removeFinalizer, type CustomObjectsPatcher } from '../../../src/runtime/finalizer.js';
import { ConflictError, RetryableError } from '../../../src/runtime/reconcile.js';
import { apiError } from './fakes.js';

const F = 'vpcep.example.io/cleanup';
const ref = { group: 'g', version: 'v1', plural: 'widgets', namespace: 'ns', name: 'a' };

/** Applies RFC 6902 test/add/remove to /metadata/finalizers like the apiserver (422 on a failed test). */
class FakeObjectStore {
  obj: KubernetesObject = { metadata: { name: 'a', namespace: 'ns' } };
  patches: unknown[] = [];
  gone = false;

  api(): CustomObjectsPatcher {
    return {
      patchNamespacedCustomObject: async ({ body }) => {
        if (this.gone) throw apiError(404, 'NotFound');
        this.patches.push(body);
        const next = structuredClone(this.obj);
        for (const op of body as Array<{ op: string; path: string; value?: unknown }>) {
          const parts = op.path.split('/').slice(1);
          if (parts[0] !== 'metadata' || parts[1] !== 'finalizers') throw apiError(422, 'Invalid');
          const list = next.metadata!.finalizers;
          const idx = parts[2];
          if (op.op === 'test') {
            const actual = idx === undefined ? (list ?? null) : (list?.[Number(idx)] ?? null);
            if (JSON.stringify(actual) !== JSON.stringify(op.value ?? null))
              throw apiError(422, 'Invalid', 'the server rejected our request: test operation failed');
          } else if (op.op === 'add') {
            if (idx === undefined) next.metadata!.finalizers = op.value as string[];
            else if (idx === '-' && list) list.push(op.value as string);
            else throw apiError(422, 'Invalid');
          } else if (op.op === 'remove') {
            if (!list || idx === undefined || Number(idx) >= list.length) throw apiError(422, 'Invalid');
            list.splice(Number(idx), 1);
          }
        }
        this.obj = next;
        return next;
      },
    };
  }
}

describe('finalizer helpers', () => {
  it('adds a finalizer to an object without any, guarded by a test that none exist', async () => {
    const s = new FakeObjectStore();
    expect(await addFinalizer(s.api(), ref, structuredClone(s.obj), F)).toBe(true);
    expect(s.obj.metadata!.finalizers).toEqual([F]);
    expect(s.patches[0]).toEqual([
      { op: 'test', path: '/metadata/finalizers', value: null },
      { op: 'add', path: '/metadata/finalizers', value: [F] },
    ]);
  });

  it('appends to existing finalizers and is a no-op (no request) when present', async () => {
    const s = new FakeObjectStore();
    s.obj.metadata!.finalizers = ['other'];
    expect(await addFinalizer(s.api(), ref, structuredClone(s.obj), F)).toBe(true);
    expect(s.obj.metadata!.finalizers).toEqual(['other', F]);
    expect(await addFinalizer(s.api(), ref, structuredClone(s.obj), F)).toBe(false);
    expect(s.patches.length).toBe(1);
  });

  it('fails safely with a retryable ConflictError when someone changed the finalizers since our read', async () => {
    const s = new FakeObjectStore();
    s.obj.metadata!.finalizers = ['other', F];
    const stale = structuredClone(s.obj);
    s.obj.metadata!.finalizers = [F]; // 'other' removed concurrently: F moved to index 0
    const err = await removeFinalizer(s.api(), ref, stale, F).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toBeInstanceOf(RetryableError);
    expect(s.obj.metadata!.finalizers).toEqual([F]); // nothing clobbered
    // After a re-read it succeeds.
    expect(await removeFinalizer(s.api(), ref, structuredClone(s.obj), F)).toBe(true);
    expect(s.obj.metadata!.finalizers).toEqual([]);
  });

  it('does not clobber a finalizer added concurrently by someone else', async () => {
    const s = new FakeObjectStore();
    const stale = structuredClone(s.obj);
    s.obj.metadata!.finalizers = ['someone-else'];
    await expect(addFinalizer(s.api(), ref, stale, F)).rejects.toBeInstanceOf(ConflictError);
    expect(s.obj.metadata!.finalizers).toEqual(['someone-else']);
  });

  it('removes only our finalizer, returns false when absent or when the object is gone', async () => {
    const s = new FakeObjectStore();
    s.obj.metadata!.finalizers = ['x', F, 'y'];
    expect(await removeFinalizer(s.api(), ref, structuredClone(s.obj), F)).toBe(true);
    expect(s.obj.metadata!.finalizers).toEqual(['x', 'y']);
    expect(await removeFinalizer(s.api(), ref, structuredClone(s.obj), F)).toBe(false);
    s.obj.metadata!.finalizers = [F];
    s.gone = true;
    expect(await removeFinalizer(s.api(), ref, structuredClone(s.obj), F)).toBe(false);
  });

  it('maps 409 to ConflictError and passes other errors through', async () => {
    const api = (e: unknown): CustomObjectsPatcher => ({
      patchNamespacedCustomObject: () => Promise.reject(e),
    });
    const obj = { metadata: { name: 'a' } };
    await expect(addFinalizer(api(apiError(409, 'Conflict')), ref, obj, F)).rejects.toBeInstanceOf(
      ConflictError,
    );
    const e500 = apiError(500);
    await expect(addFinalizer(api(e500), ref, obj, F)).rejects.toBe(e500);
  });
});

describe('finalizer patches bound to the object read', () => {
  it('test the UID first when the object has one, so a same-name successor is never edited', async () => {
    const s = new FakeObjectStore();
    const read: KubernetesObject = { metadata: { name: 'a', namespace: 'ns', uid: 'uid-old' } };
    const api: CustomObjectsPatcher = {
      patchNamespacedCustomObject: async ({ body }) => {
        s.patches.push(body);
        // The stored object is a successor with another UID: the apiserver fails the first test.
        throw apiError(422, 'Invalid', 'the server rejected our request: test operation failed');
      },
    };
    await expect(addFinalizer(api, ref, read, F)).rejects.toBeInstanceOf(ConflictError);
    expect((s.patches[0] as unknown[])[0]).toEqual({ op: 'test', path: '/metadata/uid', value: 'uid-old' });
    read.metadata!.finalizers = [F];
    await expect(removeFinalizer(api, ref, read, F)).rejects.toBeInstanceOf(ConflictError);
    expect((s.patches[1] as unknown[])[0]).toEqual({ op: 'test', path: '/metadata/uid', value: 'uid-old' });
  });
});
