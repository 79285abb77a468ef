import type { SqlTransaction } from '../../db/sql-client.ts';
import type { CartEvent } from '../../domain/cart/index.ts';
import type { OrderEvent } from '../../domain/order/index.ts';
import type { RecordedEvent } from '../../eventstore/event-store.ts';
import type { SqlProjection } from '../../subscriptions/index.ts';

type Tracked =
  | Extract<
      OrderEvent,
      {
        type:
          | 'OrderPlaced'
          | 'OrderConfirmed'
          | 'OrderCancelled'
          | 'OrderLinesShipped'
          | 'OrderShipped'
          | 'ReturnRequested'
          | 'RefundIssued'
          | 'OrderRefunded';
      }
    >
  | Extract<CartEvent, { type: 'CartItemAdded' | 'CartMerged' | 'CartCheckedOut' }>;

/** A cancellation reason as a label value: short, so a strange reason cannot flood the metrics. */
const reasonLabel = (reason: string) => reason.slice(0, 64);

/** What a batch does to one cart: leave it (merged away), have it hold items, see it checked out. */
type CartChange = { removed: boolean; present: boolean; checkedOut: boolean; startedAt?: string };

/** What a batch tells of one order's life after payment. */
type Lifecycle = { confirmedAt?: string; firstShippedAt?: string; returned: boolean; refunded: boolean };

/** A moment of the business, for the time series: what happened when (a refund with its amount). */
type Moment = { at: string; kind: string; amount: number };

/**
 * Orders placed, confirmed and cancelled (by reason), which carts that held items reached checkout,
 * each confirmed order's life after (first shipment, a return, a refund), and when each of these
 * happened (`business_events`, `business_carts.started_at`: the time series). "Reached checkout"
 * means CartCheckedOut: the checkout placed an order from the cart (whatever became of the order).
 * A batch is counted in memory and written with one statement per table, so a replay of millions of
 * events costs a few round trips per batch.
 */
export const businessMetricsProjection: SqlProjection = {
  name: 'business-metrics',
  rebuild: {
    tables: ['business_order_outcomes', 'business_carts', 'business_order_lifecycle', 'business_events'],
  },
  readsThenWrites: true,
  eventTypes: new Set([
    'OrderPlaced',
    'OrderConfirmed',
    'OrderCancelled',
    'CartItemAdded',
    'CartMerged',
    'CartCheckedOut',
    'OrderLinesShipped',
    'OrderShipped',
    'ReturnRequested',
    'RefundIssued',
    'OrderRefunded',
  ]),
  async apply(tx, events) {
    const outcomes = new Map<string, { outcome: string; reason: string; orders: number }>();
    const count = (outcome: string, reason = '') => {
      const key = `${outcome}\u0000${reason}`;
      const entry = outcomes.get(key);
      if (entry) entry.orders += 1;
      else outcomes.set(key, { outcome, reason, orders: 1 });
    };
    const lifecycles = new Map<string, Lifecycle>();
    const lifecycle = (orderId: string) => {
      let change = lifecycles.get(orderId);
      if (!change) lifecycles.set(orderId, (change = { returned: false, refunded: false }));
      return change;
    };
    const moments: Moment[] = [];
    const carts = new Map<string, CartChange>();
    let at = '';
    const cart = (cartId: string) => {
      let change = carts.get(cartId);
      if (!change) carts.set(cartId, (change = { removed: false, present: false, checkedOut: false }));
      change.startedAt ??= at;
      return change;
    };
    for (const recorded of events as readonly RecordedEvent[]) {
      const event = recorded as unknown as Tracked;
      at = recorded.recordedAt;
      const moment = (kind: string, amount = 0) => moments.push({ at, kind, amount });
      switch (event.type) {
        case 'OrderPlaced':
          count('placed');
          moment('placed');
          break;
        case 'OrderConfirmed':
          moment('confirmed');
          count('confirmed');
          lifecycle(event.data.orderId).confirmedAt = event.data.at;
          break;
        case 'OrderLinesShipped':
        case 'OrderShipped':
          lifecycle(event.data.orderId).firstShippedAt ??= event.data.at;
          moment('shipment');
          break;
        case 'ReturnRequested':
          lifecycle(event.data.orderId).returned = true;
          moment('return');
          break;
        case 'RefundIssued':
        case 'OrderRefunded':
          lifecycle(event.data.orderId).refunded = true;
          moment('refund', event.data.amount.amount);
          break;
        case 'OrderCancelled':
          count('cancelled', reasonLabel(event.data.reason));
          moment('cancelled');
          break;
        case 'CartItemAdded':
          cart(event.data.cartId).present = true;
          break;
        case 'CartMerged': {
          const from = cart(event.data.fromCartId);
          Object.assign(from, { removed: true, present: false, checkedOut: false });
          if (event.data.changed.length > 0) cart(event.data.cartId).present = true;
          break;
        }
        case 'CartCheckedOut':
          Object.assign(cart(event.data.cartId), { present: true, checkedOut: true });
          break;
      }
    }
    if (outcomes.size > 0) await countOutcomes(tx, [...outcomes.values()]);
    if (carts.size > 0) await writeCarts(tx, carts);
    if (lifecycles.size > 0) await writeLifecycles(tx, lifecycles);
    if (moments.length > 0)
      await tx.query(
        `INSERT INTO business_events (at, kind, amount)
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(at timestamptz, kind text, amount bigint)`,
        [JSON.stringify(moments)],
      );
  },
};

/** The first shipment is the earliest seen; a return or a refund, once seen, stays. */
const writeLifecycles = (tx: SqlTransaction, lifecycles: Map<string, Lifecycle>) =>
  tx.query(
    `INSERT INTO business_order_lifecycle AS l (order_id, confirmed_at, first_shipped_at, returned, refunded)
     SELECT * FROM jsonb_to_recordset($1::jsonb)
              AS r(order_id text, confirmed_at timestamptz, first_shipped_at timestamptz, returned boolean,
                   refunded boolean)
     ON CONFLICT (order_id) DO UPDATE
       SET confirmed_at = coalesce(l.confirmed_at, EXCLUDED.confirmed_at),
           first_shipped_at = least(l.first_shipped_at, EXCLUDED.first_shipped_at),
           returned = l.returned OR EXCLUDED.returned,
           refunded = l.refunded OR EXCLUDED.refunded`,
    [
      JSON.stringify(
        [...lifecycles].map(([orderId, l]) => ({
          order_id: orderId,
          confirmed_at: l.confirmedAt ?? null,
          first_shipped_at: l.firstShippedAt ?? null,
          returned: l.returned,
          refunded: l.refunded,
        })),
      ),
    ],
  );

const countOutcomes = (tx: SqlTransaction, rows: { outcome: string; reason: string; orders: number }[]) =>
  tx.query(
    `INSERT INTO business_order_outcomes AS o (outcome, reason, orders)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(outcome text, reason text, orders bigint)
     ON CONFLICT (outcome, reason) DO UPDATE SET orders = o.orders + EXCLUDED.orders`,
    [JSON.stringify(rows)],
  );

async function writeCarts(tx: SqlTransaction, carts: Map<string, CartChange>) {
  const removed = [...carts].filter(([, c]) => c.removed).map(([cartId]) => cartId);
  const present = [...carts]
    .filter(([, c]) => c.present)
    .map(([cartId, c]) => ({ cart_id: cartId, checked_out: c.checkedOut, started_at: c.startedAt ?? null }));
  if (removed.length > 0)
    await tx.query(
      `DELETE FROM business_carts WHERE cart_id IN (SELECT jsonb_array_elements_text($1::jsonb))`,
      [JSON.stringify(removed)],
    );
  if (present.length > 0)
    await tx.query(
      `INSERT INTO business_carts AS c (cart_id, checked_out, started_at)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(cart_id text, checked_out boolean, started_at timestamptz)
       ON CONFLICT (cart_id) DO UPDATE
         SET checked_out = c.checked_out OR EXCLUDED.checked_out,
             started_at = coalesce(c.started_at, EXCLUDED.started_at)`,
      [JSON.stringify(present)],
    );
}
