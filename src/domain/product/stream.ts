import { streamName } from '../stream-name.ts';

/** `product-<sku>`: one stream per product. */
export const productStream = streamName('product');
