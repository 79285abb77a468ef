import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { sameMoney } from '../money.ts';
import {
  changePriceData,
  changeProductDetailsData,
  delistProductData,
  listProductData,
  type ChangePrice,
  type ChangeProductDetails,
  type DelistProduct,
  type ListProduct,
  type ProductCommand,
} from './commands.ts';
import { invalidCommandData, productError, type ProductError, type ProductErrorCode } from './errors.ts';
import type { ProductAttributes, ProductDetails, ProductEvent } from './events.ts';
import type { Product, ProductState } from './state.ts';

type Decision = Either<ProductError, readonly ProductEvent[]>;

// Frozen: one shared empty answer that no caller can append to.
const nothingHappens: Decision = right(Object.freeze([]));
const reject = (code: ProductErrorCode, message: string, details?: Record<string, unknown>): Decision =>
  left(productError(code, message, details));

const skuMismatch = (product: Product, sku: string): ProductError =>
  productError('SkuMismatch', `this stream holds ${product.sku}, not ${sku}`, {
    streamSku: product.sku,
    sku,
  });

const listedProduct = (state: ProductState, sku: string): Either<ProductError, Product> => {
  if (state.status !== 'unlisted' && state.sku !== sku) return left(skuMismatch(state, sku));
  if (state.status !== 'listed')
    return left(productError('ProductNotListed', `${sku} is not listed`, { sku, status: state.status }));
  return right(state);
};

const currencyFixed = (product: Product, currency: string): Decision | undefined =>
  currency !== product.price.currency
    ? reject('CurrencyMismatch', `${product.sku} is priced in ${product.price.currency}`, {
        expected: product.price.currency,
        actual: currency,
      })
    : undefined;

/** Key by key: stored JSON may come back with its keys in another order. */
const sameAttributes = (a: ProductAttributes, b: ProductAttributes): boolean =>
  Object.keys(a).length === Object.keys(b).length &&
  Object.entries(a).every(([key, value]) => Object.hasOwn(b, key) && b[key] === value);

const sameDetails = (a: ProductDetails, b: ProductDetails): boolean =>
  a.title === b.title &&
  a.description === b.description &&
  a.brand === b.brand &&
  a.category === b.category &&
  sameAttributes(a.attributes, b.attributes);

/** A delisted product may be listed again, in the currency it was first listed in. */
export const listProduct = (command: ListProduct, state: ProductState): Decision => {
  const parsed = listProductData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { sku, price } = parsed.data;
  if (state.status !== 'unlisted' && state.sku !== sku) return left(skuMismatch(state, sku));
  if (state.status === 'listed') return reject('ProductAlreadyListed', `${sku} is already listed`, { sku });
  const otherCurrency = state.status === 'delisted' ? currencyFixed(state, price.currency) : undefined;
  if (otherCurrency) return otherCurrency;
  return right([{ type: 'ProductListed', data: parsed.data }]);
};

export const changeProductDetails = (command: ChangeProductDetails, state: ProductState): Decision => {
  const parsed = changeProductDetailsData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const found = listedProduct(state, parsed.data.sku);
  if (isLeft(found)) return found;
  if (sameDetails(found.right, parsed.data)) return nothingHappens;
  return right([{ type: 'ProductDetailsChanged', data: parsed.data }]);
};

export const changePrice = (command: ChangePrice, state: ProductState): Decision => {
  const parsed = changePriceData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { sku, price, at } = parsed.data;
  const found = listedProduct(state, sku);
  if (isLeft(found)) return found;
  const product = found.right;
  const otherCurrency = currencyFixed(product, price.currency);
  if (otherCurrency) return otherCurrency;
  if (sameMoney(price, product.price)) return nothingHappens;
  return right([{ type: 'ProductPriceChanged', data: { sku, price, previousPrice: product.price, at } }]);
};

export const delistProduct = (command: DelistProduct, state: ProductState): Decision => {
  const parsed = delistProductData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { sku, at } = parsed.data;
  if (state.status === 'delisted' && state.sku === sku) return nothingHappens;
  const found = listedProduct(state, sku);
  if (isLeft(found)) return found;
  return right([{ type: 'ProductDelisted', data: { sku, at } }]);
};

export const decide = (command: ProductCommand, state: ProductState): Decision => {
  switch (command.type) {
    case 'ListProduct':
      return listProduct(command, state);
    case 'ChangeProductDetails':
      return changeProductDetails(command, state);
    case 'ChangePrice':
      return changePrice(command, state);
    case 'DelistProduct':
      return delistProduct(command, state);
    default:
      return unknownCommand(command);
  }
};

/** Unreachable for typed callers; a command decoded from JSON can still carry any type. */
const unknownCommand = (command: never): Decision =>
  reject('InvalidCommandData', `unknown product command ${String((command as { type?: unknown }).type)}`);
