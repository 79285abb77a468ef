import { streamName } from '../stream-name.ts';

/** `cart-<cartId>`: one stream per cart. */
export const cartStream = streamName('cart');
