import { useEffect, useState } from 'preact/hooks';
import { request } from '../../shared/api.ts';
import { formatMoney } from '../../shared/money.ts';
import { navigate } from '../../shared/router.ts';
import type { AdminOrder, Paged } from '../types.ts';
import {
  Field,
  PageTitle,
  Show,
  TableScroll,
  formatTime,
  statusLabel,
  submitting,
  useLoad,
  withQuery,
} from '../ui.tsx';
import { Pager } from './pager.tsx';

export const ORDER_STATUSES = [
  'pending',
  'review',
  'confirmed',
  'partially_shipped',
  'shipped',
  'delivered',
  'cancelled',
  'refunded',
] as const;

const PAGE_SIZE = 20;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar day (the reader's) as the instant it starts; `next`: the instant the day after starts. */
function dayStart(day: string, next = false): string | undefined {
  if (!DATE.test(day)) return undefined;
  const date = new Date(`${day}T00:00:00`);
  if (Number.isNaN(date.getTime())) return undefined;
  if (next) date.setDate(date.getDate() + 1);
  return date.toISOString();
}

type Filters = { status: string; customer: string; from: string; to: string };

/** Every order, newest first, filtered by status, customer and the days it was placed. */
export function OrdersPage({ query }: { query: URLSearchParams }) {
  const applied: Filters = {
    status: query.get('status') ?? '',
    customer: query.get('customer') ?? '',
    from: query.get('from') ?? '',
    to: query.get('to') ?? '',
  };
  const page = Math.max(1, Number(query.get('page')) || 1);
  const address = withQuery('/admin/orders', {
    status: applied.status,
    customerId: applied.customer.trim(),
    from: dayStart(applied.from),
    to: dayStart(applied.to, true),
    page,
    pageSize: PAGE_SIZE,
  });
  const loaded = useLoad((signal) => request<Paged<AdminOrder>>(address, { signal }), address);
  const [form, setForm] = useState(applied);
  const appliedKey = JSON.stringify(applied);
  useEffect(() => setForm(JSON.parse(appliedKey) as Filters), [appliedKey]);
  const set = (field: keyof Filters) => (e: { currentTarget: { value: string } }) =>
    setForm((f) => ({ ...f, [field]: e.currentTarget.value }));
  const href = (filters: Filters, p?: number) =>
    withQuery('/console/orders', { ...filters, customer: filters.customer.trim(), page: p });
  const filtered = Object.values(applied).some(Boolean);

  return (
    <>
      <PageTitle title="Orders">Orders</PageTitle>
      <form class="filters" aria-label="Filter orders" onSubmit={submitting(() => navigate(href(form)))}>
        <Field id="orders-status" label="Status">
          <select id="orders-status" value={form.status} onChange={set('status')}>
            <option value="">Any status</option>
            {ORDER_STATUSES.map((status) => (
              <option key={status} value={status}>
                {statusLabel(status)}
              </option>
            ))}
          </select>
        </Field>
        <Field id="orders-customer" label="Customer id">
          <input id="orders-customer" value={form.customer} onInput={set('customer')} />
        </Field>
        <Field id="orders-from" label="Placed from">
          <input id="orders-from" type="date" value={form.from} onInput={set('from')} />
        </Field>
        <Field id="orders-to" label="Placed until" hint="That day included">
          <input
            id="orders-to"
            type="date"
            aria-describedby="orders-to-hint"
            value={form.to}
            onInput={set('to')}
          />
        </Field>
        <div class="filter-actions">
          <button type="submit">Apply filters</button>
          {filtered && <a href="/console/orders">Clear filters</a>}
        </div>
      </form>
      <Show loaded={loaded} what="Loading orders">
        {(orders) => (
          <>
            <p>
              {orders.total} {orders.total === 1 ? 'order' : 'orders'}
              {filtered ? ' match the filters' : ''}.
            </p>
            {orders.items.length > 0 && (
              <TableScroll label="Orders">
                <table>
                  <caption class="visually-hidden">Orders, newest first, page {page}</caption>
                  <thead>
                    <tr>
                      <th scope="col">Order</th>
                      <th scope="col">Placed</th>
                      <th scope="col">Status</th>
                      <th scope="col" class="num">
                        Units
                      </th>
                      <th scope="col" class="num">
                        Total
                      </th>
                      <th scope="col" class="num">
                        Refunded
                      </th>
                      <th scope="col">Customer</th>
                    </tr>
                  </thead>
                  <tbody>
                    {orders.items.map((order) => (
                      <tr key={order.orderId}>
                        <td>
                          <a class="id" href={`/console/orders/${order.orderId}`}>
                            {order.orderId}
                          </a>
                        </td>
                        <td>{formatTime(order.createdAt)}</td>
                        <td>
                          <span class={`badge status-${order.status}`}>{statusLabel(order.status)}</span>
                        </td>
                        <td class="num">{order.lines.reduce((n, line) => n + line.quantity, 0)}</td>
                        <td class="num">{formatMoney(order.total)}</td>
                        <td class="num">{order.refunded.amount ? formatMoney(order.refunded) : '—'}</td>
                        <td>
                          <a
                            class="id"
                            href={href({ ...applied, customer: order.customerId })}
                            aria-label={`Filter by customer ${order.customerId}`}
                          >
                            {order.customerId}
                          </a>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableScroll>
            )}
            <Pager page={page} pages={Math.ceil(orders.total / PAGE_SIZE)} href={(p) => href(applied, p)} />
          </>
        )}
      </Show>
    </>
  );
}
