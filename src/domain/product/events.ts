import type { DomainEvent } from '../decider.ts';
import type { Money } from '../money.ts';

export type ProductAttributes = Readonly<Record<string, string | number | boolean>>;

export type ProductDetails = Readonly<{
  title: string;
  description: string;
  brand: string;
  category: string;
  attributes: ProductAttributes;
}>;

export type ProductListed = DomainEvent<
  'ProductListed',
  ProductDetails & { sku: string; price: Money; at: string }
>;
export type ProductDetailsChanged = DomainEvent<
  'ProductDetailsChanged',
  ProductDetails & { sku: string; at: string }
>;
export type ProductPriceChanged = DomainEvent<
  'ProductPriceChanged',
  { sku: string; price: Money; previousPrice: Money; at: string }
>;
export type ProductDelisted = DomainEvent<'ProductDelisted', { sku: string; at: string }>;

export type ProductEvent = ProductListed | ProductDetailsChanged | ProductPriceChanged | ProductDelisted;
