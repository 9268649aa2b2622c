import { describe, expect, it } from 'vitest';
import { StatusWriter, type StatusPatcher } from '../../../src/runtime/status-writer.js';
import { ConflictError, ObjectGoneError } from '../../../src/runtime/reconcile.js';
import { createMergePatch, jsonEqual } from '../../../src/runtime/json.js';
import { apiError } from './fakes.js';

interface Call {
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

/** Records calls and the headers the client-node middleware would set. */
function fakeApi(fail?: unknown): { api: StatusPatcher; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    api: {
      patchNamespacedCustomObjectStatus: async (req, options) => {
        const headers: Record<string, string> = {};
        for (const mw of options?.middleware ?? [])
          mw.pre({ setHeaderParam: (k: string, v: string) => (headers[k] = v) } as never);
        calls.push({ body: req.body as Record<string, unknown>, headers });
        if (fail) throw fail;
        return {};
      },
    },
  };
}

const ref = { namespace: 'ns', name: 'a' };
const w = (api: StatusPatcher, optimisticLock = false): StatusWriter =>
  new StatusWriter({ api, group: 'g', version: 'v1', plural: 'widgets', optimisticLock });

describe('StatusWriter', () => {
  it('writes nothing when the status is unchanged (key order and undefined fields ignored)', async () => {
    const { api, calls } = fakeApi();
    const current = {
      status: { id: 'x', conditions: [{ type: 'Ready', status: 'True' }], observedGeneration: 2 },
    };
    const next = {
      observedGeneration: 2,
      conditions: [{ status: 'True', type: 'Ready' }],
      id: 'x',
      extra: undefined,
    };
    expect(await w(api).patchStatusIfChanged(ref, current, next)).toBe(false);
    expect(calls).toEqual([]);
  });

  it('sends a merge patch on /status with only the difference, nulling removed fields', async () => {
    const { api, calls } = fakeApi();
    const current = {
      status: { id: 'x', status: 'creating', poolId: 'p', conditions: [{ type: 'Ready', status: 'False' }] },
    };
    const next = { id: 'x', status: 'available', conditions: [{ type: 'Ready', status: 'True' }] };
    expect(await w(api).patchStatusIfChanged(ref, current, next)).toBe(true);
    expect(calls[0]!.headers['Content-Type']).toBe('application/merge-patch+json');
    expect(calls[0]!.body).toEqual({
      status: { status: 'available', poolId: null, conditions: [{ type: 'Ready', status: 'True' }] },
    });
  });

  it('with optimistic locking sends the observed resourceVersion and maps 409 to ConflictError', async () => {
    const { api, calls } = fakeApi(apiError(409, 'Conflict'));
    const current = { metadata: { resourceVersion: '42' }, status: { id: 'x' } };
    await expect(w(api, true).patchStatusIfChanged(ref, current, { id: 'y' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(calls[0]!.body).toEqual({ metadata: { resourceVersion: '42' }, status: { id: 'y' } });
  });

  it('returns false for a deleted object and rethrows other errors', async () => {
    expect(await w(fakeApi(apiError(404, 'NotFound')).api).patchStatusIfChanged(ref, {}, { id: 'x' })).toBe(
      false,
    );
    const boom = apiError(500);
    await expect(w(fakeApi(boom).api).patchStatusIfChanged(ref, {}, { id: 'x' })).rejects.toBe(boom);
  });
});

describe('json helpers', () => {
  it('merge patches reproduce the target when applied (RFC 7386)', () => {
    const apply = (t: unknown, p: unknown): unknown => {
      if (typeof p !== 'object' || p === null || Array.isArray(p)) return p;
      const out: Record<string, unknown> =
        typeof t === 'object' && t && !Array.isArray(t) ? { ...(t as object) } : {};
      for (const [k, v] of Object.entries(p)) {
        if (v === null) delete out[k];
        else out[k] = apply(out[k], v);
      }
      return out;
    };
    const a = { x: 1, y: { z: [1, 2], w: 'a' }, gone: true };
    const b = { x: 2, y: { z: [1], v: null as unknown as string }, n: { deep: 1 } };
    const p = createMergePatch(a, b);
    // null fields cannot be stored by a merge patch: they come out absent.
    expect(jsonEqual(apply(a, p), { x: 2, y: { z: [1] }, n: { deep: 1 } })).toBe(true);
    // ...and so a desired status with a null field does not count as a change forever.
    expect(createMergePatch(apply(a, p), b)).toBeUndefined();
    expect(createMergePatch(a, structuredClone(a))).toBeUndefined();
  });
});

describe('StatusWriter bound to the UID', () => {
  const bound = (api: StatusPatcher): StatusWriter =>
    new StatusWriter({ api, group: 'g', version: 'v1', plural: 'widgets', bindToUid: true });
  const current = { metadata: { uid: 'uid-1', resourceVersion: '5' }, status: { id: 'a' } };

  it('sends a JSON Patch that tests the UID, then sets the whole status (default content type)', async () => {
    const { api, calls } = fakeApi();
    expect(await bound(api).patchStatusIfChanged(ref, current, { id: 'b', status: 'x' })).toBe(true);
    expect(calls[0]?.body).toEqual([
      { op: 'test', path: '/metadata/uid', value: 'uid-1' },
      { op: 'add', path: '/status', value: { id: 'b', status: 'x' } },
    ]);
    expect(calls[0]?.headers['Content-Type']).toBeUndefined();
  });

  it('still writes nothing when unchanged', async () => {
    const { api, calls } = fakeApi();
    expect(await bound(api).patchStatusIfChanged(ref, current, { id: 'a' })).toBe(false);
    expect(calls).toEqual([]);
  });

  it('a failed UID test (422) is a ConflictError; a 404 is ObjectGoneError, never a silent false', async () => {
    await expect(
      bound(fakeApi(apiError(422, 'Invalid')).api).patchStatusIfChanged(ref, current, { id: 'b' }),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(
      bound(fakeApi(apiError(404, 'NotFound')).api).patchStatusIfChanged(ref, current, { id: 'b' }),
    ).rejects.toBeInstanceOf(ObjectGoneError);
  });
});
