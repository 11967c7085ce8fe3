import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { pdfText } from './pdf-text.ts';

const hex = (text: string) => Buffer.from(text, 'latin1').toString('hex');
const pdfWith = (data: Buffer) => Buffer.concat([Buffer.from('1 0 obj\n<<>>\nstream\n'), data, Buffer.from('\nendstream\nendobj\n')]);

describe('pdfText', () => {
  it('reads a content stream whose compressed bytes end in CR (the line end must not eat it)', () => {
    // zlib ends with an Adler-32 checksum, so some text among the first few thousand ends in 0x0d.
    const textOf = (n: number) => `Status: payment_failed ${'.'.repeat(n % 50)}${n}`;
    let n = 0;
    let data = deflateSync('');
    for (; n < 10_000; n++) {
      data = deflateSync(`BT <${hex(textOf(n))}> Tj ET`);
      if (data.at(-1) === 0x0d) break;
    }
    expect(data.at(-1)).toBe(0x0d);
    // pdfkit writes "stream\n<data>\nendstream": the CR is the data's own last byte.
    expect(pdfText(pdfWith(data))).toEqual([textOf(n)]);
  });

  it('reads a stream whose lines end with CRLF', () => {
    const data = deflateSync(`BT <${hex('Total: 10.00')}> Tj ET`);
    const crlf = Buffer.concat([Buffer.from('stream\r\n'), data, Buffer.from('\r\nendstream')]);
    expect(pdfText(crlf)).toEqual(['Total: 10.00']);
  });
});
