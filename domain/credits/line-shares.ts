/** An invoice line before credit: its rounded amount in minor units, and the meter it prices (`null` for the base fee and other lines of no meter). */
export interface ChargedLine {
  lineId: string;
  meter: string | null;
  amountMinor: bigint;
}

/** A line with its share of the invoice's tax, so that credit, which is applied after tax, can pay for a line as the customer sees it. */
export interface PayableLine extends ChargedLine {
  taxMinor: bigint;
  /** amountMinor + taxMinor. */
  payableMinor: bigint;
}

function floorDiv(n: bigint, d: bigint): bigint {
  const q = n / d;
  return n % d !== 0n && n < 0n !== d < 0n ? q - 1n : q;
}

/** Shares of `total` in proportion to `weights` (whose sum is positive), by the largest remainder; ties go to the earlier weight. */
function proportionalShares(weights: readonly bigint[], total: bigint): bigint[] {
  const sum = weights.reduce((a, w) => a + w, 0n);
  const floors = weights.map((w) => floorDiv(total * w, sum));
  const remainders = weights.map((w, i) => total * w - floors[i]! * sum);
  let left = total - floors.reduce((a, f) => a + f, 0n);
  const order = weights
    .map((_, i) => i)
    .sort((a, b) => (remainders[a] === remainders[b] ? a - b : remainders[a]! > remainders[b]! ? -1 : 1));
  for (const i of order) {
    if (left === 0n) break;
    floors[i]! += 1n;
    left -= 1n;
  }
  return floors;
}

/**
 * Spreads the invoice's rounded tax over its lines in proportion to their amounts, by the
 * largest remainder, so that the shares add up to the tax exactly and no share is a whole minor
 * unit away from its exact proportion. A line with a negative amount (a proration credit) gets
 * a negative share. When the lines sum to zero no proportion exists; the tax is then zero too.
 */
export function spreadTax(lines: readonly ChargedLine[], taxMinor: bigint): PayableLine[] {
  const subtotal = lines.reduce((sum, line) => sum + line.amountMinor, 0n);
  if (subtotal === 0n) {
    if (taxMinor !== 0n) throw new RangeError('tax on lines that sum to zero');
    return lines.map((line) => ({ ...line, taxMinor: 0n, payableMinor: line.amountMinor }));
  }
  // A negative subtotal is the mirror image of a positive one.
  const flip = subtotal < 0n ? -1n : 1n;
  const shares = proportionalShares(
    lines.map((line) => flip * line.amountMinor),
    flip * taxMinor,
  ).map((share) => flip * share);
  return lines.map((line, index) => ({ ...line, taxMinor: shares[index]!, payableMinor: line.amountMinor + shares[index]! }));
}
