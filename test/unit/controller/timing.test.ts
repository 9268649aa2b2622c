import { describe, expect, it } from 'vitest';
import { jitter, pollDelay } from '../../../src/managed/timing.js';
import { parseDuration } from '../../../src/util/durations.js';

/** Poll times (ms after the create) the adaptive cadence produces up to `until`. */
function pollTimes(until: number): number[] {
  const times: number[] = [];
  let t = 0;
  while (t < until) {
    t += pollDelay(t);
    times.push(t);
  }
  return times;
}

describe('adaptive creating poll', () => {
  it('sees a 90-second create with at most 20 GETs (Terraform: 30)', () => {
    const polls = pollTimes(90_000);
    expect(polls.length).toBeLessThanOrEqual(20);
    expect(polls.at(-1)).toBeGreaterThanOrEqual(90_000);
  });

  it('notices availability within 0.1 x elapsed + 2 s, wherever it happens', () => {
    const polls = pollTimes(600_000);
    for (let available = 500; available < 250_000; available += 777) {
      const seen = polls.find((t) => t >= available)!;
      expect(seen - available).toBeLessThanOrEqual(0.1 * available + 2_000 + 1);
    }
  });

  it('never polls faster than every 2 s nor slower than every 30 s', () => {
    expect(pollDelay(0)).toBe(2_000);
    expect(pollDelay(-5_000)).toBe(2_000);
    expect(pollDelay(3_600_000)).toBe(30_000);
  });
});

describe('resync jitter', () => {
  it('stays within ±10 %', () => {
    expect(jitter(600_000, () => 0)).toBe(540_000);
    expect(jitter(600_000, () => 0.999999)).toBeLessThanOrEqual(660_000);
    expect(jitter(600_000, () => 0.5)).toBe(600_000);
  });
});

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['1500ms', 1_500],
    ['0.5s', 500],
  ])('%s = %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '10', 'abc', '-5m', '0s', '5 m', '1d'])('rejects %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});
