import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { sameMoney, timesQuantity, totalOf, type Money } from '../money.ts';
import { orderError, type OrderError } from './errors.ts';
import type { PricedLine } from './events.ts';

type RequestedLine = Readonly<{ sku: string; quantity: number; unitPrice: Money }>;
export type PricedOrder = Readonly<{ lines: readonly PricedLine[]; total: Money }>;

/** Code-unit order, not locale order: the same on every machine, and the order the saga reserves in. */
const bySku = (a: { sku: string }, b: { sku: string }): number =>
  a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0;

/** Prices the lines once, at placement: one currency, one line per SKU, totals counted exactly. */
export const priceLines = (requested: readonly RequestedLine[]): Either<OrderError, PricedOrder> => {
  const [first] = requested;
  if (first === undefined) return left(orderError('EmptyOrder', 'an order needs at least one line'));
  const currency = first.unitPrice.currency;
  const seen = new Set<string>();
  for (const { sku, unitPrice } of requested) {
    if (seen.has(sku)) return left(orderError('DuplicateOrderLine', `${sku} appears on two lines`, { sku }));
    seen.add(sku);
    if (unitPrice.currency !== currency)
      return left(
        orderError('CurrencyMismatch', 'all lines must be priced in one currency', {
          expected: currency,
          actual: unitPrice.currency,
        }),
      );
  }
  const lines: PricedLine[] = [];
  for (const { sku, quantity, unitPrice } of [...requested].sort(bySku)) {
    const lineTotal = timesQuantity(unitPrice, quantity);
    if (lineTotal === undefined)
      return left(orderError('TotalTooLarge', `the total of ${sku} is too large`, { sku }));
    lines.push({ sku, quantity, unitPrice, lineTotal });
  }
  const total = totalOf(
    lines.map((line) => line.lineTotal),
    currency,
  );
  if (total === undefined) return left(orderError('TotalTooLarge', 'the order total is too large'));
  return right({ lines, total });
};

/** Field by field: a stored event's JSON may come back with its keys in another order. */
export const sameLines = (a: readonly PricedLine[], b: readonly PricedLine[]): boolean =>
  a.length === b.length &&
  a.every((line, i) => {
    const other = b[i];
    return (
      other !== undefined &&
      line.sku === other.sku &&
      line.quantity === other.quantity &&
      sameMoney(line.unitPrice, other.unitPrice)
    );
  });
