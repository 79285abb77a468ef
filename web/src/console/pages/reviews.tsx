import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { request } from '../../shared/api.ts';
import { formatMoney } from '../../shared/money.ts';
import type { Money } from '../../shared/types.ts';
import type { Paged } from '../types.ts';
import {
  Done,
  FilterTabs,
  PageTitle,
  ProblemAlert,
  Show,
  formatTime,
  shortId,
  statusLabel,
  useAction,
  useLoad,
  withQuery,
} from '../ui.tsx';
import { Pager } from './pager.tsx';

/** An item of `GET /admin/reviews`: an order a fraud rule held, with the rule and what it measured. */
type HeldOrder = Readonly<{
  orderId: string;
  customerId: string;
  rule: string;
  measures: Readonly<Record<string, number | null>>;
  total: Money;
  status: 'open' | 'approved' | 'rejected' | 'cancelled';
  heldAt: string;
  decidedAt?: string;
}>;

const PAGE_SIZE = 20;

/** What an admin decided on this page. */
type Decided = 'approved' | 'rejected';

const FILTERS = [
  { value: 'open', label: 'To review' },
  { value: 'approved', label: 'Approved' },
  { value: 'rejected', label: 'Rejected' },
  { value: 'cancelled', label: 'Cancelled by the customer' },
  { value: 'all', label: 'All' },
] as const;

/** The rules in the words of the people who review what they held. */
const RULES: Readonly<Record<string, string>> = {
  declines_per_customer: 'Declined payments in 10 minutes',
  orders_per_customer: 'Orders by the customer in an hour',
  orders_per_address: 'Orders from one address in an hour',
  payment_methods_per_customer: 'Payment methods used in a day',
  new_account_amount: 'First order of a new account',
};
const MEASURES: Readonly<Record<string, string>> = {
  declinesLast10Minutes: 'Declined payments, last 10 minutes',
  ordersLastHour: 'Earlier orders, last hour',
  ordersFromAddressLastHour: 'Earlier orders from the address, last hour',
  paymentMethodsLastDay: 'Payment methods, last day',
  confirmedOrders: 'Confirmed orders before',
};

const ruleLabel = (rule: string) => RULES[rule] ?? statusLabel(rule);

/**
 * The fraud review queue: orders a rule held before any stock was reserved, oldest first. Admins approve
 * (the checkout goes on) or reject (the order is cancelled); auditors read which rule held each and why.
 */
export function ReviewsPage({ query, admin }: { query: URLSearchParams; admin: boolean }) {
  const status = query.get('status') ?? 'open';
  const page = Math.max(1, Number(query.get('page')) || 1);
  const address = withQuery('/admin/reviews', { status, page, pageSize: PAGE_SIZE });
  const loaded = useLoad((signal) => request<Paged<HeldOrder>>(address, { signal }), address);
  const [notice, setNotice] = useState<string>();
  // The queue is a read model: read again at once, it may not show the decision yet. The decisions
  // taken on this page are shown at once, and the queue is read again while the read model catches up.
  const [decidedHere, setDecidedHere] = useState<ReadonlyMap<string, Decided>>(new Map());
  const { reload } = loaded;
  const timers = useRef<ReturnType<typeof setTimeout>[]>([]);
  useEffect(() => () => timers.current.forEach(clearTimeout), []);
  const decided = (orderId: string, outcome: Decided, message: string) => {
    setNotice(message);
    setDecidedHere((before) => new Map(before).set(orderId, outcome));
    reload();
    for (const delay of [1500, 4000]) timers.current.push(setTimeout(reload, delay));
  };
  const shown = (items: readonly HeldOrder[]) =>
    items.flatMap((held) => {
      const outcome = held.status === 'open' ? decidedHere.get(held.orderId) : undefined;
      if (!outcome) return [held];
      return status === 'open' ? [] : [{ ...held, status: outcome }];
    });
  const href = (s: string, p?: number) =>
    withQuery('/console/reviews', { status: s === 'open' ? undefined : s, page: p });

  return (
    <>
      <PageTitle title="Fraud review">Fraud review</PageTitle>
      <p>
        Orders a fraud rule held before any stock was reserved: they hold no stock and do not expire while
        they wait. The customer is told the order is being reviewed, never which rule held it.
      </p>
      <FilterTabs label="Which reviews" filters={FILTERS} current={status} href={href} />
      <Done message={notice} />
      <Show loaded={loaded} what="Loading the review queue">
        {(reviews) => {
          const items = shown(reviews.items);
          const total = reviews.total - (reviews.items.length - items.length);
          return (
            <>
              <p>
                {total} {total === 1 ? 'order' : 'orders'}
                {status === 'open' ? ' to review' : ''}.
              </p>
              <ul class="cards">
                {items.map((held) => (
                  <li key={held.orderId}>
                    <HeldOrderCard held={held} admin={admin} onDecided={decided} />
                  </li>
                ))}
              </ul>
              <Pager page={page} pages={Math.ceil(reviews.total / PAGE_SIZE)} href={(p) => href(status, p)} />
            </>
          );
        }}
      </Show>
    </>
  );
}

function HeldOrderCard({
  held,
  admin,
  onDecided,
}: {
  held: HeldOrder;
  admin: boolean;
  onDecided: (orderId: string, outcome: Decided, message: string) => void;
}) {
  const headingId = `review-${held.orderId}`;
  const action = useAction();
  const decide = (decision: 'approve' | 'reject') =>
    action.run(async () => {
      await request(`/admin/orders/${encodeURIComponent(held.orderId)}/review`, {
        method: 'POST',
        body: { decision },
      });
      onDecided(
        held.orderId,
        decision === 'approve' ? 'approved' : 'rejected',
        decision === 'approve'
          ? `Order ${shortId(held.orderId)} approved: its checkout goes on.`
          : `Order ${shortId(held.orderId)} rejected: it is cancelled and nothing was charged.`,
      );
    });
  const measures = Object.entries(held.measures).filter(([name]) => name in MEASURES);
  return (
    <article class="card" aria-labelledby={headingId}>
      <h2 id={headingId}>
        Order <span class="id">{held.orderId}</span>
      </h2>
      <dl class="facts">
        <dt>Rule</dt>
        <dd>{ruleLabel(held.rule)}</dd>
        <dt>Total</dt>
        <dd>{formatMoney(held.total)}</dd>
        <dt>Customer</dt>
        <dd class="id">{held.customerId}</dd>
        <dt>Held</dt>
        <dd>{formatTime(held.heldAt)}</dd>
        <dt>Status</dt>
        <dd>
          {statusLabel(held.status)}
          {held.decidedAt ? `, ${formatTime(held.decidedAt)}` : ''}
        </dd>
        {measures.map(([name, value]) => (
          <Fragment key={name}>
            <dt>{MEASURES[name]}</dt>
            <dd>{value ?? 'not known'}</dd>
          </Fragment>
        ))}
      </dl>
      <p>
        <a href={`/console/orders/${held.orderId}`}>Open the order</a>
      </p>
      {admin && held.status === 'open' && (
        <>
          <ProblemAlert error={action.error} />
          <div class="actions">
            <button type="button" disabled={action.busy} onClick={() => void decide('approve')}>
              Approve
            </button>
            <button type="button" class="danger" disabled={action.busy} onClick={() => void decide('reject')}>
              Reject
            </button>
          </div>
        </>
      )}
    </article>
  );
}
