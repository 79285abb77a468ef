import { v7 as uuidv7 } from 'uuid';
import type { SqlTransaction } from '../../db/sql-client.ts';
import type { IntegrationEvent } from '../events.ts';
import type { IntegrationHandler } from './consumer.ts';

/**
 * The notification service: every integration event a customer should hear about (order confirmed,
 * cancelled, shipped, delivered; payment failed; a return asked for and received; money refunded)
 * puts one email into `notifications_outbox`, which a mailer sends (and marks `sent_at`). The mailer
 * looks up the customer's address and language itself; the payload holds what the template shows.
 */
export type NotificationKind =
  | 'order_confirmed'
  | 'order_cancelled'
  | 'payment_failed'
  | 'order_shipped'
  | 'order_delivered'
  | 'return_requested'
  | 'return_received'
  | 'order_refunded';

export type Notification = Readonly<{
  eventId: string;
  kind: NotificationKind;
  customerId: string;
  orderId: string;
  payload: Readonly<Record<string, unknown>>;
}>;

/** The email an integration event calls for, if any. */
export function notificationFor(event: IntegrationEvent): Notification | undefined {
  const base = { eventId: event.eventId };
  switch (event.type) {
    case 'OrderConfirmed':
      return {
        ...base,
        kind: 'order_confirmed',
        customerId: event.data.customerId,
        orderId: event.data.orderId,
        payload: { lines: event.data.lines, total: event.data.total, confirmedAt: event.data.confirmedAt },
      };
    case 'OrderCancelled':
      return {
        ...base,
        kind: 'order_cancelled',
        customerId: event.data.customerId,
        orderId: event.data.orderId,
        payload: { reason: event.data.reason, total: event.data.total, cancelledAt: event.data.cancelledAt },
      };
    case 'PaymentFailed':
      return {
        ...base,
        kind: 'payment_failed',
        customerId: event.data.customerId,
        orderId: event.data.orderId,
        payload: { reason: event.data.reason, amount: event.data.amount, attempt: event.data.attempt },
      };
    case 'OrderShipped': {
      const { shipmentId, lines, carrier, trackingNumber, shippedAt } = event.data;
      return {
        ...base,
        kind: 'order_shipped',
        customerId: event.data.customerId,
        orderId: event.data.orderId,
        payload: { shipmentId, lines, carrier, trackingNumber, shippedAt },
      };
    }
    case 'OrderDelivered':
      return {
        ...base,
        kind: 'order_delivered',
        customerId: event.data.customerId,
        orderId: event.data.orderId,
        payload: { shipmentId: event.data.shipmentId, deliveredAt: event.data.deliveredAt },
      };
    case 'ReturnRequested':
      return {
        ...base,
        kind: 'return_requested',
        customerId: event.data.customerId,
        orderId: event.data.orderId,
        payload: {
          returnId: event.data.returnId,
          lines: event.data.lines,
          requestedAt: event.data.requestedAt,
        },
      };
    case 'ReturnReceived':
      return {
        ...base,
        kind: 'return_received',
        customerId: event.data.customerId,
        orderId: event.data.orderId,
        payload: {
          returnId: event.data.returnId,
          lines: event.data.lines,
          receivedAt: event.data.receivedAt,
        },
      };
    case 'OrderRefunded':
      return {
        ...base,
        kind: 'order_refunded',
        customerId: event.data.customerId,
        orderId: event.data.orderId,
        payload: {
          refundId: event.data.refundId,
          amount: event.data.amount,
          refundedAt: event.data.refundedAt,
        },
      };
    default:
      return undefined;
  }
}

async function enqueue(tx: SqlTransaction, notifications: readonly Notification[]) {
  if (notifications.length === 0) return;
  await tx.query(
    `INSERT INTO notifications_outbox (notification_id, event_id, kind, customer_id, order_id, payload)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::jsonb[])
     ON CONFLICT (event_id) DO NOTHING`,
    [
      notifications.map(() => uuidv7()),
      notifications.map((n) => n.eventId),
      notifications.map((n) => n.kind),
      notifications.map((n) => n.customerId),
      notifications.map((n) => n.orderId),
      notifications.map((n) => JSON.stringify(n.payload)),
    ],
  );
}

export const notificationsHandler: IntegrationHandler = {
  name: 'notifications',
  topics: ['orders', 'payments'],
  apply: (tx, events) =>
    enqueue(
      tx,
      events.map(notificationFor).filter((n) => n !== undefined),
    ),
};
