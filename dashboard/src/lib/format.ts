/** Display helpers. Amounts arrive as decimal strings and are only formatted, never computed with. */

const grouping = new Intl.NumberFormat('en-US', { maximumFractionDigits: 12 });

/** "1234.5" → "1,234.5" without going through a float for long decimals. */
export function decimal(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const text = String(value);
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) return text;
  const [, sign, whole, frac] = match;
  return `${sign}${grouping.format(BigInt(whole!))}${frac ? `.${frac}` : ''}`;
}

const symbols: Record<string, string> = { USD: '$', EUR: '€', GBP: '£', JPY: '¥' };

/** "500.000000" → "500.00": trailing zeros past two decimals say nothing about money. */
export function trimZeros(value: string, keep = 2): string {
  if (/^-?\d+$/.test(value)) return keep ? `${value}.${'0'.repeat(keep)}` : value;
  const match = /^(-?\d+)\.(\d+)$/.exec(value);
  if (!match) return value;
  let frac = match[2]!.replace(/0+$/, '');
  if (frac.length < keep) frac = frac.padEnd(keep, '0');
  return frac ? `${match[1]}.${frac}` : match[1]!;
}

/** A money amount given as a decimal string, with its currency. */
export function money(amount: string | null | undefined, currency = 'USD'): string {
  if (amount === null || amount === undefined) return '—';
  const negative = amount.startsWith('-');
  const body = decimal(trimZeros(negative ? amount.slice(1) : amount));
  const symbol = symbols[currency];
  return `${negative ? '−' : ''}${symbol ? `${symbol}${body}` : `${body} ${currency}`}`;
}

export function date(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleDateString('en-GB', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return (
    new Date(iso).toLocaleString('en-GB', {
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZone: 'UTC',
    }) + ' UTC'
  );
}

/** "3 min ago" style, for feeds. */
export function ago(iso: string, now = Date.now()): string {
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  if (seconds < 45) return 'just now';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} d ago`;
}

/** Status → badge tone. */
export function tone(status: string | null | undefined): 'ok' | 'warn' | 'bad' | 'info' | '' {
  switch (status) {
    case 'paid':
    case 'active':
      return 'ok';
    case 'trialing':
    case 'finalized':
    case 'open':
      return 'info';
    case 'payment_failed':
    case 'past_due':
    case 'warning':
    case 'draft':
      return 'warn';
    case 'uncollectible':
    case 'critical':
    case 'void':
    case 'canceled':
      return 'bad';
    default:
      return '';
  }
}
