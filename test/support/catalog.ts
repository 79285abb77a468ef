import type { ProductCommand } from '../../src/domain/product/index.ts';

/** A plain product for tests that need one for sale: title = SKU, brand Acme, category Test, no attributes. */
export const testListing = (sku: string, amount: number, at = new Date().toISOString()): ProductCommand => ({
  type: 'ListProduct',
  data: {
    sku,
    title: sku,
    description: '',
    brand: 'Acme',
    category: 'Test',
    attributes: {},
    price: { amount, currency: 'USD' },
    at,
  },
});
