import { z } from 'zod';
import { id, instant } from '../command-data.ts';
import type { DomainCommand } from '../decider.ts';
import { nonNegativeMoney } from '../money.ts';

const name = z.string().max(300).regex(/\S/, 'must not be blank');

/** Flexible per-category attributes (size, colour, wattage), stored as JSON documents. */
const attributes = z
  .record(z.string().min(1).max(100), z.union([z.string().max(1000), z.number(), z.boolean()]))
  .refine((record) => Object.keys(record).length <= 100, 'at most 100 attributes');

const details = {
  title: name,
  description: z.string().max(20_000),
  brand: name,
  category: name,
  attributes,
};

export const listProductData = z.object({ sku: id, ...details, price: nonNegativeMoney, at: instant });
export const changeProductDetailsData = z.object({ sku: id, ...details, at: instant });
export const changePriceData = z.object({ sku: id, price: nonNegativeMoney, at: instant });
export const delistProductData = z.object({ sku: id, at: instant });

export type ListProduct = DomainCommand<'ListProduct', z.infer<typeof listProductData>>;
/** Replaces every detail at once: the caller sends the whole product, not a patch. */
export type ChangeProductDetails = DomainCommand<
  'ChangeProductDetails',
  z.infer<typeof changeProductDetailsData>
>;
export type ChangePrice = DomainCommand<'ChangePrice', z.infer<typeof changePriceData>>;
export type DelistProduct = DomainCommand<'DelistProduct', z.infer<typeof delistProductData>>;

export type ProductCommand = ListProduct | ChangeProductDetails | ChangePrice | DelistProduct;
