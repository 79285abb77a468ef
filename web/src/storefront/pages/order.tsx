import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, newKey, request } from '../../shared/api.ts';
import { follow } from '../../shared/live.ts';
import { formatDate, formatMoney } from '../../shared/money.ts';
import { navigate } from '../../shared/router.ts';
import type { Money, Order, OrderStatus, ReturnReceipt, StorefrontConfig, User } from '../../shared/types.ts';
import { addToCart, keepSoldOut } from '../cart.ts';
import { storefrontConfig } from '../config.ts';
import { signInHref, useMounted, useTitle, useUser } from '../hooks.ts';
import { ProblemAlert } from '../problem.tsx';
import { titleOf, useProducts } from '../products.ts';
import { NotFound } from './not-found.tsx';

/** The status as words: what the `Order status` element says (the API's word, spaced). */
export const statusText = (status: string): string => status.replace(/_/g, ' ');

const STATUS_NOTE: Partial<Record<OrderStatus, string>> = {
  pending: 'We are reserving your items and authorizing your payment. This page updates by itself.',
  review:
    'Your order is being reviewed before we reserve your items; nothing has been charged. ' +
    'This page updates by itself once the review is done.',
  confirmed: 'Payment authorized and items reserved: we are preparing your parcel.',
  partially_shipped: 'Part of your order is on its way; the rest follows.',
  shipped: 'Your order is on its way.',
  delivered: 'Your order was delivered.',
  refunded: 'Your payment was refunded in full.',
};

/** Cancellations the shopper did not choose, after which their cart is filled again with the order's items. */
const RESTORED_AFTER = new Set(['payment_failed', 'out_of_stock', 'reservation_expired']);
const RESTORED_KEY = 'ec.restored-orders';
/** A cancellation older than this is history: its items are not put back in the cart from another browser. */
const RESTORE_WITHIN_MS = 24 * 60 * 60 * 1000;

type Restore = Readonly<{
  state: 'restoring' | 'done';
  soldOut: readonly string[];
  partly: readonly string[];
  failed: boolean;
}>;

function restoredBefore(orderId: string): boolean {
  try {
    return (JSON.parse(localStorage.getItem(RESTORED_KEY) ?? '[]') as string[]).includes(orderId);
  } catch {
    return false;
  }
}
function markRestored(orderId: string): void {
  let ids: string[] = [];
  try {
    ids = JSON.parse(localStorage.getItem(RESTORED_KEY) ?? '[]') as string[];
  } catch {
    ids = [];
  }
  localStorage.setItem(
    RESTORED_KEY,
    JSON.stringify([...ids.filter((id) => id !== orderId), orderId].slice(-50)),
  );
}

/**
 * Checkout consumed the cart; an order cancelled for a declined card or a sold-out item puts its lines
 * back (what is still sellable), once.
 */
async function restoreCart(order: Order): Promise<Restore> {
  const soldOut: string[] = [];
  const partly: string[] = [];
  let failed = false;
  for (const line of order.lines) {
    try {
      await addToCart(line.sku, line.quantity);
    } catch (error) {
      const problem = error instanceof ApiError ? error.problem : undefined;
      const available = Number(problem?.details?.available ?? 0);
      if (problem?.code === 'QuantityUnavailable' && available > 0) {
        try {
          await addToCart(line.sku, available);
          partly.push(line.sku);
          continue;
        } catch {
          // kept as sold out below
        }
      }
      if (problem?.code === 'QuantityUnavailable' || problem?.status === 404) {
        // The API's cart holds only what can be sold: the shopper's cart keeps it, marked sold out.
        keepSoldOut(line.sku, line.quantity);
        soldOut.push(line.sku);
      } else failed = true;
    }
  }
  return { state: 'done', soldOut, partly, failed };
}

export function OrderPage({ orderId }: { orderId: string }) {
  const mounted = useMounted();
  const user = useUser();
  const [order, setOrder] = useState<Order | undefined>();
  const [connection, setConnection] = useState<'connecting' | 'open' | 'retrying' | 'refused'>('connecting');
  const [problem, setProblem] = useState<Readonly<{ error: unknown }> | undefined>();
  const [restore, setRestore] = useState<Restore | undefined>();
  useProducts(order ? order.lines.map((line) => line.sku) : []);
  useTitle(order ? `Order ${order.orderId.slice(0, 8)}` : 'Order');

  useEffect(() => {
    if (mounted && !user)
      navigate(signInHref(`/shop/orders/${encodeURIComponent(orderId)}`), { replace: true });
  }, [mounted, user]);

  // The order as it changes, from the live stream (its first message is the whole order): no polling.
  useEffect(() => {
    if (!user) return;
    setOrder(undefined);
    setProblem(undefined);
    setConnection('connecting');
    const controller = new AbortController();
    follow(
      `/orders/${encodeURIComponent(orderId)}/live`,
      (message) => {
        if (message.event !== 'order') return;
        try {
          setOrder(JSON.parse(message.data) as Order);
        } catch {
          // a message cut short: the next one carries the whole order again
        }
      },
      controller.signal,
      (state) => {
        setConnection(state);
        // Refused (not found, not yours, or no live route): the order as it is now, or why not.
        if (state === 'refused')
          request<Order>(`/orders/${encodeURIComponent(orderId)}`, { signal: controller.signal }).then(
            setOrder,
            (error: unknown) => {
              if (!controller.signal.aborted) setProblem({ error });
            },
          );
      },
    ).catch(() => undefined);
    return () => controller.abort();
  }, [orderId, user?.userId]);

  const cancelledFor = order?.status === 'cancelled' ? order.reason : undefined;
  useEffect(() => {
    if (!order || !user || !cancelledFor || !RESTORED_AFTER.has(cancelledFor)) return;
    if (user.role !== 'customer' || (order.customerId && order.customerId !== user.userId)) return;
    if (restoredBefore(order.orderId) || Date.now() - Date.parse(order.updatedAt) > RESTORE_WITHIN_MS) return;
    markRestored(order.orderId);
    setRestore({ state: 'restoring', soldOut: [], partly: [], failed: false });
    void restoreCart(order).then(setRestore);
  }, [cancelledFor, order?.orderId]);

  if (!mounted || !user) return <p class="muted">Loading…</p>;
  if (problem && problem.error instanceof ApiError && problem.error.status === 404)
    return <NotFound what="order" />;
  if (!order)
    return problem ? (
      <section class="narrow">
        <h1>Order</h1>
        <ProblemAlert error={problem.error} />
      </section>
    ) : (
      <p class="muted">Loading your order…</p>
    );
  return <OrderView order={order} user={user} connection={connection} restore={restore} />;
}

function OrderView({
  order,
  user,
  connection,
  restore,
}: {
  order: Order;
  user: User;
  connection: string;
  restore: Restore | undefined;
}) {
  const live = connection === 'open';
  return (
    <article class="order">
      <p class="back">
        <a href="/shop/orders">Order history</a>
      </p>
      <h1>Order {order.orderId.slice(0, 8)}</h1>
      <p class="muted">
        Placed {formatDate(order.createdAt)} · <span class="small">{order.orderId}</span>
      </p>
      <div class="order-status">
        <span id="order-status-label" class="order-status-label">
          Order status
        </span>
        <p role="status" aria-labelledby="order-status-label" class={`status-badge status--${order.status}`}>
          {statusText(order.status)}
        </p>
        <span class="live-state small muted">
          {live
            ? 'Live'
            : connection === 'retrying'
              ? 'Reconnecting…'
              : connection === 'connecting'
                ? 'Connecting…'
                : ''}
        </span>
      </div>
      {order.status === 'cancelled' ? (
        <Cancellation order={order} restore={restore} />
      ) : (
        STATUS_NOTE[order.status] && <p class="status-note">{STATUS_NOTE[order.status]}</p>
      )}
      <div class="order-grid">
        <div class="order-main">
          <Lines order={order} />
          <Shipments order={order} />
          <Returns order={order} />
          <Refunds order={order} />
          {user.role === 'customer' && <ReturnForm order={order} />}
        </div>
        <Timeline order={order} />
      </div>
    </article>
  );
}

function Cancellation({ order, restore }: { order: Order; restore: Restore | undefined }) {
  const reason = order.reason ?? '';
  const restored =
    restore === undefined ? (
      RESTORED_AFTER.has(reason) ? (
        <p>
          Its items were put back in your cart when it was cancelled. <a href="/shop/cart">Go to your cart</a>
          .
        </p>
      ) : null
    ) : restore.state === 'restoring' ? (
      <p>Putting the items back in your cart…</p>
    ) : (
      <>
        {restore.soldOut.length > 0 && (
          <p>
            Sold out: {restore.soldOut.map(titleOf).join(', ')}. It stays in your cart, marked sold out, and
            is left out of your next checkout until it is back in stock.
          </p>
        )}
        {restore.partly.length > 0 && (
          <p>
            Fewer left than you ordered, so your cart holds what remains of:{' '}
            {restore.partly.map(titleOf).join(', ')}.
          </p>
        )}
        {restore.failed ? (
          <p>Some items could not be put back in your cart; add them again from their pages.</p>
        ) : restore.soldOut.length < order.lines.length ? (
          <p>
            Your cart has been restored with the {restore.soldOut.length > 0 ? 'other ' : ''}items of this
            order. <a href="/shop/cart">Review your cart</a> and check out again.
          </p>
        ) : (
          <p>
            <a href="/shop/cart">Your cart</a> is kept as it was.
          </p>
        )}
      </>
    );
  switch (reason) {
    case 'payment_failed':
      return (
        <div class="alert alert-error" role="alert">
          <p class="alert-title">Your card was declined</p>
          <p>
            Your card was declined by the payment provider, so the order was cancelled and nothing was
            charged. Try another payment method.
          </p>
          {restored}
        </div>
      );
    case 'out_of_stock':
      return (
        <div class="alert alert-error" role="alert">
          <p class="alert-title">Sorry, an item sold out</p>
          <p>
            An item of this order sold out before we could reserve it, so the order was cancelled and nothing
            was charged.
          </p>
          {restored}
        </div>
      );
    case 'reservation_expired':
      return (
        <div class="alert alert-error" role="alert">
          <p class="alert-title">The order was not confirmed in time</p>
          <p>The payment took too long to confirm, so the order was cancelled and nothing was charged.</p>
          {restored}
        </div>
      );
    case 'fraud_suspected':
      return (
        <div class="alert alert-error" role="alert">
          <p class="alert-title">We could not accept this order</p>
          <p>The order was cancelled and nothing was charged. Contact us if you think this is a mistake.</p>
        </div>
      );
    case 'cancelled_by_customer':
      return <p class="status-note">You cancelled this order; nothing was charged.</p>;
    default:
      return (
        <div class="alert alert-info" role="alert">
          <p class="alert-title">This order was cancelled</p>
          <p>
            {reason ? `Reason: ${reason.replace(/_/g, ' ')}. ` : ''}
            {order.refunded && order.refunded.amount > 0
              ? `${formatMoney(order.refunded)} went back to your payment method.`
              : 'Anything paid goes back to your payment method.'}
          </p>
        </div>
      );
  }
}

function Lines({ order }: { order: Order }) {
  return (
    <section aria-labelledby="items-heading">
      <h2 id="items-heading">Items</h2>
      <table class="lines">
        <thead>
          <tr>
            <th scope="col">Item</th>
            <th scope="col" class="num">
              Quantity
            </th>
            <th scope="col" class="num">
              Price
            </th>
          </tr>
        </thead>
        <tbody>
          {order.lines.map((line) => (
            <tr key={line.sku}>
              <td>
                <a href={`/shop/products/${encodeURIComponent(line.sku)}`}>{titleOf(line.sku)}</a>
                {(line.shipped ?? 0) > 0 && order.status !== 'cancelled' && (
                  <span class="small muted">
                    {' '}
                    · {line.shipped === line.quantity ? 'shipped' : `${line.shipped} shipped`}
                  </span>
                )}
                {(line.returned ?? 0) > 0 && <span class="small muted"> · {line.returned} returned</span>}
              </td>
              <td class="num">{line.quantity}</td>
              <td class="num">
                {formatMoney({ ...line.unitPrice, amount: line.unitPrice.amount * line.quantity })}
              </td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colSpan={2}>
              Total
            </th>
            <td class="num">{formatMoney(order.total)}</td>
          </tr>
          {order.refunded && order.refunded.amount > 0 && (
            <tr>
              <th scope="row" colSpan={2}>
                Refunded
              </th>
              <td class="num">−{formatMoney(order.refunded)}</td>
            </tr>
          )}
        </tfoot>
      </table>
    </section>
  );
}

function Shipments({ order }: { order: Order }) {
  const shipments = order.shipments ?? [];
  if (shipments.length === 0) return null;
  return (
    <section aria-labelledby="shipments-heading">
      <h2 id="shipments-heading">Shipments</h2>
      <ul class="plain-list boxes">
        {shipments.map((shipment, i) => (
          <li key={shipment.shipmentId} class="box">
            <p class="box-title">
              Parcel {i + 1}: {shipment.deliveredAt ? 'delivered' : 'on its way'}
            </p>
            <dl class="facts">
              <div>
                <dt>Carrier</dt>
                <dd>{shipment.carrier ?? '—'}</dd>
              </div>
              <div>
                <dt>Tracking number</dt>
                <dd class="tracking">{shipment.trackingNumber ?? '—'}</dd>
              </div>
              <div>
                <dt>Shipped</dt>
                <dd>{formatDate(shipment.shippedAt)}</dd>
              </div>
              {shipment.deliveredAt && (
                <div>
                  <dt>Delivered</dt>
                  <dd>{formatDate(shipment.deliveredAt)}</dd>
                </div>
              )}
            </dl>
            <p class="small">
              {shipment.lines.map((line) => `${line.quantity} × ${titleOf(line.sku)}`).join(', ')}
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Returns({ order }: { order: Order }) {
  const returns = order.returns ?? [];
  if (returns.length === 0) return null;
  return (
    <section aria-labelledby="returns-heading">
      <h2 id="returns-heading">Returns</h2>
      <ul class="plain-list boxes">
        {returns.map((r) => (
          <li key={r.returnId} class="box">
            <p class="box-title">
              {r.status === 'requested'
                ? 'Return requested: send the items back'
                : `Return ${statusText(r.status)}`}
            </p>
            <p class="small">
              {r.lines.map((line) => `${line.quantity} × ${titleOf(line.sku)}`).join(', ')} · “{r.reason}”
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}

const REFUND_STATUS: Record<string, string> = {
  requested: 'on its way',
  failed: 'delayed, retrying',
  issued: 'issued',
  rejected: 'refused',
};

function Refunds({ order }: { order: Order }) {
  const refunds = order.refunds ?? [];
  if (refunds.length === 0) return null;
  return (
    <section aria-labelledby="refunds-heading">
      <h2 id="refunds-heading">Refunds</h2>
      <ul class="plain-list boxes">
        {refunds.map((refund) => (
          <li key={refund.refundId} class="box">
            <p class="box-title">
              {formatMoney(refund.amount)}: {REFUND_STATUS[refund.status] ?? statusText(refund.status)}
            </p>
            <p class="small muted">{refund.reason}</p>
          </li>
        ))}
      </ul>
    </section>
  );
}

const money = (amount: Money | undefined) => (amount ? formatMoney(amount) : '');

function timelineText(entry: NonNullable<Order['timeline']>[number]): string | undefined {
  const lines = entry.lines as { quantity: number }[] | undefined;
  const units = lines ? lines.reduce((sum, line) => sum + line.quantity, 0) : 0;
  switch (entry.event) {
    case 'OrderPlaced':
      return 'Order placed';
    case 'OrderScreened':
      return 'Order held for review';
    case 'OrderReviewed':
      return 'Review done';
    case 'OrderConfirmed':
      return 'Payment authorized, order confirmed';
    case 'OrderCancelled':
      return `Order cancelled${entry.reason ? ` (${String(entry.reason).replace(/_/g, ' ')})` : ''}`;
    case 'OrderLinesShipped':
      // The tracking number is shown once, with its parcel.
      return `Shipped ${units} ${units === 1 ? 'item' : 'items'} with ${String(entry.carrier)}`;
    case 'OrderShipped':
      return 'Everything shipped';
    case 'ShipmentDelivered':
      return 'Parcel delivered';
    case 'ReturnRequested':
      return `Return of ${units} ${units === 1 ? 'item' : 'items'} requested`;
    case 'ReturnReceived':
      return 'Return received';
    case 'OrderStockReturned':
      return undefined; // the warehouse's business
    case 'RefundRequested':
      return `Refund of ${money(entry.amount as Money)} requested`;
    case 'RefundIssued':
      return `Refund of ${money(entry.amount as Money)} issued`;
    case 'RefundFailed':
      return entry.retryable ? 'Refund delayed: retrying' : 'Refund refused';
    case 'OrderRefunded':
      return `Order refunded (${money(entry.amount as Money)})`;
    default:
      return entry.event.replace(/([a-z])([A-Z])/g, '$1 $2');
  }
}

function Timeline({ order }: { order: Order }) {
  const entries = (order.timeline ?? []).flatMap((entry) => {
    const text = timelineText(entry);
    return text ? [{ ...entry, text }] : [];
  });
  return (
    <section class="timeline-section" aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Timeline</h2>
      {entries.length === 0 ? (
        <p class="muted">Placed {formatDate(order.createdAt)}.</p>
      ) : (
        <ol class="timeline" aria-labelledby="timeline-heading">
          {entries.map((entry, i) => (
            <li key={i}>
              <span class="timeline-text">{entry.text}</span>
              <time class="small muted" dateTime={entry.at}>
                {formatDate(entry.at)}
              </time>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** Units of each line that may still be asked back: delivered, not asked back yet, within the window. */
function returnable(order: Order, windowDays: number, now: number): Map<string, number> {
  const out = new Map<string, number>();
  const windowMs = windowDays * 24 * 60 * 60 * 1000;
  for (const line of order.lines) {
    let delivered = 0;
    let inWindow = 0;
    for (const shipment of order.shipments ?? []) {
      if (!shipment.deliveredAt) continue;
      const units = shipment.lines.filter((l) => l.sku === line.sku).reduce((sum, l) => sum + l.quantity, 0);
      delivered += units;
      if (now - Date.parse(shipment.deliveredAt) <= windowMs) inWindow += units;
    }
    let claimed = 0;
    for (const r of order.returns ?? []) {
      const counted = r.status === 'requested' ? r.lines : ((r as ReturnReceipt).received ?? r.lines);
      claimed += counted.filter((l) => l.sku === line.sku).reduce((sum, l) => sum + l.quantity, 0);
    }
    const open = Math.min(delivered - claimed, inWindow);
    if (open > 0) out.set(line.sku, open);
  }
  return out;
}

type Sending = Readonly<
  | { state: 'idle' }
  | { state: 'sending' }
  | { state: 'sent' }
  | { state: 'failed'; error: unknown }
  | { state: 'invalid'; message: string }
>;

function ReturnForm({ order }: { order: Order }) {
  const [config, setConfig] = useState<StorefrontConfig | undefined>();
  const [quantities, setQuantities] = useState<Record<string, string>>({});
  const [reason, setReason] = useState('');
  const [sending, setSending] = useState<Sending>({ state: 'idle' });
  const attempt = useRef<{ key: string; signature: string } | undefined>(undefined);
  const delivered = (order.shipments ?? []).some((s) => s.deliveredAt);

  useEffect(() => {
    if (delivered) storefrontConfig().then(setConfig, () => setConfig(undefined));
  }, [delivered]);

  if (!delivered || order.status === 'cancelled') return null;
  // Until the config answers, the API's default window; the API has the last word anyway.
  const open = returnable(order, config?.returnWindowDays ?? 30, Date.now());
  if (open.size === 0 && sending.state !== 'sent') return null;

  const submit = () => {
    const lines = [...open.keys()]
      .map((sku) => ({ sku, quantity: Number(quantities[sku] ?? '0') }))
      .filter((line) => line.quantity > 0);
    if (lines.some((line) => !Number.isInteger(line.quantity) || line.quantity > open.get(line.sku)!))
      return setSending({ state: 'invalid', message: 'Enter whole numbers up to what each item allows.' });
    if (lines.length === 0)
      return setSending({ state: 'invalid', message: 'Choose how many of an item to return.' });
    if (!reason.trim()) return setSending({ state: 'invalid', message: 'Tell us why you are returning it.' });
    const signature = JSON.stringify([lines, reason.trim()]);
    // The same return asked again (a lost answer) keeps its key: it is not asked twice.
    if (attempt.current?.signature !== signature) attempt.current = { key: `return-${newKey()}`, signature };
    setSending({ state: 'sending' });
    request(`/orders/${encodeURIComponent(order.orderId)}/returns`, {
      method: 'POST',
      body: { lines, reason: reason.trim() },
      idempotencyKey: attempt.current.key,
    }).then(
      () => {
        attempt.current = undefined;
        setQuantities({});
        setReason('');
        setSending({ state: 'sent' });
      },
      (error: unknown) => setSending({ state: 'failed', error }),
    );
  };

  return (
    <section aria-labelledby="return-heading" class="return-form">
      <h2 id="return-heading">Return items</h2>
      {sending.state === 'sent' && (
        <p class="notice notice-ok" role="status">
          Return requested. Send the items back; we refund them when they arrive.
        </p>
      )}
      {open.size > 0 && (
        <form
          class="form"
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            submit();
          }}
        >
          <p class="hint">
            Delivered items can be returned within {config?.returnWindowDays ?? 30} days of delivery.
          </p>
          {[...open].map(([sku, max]) => {
            const id = `return-${sku}`;
            return (
              <div class="field field--inline" key={sku}>
                <label for={id}>Return quantity of {titleOf(sku)}</label>
                <input
                  id={id}
                  type="number"
                  inputMode="numeric"
                  min={0}
                  max={max}
                  step={1}
                  value={quantities[sku] ?? '0'}
                  aria-describedby={`${id}-max`}
                  onInput={(event) => setQuantities({ ...quantities, [sku]: event.currentTarget.value })}
                />
                <span class="hint" id={`${id}-max`}>
                  up to {max}
                </span>
              </div>
            );
          })}
          <div class="field">
            <label for="return-reason">Reason</label>
            <textarea
              id="return-reason"
              rows={3}
              maxLength={500}
              value={reason}
              onInput={(event) => setReason(event.currentTarget.value)}
            />
          </div>
          {sending.state === 'invalid' && (
            <p class="field-error" role="alert">
              {sending.message}
            </p>
          )}
          {sending.state === 'failed' && <ProblemAlert error={sending.error} />}
          <button type="submit" class="button button--primary" disabled={sending.state === 'sending'}>
            Request return
          </button>
        </form>
      )}
    </section>
  );
}
