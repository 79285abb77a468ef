import type { SqlTransaction } from '../../db/sql-client.ts';
import type { CartEvent } from '../../domain/cart/index.ts';
import type { OrderEvent } from '../../domain/order/index.ts';
import type { RecordedEvent } from '../../eventstore/event-store.ts';
import type { SqlProjection } from '../../subscriptions/index.ts';

type Tracked =
  | Extract<OrderEvent, { type: 'OrderPlaced' | 'OrderConfirmed' | 'OrderCancelled' }>
  | Extract<CartEvent, { type: 'CartItemAdded' | 'CartMerged' | 'CartCheckedOut' }>;

/** A cancellation reason as a label value: short, so a strange reason cannot flood the metrics. */
const reasonLabel = (reason: string) => reason.slice(0, 64);

/** What a batch does to one cart: leave it (merged away), have it hold items, see it checked out. */
type CartChange = { removed: boolean; present: boolean; checkedOut: boolean };

/**
 * Orders placed, confirmed and cancelled (by reason), and which carts that held items reached
 * checkout. "Reached checkout" means CartCheckedOut: the checkout placed an order from the cart
 * (whatever became of the order). A batch is counted in memory and written with one statement per
 * table, so a replay of millions of events costs a few round trips per batch.
 */
export const businessMetricsProjection: SqlProjection = {
  name: 'business-metrics',
  rebuild: { tables: ['business_order_outcomes', 'business_carts'] },
  eventTypes: new Set([
    'OrderPlaced',
    'OrderConfirmed',
    'OrderCancelled',
    'CartItemAdded',
    'CartMerged',
    'CartCheckedOut',
  ]),
  async apply(tx, events) {
    const outcomes = new Map<string, { outcome: string; reason: string; orders: number }>();
    const count = (outcome: string, reason = '') => {
      const key = `${outcome}\u0000${reason}`;
      const entry = outcomes.get(key);
      if (entry) entry.orders += 1;
      else outcomes.set(key, { outcome, reason, orders: 1 });
    };
    const carts = new Map<string, CartChange>();
    const cart = (cartId: string) => {
      let change = carts.get(cartId);
      if (!change) carts.set(cartId, (change = { removed: false, present: false, checkedOut: false }));
      return change;
    };
    for (const event of events as readonly RecordedEvent[] as readonly Tracked[]) {
      switch (event.type) {
        case 'OrderPlaced':
          count('placed');
          break;
        case 'OrderConfirmed':
          count('confirmed');
          break;
        case 'OrderCancelled':
          count('cancelled', reasonLabel(event.data.reason));
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
  },
};

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
    .map(([cartId, c]) => ({ cart_id: cartId, checked_out: c.checkedOut }));
  if (removed.length > 0)
    await tx.query(
      `DELETE FROM business_carts WHERE cart_id IN (SELECT jsonb_array_elements_text($1::jsonb))`,
      [JSON.stringify(removed)],
    );
  if (present.length > 0)
    await tx.query(
      `INSERT INTO business_carts AS c (cart_id, checked_out)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(cart_id text, checked_out boolean)
       ON CONFLICT (cart_id) DO UPDATE SET checked_out = c.checked_out OR EXCLUDED.checked_out`,
      [JSON.stringify(present)],
    );
}
