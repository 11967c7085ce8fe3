import { describe, expect, it } from 'vitest';
import { numericText, parseJsonLossless } from './lossless-json.ts';

describe('parseJsonLossless', () => {
  it.each([
    ['small integer stays a number', '{"n":42}', '{"n":42}'],
    ['a decimal a double prints back stays a number', '{"n":12.5}', '{"n":12.5}'],
    ['slow path: 15 significant digits stay a number', '{"n":1.50,"big":12345678901234567}', '{"n":1.5,"big":"12345678901234567"}'],
    ['more digits than a double: exact decimal text', '{"n":0.1000000000000000000001}', '{"n":"0.1000000000000000000001"}'],
    ['an integer beyond 2^53: exact text', '{"n":9007199254740993}', '{"n":"9007199254740993"}'],
    ['trailing zeros may be dropped, the value stays', '{"n":1.50}', '{"n":1.5}'],
    ['an exponent is expanded exactly', '{"n":1.5e3}', '{"n":"1500"}'],
    ['a negative exponent is expanded exactly', '{"n":25E-8}', '{"n":"0.00000025"}'],
    ['a double in exponent form is expanded', '{"n":0.0000001}', '{"n":"0.0000001"}'],
    ['a huge exponent is kept as sent', '{"n":1e999}', '{"n":"1e999"}'],
    ['strings, nesting and arrays pass through', '{"a":{"b":["x",1,true,null]},"s":"1e3"}', '{"a":{"b":["x",1,true,null]},"s":"1e3"}'],
  ])('%s', (_name, input, output) => {
    expect(JSON.stringify(parseJsonLossless(input))).toBe(output);
  });

  it('reads the exact text of numbers and numeric strings', () => {
    expect(numericText(7)).toBe('7');
    expect(numericText('3.25')).toBe('3.25');
    expect(numericText(true)).toBeNull();
  });

  it('throws on invalid JSON like JSON.parse', () => {
    expect(() => parseJsonLossless('{"a":')).toThrow(SyntaxError);
  });
});

describe('parseJsonLossless fast path', () => {
  it.each([
    ['{"n":123456789012345}', 123456789012345],
    ['{"n":1.23456789012345}', 1.23456789012345],
    ['{"n":0.000001}', 0.000001],
    ['{"n":1.50}', 1.5],
  ])('%s parses to the same value the slow path keeps', (text, value) => {
    const n = (parseJsonLossless(text) as { n: unknown }).n;
    expect(n).toBe(value);
  });

  it.each(['{"n":12345678901234567}', '{"n":0.12345678901234567}', '{"n":0.0000001}', '{"n":5e-3}'])('%s takes the exact path', (text) => {
    expect(typeof (parseJsonLossless(text) as { n: unknown }).n).toBe('string');
  });
});
