import { describe, expect, it } from 'vitest';
import { parseLabelSelector } from '../../../src/runtime/label-selector.js';

describe('parseLabelSelector', () => {
  it.each([
    ['shard=a', { shard: 'a' }, true],
    ['shard=a', { shard: 'b' }, false],
    ['shard=a', {}, false],
    ['shard==a', { shard: 'a' }, true],
    ['shard!=a', { shard: 'b' }, true],
    ['shard!=a', {}, true],
    ['shard!=a', { shard: 'a' }, false],
    ['shard in (a, b)', { shard: 'b' }, true],
    ['shard in (a,b)', { shard: 'c' }, false],
    ['shard notin (a,b)', { shard: 'c' }, true],
    ['shard notin (a,b)', {}, true],
    ['shard notin (a,b)', { shard: 'a' }, false],
    ['shard', { shard: '' }, true],
    ['shard', {}, false],
    ['!shard', {}, true],
    ['!shard', { shard: 'a' }, false],
    ['team=x, shard in (a,b), !legacy', { team: 'x', shard: 'a' }, true],
    ['team=x, shard in (a,b), !legacy', { team: 'x', shard: 'a', legacy: 'y' }, false],
    ['example.com/shard=a', { 'example.com/shard': 'a' }, true],
    ['', { anything: 'x' }, true],
  ])('%s on %j: %s', (text, labels, want) => {
    expect(parseLabelSelector(text).matches(labels)).toBe(want);
  });

  it('has one canonical text per selection, itself a valid selector', () => {
    const a = parseLabelSelector(' shard in (b, a) ,team==x ');
    const b = parseLabelSelector('team=x,shard in (a,b)');
    expect(a.text).toBe('shard in (a,b),team=x');
    expect(b.text).toBe(a.text);
    expect(parseLabelSelector(a.text).text).toBe(a.text);
    expect(parseLabelSelector('shard = a').text).toBe('shard=a');
    expect(parseLabelSelector('  ').text).toBe('');
  });

  it.each([
    'shard=a b',
    'shard in (a',
    'shard in a,b)',
    'bad key=a',
    'shard=-a',
    'shard>1',
    'shard=a,',
    'x/y/z=a',
    `k=${'v'.repeat(64)}`,
  ])('refuses %j with a message naming it', (text) => {
    expect(() => parseLabelSelector(text)).toThrow(/label selector/);
  });
});
