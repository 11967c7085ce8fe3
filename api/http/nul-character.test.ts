import { describe, expect, it } from 'vitest';
import { nulCharacterPath } from './nul-character.ts';

describe('nulCharacterPath', () => {
  it('names the first string, key or nested item holding U+0000', () => {
    expect(nulCharacterPath('a\u0000b')).toEqual([]);
    expect(nulCharacterPath({ name: 'ok', tiers: [{ upTo: '1' }, { upTo: '2\u0000' }] })).toEqual(['tiers', '1', 'upTo']);
    expect(nulCharacterPath({ usage: { 'meter\u0000': '1' } })).toEqual(['usage', 'meter\u0000']);
    expect(nulCharacterPath(['x', ['y', '\u0000']])).toEqual(['1', '1']);
  });

  it('passes everything else, including other control characters and lone surrogates', () => {
    expect(nulCharacterPath({ a: 'tab\tnew\nline\u0001', b: '\ud800', c: [1, null, true, { d: '' }] })).toBeNull();
    expect(nulCharacterPath(undefined)).toBeNull();
  });
});
