/**
 * Exact sums of decimal strings for dashboard totals (never through a JS number): values are
 * scaled to 12 decimal places as bigint, the precision the API uses for quantities and prices.
 */
const SCALE = 12;
const FACTOR = 10n ** BigInt(SCALE);

export function toScaled(value: string | null | undefined): bigint {
  if (!value) return 0n;
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!match) return 0n;
  const [, sign, whole, frac = ''] = match;
  const scaled = BigInt(whole!) * FACTOR + BigInt((frac + '0'.repeat(SCALE)).slice(0, SCALE));
  return sign ? -scaled : scaled;
}

export function fromScaled(value: bigint): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / FACTOR;
  const frac = (abs % FACTOR).toString().padStart(SCALE, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}

export function sumDecimals(values: readonly (string | null | undefined)[]): string {
  return fromScaled(values.reduce((acc, v) => acc + toScaled(v), 0n));
}

export function subtractDecimals(a: string | null | undefined, b: string | null | undefined): string {
  return fromScaled(toScaled(a) - toScaled(b));
}
