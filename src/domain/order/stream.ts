import { streamName } from '../stream-name.ts';

/** `order-<orderId>`: one stream per order. */
export const orderStream = streamName('order');
