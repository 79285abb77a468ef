import { z } from 'zod';

/**
 * The integration events this platform publishes to Kafka: a contract with other teams, versioned
 * on its own. Internal events may change shape freely; `mapping.ts` turns them into these, and a new
 * incompatible shape becomes a new version (a second entry with `version: 2`) beside the old one.
 * `npm run schemas` writes each as JSON Schema to schemas/integration/<topic>/<type>.v<version>.json.
 */

export const TOPICS = ['orders', 'payments', 'inventory'] as const;
export type Topic = (typeof TOPICS)[number];

const money = z
  .strictObject({
    amount: z.int().nonnegative().describe('integer minor units (cents)'),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .describe('ISO 4217 code'),
  })
  .describe('an amount of money in minor units');

const timestamp = z.iso.datetime({ offset: true }).describe('ISO 8601 date-time');

const orderLine = z.strictObject({
  sku: z.string().min(1),
  quantity: z.int().positive(),
  unitPrice: money,
  lineTotal: money,
});

/** Fields every integration event carries around its `data`. */
const envelope = <Type extends string, Data extends z.ZodType>(type: Type, version: number, data: Data) =>
  z.strictObject({
    eventId: z.uuid().describe("unique per event: the consumer's deduplication key"),
    type: z.literal(type),
    schemaVersion: z.literal(version),
    occurredAt: timestamp,
    correlationId: z.string().min(1).describe('ties together the events of one business transaction'),
    streamId: z.string().min(1).describe('the Kafka key: events of one order, payment or SKU stay in order'),
    streamVersion: z.int().positive().describe('position of the source event in its stream'),
    data: data,
  });

export const orderPlacedV1 = envelope(
  'OrderPlaced',
  1,
  z.strictObject({
    orderId: z.string().min(1),
    customerId: z.string().min(1),
    lines: z.array(orderLine).min(1),
    total: money,
    placedAt: timestamp,
  }),
).describe('A customer placed an order; stock and payment are not settled yet.');

export const orderConfirmedV1 = envelope(
  'OrderConfirmed',
  1,
  z.strictObject({
    orderId: z.string().min(1),
    customerId: z.string().min(1),
    lines: z.array(orderLine).min(1),
    total: money,
    confirmedAt: timestamp,
  }),
).describe('The order is paid for and its stock committed: a sale.');

export const orderCancelledV1 = envelope(
  'OrderCancelled',
  1,
  z.strictObject({
    orderId: z.string().min(1),
    customerId: z.string().min(1),
    reason: z.string().min(1).describe('e.g. out_of_stock, payment_failed, customer_request'),
    total: money,
    cancelledAt: timestamp,
  }),
).describe('The order will not be fulfilled; anything held for it is given back.');

export const paymentFailedV1 = envelope(
  'PaymentFailed',
  1,
  z.strictObject({
    orderId: z.string().min(1),
    customerId: z.string().min(1),
    amount: money,
    attempt: z.int().positive(),
    reason: z.string().min(1),
    failedAt: timestamp,
  }),
).describe('The payment gateway declined (or never answered) a payment for an order.');

export const stockLowV1 = envelope(
  'StockLow',
  1,
  z.strictObject({
    sku: z.string().min(1),
    available: z.int().describe('units a new order can still reserve (on hand minus reserved)'),
    onHand: z.int(),
    threshold: z.int().nonnegative(),
    detectedAt: timestamp,
  }),
).describe('Units available to sell dropped under the threshold (published once per crossing).');

const skuQuantity = z.strictObject({ sku: z.string().min(1), quantity: z.int().positive() });

export const orderShippedV1 = envelope(
  'OrderShipped',
  1,
  z.strictObject({
    orderId: z.string().min(1),
    customerId: z.string().min(1),
    shipmentId: z.string().min(1),
    lines: z.array(skuQuantity).min(1).describe('the units in this shipment (an order may ship in parts)'),
    carrier: z
      .string()
      .min(1)
      .nullable()
      .describe('null only for an order shipped whole before partial shipments'),
    trackingNumber: z.string().min(1).nullable(),
    shippedAt: timestamp,
  }),
).describe('Part or all of an order left the warehouse.');

export const orderDeliveredV1 = envelope(
  'OrderDelivered',
  1,
  z.strictObject({
    orderId: z.string().min(1),
    customerId: z.string().min(1),
    shipmentId: z.string().min(1),
    deliveredAt: timestamp,
  }),
).describe('A shipment of an order arrived; its return window starts now.');

export const returnRequestedV1 = envelope(
  'ReturnRequested',
  1,
  z.strictObject({
    orderId: z.string().min(1),
    customerId: z.string().min(1),
    returnId: z.string().min(1),
    lines: z.array(skuQuantity).min(1),
    reason: z.string().min(1),
    requestedAt: timestamp,
  }),
).describe('A customer asked to send delivered units back.');

export const returnReceivedV1 = envelope(
  'ReturnReceived',
  1,
  z.strictObject({
    orderId: z.string().min(1),
    customerId: z.string().min(1),
    returnId: z.string().min(1),
    lines: z
      .array(z.strictObject({ sku: z.string().min(1), quantity: z.int().positive(), restock: z.boolean() }))
      .min(1)
      .describe('what arrived: restocked units go back on hand, the others are written off'),
    receivedAt: timestamp,
  }),
).describe('A return arrived at the warehouse; its units are refunded at the price paid.');

export const orderRefundedV1 = envelope(
  'OrderRefunded',
  1,
  z.strictObject({
    orderId: z.string().min(1),
    customerId: z.string().min(1),
    refundId: z.string().min(1),
    amount: money.describe('this refund (an order may be refunded in parts)'),
    refundedAt: timestamp,
  }),
).describe('Money went back to the customer (a hold never captured counts as refunded by its void).');

export type OrderPlacedV1 = z.infer<typeof orderPlacedV1>;
export type OrderConfirmedV1 = z.infer<typeof orderConfirmedV1>;
export type OrderCancelledV1 = z.infer<typeof orderCancelledV1>;
export type PaymentFailedV1 = z.infer<typeof paymentFailedV1>;
export type StockLowV1 = z.infer<typeof stockLowV1>;
export type OrderShippedV1 = z.infer<typeof orderShippedV1>;
export type OrderDeliveredV1 = z.infer<typeof orderDeliveredV1>;
export type ReturnRequestedV1 = z.infer<typeof returnRequestedV1>;
export type ReturnReceivedV1 = z.infer<typeof returnReceivedV1>;
export type OrderRefundedV1 = z.infer<typeof orderRefundedV1>;

export type IntegrationEvent =
  | OrderPlacedV1
  | OrderConfirmedV1
  | OrderCancelledV1
  | PaymentFailedV1
  | StockLowV1
  | OrderShippedV1
  | OrderDeliveredV1
  | ReturnRequestedV1
  | ReturnReceivedV1
  | OrderRefundedV1;
export type IntegrationEventType = IntegrationEvent['type'];

export type ContractEntry = Readonly<{
  topic: Topic;
  type: IntegrationEventType;
  version: number;
  schema: z.ZodType;
}>;

/** Every published (topic, type, version): what the schema files and the consumers' decoder are made from. */
export const CONTRACT: readonly ContractEntry[] = [
  { topic: 'orders', type: 'OrderPlaced', version: 1, schema: orderPlacedV1 },
  { topic: 'orders', type: 'OrderConfirmed', version: 1, schema: orderConfirmedV1 },
  { topic: 'orders', type: 'OrderCancelled', version: 1, schema: orderCancelledV1 },
  { topic: 'payments', type: 'PaymentFailed', version: 1, schema: paymentFailedV1 },
  { topic: 'inventory', type: 'StockLow', version: 1, schema: stockLowV1 },
  { topic: 'orders', type: 'OrderShipped', version: 1, schema: orderShippedV1 },
  { topic: 'orders', type: 'OrderDelivered', version: 1, schema: orderDeliveredV1 },
  { topic: 'orders', type: 'ReturnRequested', version: 1, schema: returnRequestedV1 },
  { topic: 'orders', type: 'ReturnReceived', version: 1, schema: returnReceivedV1 },
  { topic: 'orders', type: 'OrderRefunded', version: 1, schema: orderRefundedV1 },
];

export const topicOf = (type: IntegrationEventType): Topic =>
  CONTRACT.find((entry) => entry.type === type)!.topic;

/** The one entry for a type and version, or undefined for one this build does not know. */
export const contractEntry = (type: string, version: number): ContractEntry | undefined =>
  CONTRACT.find((entry) => entry.type === type && entry.version === version);

export class IntegrationEventError extends Error {
  override name = 'IntegrationEventError';
}

/** Checks an event received from Kafka against its published schema. */
export function parseIntegrationEvent(value: unknown): IntegrationEvent {
  const head = z.object({ type: z.string(), schemaVersion: z.int() }).safeParse(value);
  if (!head.success) throw new IntegrationEventError('not an integration event: no type or schemaVersion');
  const entry = contractEntry(head.data.type, head.data.schemaVersion);
  if (!entry)
    throw new IntegrationEventError(
      `unknown integration event ${head.data.type} v${head.data.schemaVersion}`,
    );
  const parsed = entry.schema.safeParse(value);
  if (!parsed.success)
    throw new IntegrationEventError(
      `${head.data.type} v${head.data.schemaVersion}: ${z.prettifyError(parsed.error)}`,
    );
  return parsed.data as IntegrationEvent;
}
