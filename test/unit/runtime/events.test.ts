import { describe, expect, it } from 'vitest';
import type { EventsV1Event } from '@kubernetes/client-node';
import { ManualClock } from '../../../src/util/clock.js';
import { EventRecorder, type EventsClient } from '../../../src/runtime/events.js';
import { apiError, memoryLogger } from './fakes.js';

/** An in-memory events.k8s.io store; bodies go through JSON as on the wire. */
class FakeEvents {
  events = new Map<string, Record<string, unknown>>();
  creates = 0;
  patches: Array<{ name: string; body: unknown; contentType?: string }> = [];
  fail: unknown;

  client(): EventsClient {
    return {
      createNamespacedEvent: async ({ namespace, body }) => {
        if (this.fail) throw this.fail;
        this.creates++;
        const wire = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
        this.events.set(`${namespace}/${body.metadata!.name}`, wire);
        return wire as unknown as EventsV1Event;
      },
      patchNamespacedEvent: async ({ name, namespace, body }, options) => {
        if (this.fail) throw this.fail;
        const headers: Record<string, string> = {};
        for (const mw of options?.middleware ?? [])
          mw.pre({ setHeaderParam: (k: string, v: string) => (headers[k] = v) } as never);
        this.patches.push({
          name,
          body: JSON.parse(JSON.stringify(body)),
          contentType: headers['Content-Type'],
        });
        const ev = this.events.get(`${namespace}/${name}`);
        if (!ev) throw apiError(404, 'NotFound');
        Object.assign(ev, JSON.parse(JSON.stringify(body)));
        return ev as unknown as EventsV1Event;
      },
    };
  }
}

const regarding = { apiVersion: 'g/v1', kind: 'Widget', name: 'w1', namespace: 'ns', uid: 'u1' };
const warn = { type: 'Warning' as const, reason: 'CloudError', action: 'Create', note: 'quota exceeded' };

function setup() {
  const clock = new ManualClock();
  const store = new FakeEvents();
  const rec = new EventRecorder({
    events: store.client(),
    controller: 'example.io/op',
    instance: 'pod-1',
    clock,
    log: memoryLogger().log,
  });
  return { clock, store, rec };
}

describe('EventRecorder', () => {
  it('creates an events.k8s.io/v1 Event with MicroTime, reporting controller and instance', async () => {
    const { store, rec } = setup();
    await rec.record(regarding, warn);
    const [ev] = [...store.events.values()];
    expect(ev).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      type: 'Warning',
      reason: 'CloudError',
      action: 'Create',
      note: 'quota exceeded',
      reportingController: 'example.io/op',
      reportingInstance: 'pod-1',
      regarding: { kind: 'Widget', name: 'w1', namespace: 'ns', uid: 'u1' },
    });
    expect(String(ev!.eventTime)).toMatch(/\.\d{6}Z$/);
    expect(String((ev!.metadata as { name: string }).name)).toMatch(/^w1\.[0-9a-f]+$/);
  });

  it('folds repeats within 6 minutes into one Event series instead of new objects', async () => {
    const { store, rec, clock } = setup();
    await rec.record(regarding, warn);
    for (let i = 0; i < 4; i++) {
      await clock.advance(60_000);
      await rec.record(regarding, warn);
    }
    expect(store.creates).toBe(1);
    const [ev] = [...store.events.values()];
    expect(ev!.series).toMatchObject({ count: 5 });
    expect(Date.parse(String((ev!.series as { lastObservedTime: string }).lastObservedTime))).toBe(
      clock.now(),
    );
    expect(store.patches.every((p) => p.contentType === 'application/merge-patch+json')).toBe(true);
  });

  it('keeps series counts in order when records race', async () => {
    const { store, rec } = setup();
    await Promise.all(Array.from({ length: 10 }, () => rec.record(regarding, warn)));
    expect(store.creates).toBe(1);
    expect([...store.events.values()][0]!.series).toMatchObject({ count: 10 });
  });

  it('starts a new Event after the 6-minute window, and for a different reason or object', async () => {
    const { store, rec, clock } = setup();
    await rec.record(regarding, warn);
    await clock.advance(361_000);
    await rec.record(regarding, warn);
    await rec.record(regarding, { ...warn, reason: 'Other' });
    await rec.record({ ...regarding, name: 'w2', uid: 'u2' }, warn);
    expect(store.creates).toBe(4);
  });

  it('re-creates when the folded Event has expired (404), and never throws', async () => {
    const { store, rec } = setup();
    await rec.record(regarding, warn);
    store.events.clear();
    await rec.record(regarding, warn);
    expect(store.creates).toBe(2);
    store.fail = apiError(403, 'Forbidden');
    await expect(rec.record(regarding, { ...warn, reason: 'New' })).resolves.toBeUndefined();
    await expect(rec.record(regarding, warn)).resolves.toBeUndefined();
  });
});
