import { useState } from 'preact/hooks';
import { request } from '../../shared/api.ts';
import type { Paged, ReturnRecord } from '../types.ts';
import {
  Done,
  FilterTabs,
  PageTitle,
  Show,
  TableScroll,
  formatTime,
  statusLabel,
  submitting,
  useAction,
  useLoad,
  withQuery,
  Outcome,
} from '../ui.tsx';
import { Pager } from './pager.tsx';

const PAGE_SIZE = 20;
const FILTERS = [
  { value: 'requested', label: 'To receive' },
  { value: 'received', label: 'Received' },
  { value: 'all', label: 'All' },
] as const;

/** Returns customers asked for, newest first; an admin receives each line by line, restocking or not. */
export function ReturnsPage({ query, admin }: { query: URLSearchParams; admin: boolean }) {
  const status = query.get('status') ?? 'requested';
  const page = Math.max(1, Number(query.get('page')) || 1);
  const address = withQuery('/admin/returns', {
    status: status === 'all' ? undefined : status,
    page,
    pageSize: PAGE_SIZE,
  });
  const loaded = useLoad((signal) => request<Paged<ReturnRecord>>(address, { signal }), address);
  // Kept here: the card of a return received leaves the list of those to receive.
  const [notice, setNotice] = useState<string>();
  const received = (message: string) => {
    setNotice(message);
    loaded.reload();
  };
  const href = (s: string, p?: number) =>
    withQuery('/console/returns', { status: s === 'requested' ? undefined : s, page: p });

  return (
    <>
      <PageTitle title="Returns">Returns</PageTitle>
      <FilterTabs label="Which returns" filters={FILTERS} current={status} href={href} />
      <Done message={notice} />
      <Show loaded={loaded} what="Loading returns">
        {(returns) => (
          <>
            <p>
              {returns.total} {returns.total === 1 ? 'return' : 'returns'}
              {status === 'requested' ? ' to receive' : status === 'received' ? ' received' : ''}.
            </p>
            <ul class="cards">
              {returns.items.map((r) => (
                <li key={r.returnId}>
                  <ReturnCard record={r} admin={admin} onReceived={received} />
                </li>
              ))}
            </ul>
            <Pager page={page} pages={Math.ceil(returns.total / PAGE_SIZE)} href={(p) => href(status, p)} />
          </>
        )}
      </Show>
    </>
  );
}

function ReturnCard({
  record,
  admin,
  onReceived,
}: {
  record: ReturnRecord;
  admin: boolean;
  onReceived: (message: string) => void;
}) {
  const headingId = `return-${record.returnId}`;
  return (
    <article class="card" aria-labelledby={headingId}>
      <h2 id={headingId}>
        Return <span class="id">{record.returnId}</span>
      </h2>
      <dl class="facts">
        <dt>Order</dt>
        <dd>
          <a class="id" href={`/console/orders/${record.orderId}`}>
            {record.orderId}
          </a>
        </dd>
        <dt>Status</dt>
        <dd>{statusLabel(record.status)}</dd>
        <dt>Requested</dt>
        <dd>{formatTime(record.requestedAt)}</dd>
        <dt>Reason</dt>
        <dd>{record.reason}</dd>
        <dt>Units asked</dt>
        <dd>{record.lines.map((l) => `${l.quantity} × ${l.sku}`).join(', ')}</dd>
        {record.receivedAt && (
          <>
            <dt>Received</dt>
            <dd>
              {formatTime(record.receivedAt)}:{' '}
              {record.received
                .map((l) => `${l.quantity} × ${l.sku} ${l.restock ? 'restocked' : 'written off'}`)
                .join(', ')}
            </dd>
          </>
        )}
      </dl>
      {record.status === 'requested' && admin && <ReceiptForm record={record} onReceived={onReceived} />}
    </article>
  );
}

type LineChoice = { quantity: string; restock: boolean };

function ReceiptForm({
  record,
  onReceived,
}: {
  record: ReturnRecord;
  onReceived: (message: string) => void;
}) {
  const [choices, setChoices] = useState<Record<string, LineChoice>>(() =>
    Object.fromEntries(record.lines.map((l) => [l.sku, { quantity: String(l.quantity), restock: true }])),
  );
  const [invalid, setInvalid] = useState<string>();
  const action = useAction();
  const set = (sku: string, change: Partial<LineChoice>) =>
    setChoices((c) => ({ ...c, [sku]: { ...(c[sku] ?? { quantity: '0', restock: true }), ...change } }));
  const id = (what: string, sku: string) => `${what}-${record.returnId}-${sku}`;

  const receive = () =>
    action.run(async () => {
      setInvalid(undefined);
      const lines = record.lines
        .map((l) => ({
          sku: l.sku,
          quantity: Number(choices[l.sku]?.quantity ?? 0),
          restock: choices[l.sku]?.restock ?? true,
        }))
        .filter((l) => l.quantity > 0);
      if (lines.length === 0) {
        setInvalid('Nothing arrived? Enter at least one unit received.');
        return;
      }
      await request(`/admin/returns/${encodeURIComponent(record.returnId)}/receipt`, {
        method: 'POST',
        body: { lines },
      });
      onReceived(`Return ${record.returnId} received; the units are refunded at the price paid.`);
    });

  return (
    <form class="stack" onSubmit={submitting(receive)}>
      <TableScroll label={`Receipt of return ${record.returnId}`}>
        <table>
          <caption class="visually-hidden">What arrived of return {record.returnId}</caption>
          <thead>
            <tr>
              <th scope="col">SKU</th>
              <th scope="col" class="num">
                Asked
              </th>
              <th scope="col">Received</th>
              <th scope="col">Back on hand</th>
            </tr>
          </thead>
          <tbody>
            {record.lines.map((l) => (
              <tr key={l.sku}>
                <th scope="row">{l.sku}</th>
                <td class="num">{l.quantity}</td>
                <td>
                  <label class="visually-hidden" for={id('qty', l.sku)}>
                    Quantity received of {l.sku}
                  </label>
                  <input
                    id={id('qty', l.sku)}
                    class="narrow"
                    type="number"
                    min={0}
                    max={l.quantity}
                    step={1}
                    value={choices[l.sku]?.quantity ?? ''}
                    onInput={(e) => set(l.sku, { quantity: e.currentTarget.value })}
                  />
                </td>
                <td>
                  <label class="check">
                    <input
                      type="checkbox"
                      checked={choices[l.sku]?.restock ?? true}
                      onChange={(e) => set(l.sku, { restock: e.currentTarget.checked })}
                    />{' '}
                    Restock {l.sku}
                  </label>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      <Outcome invalid={invalid} action={action} />
      <div>
        <button type="submit" disabled={action.busy}>
          Receive
        </button>
      </div>
    </form>
  );
}
