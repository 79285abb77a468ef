import { useEffect, useState } from 'preact/hooks';
import { ApiError, authorizationHeader, request } from '../../shared/api.ts';
import { formatMoney } from '../../shared/money.ts';
import { navigate } from '../../shared/router.ts';
import type { Problem } from '../../shared/types.ts';
import type { AdminOrder, ChainVerdict, RecordedEvent, StockLevel, StreamPage } from '../types.ts';
import {
  Done,
  Field,
  PageTitle,
  ProblemAlert,
  Show,
  TableScroll,
  download,
  formatTime,
  fromLocalInput,
  localInput,
  statusLabel,
  submitting,
  useAction,
  useLoad,
  withQuery,
} from '../ui.tsx';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CATEGORIES = ['order', 'inventory', 'payment', 'cart', 'product'] as const;
/** Events shown on the page; the export has them all. */
const SHOWN = 5000;

/** A bare order id is the order's stream. */
const streamIdOf = (text: string) => (UUID.test(text.trim()) ? `order-${text.trim()}` : text.trim());

/** Every event of a stream, page after page (`GET /streams/:streamId`), up to `limit`. */
async function readStream(
  streamId: string,
  signal?: AbortSignal,
  limit = Number.POSITIVE_INFINITY,
): Promise<{ events: RecordedEvent[]; version: number }> {
  const events: RecordedEvent[] = [];
  let from: number | null = 1;
  let version = 0;
  while (from !== null && events.length < limit) {
    const page: StreamPage = await request<StreamPage>(
      withQuery(`/streams/${encodeURIComponent(streamId)}`, { fromVersion: from, limit: 1000 }),
      signal ? { signal } : {},
    );
    events.push(...page.events);
    version = page.version;
    from = page.nextVersion;
  }
  return { events, version };
}

/** The NDJSON answer of `GET /streams` (a link cannot carry the bearer token: fetched, then saved). */
async function fetchNdjson(path: string): Promise<Blob> {
  const response = await fetch(path, {
    headers: { accept: 'application/x-ndjson', ...(await authorizationHeader()) },
  });
  if (!response.ok) {
    const type = response.headers.get('content-type') ?? '';
    throw new ApiError(
      type.includes('problem+json') || type.includes('application/json')
        ? ((await response.json()) as Problem)
        : { title: response.statusText || 'Export refused', status: response.status },
    );
  }
  return response.blob();
}

type Stream = Readonly<{ verdict: ChainVerdict; events: RecordedEvent[]; version: number }>;

/**
 * The log itself, for auditors: a stream's events with its hash-chain verdict, the state it recorded
 * as of a moment, and exports as NDJSON.
 */
export function AuditPage({ query }: { query: URLSearchParams }) {
  const stream = query.get('stream')?.trim() ?? '';
  const asOf = query.get('asOf') ?? '';
  const [text, setText] = useState(stream);
  const [moment, setMoment] = useState(asOf ? localInput(new Date(asOf)) : '');
  useEffect(() => setText(stream), [stream]);
  useEffect(() => setMoment(asOf ? localInput(new Date(asOf)) : ''), [asOf]);
  // Verify pressed again for the same stream and moment: read and check it again.
  const [round, setRound] = useState(0);
  const verify = () => {
    const next = { stream: streamIdOf(text), asOf: fromLocalInput(moment) ?? '' };
    if (next.stream === stream && next.asOf === asOf) setRound((r) => r + 1);
    else navigate(withQuery('/console/audit', next));
  };
  const exporting = useAction();
  const exportStream = () =>
    exporting.run(async () => {
      const streamId = streamIdOf(text);
      if (!streamId) throw new Error('Enter the id of the stream to export.');
      const { events } = await readStream(streamId);
      download(`${streamId}.ndjson`, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
      return `Exported ${events.length} ${events.length === 1 ? 'event' : 'events'} of ${streamId} as ${streamId}.ndjson.`;
    });

  return (
    <>
      <PageTitle title={stream ? `Audit ${stream}` : 'Audit'}>Audit</PageTitle>
      <form class="filters" aria-label="Stream to audit" onSubmit={submitting(verify)}>
        <Field
          id="audit-stream"
          label="Stream id"
          hint="order-<order id>, inventory-<SKU>, payment-…, cart-…, product-<SKU>; an order id alone is its order stream."
        >
          <input
            id="audit-stream"
            class="wide"
            required
            autoComplete="off"
            spellcheck={false}
            aria-describedby="audit-stream-hint"
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
          />
        </Field>
        <Field id="audit-as-of" label="As of" hint="Optional: the state recorded by then (your local time)">
          <input
            id="audit-as-of"
            type="datetime-local"
            step={1}
            aria-describedby="audit-as-of-hint"
            value={moment}
            onInput={(e) => setMoment(e.currentTarget.value)}
          />
        </Field>
        <div class="filter-actions">
          <button type="submit">Verify</button>
          <button type="button" class="secondary" onClick={exportStream} disabled={exporting.busy}>
            {exporting.busy ? 'Exporting…' : 'Export NDJSON'}
          </button>
        </div>
      </form>
      <ProblemAlert error={exporting.error} />
      <Done message={exporting.done} />
      {stream ? (
        <StreamAudit key={`${stream}#${asOf}#${round}`} streamId={stream} asOf={asOf} />
      ) : (
        <p>
          Enter a stream to read its events and check its hash chain, or open an order from the order list and
          follow its event history.
        </p>
      )}
      <CategoryExport />
    </>
  );
}

function StreamAudit({ streamId, asOf }: { streamId: string; asOf: string }) {
  const loaded = useLoad<Stream>(async (signal) => {
    const path = encodeURIComponent(streamId);
    const [verdict, read] = await Promise.all([
      request<ChainVerdict>(`/audit/streams/${path}/verify`, { signal }),
      readStream(streamId, signal, SHOWN),
    ]);
    return { verdict, ...read };
  }, streamId);
  return (
    <Show loaded={loaded} what="Verifying the chain and reading the stream">
      {(s) => (
        <>
          <section aria-labelledby="verdict-heading">
            <h2 id="verdict-heading">Hash chain of {streamId}</h2>
            <Verdict verdict={s.verdict} />
            <StateLink streamId={streamId} />
          </section>
          {asOf && <AsOf streamId={streamId} asOf={asOf} events={s.events} />}
          <Events events={s.events} version={s.version} asOf={asOf} />
        </>
      )}
    </Show>
  );
}

/** Where the console shows what an order or a stock stream adds up to now. */
function StateLink({ streamId }: { streamId: string }) {
  const dash = streamId.indexOf('-');
  const [category, id] = [streamId.slice(0, dash), streamId.slice(dash + 1)];
  if (category === 'order') return <a href={`/console/orders/${encodeURIComponent(id)}`}>Open the order</a>;
  if (category === 'inventory')
    return <a href={withQuery('/console/inventory', { sku: id })}>Open the stock of {id}</a>;
  return null;
}

function Verdict({ verdict }: { verdict: ChainVerdict }) {
  const events = `${verdict.events} ${verdict.events === 1 ? 'event' : 'events'} checked`;
  if (verdict.valid)
    return (
      <p role="status" class="verdict good">
        {`Chain valid: ${events}, each hash chained to the one before.`}
      </p>
    );
  return (
    <p role="alert" class="verdict bad">
      {`Chain broken at version ${verdict.brokenAt ?? '?'}${verdict.problem ? ` (${verdict.problem})` : ''}: ` +
        `${events}; an event was edited, removed or reordered behind the store’s back.`}
    </p>
  );
}

/** The state a stream recorded by a moment: an order or a stock level as the API folds it then. */
function AsOf({
  streamId,
  asOf,
  events,
}: {
  streamId: string;
  asOf: string;
  events: readonly RecordedEvent[];
}) {
  const dash = streamId.indexOf('-');
  const category = streamId.slice(0, dash);
  const id = streamId.slice(dash + 1);
  const state = useLoad<{ order?: AdminOrder; stock?: StockLevel }>(async (signal) => {
    if (category === 'order')
      return {
        order: await request<AdminOrder>(withQuery(`/orders/${encodeURIComponent(id)}`, { asOf }), {
          signal,
        }),
      };
    if (category === 'inventory')
      return {
        stock: await request<StockLevel>(withQuery(`/inventory/${encodeURIComponent(id)}`, { asOf }), {
          signal,
        }),
      };
    return {};
  }, `${streamId}|${asOf}`);
  const until = Date.parse(asOf);
  const byThen = events.filter((e) => Date.parse(e.recordedAt) <= until);

  return (
    <section aria-labelledby="as-of-heading">
      <h2 id="as-of-heading">State as of {formatTime(asOf)}</h2>
      <p>
        {byThen.length} of {events.length} {events.length === 1 ? 'event' : 'events'} recorded by then
        {byThen.length > 0 ? `, up to version ${byThen.at(-1)!.version}` : ''}.{' '}
        <a href={withQuery('/console/audit', { stream: streamId })}>Back to now</a>
      </p>
      <Show loaded={state} what="Folding the events up to then">
        {(then) => (
          <>
            {then.order && (
              <dl class="facts as-of-state">
                <dt>Order status</dt>
                <dd>{statusLabel(then.order.status)}</dd>
                <dt>Lines</dt>
                <dd>
                  {then.order.lines
                    .map((l) => `${l.quantity} × ${l.sku} (${l.shipped} shipped, ${l.returned} returned)`)
                    .join('; ')}
                </dd>
                <dt>Total</dt>
                <dd>{formatMoney(then.order.total)}</dd>
                <dt>Refunded</dt>
                <dd>{formatMoney(then.order.refunded)}</dd>
                <dt>Shipments</dt>
                <dd>{then.order.shipments.length}</dd>
                <dd class="full">
                  <a href={withQuery(`/console/orders/${encodeURIComponent(id)}`, { asOf })}>
                    The whole order as of then
                  </a>
                </dd>
              </dl>
            )}
            {then.stock && (
              <dl class="facts as-of-state">
                <dt>On hand</dt>
                <dd>{then.stock.onHand}</dd>
                <dt>Reserved</dt>
                <dd>{then.stock.reserved}</dd>
                <dt>Available</dt>
                <dd>{then.stock.available}</dd>
              </dl>
            )}
          </>
        )}
      </Show>
    </section>
  );
}

function CategoryExport() {
  const [category, setCategory] = useState<string>('order');
  const action = useAction();
  const exportCategory = () =>
    action.run(async () => {
      const blob = await fetchNdjson(withQuery('/streams', { category, limit: 100000 }));
      const name = `${category}-streams.ndjson`;
      download(name, blob);
      return `Exported the ${category} streams as ${name}.`;
    });
  return (
    <section aria-labelledby="category-export-heading">
      <h2 id="category-export-heading">Export a category</h2>
      <p>
        Every event of one kind of stream in log order (up to 100,000), then a last line with the cursor to
        resume from.
      </p>
      <form class="inline-form" onSubmit={submitting(exportCategory)}>
        <Field id="export-category" label="Category">
          <select id="export-category" value={category} onChange={(e) => setCategory(e.currentTarget.value)}>
            {CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit" class="secondary" disabled={action.busy}>
          {action.busy ? 'Exporting…' : 'Export category'}
        </button>
      </form>
      <ProblemAlert error={action.error} />
      <Done message={action.done} />
    </section>
  );
}

function Events({
  events,
  version,
  asOf,
}: {
  events: readonly RecordedEvent[];
  version: number;
  asOf: string;
}) {
  const until = asOf ? Date.parse(asOf) : Number.POSITIVE_INFINITY;
  return (
    <section aria-labelledby="events-heading">
      <h2 id="events-heading">Events</h2>
      {events.length < version && (
        <p>
          The first {events.length} of {version} events are shown; the export has them all.
        </p>
      )}
      <TableScroll label="Events">
        <table class="events">
          <thead>
            <tr>
              <th scope="col" class="num">
                Version
              </th>
              <th scope="col">Type</th>
              <th scope="col">Recorded</th>
              <th scope="col">By</th>
              <th scope="col">Hash</th>
              <th scope="col">Content</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => {
              const later = Date.parse(e.recordedAt) > until;
              return (
                <tr key={e.eventId} class={later ? 'later' : undefined}>
                  <td class="num">{e.version}</td>
                  <td>
                    {e.type}
                    {later && <span class="hint"> (after the moment)</span>}
                  </td>
                  <td>
                    <time dateTime={e.recordedAt}>{formatTime(e.recordedAt)}</time>
                  </td>
                  <td>
                    {e.metadata.actor.role} <span class="id">{e.metadata.actor.id}</span>
                  </td>
                  <td>
                    <code>{e.hash.slice(0, 12)}…</code>
                  </td>
                  <td>
                    <details>
                      <summary>Version {e.version}</summary>
                      <pre>
                        {JSON.stringify(
                          {
                            data: e.data,
                            metadata: e.metadata,
                            position: e.position,
                            prevHash: e.prevHash,
                            hash: e.hash,
                          },
                          null,
                          2,
                        )}
                      </pre>
                    </details>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableScroll>
    </section>
  );
}
