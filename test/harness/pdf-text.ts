import { inflateSync } from 'node:zlib';

/**
 * The text a PDF shows, one string per text-showing operator, from its (Flate) content streams:
 * enough to read what pdfkit wrote with a standard font (hex strings, split by kerning).
 */
export function pdfText(pdf: Buffer): string[] {
  const shown: string[] = [];
  for (const m of pdf.toString('latin1').matchAll(/stream\r?\n([\s\S]*?)(\r?)\nendstream/g)) {
    // A CR before `endstream` is the end of line when the writer ends lines with CRLF, and the
    // stream's last byte when it ends them with LF (pdfkit does): about one stream in 256 ends
    // in 0x0d. Try it as data first (zlib ignores a byte after its end), then without it.
    const content = inflated(m[1]! + m[2]!) ?? inflated(m[1]!);
    if (content === null) continue;
    for (const op of content.matchAll(/\[([^\]]*)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj/g)) {
      const parts = op[1] !== undefined ? [...op[1].matchAll(/<([0-9a-fA-F]*)>/g)].map((p) => p[1]!) : [op[2]!];
      shown.push(parts.map((hex) => Buffer.from(hex, 'hex').toString('latin1')).join(''));
    }
  }
  return shown;
}

function inflated(data: string): string | null {
  try {
    return inflateSync(Buffer.from(data, 'latin1')).toString('latin1');
  } catch {
    return null;
  }
}
