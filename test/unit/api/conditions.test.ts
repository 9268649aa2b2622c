import { describe, expect, it } from 'vitest';
import {
  formatConditionTime,
  getCondition,
  isConditionTrue,
  MAX_MESSAGE,
  setCondition,
  type ConditionInput,
} from '../../../src/api/conditions.js';
import type { Condition } from '../../../src/api/types.js';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0, 123);
const T1 = T0 + 60_000;

const ready = (
  status: Condition['status'],
  reason = 'Available',
  observedGeneration = 1,
): ConditionInput => ({
  type: 'Ready',
  status,
  observedGeneration,
  reason,
  message: `ready is ${status}`,
});

describe('formatConditionTime', () => {
  it('is RFC 3339 UTC without fractional seconds', () => {
    expect(formatConditionTime(T0)).toBe('2026-01-01T00:00:00Z');
    expect(formatConditionTime(new Date(T1))).toBe('2026-01-01T00:01:00Z');
  });
});

describe('setCondition', () => {
  it('adds a new condition stamped with now', () => {
    expect(setCondition(undefined, ready('Unknown', 'Creating'), T0)).toStrictEqual([
      {
        type: 'Ready',
        status: 'Unknown',
        observedGeneration: 1,
        lastTransitionTime: '2026-01-01T00:00:00Z',
        reason: 'Creating',
        message: 'ready is Unknown',
      },
    ]);
  });

  it('keeps lastTransitionTime when the status is unchanged, but updates reason, message and generation', () => {
    const first = setCondition([], ready('False', 'Creating'), T0);
    const second = setCondition(first, { ...ready('False', 'Unavailable', 2), message: 'other' }, T1);
    expect(second).toStrictEqual([
      {
        type: 'Ready',
        status: 'False',
        observedGeneration: 2,
        lastTransitionTime: '2026-01-01T00:00:00Z',
        reason: 'Unavailable',
        message: 'other',
      },
    ]);
  });

  it('moves lastTransitionTime when the status flips', () => {
    const first = setCondition([], ready('False'), T0);
    expect(setCondition(first, ready('True'), T1)[0]!.lastTransitionTime).toBe('2026-01-01T00:01:00Z');
  });

  it('is idempotent: setting the same condition again yields a deep-equal list', () => {
    const first = setCondition([], ready('True'), T0);
    expect(setCondition(first, ready('True'), T1)).toStrictEqual(first);
  });

  it('replaces by type in place, appends new types, and never mutates its input', () => {
    const synced: ConditionInput = {
      type: 'Synced',
      status: 'True',
      reason: 'ReconcileSuccess',
      message: '',
    };
    const a = setCondition(setCondition([], ready('False'), T0), synced, T0);
    const frozen = structuredClone(a);
    const b = setCondition(a, ready('True'), T1);
    expect(a).toStrictEqual(frozen);
    expect(b).not.toBe(a);
    expect(b.map((c) => c.type)).toEqual(['Ready', 'Synced']);
    expect(b[1]).toBe(a[1]);
  });

  it('omits observedGeneration when the input has none', () => {
    const c = setCondition(
      [],
      { type: 'Synced', status: 'True', reason: 'ReconcileSuccess', message: '' },
      T0,
    )[0]!;
    expect(c).not.toHaveProperty('observedGeneration');
  });

  it('cuts an over-long message to what the CRD accepts', () => {
    const c = setCondition([], { ...ready('False'), message: 'x'.repeat(MAX_MESSAGE + 10) }, T0)[0]!;
    expect(c.message).toHaveLength(MAX_MESSAGE);
  });

  it.each(['', 'has space', 'EndPoint.3044', '9Starts', 'EndsWith:', 'x'.repeat(1025)])(
    'throws on the malformed reason %j',
    (reason) => {
      expect(() => setCondition([], { ...ready('False'), reason }, T0)).toThrow(/reason/);
    },
  );

  it.each(['Available', 'ReconcileError', 'EndPoint_3044', 'A', 'Failed:Quota,Exceeded_1'])(
    'accepts the reason %j',
    (reason) => {
      expect(setCondition([], { ...ready('False'), reason }, T0)[0]!.reason).toBe(reason);
    },
  );

  it('throws on a malformed type or status', () => {
    expect(() => setCondition([], { ...ready('False'), type: '' }, T0)).toThrow(/type/);
    expect(() => setCondition([], { ...ready('False'), type: 'not ok' }, T0)).toThrow(/type/);
    expect(() => setCondition([], { ...ready('False'), status: 'true' as Condition['status'] }, T0)).toThrow(
      /status/,
    );
  });
});

describe('getCondition / isConditionTrue', () => {
  const conds = setCondition(
    setCondition([], ready('True', 'Available', 3), T0),
    { type: 'Synced', status: 'False', reason: 'ReconcileError', message: 'boom' },
    T0,
  );

  it('finds a condition by type', () => {
    expect(getCondition(conds, 'Synced')?.message).toBe('boom');
    expect(getCondition(conds, 'Missing')).toBeUndefined();
    expect(getCondition(undefined, 'Ready')).toBeUndefined();
  });

  it('is true only for status True, and only for the given generation when one is given', () => {
    expect(isConditionTrue(conds, 'Ready')).toBe(true);
    expect(isConditionTrue(conds, 'Synced')).toBe(false);
    expect(isConditionTrue(conds, 'Missing')).toBe(false);
    expect(isConditionTrue(conds, 'Ready', 3)).toBe(true);
    expect(isConditionTrue(conds, 'Ready', 4)).toBe(false);
  });
});
