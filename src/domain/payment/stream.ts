import { streamName } from '../stream-name.ts';

/** `payment-<orderId>`: one stream per payment. */
export const paymentStream = streamName('payment');
