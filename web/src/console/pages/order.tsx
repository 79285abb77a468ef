import { useEffect, useRef, useState } from 'preact/hooks';
import { request } from '../../shared/api.ts';
import { follow } from '../../shared/live.ts';
import { formatMoney } from '../../shared/money.ts';
import { navigate } from '../../shared/router.ts';
import type { Money } from '../../shared/types.ts';
import type { AdminOrder, AdminShipment, TimelineItem } from '../types.ts';
import {
  Done,
  Field,
  PageTitle,
  ProblemAlert,
  Show,
  TableScroll,
  TextField,
  formatTime,
  fromLocalInput,
  localInput,
  moneyInput,
  parseMoney,
  statusLabel,
  submitting,
  useAction,
  useIdempotencyKey,
  withQuery,
  useLoad,
  Outcome,
} from '../ui.tsx';

type Lines = readonly Readonly<{ sku: string; quantity: number }>[];
const linesText = (lines: Lines) => lines.map((l) => `${l.quantity} × ${l.sku}`).join(', ');

const isMoney = (value: unknown): value is Money =>
  typeof value === 'object' && value !== null && 'amount' in value && 'currency' in value;

const DETAIL_NAMES: Readonly<Record<string, string>> = {
  shipmentId: 'shipment',
  returnId: 'return',
  refundId: 'refund',
  trackingNumber: 'tracking',
  failureReason: 'failure',
};

/** The details a timeline entry carries besides its event, status and time. */
function entryDetails(entry: TimelineItem): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (key === 'event' || key === 'status' || key === 'at' || value === undefined || value === null)
      continue;
    const name = DETAIL_NAMES[key] ?? key;
    if (isMoney(value)) parts.push(`${name} ${formatMoney(value)}`);
    else if (Array.isArray(value)) parts.push(`${name} ${linesText(value as Lines)}`);
    else parts.push(`${name} ${String(value)}`);
  }
  return parts.join(' · ');
}

/**
 * One order: lines, shipments, returns, refunds, timeline; for admins the actions after payment (ship,
 * mark delivered, cancel, refund), each showing the API's refusal. `?asOf=` shows it as recorded then.
 */
export function OrderPage({
  orderId,
  query,
  admin,
}: {
  orderId: string;
  query: URLSearchParams;
  admin: boolean;
}) {
  const asOf = query.get('asOf') ?? '';
  const address = withQuery(`/orders/${encodeURIComponent(orderId)}`, { asOf });
  const loaded = useLoad((signal) => request<AdminOrder>(address, { signal }), address);
  const { reload } = loaded;
  const reloadRef = useRef(reload);
  reloadRef.current = reload;

  // The order as it changes (the saga, the refund process, another admin): the live stream says when.
  useEffect(() => {
    if (asOf) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    void follow(
      `/orders/${encodeURIComponent(orderId)}/live`,
      () => {
        clearTimeout(timer);
        timer = setTimeout(() => reloadRef.current(), 150);
      },
      controller.signal,
    );
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [orderId, asOf]);

  /** After an action: at once, and again while the processes it started (refunds) move on. */
  const changed = () => {
    reload();
    for (const delay of [1500, 4000]) setTimeout(() => reloadRef.current(), delay);
  };

  return (
    <>
      <p class="crumbs">
        <a href="/console/orders">Order list</a>
      </p>
      <PageTitle title={`Order ${orderId}`}>
        Order <span class="id">{orderId}</span>
      </PageTitle>
      <AsOfForm orderId={orderId} asOf={asOf} />
      <Show loaded={loaded} what="Loading the order">
        {(order) => (
          <>
            <OrderFacts order={order} />
            <LinesTable order={order} />
            {admin && !asOf && <Actions order={order} onChange={changed} />}
            <Shipments shipments={order.shipments} />
            <Returns order={order} />
            <Refunds order={order} />
            <Timeline entries={order.timeline ?? []} />
          </>
        )}
      </Show>
      <p>
        <a href={withQuery('/console/audit', { stream: `order-${orderId}` })}>
          Event history and hash chain of this order
        </a>
      </p>
      <p>
        <button type="button" class="secondary" onClick={reload} disabled={loaded.loading}>
          {loaded.loading ? 'Refreshing…' : 'Refresh'}
        </button>
      </p>
    </>
  );
}

function AsOfForm({ orderId, asOf }: { orderId: string; asOf: string }) {
  const [moment, setMoment] = useState(() => (asOf ? localInput(new Date(asOf)) : ''));
  const here = `/console/orders/${encodeURIComponent(orderId)}`;
  return (
    <>
      {asOf && (
        <p class="note" role="note">
          Showing the order as recorded at <strong>{formatTime(asOf)}</strong>; no actions from the past.{' '}
          <a href={here}>Show it now</a>
        </p>
      )}
      <details class="as-of" open={Boolean(asOf)}>
        <summary>State at a moment</summary>
        <form
          class="inline-form"
          onSubmit={submitting(() => navigate(withQuery(here, { asOf: fromLocalInput(moment) })))}
        >
          <Field id="order-as-of" label="As of" hint="Your local time">
            <input
              id="order-as-of"
              type="datetime-local"
              step={1}
              required
              aria-describedby="order-as-of-hint"
              value={moment}
              onInput={(e) => setMoment(e.currentTarget.value)}
            />
          </Field>
          <button type="submit">Show as of</button>
        </form>
      </details>
    </>
  );
}

function OrderFacts({ order }: { order: AdminOrder }) {
  return (
    <dl class="facts">
      <dt>Status</dt>
      <dd>
        <span role="status" aria-label="Order status" class={`badge status-${order.status}`}>
          {statusLabel(order.status)}
        </span>
        {order.reason && <span class="reason"> ({order.reason})</span>}
      </dd>
      <dt>Total</dt>
      <dd>{formatMoney(order.total)}</dd>
      <dt>Refunded</dt>
      <dd>{formatMoney(order.refunded)}</dd>
      <dt>Placed</dt>
      <dd>{formatTime(order.createdAt)}</dd>
      <dt>Last change</dt>
      <dd>{formatTime(order.updatedAt)}</dd>
      <dt>Customer</dt>
      <dd>
        <a class="id" href={withQuery('/console/orders', { customer: order.customerId })}>
          {order.customerId}
        </a>
      </dd>
    </dl>
  );
}

function LinesTable({ order }: { order: AdminOrder }) {
  return (
    <section aria-labelledby="lines-heading">
      <h2 id="lines-heading">Lines</h2>
      <TableScroll label="Lines">
        <table>
          <thead>
            <tr>
              <th scope="col">SKU</th>
              <th scope="col" class="num">
                Ordered
              </th>
              <th scope="col" class="num">
                Shipped
              </th>
              <th scope="col" class="num">
                Returned
              </th>
              <th scope="col" class="num">
                Unit price
              </th>
              <th scope="col" class="num">
                Line total
              </th>
            </tr>
          </thead>
          <tbody>
            {order.lines.map((line) => (
              <tr key={line.sku}>
                <th scope="row">
                  <a href={withQuery('/console/inventory', { sku: line.sku })}>{line.sku}</a>
                </th>
                <td class="num">{line.quantity}</td>
                <td class="num">{line.shipped}</td>
                <td class="num">{line.returned}</td>
                <td class="num">{formatMoney(line.unitPrice)}</td>
                <td class="num">{formatMoney(line.lineTotal)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </section>
  );
}

function Shipments({ shipments }: { shipments: readonly AdminShipment[] }) {
  return (
    <section aria-labelledby="shipments-heading">
      <h2 id="shipments-heading">Shipments</h2>
      {shipments.length === 0 ? (
        <p>None yet.</p>
      ) : (
        <TableScroll label="Shipments">
          <table>
            <thead>
              <tr>
                <th scope="col">Shipment</th>
                <th scope="col">Units</th>
                <th scope="col">Carrier</th>
                <th scope="col">Tracking number</th>
                <th scope="col">Shipped</th>
                <th scope="col">Delivered</th>
              </tr>
            </thead>
            <tbody>
              {shipments.map((s) => (
                <tr key={s.shipmentId}>
                  <td class="id">{s.shipmentId}</td>
                  <td>{linesText(s.lines)}</td>
                  <td>{s.carrier ?? '—'}</td>
                  <td>{s.trackingNumber ?? '—'}</td>
                  <td>{formatTime(s.shippedAt)}</td>
                  <td>{s.deliveredAt ? formatTime(s.deliveredAt) : 'Not yet'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}

function Returns({ order }: { order: AdminOrder }) {
  return (
    <section aria-labelledby="returns-heading">
      <h2 id="returns-heading">Returns</h2>
      {order.returns.length === 0 ? (
        <p>None.</p>
      ) : (
        <TableScroll label="Returns">
          <table>
            <thead>
              <tr>
                <th scope="col">Return</th>
                <th scope="col">Status</th>
                <th scope="col">Units</th>
                <th scope="col">Reason</th>
                <th scope="col">Requested</th>
                <th scope="col">Received</th>
              </tr>
            </thead>
            <tbody>
              {order.returns.map((r) => (
                <tr key={r.returnId}>
                  <td class="id">{r.returnId}</td>
                  <td>{statusLabel(r.status)}</td>
                  <td>{linesText(r.lines)}</td>
                  <td>{r.reason}</td>
                  <td>{formatTime(r.requestedAt)}</td>
                  <td>
                    {r.receivedAt
                      ? `${formatTime(r.receivedAt)}: ${(r.received ?? [])
                          .map((l) => `${l.quantity} × ${l.sku} ${l.restock ? 'restocked' : 'written off'}`)
                          .join(', ')}`
                      : 'Not yet'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {order.returns.some((r) => r.status === 'requested') && (
        <p>
          <a href="/console/returns?status=requested">Receive the return</a>
        </p>
      )}
    </section>
  );
}

function Refunds({ order }: { order: AdminOrder }) {
  return (
    <section aria-labelledby="refunds-heading">
      <h2 id="refunds-heading">Refunds</h2>
      {order.refunds.length === 0 ? (
        <p>None.</p>
      ) : (
        <TableScroll label="Refunds">
          <table>
            <thead>
              <tr>
                <th scope="col">Refund</th>
                <th scope="col" class="num">
                  Amount
                </th>
                <th scope="col">Status</th>
                <th scope="col">Reason</th>
                <th scope="col">Requested</th>
                <th scope="col">Issued</th>
              </tr>
            </thead>
            <tbody>
              {order.refunds.map((r) => (
                <tr key={r.refundId}>
                  <td class="id">{r.refundId}</td>
                  <td class="num">{formatMoney(r.amount)}</td>
                  <td>
                    {statusLabel(r.status)}
                    {r.failureReason ? `: ${r.failureReason}` : ''}
                  </td>
                  <td>{r.reason}</td>
                  <td>{formatTime(r.requestedAt)}</td>
                  <td>{r.issuedAt ? formatTime(r.issuedAt) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}

function Timeline({ entries }: { entries: readonly TimelineItem[] }) {
  return (
    <section aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Timeline</h2>
      <ol class="timeline" aria-label="Timeline">
        {entries.map((entry, i) => {
          const details = entryDetails(entry);
          return (
            <li key={i}>
              <time dateTime={entry.at}>{formatTime(entry.at)}</time> <strong>{entry.event}</strong>{' '}
              <span class="muted">→ {statusLabel(entry.status)}</span>
              {details && <div class="details">{details}</div>}
            </li>
          );
        })}
      </ol>
    </section>
  );
}

/** The admin's actions after payment; the API decides what is allowed and the alert says why not. */
function Actions({ order, onChange }: { order: AdminOrder; onChange: () => void }) {
  return (
    <section aria-labelledby="actions-heading">
      <h2 id="actions-heading">Actions</h2>
      <div class="panels">
        <ShipForm order={order} onChange={onChange} />
        <DeliverForm order={order} onChange={onChange} />
        <CancelForm order={order} onChange={onChange} />
        <RefundForm order={order} onChange={onChange} />
      </div>
    </section>
  );
}

type ActionProps = Readonly<{ order: AdminOrder; onChange: () => void }>;
const orderPath = (order: AdminOrder) => `/admin/orders/${encodeURIComponent(order.orderId)}`;

function ShipForm({ order, onChange }: ActionProps) {
  const remaining = (sku: string) => {
    const line = order.lines.find((l) => l.sku === sku);
    return line ? Math.max(0, line.quantity - line.shipped) : 0;
  };
  const [quantities, setQuantities] = useState<Record<string, string>>(() =>
    Object.fromEntries(order.lines.map((l) => [l.sku, String(remaining(l.sku))])),
  );
  const [carrier, setCarrier] = useState('');
  const [tracking, setTracking] = useState('');
  const [invalid, setInvalid] = useState<string>();
  const action = useAction();
  const key = useIdempotencyKey();
  const shippedSoFar = order.lines.map((l) => l.shipped).join(',');
  // What is left to ship changes when a shipment is recorded: the form offers the rest.
  useEffect(() => {
    setQuantities(Object.fromEntries(order.lines.map((l) => [l.sku, String(remaining(l.sku))])));
  }, [shippedSoFar]);

  const ship = () =>
    action.run(async () => {
      setInvalid(undefined);
      const lines = order.lines
        .map((l) => ({ sku: l.sku, quantity: Number(quantities[l.sku] ?? 0) }))
        .filter((l) => l.quantity > 0);
      if (lines.length === 0) {
        setInvalid('Choose at least one unit to ship.');
        return;
      }
      const body = { lines, carrier: carrier.trim(), trackingNumber: tracking.trim() };
      const answer = await request<{ shipmentId: string }>(`${orderPath(order)}/shipments`, {
        method: 'POST',
        body,
        idempotencyKey: key.keyFor(body),
      });
      key.reset();
      setCarrier('');
      setTracking('');
      onChange();
      return `Shipped ${linesText(lines)} as shipment ${answer.shipmentId}.`;
    });

  return (
    <form class="panel stack" aria-labelledby="ship-heading" onSubmit={submitting(ship)}>
      <h3 id="ship-heading">Ship</h3>
      <fieldset>
        <legend>Units to ship</legend>
        {order.lines.map((l) => (
          <Field key={l.sku} id={`ship-${l.sku}`} label={`Quantity to ship of ${l.sku}`}>
            <input
              id={`ship-${l.sku}`}
              type="number"
              min={0}
              max={l.quantity}
              step={1}
              value={quantities[l.sku] ?? '0'}
              onInput={(e) => {
                const value = e.currentTarget.value;
                setQuantities((q) => ({ ...q, [l.sku]: value }));
              }}
            />
          </Field>
        ))}
      </fieldset>
      <TextField
        id="ship-carrier"
        label="Carrier"
        required
        maxLength={100}
        value={carrier}
        onValue={setCarrier}
      />
      <TextField
        id="ship-tracking"
        label="Tracking number"
        required
        maxLength={100}
        value={tracking}
        onValue={setTracking}
      />
      <Outcome invalid={invalid} action={action} />
      <div>
        <button type="submit" disabled={action.busy}>
          Ship
        </button>
      </div>
    </form>
  );
}

function DeliverForm({ order, onChange }: ActionProps) {
  const waiting = order.shipments.filter((s) => !s.deliveredAt);
  const [chosen, setChosen] = useState('');
  const action = useAction();
  const shipment = waiting.find((s) => s.shipmentId === chosen) ?? waiting[0];
  const describe = (s: AdminShipment) =>
    `${s.shipmentId} (${linesText(s.lines)}${s.carrier ? `, ${s.carrier}` : ''})`;

  const deliver = () =>
    action.run(async () => {
      if (!shipment) return;
      await request(`${orderPath(order)}/shipments/${encodeURIComponent(shipment.shipmentId)}/delivery`, {
        method: 'POST',
      });
      onChange();
      return `Shipment ${shipment.shipmentId} delivered.`;
    });

  return (
    <form class="panel stack" aria-labelledby="deliver-heading" onSubmit={submitting(deliver)}>
      <h3 id="deliver-heading">Delivery</h3>
      {waiting.length === 0 && <p>No shipment is waiting for delivery.</p>}
      {waiting.length === 1 && shipment && <p>Shipment {describe(shipment)}.</p>}
      {waiting.length > 1 && (
        <Field id="deliver-shipment" label="Shipment">
          <select
            id="deliver-shipment"
            value={shipment?.shipmentId}
            onChange={(e) => setChosen(e.currentTarget.value)}
          >
            {waiting.map((s) => (
              <option key={s.shipmentId} value={s.shipmentId}>
                {describe(s)}
              </option>
            ))}
          </select>
        </Field>
      )}
      <ProblemAlert error={action.error} />
      <Done message={action.done} />
      {waiting.length > 0 && (
        <div>
          <button type="submit" disabled={action.busy}>
            Mark delivered
          </button>
        </div>
      )}
    </form>
  );
}

function CancelForm({ order, onChange }: ActionProps) {
  const [reason, setReason] = useState('');
  const action = useAction();
  const cancel = () =>
    action.run(async () => {
      await request(`${orderPath(order)}/cancel`, { method: 'POST', body: { reason: reason.trim() } });
      setReason('');
      onChange();
      return 'Cancellation accepted: the stock goes back on hand and the payment is refunded.';
    });
  return (
    <form class="panel stack" aria-labelledby="cancel-heading" onSubmit={submitting(cancel)}>
      <h3 id="cancel-heading">Cancel</h3>
      <p class="hint">A confirmed order that has not shipped.</p>
      <TextField
        id="cancel-reason"
        label="Cancellation reason"
        required
        maxLength={500}
        value={reason}
        onValue={setReason}
      />
      <ProblemAlert error={action.error} />
      <Done message={action.done} />
      <div>
        <button type="submit" class="danger" disabled={action.busy}>
          Cancel order
        </button>
      </div>
    </form>
  );
}

function RefundForm({ order, onChange }: ActionProps) {
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [invalid, setInvalid] = useState<string>();
  const action = useAction();
  const key = useIdempotencyKey();
  const left = Math.max(0, order.total.amount - order.refunded.amount);
  const refund = () =>
    action.run(async () => {
      setInvalid(undefined);
      const money = parseMoney(amount, order.total.currency);
      if (!money || money.amount <= 0) {
        setInvalid('The amount must be more than zero, such as 19.99.');
        return;
      }
      const body = { amount: money, reason: reason.trim() };
      const answer = await request<{ refundId: string }>(`${orderPath(order)}/refunds`, {
        method: 'POST',
        body,
        idempotencyKey: key.keyFor(body),
      });
      key.reset();
      setAmount('');
      setReason('');
      onChange();
      return `Refund of ${formatMoney(money)} requested (${answer.refundId}).`;
    });
  return (
    <form class="panel stack" aria-labelledby="refund-heading" onSubmit={submitting(refund)}>
      <h3 id="refund-heading">Refund</h3>
      <TextField
        id="refund-amount"
        label={`Refund amount (${order.total.currency})`}
        hint={`At most what was captured and not refunded yet: up to ${moneyInput(left)}.`}
        required
        inputMode="decimal"
        value={amount}
        onValue={setAmount}
      />
      <TextField
        id="refund-reason"
        label="Refund reason"
        required
        maxLength={500}
        value={reason}
        onValue={setReason}
      />
      <Outcome invalid={invalid} action={action} />
      <div>
        <button type="submit" disabled={action.busy}>
          Refund
        </button>
      </div>
    </form>
  );
}
