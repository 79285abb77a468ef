import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  analyticsHandler,
  conversionFunnel,
  salesPerSkuPerDay,
} from '../../src/integration/consumers/analytics.ts';
import { applyOnce } from '../../src/integration/consumers/consumer.ts';
import { notificationsHandler } from '../../src/integration/consumers/notifications.ts';
import { CONTRACT, parseIntegrationEvent, type IntegrationEvent } from '../../src/integration/events.ts';
import { fromKafkaMessage, toKafkaMessage } from '../../src/integration/kafka-client.ts';
import { RECORDED_AT, recordedEvent } from '../support/recorded.ts';
import {
  MissingOrderFactsError,
  ordersToLoad,
  skusTouched,
  toIntegrationEvent,
  type MappingState,
} from '../../src/integration/mapping.ts';
import { integrationSchemaFiles } from '../../src/integration/schema-files.ts';
import { freshPGlite, type TestDatabase } from '../support/databases.ts';
import { publishedSchemaValidator } from './support/json-schemas.ts';

// The contract side of the integration, without a broker: which internal events become which
// integration events, that they conform to the committed JSON Schemas, and that a consumer applies
// an event once however often it is delivered.

const root = fileURLToPath(new URL('../../', import.meta.url));
const AT = RECORDED_AT;
let version = 0;
const recorded = (streamId: string, type: string, data: Record<string, unknown>) =>
  recordedEvent(streamId, ++version, type, data);

const usd = (amount: number) => ({ amount, currency: 'USD' });
const placed = (orderId: string) =>
  recorded(`order-${orderId}`, 'OrderPlaced', {
    orderId,
    customerId: 'cust-7',
    lines: [{ sku: 'SKU-1', quantity: 2, unitPrice: usd(500), lineTotal: usd(1000) }],
    total: usd(1000),
    paymentMethod: 'pm_card_visa',
    placedAt: AT,
  });
const newState = (stockLowThreshold = 5): MappingState => ({
  orders: new Map(),
  levels: new Map(),
  stockLowThreshold,
});

describe('mapping internal events to integration events', () => {
  it('turns an order’s placement, confirmation and cancellation into self-contained events', () => {
    const state = newState();
    const orderId = uuidv7();
    const events = [
      placed(orderId),
      recorded(`order-${orderId}`, 'OrderLineReserved', { orderId, sku: 'SKU-1', quantity: 2, at: AT }),
      recorded(`order-${orderId}`, 'OrderConfirmed', { orderId, at: AT }),
      recorded(`order-${orderId}`, 'OrderCancelled', { orderId, reason: 'customer_request', at: AT }),
    ].map((e) => toIntegrationEvent(e, state));
    expect(events.map((e) => e?.type)).toEqual([
      'OrderPlaced',
      undefined,
      'OrderConfirmed',
      'OrderCancelled',
    ]);
    expect(events[2]).toMatchObject({
      type: 'OrderConfirmed',
      schemaVersion: 1,
      correlationId: 'corr-1',
      streamId: `order-${orderId}`,
      data: {
        orderId,
        customerId: 'cust-7',
        lines: [{ sku: 'SKU-1', quantity: 2, unitPrice: usd(500), lineTotal: usd(1000) }],
        total: usd(1000),
        confirmedAt: AT,
      },
    });
    expect(events[3]!.data).toEqual({
      orderId,
      customerId: 'cust-7',
      reason: 'customer_request',
      total: usd(1000),
      cancelledAt: AT,
    });
  });

  it('keeps the internal event id as the integration event id (the consumers’ dedup key)', () => {
    const event = placed(uuidv7());
    expect(toIntegrationEvent(event, newState())!.eventId).toBe(event.eventId);
  });

  it('publishes a payment failure with the order’s customer and amount, and nothing for other payment events', () => {
    const state = newState();
    const orderId = uuidv7();
    toIntegrationEvent(placed(orderId), state);
    const failed = toIntegrationEvent(
      recorded(`payment-${orderId}`, 'PaymentFailed', {
        orderId,
        attempt: 2,
        reason: 'insufficient_funds',
        at: AT,
      }),
      state,
    );
    expect(failed).toMatchObject({
      type: 'PaymentFailed',
      data: {
        orderId,
        customerId: 'cust-7',
        amount: usd(1000),
        attempt: 2,
        reason: 'insufficient_funds',
        failedAt: AT,
      },
    });
    const authorized = recorded(`payment-${orderId}`, 'PaymentAuthorized', {
      orderId,
      gatewayRef: 'g',
      amount: usd(1000),
      at: AT,
    });
    expect(toIntegrationEvent(authorized, state)).toBeUndefined();
    expect(toIntegrationEvent(recorded('cart-1', 'CartCheckedOut', { cartId: '1' }), state)).toBeUndefined();
  });

  it('refuses to publish an order event whose placement it does not know, and names what to load', () => {
    const orderId = uuidv7();
    const confirmed = recorded(`order-${orderId}`, 'OrderConfirmed', { orderId, at: AT });
    expect(() => toIntegrationEvent(confirmed, newState())).toThrow(MissingOrderFactsError);
    const other = uuidv7();
    expect(
      ordersToLoad(
        [confirmed, placed(other), recorded(`order-${other}`, 'OrderConfirmed', { orderId: other, at: AT })],
        new Map(),
      ),
    ).toEqual([orderId]);
  });

  it('announces low stock once when available units drop under the threshold, again after a refill', () => {
    const state = newState(5);
    const inventory = (type: string, data: Record<string, unknown>) =>
      recorded('inventory-SKU-9', type, { sku: 'SKU-9', ...data });
    const reserve = (quantity: number) =>
      inventory('StockReserved', { reservationId: uuidv7(), quantity, expiresAt: AT, reservedAt: AT });
    const events = [
      inventory('StockReceived', { quantity: 8 }), // 8 available
      reserve(3), // 5: not under 5 yet
      reserve(1), // 4: crossed
      reserve(1), // 3: still low, no second event
      inventory('StockReceived', { quantity: 10 }), // 13
      inventory('StockAdjusted', { delta: -9, reason: 'damaged' }), // 4: crossed again
    ];
    const published = events.map((e) => toIntegrationEvent(e, state));
    expect(published.map((e) => e?.type)).toEqual([
      undefined,
      undefined,
      'StockLow',
      undefined,
      undefined,
      'StockLow',
    ]);
    expect(published[2]!.data).toEqual({
      sku: 'SKU-9',
      available: 4,
      onHand: 8,
      threshold: 5,
      detectedAt: AT,
    });
    expect(published[5]!.data).toMatchObject({ available: 4, onHand: 9 });
    expect(state.levels.get('SKU-9')).toEqual({ onHand: 9, reserved: 5 });
    expect(skusTouched(events)).toEqual(['SKU-9']);
  });

  it('folds commits, releases, expiries and returns into the stock level the way the inventory does', () => {
    const state = newState(0);
    const inventory = (type: string, data: Record<string, unknown>) =>
      toIntegrationEvent(
        recorded('inventory-SKU-8', type, { sku: 'SKU-8', reservationId: 'r', ...data }),
        state,
      );
    inventory('StockReceived', { quantity: 10 });
    inventory('StockReserved', { quantity: 4, expiresAt: AT, reservedAt: AT });
    inventory('ReservationCommitted', { quantity: 3, committedAt: AT });
    inventory('ReservationReleased', { quantity: 1, reason: 'x', releasedAt: AT });
    inventory('ReservationReturned', { quantity: 2, reason: 'x', returnedAt: AT });
    expect(state.levels.get('SKU-8')).toEqual({ onHand: 9, reserved: 0 });
    inventory('StockReserved', { quantity: 2, expiresAt: AT, reservedAt: AT });
    inventory('ReservationExpired', { quantity: 2, expiredAt: AT });
    expect(state.levels.get('SKU-8')).toEqual({ onHand: 9, reserved: 0 });
  });
});

/** An order's life after payment, as its stream records it (old whole-order events last). */
const afterTheSale = (orderId: string) => {
  const order = (type: string, data: Record<string, unknown>) =>
    recorded(`order-${orderId}`, type, { orderId, ...data, at: AT });
  return [
    placed(orderId),
    order('OrderConfirmed', {}),
    order('OrderLinesShipped', {
      shipmentId: 'ship-1',
      lines: [{ sku: 'SKU-1', quantity: 2 }],
      carrier: 'DHL',
      trackingNumber: 'JD014600003',
    }),
    order('ShipmentDelivered', { shipmentId: 'ship-1' }),
    order('ReturnRequested', {
      returnId: 'ret-1',
      lines: [{ sku: 'SKU-1', quantity: 1 }],
      reason: 'too big',
    }),
    order('ReturnReceived', { returnId: 'ret-1', lines: [{ sku: 'SKU-1', quantity: 1, restock: true }] }),
    order('RefundRequested', { refundId: 'ref-1', amount: usd(500), reason: 'return ret-1' }),
    order('OrderStockReturned', { sku: 'SKU-1', quantity: 1, returnId: 'ret-1' }),
    order('RefundFailed', { refundId: 'ref-1', reason: 'gateway_timeout', retryable: true }),
    order('RefundIssued', { refundId: 'ref-1', amount: usd(500) }),
    order('OrderShipped', {}),
    order('OrderRefunded', { amount: usd(1000), reason: 'returned' }),
  ];
};

describe('mapping the order after payment', () => {
  it('publishes each shipment, delivery, return asked and received, and refund issued, with the customer', () => {
    const state = newState();
    const orderId = uuidv7();
    const published = afterTheSale(orderId).map((e) => toIntegrationEvent(e, state));
    expect(published.map((e) => e?.type)).toEqual([
      'OrderPlaced',
      'OrderConfirmed',
      'OrderShipped',
      'OrderDelivered',
      'ReturnRequested',
      'ReturnReceived',
      undefined, // a refund asked for is not money back yet
      undefined,
      undefined,
      'OrderRefunded',
      'OrderShipped',
      'OrderRefunded',
    ]);
    expect(published.slice(2, 6).map((e) => e!.data)).toEqual([
      {
        orderId,
        customerId: 'cust-7',
        shipmentId: 'ship-1',
        lines: [{ sku: 'SKU-1', quantity: 2 }],
        carrier: 'DHL',
        trackingNumber: 'JD014600003',
        shippedAt: AT,
      },
      { orderId, customerId: 'cust-7', shipmentId: 'ship-1', deliveredAt: AT },
      {
        orderId,
        customerId: 'cust-7',
        returnId: 'ret-1',
        lines: [{ sku: 'SKU-1', quantity: 1 }],
        reason: 'too big',
        requestedAt: AT,
      },
      {
        orderId,
        customerId: 'cust-7',
        returnId: 'ret-1',
        lines: [{ sku: 'SKU-1', quantity: 1, restock: true }],
        receivedAt: AT,
      },
    ]);
    expect(published[9]!.data).toEqual({
      orderId,
      customerId: 'cust-7',
      refundId: 'ref-1',
      amount: usd(500),
      refundedAt: AT,
    });
  });

  it('reads the old whole-order OrderShipped and OrderRefunded as one shipment of every line and one refund', () => {
    const state = newState();
    const orderId = uuidv7();
    const published = afterTheSale(orderId).map((e) => toIntegrationEvent(e, state));
    expect(published[10]!.data).toEqual({
      orderId,
      customerId: 'cust-7',
      shipmentId: orderId,
      lines: [{ sku: 'SKU-1', quantity: 2 }],
      carrier: null,
      trackingNumber: null,
      shippedAt: AT,
    });
    expect(published[11]!.data).toMatchObject({ refundId: `${orderId}:refund`, amount: usd(1000) });
  });

  it('conforms to the published schemas, and names the orders whose placement it must load', () => {
    const state = newState();
    const orderId = uuidv7();
    const events = afterTheSale(orderId);
    const conforms = publishedSchemaValidator();
    for (const event of events.map((e) => toIntegrationEvent(e, state)).filter((e) => e !== undefined)) {
      expect(conforms(event), event.type).toEqual([]);
      expect(parseIntegrationEvent(JSON.parse(JSON.stringify(event)))).toEqual(event);
    }
    const later = events.slice(2);
    expect(ordersToLoad(later, new Map())).toEqual([orderId]);
    expect(() => toIntegrationEvent(later[0]!, newState())).toThrow(MissingOrderFactsError);
  });
});

describe('the published contract', () => {
  it('has committed JSON Schema files equal to what `npm run schemas` generates from the zod contract', () => {
    const files = integrationSchemaFiles();
    expect(files.map((f) => f.path).sort()).toEqual([
      'schemas/integration/inventory/StockLow.v1.json',
      'schemas/integration/orders/OrderCancelled.v1.json',
      'schemas/integration/orders/OrderConfirmed.v1.json',
      'schemas/integration/orders/OrderDelivered.v1.json',
      'schemas/integration/orders/OrderPlaced.v1.json',
      'schemas/integration/orders/OrderRefunded.v1.json',
      'schemas/integration/orders/OrderShipped.v1.json',
      'schemas/integration/orders/ReturnReceived.v1.json',
      'schemas/integration/orders/ReturnRequested.v1.json',
      'schemas/integration/payments/PaymentFailed.v1.json',
    ]);
    for (const file of files)
      expect(JSON.parse(readFileSync(`${root}${file.path}`, 'utf8')), file.path).toEqual(file.document);
  });

  it('accepts what the mapping produces and rejects events that break the schema, in zod and in the JSON Schema', () => {
    const state = newState();
    const orderId = uuidv7();
    const event = toIntegrationEvent(placed(orderId), state)!;
    const conforms = publishedSchemaValidator();
    expect(conforms(event)).toEqual([]);
    expect(parseIntegrationEvent(JSON.parse(JSON.stringify(event)))).toEqual(event);
    const broken = [
      { ...event, data: { ...event.data, customerId: undefined } },
      { ...event, data: { ...event.data, extra: 1 } },
      { ...event, eventId: 'not-a-uuid' },
      { ...event, schemaVersion: 2 },
      { ...event, data: { ...event.data, total: { amount: 1.5, currency: 'USD' } } },
    ];
    for (const value of broken) {
      expect(() => parseIntegrationEvent(JSON.parse(JSON.stringify(value)))).toThrow();
      expect(conforms(JSON.parse(JSON.stringify(value)))).not.toEqual([]);
    }
    expect(CONTRACT.every((entry) => entry.version === 1)).toBe(true);
  });

  it('round-trips through a Kafka record, and refuses a record whose header names another event', () => {
    const event = toIntegrationEvent(placed(uuidv7()), newState())!;
    const message = toKafkaMessage(event);
    const received = {
      ...message,
      value: Buffer.from(message.value as string),
      offset: '0',
      timestamp: '0',
      attributes: 0,
    };
    expect(fromKafkaMessage(received as never)).toEqual(event);
    const forged = { ...received, headers: { ...message.headers, 'event-id': uuidv7() } };
    expect(() => fromKafkaMessage(forged as never)).toThrow(/differs/);
  });
});

describe('consumers apply each event once (PGlite)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshPGlite();
  });
  afterAll(() => database.drop());
  beforeEach(() =>
    database.db.exec(
      `TRUNCATE integration_processed_events, notifications_outbox, analytics_sales_daily, analytics_funnel_daily`,
    ),
  );

  const lifeOfAnOrder = (): IntegrationEvent[] => {
    const state = newState();
    const orderId = uuidv7();
    return [
      placed(orderId),
      recorded(`payment-${orderId}`, 'PaymentFailed', {
        orderId,
        attempt: 1,
        reason: 'generic_decline',
        at: AT,
      }),
      recorded(`order-${orderId}`, 'OrderConfirmed', { orderId, at: AT }),
    ].map((e) => toIntegrationEvent(e, state)!);
  };

  it('writes one outbox row per event that calls for an email, however often the batch arrives', async () => {
    const events = lifeOfAnOrder();
    expect((await applyOnce(database.db, notificationsHandler, events)).length).toBe(3);
    expect(await applyOnce(database.db, notificationsHandler, [...events, ...events])).toEqual([]);
    const rows = await database.db.query<{ kind: string }>(
      `SELECT kind FROM notifications_outbox ORDER BY kind`,
    );
    expect(rows.map((r) => r.kind)).toEqual(['order_confirmed', 'payment_failed']);
  });

  it('writes one email for each thing a customer should hear of after the sale', async () => {
    const state = newState();
    const orderId = uuidv7();
    const events = afterTheSale(orderId)
      .map((e) => toIntegrationEvent(e, state))
      .filter((e) => e !== undefined);
    await applyOnce(database.db, notificationsHandler, events);
    expect(await applyOnce(database.db, notificationsHandler, events)).toEqual([]);
    const rows = await database.db.query<{
      kind: string;
      customer_id: string;
      payload: Record<string, unknown>;
    }>(`SELECT kind, customer_id, payload FROM notifications_outbox ORDER BY created_at, kind`);
    expect(rows.map((r) => r.kind).sort()).toEqual(
      [
        'order_confirmed',
        'order_shipped',
        'order_delivered',
        'return_requested',
        'return_received',
        'order_refunded',
        'order_shipped',
        'order_refunded',
      ].sort(),
    );
    expect(rows.every((r) => r.customer_id === 'cust-7')).toBe(true);
    expect(
      rows.find((r) => r.kind === 'order_shipped' && r.payload.carrier === 'DHL')!.payload,
    ).toMatchObject({
      shipmentId: 'ship-1',
      trackingNumber: 'JD014600003',
    });
    expect(rows.find((r) => r.kind === 'order_refunded' && r.payload.refundId === 'ref-1')!.payload).toEqual({
      refundId: 'ref-1',
      amount: usd(500),
      refundedAt: AT,
    });
  });

  it('counts a sale and the funnel once per event, and keeps each consumer’s record of what it applied apart', async () => {
    const events = lifeOfAnOrder();
    await applyOnce(database.db, notificationsHandler, events);
    const applied = await applyOnce(database.db, analyticsHandler, [events[0]!, events[0]!, events[2]!]);
    expect(applied.map((e) => e.type)).toEqual(['OrderPlaced', 'OrderConfirmed']);
    await applyOnce(database.db, analyticsHandler, events);
    expect(await conversionFunnel(database.db)).toEqual({
      placed: 1,
      confirmed: 1,
      cancelled: 0,
      conversionRate: 1,
    });
    expect(await salesPerSkuPerDay(database.db, { from: '2026-03-14', to: '2026-03-14' })).toEqual([
      { day: '2026-03-14', sku: 'SKU-1', currency: 'USD', units: 2, revenue: 1000, orders: 1 },
    ]);
    expect(await salesPerSkuPerDay(database.db, { from: '2026-03-15', to: '2026-03-20' })).toEqual([]);
  });

  it('leaves no trace of a batch whose effect failed: it is applied in full when delivered again', async () => {
    const events = lifeOfAnOrder();
    const failing = { ...analyticsHandler, apply: () => Promise.reject(new Error('disk full')) };
    await expect(applyOnce(database.db, failing, events)).rejects.toThrow('disk full');
    expect(await database.db.query(`SELECT 1 FROM integration_processed_events`)).toEqual([]);
    expect((await applyOnce(database.db, analyticsHandler, events)).length).toBe(3);
    expect((await conversionFunnel(database.db)).placed).toBe(1);
  });
});
