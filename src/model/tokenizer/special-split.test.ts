import { describe, expect, it } from 'vitest';
import { SpecialSplitter } from './special-split';

describe('SpecialSplitter', () => {
  it('cuts special strings out of text, longest first where two start at the same place', () => {
    const splitter = new SpecialSplitter(new Map([['<a>', 1], ['<a><b>', 2], ['[x.*]', 3]]));
    expect(splitter.split('x<a><b>y<a>[x.*]')).toEqual([
      { kind: 'text', text: 'x' },
      { kind: 'token', id: 2 },
      { kind: 'text', text: 'y' },
      { kind: 'token', id: 1 },
      { kind: 'token', id: 3 },
    ]);
    expect(splitter.split('')).toEqual([]);
    expect(new SpecialSplitter(new Map()).split('plain')).toEqual([{ kind: 'text', text: 'plain' }]);
  });
});
