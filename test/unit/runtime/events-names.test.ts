import { describe, expect, it } from 'vitest';
import type { EventsV1Event } from '@kubernetes/client-node';
import { ManualClock } from '../../../src/util/clock.js';
import {
  EventRecorder,
  eventNameBase,
  MAX_EVENT_NAME_BASE,
  type EventsClient,
} from '../../../src/runtime/events.js';
import { apiError, memoryLogger } from './fakes.js';

/** What the apiserver checks on `metadata.name` of an Event (IsDNS1123Subdomain). */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const validName = (n: string) => n.length <= 253 && DNS_SUBDOMAIN.test(n);

/** An events client that validates names like the apiserver (422) and records what it accepted. */
function apiserverLike() {
  const created: EventsV1Event[] = [];
  let fail: unknown;
  const client: EventsClient = {
    createNamespacedEvent: async ({ body }) => {
      if (fail) throw fail;
      const name = body.metadata?.name ?? '';
      if (!validName(name)) throw apiError(422, 'Invalid', `metadata.name: Invalid value: "${name}"`);
      created.push(JSON.parse(JSON.stringify(body)) as EventsV1Event);
      return body;
    },
    patchNamespacedEvent: async () => {
      if (fail) throw fail;
      throw apiError(404, 'NotFound');
    },
  };
  return { client, created, failWith: (e: unknown) => (fail = e) };
}

function recorder(events: EventsClient, level = 'debug') {
  const clock = new ManualClock(1_780_000_000_000);
  const logs = memoryLogger(level);
  const rec = new EventRecorder({
    events,
    controller: 'example.io/op',
    instance: 'pod-1',
    clock,
    log: logs.log,
  });
  return { rec, clock, logs };
}

const note = { type: 'Normal' as const, reason: 'Created', action: 'Create', note: 'created' };
/** A 253-character DNS-subdomain name (labels of 63), the longest a resource may have. */
const longName = (tail: string) => {
  const label = 'a'.repeat(62);
  const head = `${label}b.${label}c.${label}d.`; // 192 characters
  return `${head}${'e'.repeat(253 - head.length - tail.length)}${tail}`;
};

describe('Event names', () => {
  it('a 253-character regarding name gives a valid, ≤253-character name the apiserver accepts', async () => {
    const name = longName('z');
    expect(name).toHaveLength(253);
    expect(validName(name)).toBe(true);
    const api = apiserverLike();
    const { rec } = recorder(api.client);
    await rec.record({ apiVersion: 'g/v1', kind: 'W', name, namespace: 'ns', uid: 'u' }, note);
    expect(api.created).toHaveLength(1);
    const eventName = api.created[0]!.metadata!.name!;
    expect(eventName.length).toBeLessThanOrEqual(253);
    expect(validName(eventName)).toBe(true);
    // The base is a prefix of the name, then `-` and a hash, then `.` and the hex time.
    const base = eventNameBase(name);
    expect(eventName).toMatch(new RegExp(`^${base.replace(/\./g, '\\.')}\\.[0-9a-f]+$`));
    expect(base).toMatch(/-[0-9a-f]{10}$/);
    expect(name.startsWith(base.slice(0, base.length - 11))).toBe(true);
    // The regarding reference keeps the full name.
    expect(api.created[0]!.regarding?.name).toBe(name);
  });

  it('the shortened base is stable for one name and distinct for long names sharing 240 characters', () => {
    const a = longName('x-one');
    const b = longName('x-two');
    expect(a.slice(0, 240)).toBe(b.slice(0, 240));
    expect(eventNameBase(a)).toBe(eventNameBase(a));
    expect(eventNameBase(a)).not.toBe(eventNameBase(b));
    for (const n of [a, b]) {
      expect(eventNameBase(n).length).toBeLessThanOrEqual(MAX_EVENT_NAME_BASE);
      expect(validName(`${eventNameBase(n)}.${'f'.repeat(16)}`)).toBe(true);
    }
  });

  it('two events of one long-named object share the base and differ only in the time', async () => {
    const api = apiserverLike();
    const { rec, clock } = recorder(api.client);
    const ref = { apiVersion: 'g/v1', kind: 'W', name: longName('q'), namespace: 'ns' };
    await rec.record(ref, note);
    await clock.advance(1_000);
    await rec.record(ref, { ...note, reason: 'Available' });
    const [first, second] = api.created.map((e) => e.metadata!.name!);
    expect(first).not.toBe(second);
    expect(first!.split('.').slice(0, -1)).toEqual(second!.split('.').slice(0, -1));
  });

  it('prefixes cut at a dash or a dot still end in an alphanumeric character before the hash', () => {
    for (const cut of ['-', '.']) {
      const room = MAX_EVENT_NAME_BASE - 11;
      const name = `${'a'.repeat(room - 1)}${cut}${'b'.repeat(253 - room)}`;
      expect(validName(name)).toBe(true);
      const base = eventNameBase(name);
      expect(validName(`${base}.1`)).toBe(true);
      expect(base).toMatch(/^a+-[0-9a-f]{10}$/);
    }
  });

  it('keeps names that fit unchanged, and makes an invalid one valid', () => {
    expect(eventNameBase('w1')).toBe('w1');
    const fits = 'a'.repeat(MAX_EVENT_NAME_BASE);
    expect(eventNameBase(fits)).toBe(fits);
    expect(eventNameBase(`${fits}b`)).not.toBe(`${fits}b`);
    for (const odd of ['Upper_Case', '-x-', '..', '', 'a..b'])
      expect(validName(`${eventNameBase(odd)}.1`)).toBe(true);
  });
});

describe('Event write failures', () => {
  it('warn once per reason, never with the note, then at debug level', async () => {
    const api = apiserverLike();
    const { rec, clock, logs } = recorder(api.client);
    api.failWith(apiError(403, 'Forbidden', 'events.events.k8s.io is forbidden'));
    const secretish = 'note with user data 8c1f';
    const ref = { apiVersion: 'g/v1', kind: 'W', name: 'w1', namespace: 'ns' };
    await rec.record(ref, { ...note, note: secretish });
    await clock.advance(1_000);
    await rec.record(ref, { ...note, note: `${secretish} again` });
    await rec.record(ref, { ...note, reason: 'Other', note: secretish });
    const failures = logs.lines().filter((l) => l.msg === 'creating an event failed');
    expect(failures.map((l) => [l.level, l.reason])).toEqual([
      ['warn', 'Created'],
      ['debug', 'Created'],
      ['warn', 'Other'],
    ]);
    expect(failures[0]).toMatchObject({ error: { status: 403 }, regarding: { name: 'w1', namespace: 'ns' } });
    expect(logs.text()).not.toContain(secretish);
  });

  it('a warn-level logger sees the first failure', async () => {
    const api = apiserverLike();
    const { rec, logs } = recorder(api.client, 'warn');
    api.failWith(apiError(500, 'InternalError'));
    await expect(
      rec.record({ apiVersion: 'g/v1', kind: 'W', name: 'w1', namespace: 'ns' }, note),
    ).resolves.toBeUndefined();
    expect(logs.lines()).toHaveLength(1);
    expect(logs.lines()[0]).toMatchObject({
      level: 'warn',
      msg: 'creating an event failed',
      reason: 'Created',
    });
  });
});
