import type { Money } from './types.ts';

const formats = new Map<string, Intl.NumberFormat>();

/** `{amount: 1999, currency: 'USD'}` -> `$19.99` (minor units, as the API keeps money). */
export function formatMoney(money: Money): string {
  let format = formats.get(money.currency);
  if (!format) {
    format = new Intl.NumberFormat('en-US', { style: 'currency', currency: money.currency });
    formats.set(money.currency, format);
  }
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(money.amount / 10 ** digits);
}

export const formatDate = (iso: string): string =>
  new Date(iso).toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'short' });
