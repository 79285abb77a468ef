import type { Money } from '../money.ts';
import type { ProductDetails, ProductEvent } from './events.ts';

export type Product = Readonly<
  ProductDetails & {
    status: 'listed' | 'delisted';
    sku: string;
    /** Its currency is fixed at the first listing. */
    price: Money;
    listedAt: string;
    updatedAt: string;
  }
>;

export type ProductState = Readonly<{ status: 'unlisted' }> | Product;

export const initialState = (): ProductState => ({ status: 'unlisted' });

export const evolve = (state: ProductState, event: ProductEvent): ProductState => {
  if (event.type === 'ProductListed') {
    const { sku, title, description, brand, category, attributes, price, at } = event.data;
    return {
      status: 'listed',
      sku,
      title,
      description,
      brand,
      category,
      attributes,
      price,
      listedAt: at,
      updatedAt: at,
    };
  }
  if (state.status === 'unlisted') return state;
  switch (event.type) {
    case 'ProductDetailsChanged': {
      const { title, description, brand, category, attributes, at } = event.data;
      return { ...state, title, description, brand, category, attributes, updatedAt: at };
    }
    case 'ProductPriceChanged':
      return { ...state, price: event.data.price, updatedAt: event.data.at };
    case 'ProductDelisted':
      return { ...state, status: 'delisted', updatedAt: event.data.at };
  }
};
