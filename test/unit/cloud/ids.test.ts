import { describe, it, expect } from 'vitest';
import { isCloudId, isSafeProjectId, quoteForMessage } from '../../../src/cloud/ids.js';

describe('isCloudId', () => {
  it.each([
    '4189d3c2-8882-4871-a3c2-d380272eed83',
    '4189D3C2-8882-4871-A3C2-D380272EED83',
    '00000000-0000-0000-0000-000000000000',
  ])('accepts the canonical UUID %s', (v) => {
    expect(isCloudId(v)).toBe(true);
  });

  it.each([
    '',
    '..',
    '../x',
    '%2e%2e',
    '4189d3c2-8882-4871-a3c2-d380272eed83/../x',
    '4189d3c2-8882-4871-a3c2-d380272eed8',
    '4189d3c2-8882-4871-a3c2-d380272eed833',
    '4189d3c28882-4871-a3c2-d380272eed83',
    '4189d3c2-8882-4871-a3c2-d380272eed8g',
    '{4189d3c2-8882-4871-a3c2-d380272eed83}',
    ' 4189d3c2-8882-4871-a3c2-d380272eed83',
    '4189d3c2-8882-4871-a3c2-d380272eed83\n',
    '4189d3c288824871a3c2d380272eed83',
  ])('rejects %j', (v) => {
    expect(isCloudId(v)).toBe(false);
  });

  it('rejects non-strings', () => {
    for (const v of [undefined, null, 42, {}, ['4189d3c2-8882-4871-a3c2-d380272eed83']])
      expect(isCloudId(v)).toBe(false);
  });
});

describe('isSafeProjectId', () => {
  it('accepts 1-64 characters of [A-Za-z0-9_-]', () => {
    for (const v of ['p', 'proj-1', 'A_b-9', '0a1b2c3d4e5f60718293a4b5c6d7e8f9', 'x'.repeat(64)])
      expect(isSafeProjectId(v)).toBe(true);
  });

  it('rejects anything that could change the path or a header', () => {
    for (const v of ['', 'x'.repeat(65), '..', '../x', 'a/b', 'a%2fb', 'a b', 'a.b', 'p\r\n', 'prøj', 7])
      expect(isSafeProjectId(v)).toBe(false);
  });
});

describe('quoteForMessage', () => {
  it('JSON-escapes, so control characters cannot forge lines', () => {
    expect(quoteForMessage('a\r\nb"c')).toBe('"a\\r\\nb\\"c"');
  });

  it('cuts long values to the limit and marks the cut', () => {
    const q = quoteForMessage('x'.repeat(500));
    expect(q).toBe(`"${'x'.repeat(80)}"…`);
    expect(quoteForMessage('x'.repeat(80))).toBe(`"${'x'.repeat(80)}"`);
    expect(quoteForMessage('abcdef', 3)).toBe('"abc"…');
  });

  it('cuts on whole code points and quotes non-strings without throwing', () => {
    expect(quoteForMessage('😀😀😀', 2)).toBe('"😀😀"…');
    expect(quoteForMessage(undefined)).toBe('"undefined"');
    expect(quoteForMessage(12)).toBe('"12"');
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(typeof quoteForMessage(cyclic)).toBe('string');
  });
});
