import { useEffect, useState } from 'preact/hooks';
import { request } from '../../shared/api.ts';
import { formatDate, formatMoney } from '../../shared/money.ts';
import { navigate, type Place } from '../../shared/router.ts';
import type { Order, Page } from '../../shared/types.ts';
import { signInHref, useMounted, useTitle, useUser } from '../hooks.ts';
import { ProblemAlert } from '../problem.tsx';
import { statusText } from './order.tsx';

const PAGE_SIZE = 20;

/** The shopper's orders, newest first (`GET /orders?page=`). */
export function OrdersPage({ place }: { place: Place }) {
  useTitle('Your orders');
  const mounted = useMounted();
  const user = useUser();
  const page = Math.max(1, Number.parseInt(place.query.get('page') ?? '1', 10) || 1);
  const [orders, setOrders] = useState<Page<Order> | undefined>();
  const [problem, setProblem] = useState<Readonly<{ error: unknown }> | undefined>();

  useEffect(() => {
    if (mounted && !user)
      navigate(signInHref(`/shop/orders${place.query.size ? `?${place.query}` : ''}`), { replace: true });
  }, [mounted, user]);

  useEffect(() => {
    if (!user) return;
    const controller = new AbortController();
    setProblem(undefined);
    request<Page<Order>>(`/orders?page=${page}&pageSize=${PAGE_SIZE}`, { signal: controller.signal }).then(
      setOrders,
      (error: unknown) => {
        if (!controller.signal.aborted) setProblem({ error });
      },
    );
    return () => controller.abort();
  }, [page, user?.userId]);

  if (!mounted || !user) return <p class="muted">Loading…</p>;
  const pages = orders ? Math.max(1, Math.ceil(orders.total / PAGE_SIZE)) : 1;
  return (
    <section class="orders">
      <h1>Your orders</h1>
      {problem && <ProblemAlert error={problem.error} />}
      {!orders && !problem && <p class="muted">Loading your orders…</p>}
      {orders && orders.items.length === 0 && (
        <div class="empty">
          <p>You have no orders yet.</p>
          <p>
            <a href="/">Start shopping</a>
          </p>
        </div>
      )}
      {orders && orders.items.length > 0 && (
        <ul class="order-list" aria-label="Orders">
          {orders.items.map((order) => {
            const units = order.lines.reduce((sum, line) => sum + line.quantity, 0);
            return (
              <li key={order.orderId} class="order-row">
                <a class="order-row-link" href={`/shop/orders/${encodeURIComponent(order.orderId)}`}>
                  Order {order.orderId.slice(0, 8)}
                </a>
                <span class="muted small">{formatDate(order.createdAt)}</span>
                <span>
                  {units} {units === 1 ? 'item' : 'items'} · {formatMoney(order.total)}
                </span>
                <span class={`status-badge status--${order.status}`}>{statusText(order.status)}</span>
              </li>
            );
          })}
        </ul>
      )}
      {orders && pages > 1 && (
        <nav class="pager" aria-label="Pages">
          {page > 1 ? (
            <a
              class="button button--secondary"
              href={page === 2 ? '/shop/orders' : `/shop/orders?page=${page - 1}`}
            >
              Previous page
            </a>
          ) : (
            <span />
          )}
          <span class="pager-at">
            Page {page} of {pages}
          </span>
          {page < pages ? (
            <a class="button button--secondary" href={`/shop/orders?page=${page + 1}`}>
              Next page
            </a>
          ) : (
            <span />
          )}
        </nav>
      )}
    </section>
  );
}
