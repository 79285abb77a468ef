import { z } from 'zod';

/** An amount in integer minor units (cents, pence, yen) of an ISO 4217 currency: never a float. */
export type Money = Readonly<{ amount: number; currency: string }>;

export const currencyCode = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR');

/** A price or a total: zero or more minor units. */
export const nonNegativeMoney = z.object({ amount: z.int().nonnegative(), currency: currencyCode });

/** Something a customer actually pays or gets back: at least one minor unit. */
export const positiveMoney = z.object({ amount: z.int().positive(), currency: currencyCode });

export const sameMoney = (a: Money, b: Money): boolean => a.amount === b.amount && a.currency === b.currency;

/** Unit price times quantity; undefined when the result is too large to count exactly. */
export const timesQuantity = (unitPrice: Money, quantity: number): Money | undefined => {
  const amount = unitPrice.amount * quantity;
  return Number.isSafeInteger(amount) ? { amount, currency: unitPrice.currency } : undefined;
};

/** Sum of amounts in one currency; undefined when the result is too large to count exactly. */
export const totalOf = (amounts: readonly Money[], currency: string): Money | undefined => {
  const amount = amounts.reduce((sum, money) => sum + money.amount, 0);
  return Number.isSafeInteger(amount) ? { amount, currency } : undefined;
};
