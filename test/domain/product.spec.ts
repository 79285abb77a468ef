import { describe, expect, it } from 'vitest';
import { fold } from '../../src/domain/decider.ts';
import {
  productDecider,
  type ChangeProductDetails,
  type ListProduct,
  type ProductCommand,
  type ProductEvent,
} from '../../src/domain/product/index.ts';
import { specification } from './specification.ts';

const given = specification(productDecider);

const sku = 'SKU-RED-MUG';
const at = '2025-11-28T09:00:00.000Z';
const later = '2025-11-29T09:00:00.000Z';
const eur = (amount: number) => ({ amount, currency: 'EUR' });

const details = {
  title: 'Red mug',
  description: 'A 350 ml stoneware mug.',
  brand: 'Kiln & Co',
  category: 'kitchen/mugs',
  attributes: { colour: 'red', capacityMl: 350, dishwasherSafe: true },
};

const listProduct = (overrides: Partial<ListProduct['data']> = {}): ProductCommand => ({
  type: 'ListProduct',
  data: { sku, ...details, price: eur(1299), at, ...overrides },
});
const changeDetails = (overrides: Partial<ChangeProductDetails['data']> = {}): ProductCommand => ({
  type: 'ChangeProductDetails',
  data: { sku, ...details, at: later, ...overrides },
});
const changePrice = (price: { amount: number; currency: string }): ProductCommand => ({
  type: 'ChangePrice',
  data: { sku, price, at: later },
});
const delist: ProductCommand = { type: 'DelistProduct', data: { sku, at: later } };

const listed: ProductEvent = { type: 'ProductListed', data: { sku, ...details, price: eur(1299), at } };
const delisted: ProductEvent = { type: 'ProductDelisted', data: { sku, at: later } };

describe('product: listing', () => {
  it('lists a product with flexible attributes', () => given([]).when(listProduct()).then([listed]));

  it('lists a free product', () =>
    given([])
      .when(listProduct({ price: eur(0) }))
      .then([{ type: 'ProductListed', data: { sku, ...details, price: eur(0), at } }]));

  it('refuses listing an already listed product', () =>
    given([listed]).when(listProduct()).thenFails('ProductAlreadyListed'));

  it('lists a delisted product again, in its first currency', () =>
    given([listed, delisted])
      .when(listProduct({ at: later }))
      .then([{ ...listed, data: { ...listed.data, at: later } }]));

  it('refuses listing a delisted product again in another currency', () =>
    given([listed, delisted])
      .when(listProduct({ price: { amount: 1299, currency: 'USD' } }))
      .thenFails('CurrencyMismatch'));

  it('refuses a negative or fractional price', () => {
    given([])
      .when(listProduct({ price: eur(-1) }))
      .thenFails('InvalidCommandData');
    given([])
      .when(listProduct({ price: eur(12.99) }))
      .thenFails('InvalidCommandData');
  });

  it('refuses a blank title and a malformed currency', () => {
    given([])
      .when(listProduct({ title: ' ' }))
      .thenFails('InvalidCommandData');
    given([])
      .when(listProduct({ price: { amount: 1, currency: 'euro' } }))
      .thenFails('InvalidCommandData');
  });

  it('refuses attribute values that are not plain text, numbers or booleans', () => {
    for (const attributes of [{ colour: null }, { colour: ['red'] }, { weight: Number.POSITIVE_INFINITY }])
      given([])
        .when(listProduct({ attributes: attributes as unknown as ListProduct['data']['attributes'] }))
        .thenFails('InvalidCommandData');
  });

  it('refuses a command for another SKU than the stream holds', () =>
    given([listed])
      .when(listProduct({ sku: 'SKU-BLUE-MUG' }))
      .thenFails('SkuMismatch'));
});

describe('product: changing details', () => {
  it('changes the details', () =>
    given([listed])
      .when(changeDetails({ title: 'Red mug, large' }))
      .then([
        { type: 'ProductDetailsChanged', data: { sku, ...details, title: 'Red mug, large', at: later } },
      ]));

  it('changes nothing when the details are the same, whatever order the attributes come in', () =>
    given([listed])
      .when(changeDetails({ attributes: { dishwasherSafe: true, capacityMl: 350, colour: 'red' } }))
      .thenNothingHappens());

  it('sees a removed attribute as a change', () =>
    given([listed])
      .when(changeDetails({ attributes: { colour: 'red', capacityMl: 350 } }))
      .then([
        {
          type: 'ProductDetailsChanged',
          data: { sku, ...details, attributes: { colour: 'red', capacityMl: 350 }, at: later },
        },
      ]));

  it('refuses to change a product never listed or delisted', () => {
    given([]).when(changeDetails()).thenFails('ProductNotListed');
    given([listed, delisted]).when(changeDetails()).thenFails('ProductNotListed');
  });
});

describe('product: changing the price', () => {
  it('changes the price, keeping the previous one', () =>
    given([listed])
      .when(changePrice(eur(999)))
      .then([
        { type: 'ProductPriceChanged', data: { sku, price: eur(999), previousPrice: eur(1299), at: later } },
      ]));

  it('allows a price of zero', () =>
    given([listed])
      .when(changePrice(eur(0)))
      .then([
        { type: 'ProductPriceChanged', data: { sku, price: eur(0), previousPrice: eur(1299), at: later } },
      ]));

  it('changes nothing for the same price', () =>
    given([listed])
      .when(changePrice(eur(1299)))
      .thenNothingHappens());

  it('refuses another currency: it is fixed at listing', () =>
    given([listed])
      .when(changePrice({ amount: 1299, currency: 'GBP' }))
      .thenFails('CurrencyMismatch'));

  it('refuses a negative price', () =>
    given([listed])
      .when(changePrice(eur(-1)))
      .thenFails('InvalidCommandData'));

  it('refuses to price a product never listed', () =>
    given([])
      .when(changePrice(eur(1)))
      .thenFails('ProductNotListed'));
});

describe('product: delisting', () => {
  it('delists a listed product', () => given([listed]).when(delist).then([delisted]));

  it('is idempotent: delisting twice changes nothing', () =>
    given([listed, delisted]).when(delist).thenNothingHappens());

  it('refuses to delist a product never listed', () => given([]).when(delist).thenFails('ProductNotListed'));

  it('keeps the product details in state', () =>
    expect(fold(productDecider, [listed, delisted])).toMatchObject({
      status: 'delisted',
      sku,
      title: 'Red mug',
      price: eur(1299),
      listedAt: at,
      updatedAt: later,
    }));
});
