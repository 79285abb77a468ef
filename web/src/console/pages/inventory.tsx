import { useEffect, useState } from 'preact/hooks';
import { ApiError, request } from '../../shared/api.ts';
import { navigate } from '../../shared/router.ts';
import type { CatalogPage, Product } from '../../shared/types.ts';
import type { StockLevel } from '../types.ts';
import { Pager } from './pager.tsx';
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
  submitting,
  useAction,
  useLoad,
  withQuery,
} from '../ui.tsx';

type Stock = Readonly<{ now: StockLevel; title?: string; asOf?: StockLevel }>;

/** Stock per SKU: on hand, reserved, available, now and as recorded at a moment; receive and adjust. */
export function InventoryPage({ query, admin }: { query: URLSearchParams; admin: boolean }) {
  const sku = query.get('sku')?.trim() ?? '';
  const asOf = query.get('asOf') ?? '';
  const [skuText, setSkuText] = useState(sku);
  useEffect(() => setSkuText(sku), [sku]);
  const here = (change: Record<string, string | undefined>) =>
    withQuery('/console/inventory', { sku, asOf, ...change });

  return (
    <>
      <PageTitle title={sku ? `Inventory of ${sku}` : 'Inventory'}>
        {sku ? `Inventory of ${sku}` : 'Inventory'}
      </PageTitle>
      <form
        class="inline-form"
        onSubmit={submitting(() => navigate(here({ sku: skuText.trim(), asOf: undefined })))}
      >
        <TextField
          id="inventory-sku"
          label="SKU"
          required
          autoComplete="off"
          value={skuText}
          onValue={setSkuText}
        />
        <button type="submit">Show stock</button>
      </form>
      {!sku && <StockList query={query} />}
      {sku && <StockOf key={sku} sku={sku} asOf={asOf} admin={admin} here={here} />}
    </>
  );
}

function StockOf({
  sku,
  asOf,
  admin,
  here,
}: {
  sku: string;
  asOf: string;
  admin: boolean;
  here: (change: Record<string, string | undefined>) => string;
}) {
  const path = encodeURIComponent(sku);
  const loaded = useLoad<Stock>(async (signal) => {
    const [now, product, then] = await Promise.all([
      request<StockLevel>(`/inventory/${path}`, { signal }),
      request<Product>(`/products/${path}`, { signal, auth: false }).catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 404) return undefined;
        throw error;
      }),
      asOf ? request<StockLevel>(withQuery(`/inventory/${path}`, { asOf }), { signal }) : undefined,
    ]);
    return { now, ...(product ? { title: product.title } : {}), ...(then ? { asOf: then } : {}) };
  }, `${sku}|${asOf}`);
  const [moment, setMoment] = useState(() => (asOf ? localInput(new Date(asOf)) : ''));

  return (
    <>
      <Show loaded={loaded} what="Loading stock">
        {(stock) => (
          <>
            {stock.title && (
              <p>
                <a href={`/console/catalog/${path}`}>{stock.title}</a>
              </p>
            )}
            <table class="stock">
              <caption>Stock of {sku}</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <LevelHeads />
                </tr>
              </thead>
              <tbody>
                <tr>
                  <th scope="row">Now</th>
                  <LevelCells level={stock.now} />
                </tr>
                {stock.asOf && (
                  <tr>
                    <th scope="row">As of {formatTime(asOf)}</th>
                    <LevelCells level={stock.asOf} />
                  </tr>
                )}
              </tbody>
            </table>
          </>
        )}
      </Show>
      <section aria-labelledby="as-of-heading">
        <h2 id="as-of-heading">Stock at a moment</h2>
        <form
          class="inline-form"
          onSubmit={submitting(() => navigate(here({ asOf: fromLocalInput(moment) })))}
        >
          <Field id="inventory-as-of" label="As of" hint="Your local time">
            <input
              id="inventory-as-of"
              type="datetime-local"
              step={1}
              required
              aria-describedby="inventory-as-of-hint"
              value={moment}
              onInput={(e) => setMoment(e.currentTarget.value)}
            />
          </Field>
          <button type="submit">Show as of</button>
          {asOf && <a href={here({ asOf: undefined })}>Now only</a>}
        </form>
      </section>
      {admin && <StockForms sku={sku} onChange={loaded.reload} />}
      <p>
        <a href={withQuery('/console/audit', { stream: `inventory-${sku}` })}>
          Events and hash chain of this stock
        </a>
      </p>
    </>
  );
}

function StockForms({ sku, onChange }: { sku: string; onChange: () => void }) {
  const path = encodeURIComponent(sku);
  const [quantity, setQuantity] = useState('');
  const [delta, setDelta] = useState('');
  const [reason, setReason] = useState('');
  const receive = useAction();
  const adjust = useAction();
  const described = (level: StockLevel) =>
    `on hand ${level.onHand}, reserved ${level.reserved}, available ${level.available}`;

  return (
    <div class="panels">
      <section aria-labelledby="receive-heading" class="panel">
        <h2 id="receive-heading">Receive stock</h2>
        <form
          class="stack"
          onSubmit={submitting(() =>
            receive.run(async () => {
              const level = await request<StockLevel>(`/admin/inventory/${path}/receive`, {
                method: 'POST',
                body: { quantity: Number(quantity) },
              });
              setQuantity('');
              onChange();
              return `Received ${quantity}: ${described(level)}.`;
            }),
          )}
        >
          <Field id="receive-quantity" label="Quantity received">
            <input
              id="receive-quantity"
              type="number"
              min={1}
              max={1000000}
              step={1}
              required
              value={quantity}
              onInput={(e) => setQuantity(e.currentTarget.value)}
            />
          </Field>
          <ProblemAlert error={receive.error} />
          <Done message={receive.done} />
          <div>
            <button type="submit" disabled={receive.busy}>
              Receive stock
            </button>
          </div>
        </form>
      </section>
      <section aria-labelledby="adjust-heading" class="panel">
        <h2 id="adjust-heading">Adjust stock</h2>
        <form
          class="stack"
          onSubmit={submitting(() =>
            adjust.run(async () => {
              const level = await request<StockLevel>(`/admin/inventory/${path}/adjust`, {
                method: 'POST',
                body: { delta: Number(delta), reason: reason.trim() },
              });
              setDelta('');
              setReason('');
              onChange();
              return `Adjusted by ${delta}: ${described(level)}.`;
            }),
          )}
        >
          <Field id="adjust-delta" label="Change in units" hint="Negative to remove units, e.g. -2">
            <input
              id="adjust-delta"
              type="number"
              min={-1000000}
              max={1000000}
              step={1}
              required
              aria-describedby="adjust-delta-hint"
              value={delta}
              onInput={(e) => setDelta(e.currentTarget.value)}
            />
          </Field>
          <TextField
            id="adjust-reason"
            label="Adjustment reason"
            required
            maxLength={500}
            value={reason}
            onValue={setReason}
          />
          <ProblemAlert error={adjust.error} />
          <Done message={adjust.done} />
          <div>
            <button type="submit" disabled={adjust.busy}>
              Adjust stock
            </button>
          </div>
        </form>
      </section>
    </div>
  );
}

/** The three figures of a stock level, as column headings and as a row's cells (a dash when unread). */
function LevelHeads() {
  return (
    <>
      <th scope="col" class="num">
        On hand
      </th>
      <th scope="col" class="num">
        Reserved
      </th>
      <th scope="col" class="num">
        Available
      </th>
    </>
  );
}

function LevelCells({ level }: { level: StockLevel | undefined }) {
  return (
    <>
      <td class="num">{level?.onHand ?? '—'}</td>
      <td class="num">{level?.reserved ?? '—'}</td>
      <td class="num">{level?.available ?? '—'}</td>
    </>
  );
}

const LIST_SIZE = 20;
type StockRow = Readonly<{ sku: string; title: string; level?: StockLevel }>;

/** A page of the catalog with each SKU's stock read exactly (`GET /inventory/:sku`, from its stream). */
function StockList({ query }: { query: URLSearchParams }) {
  const q = query.get('q') ?? '';
  const page = Math.max(1, Number(query.get('page')) || 1);
  const address = withQuery('/products', { q, page, pageSize: LIST_SIZE });
  const loaded = useLoad(async (signal) => {
    const catalog = await request<CatalogPage>(address, { signal, auth: false });
    const rows = await Promise.all(
      catalog.items.map(async (item): Promise<StockRow> => {
        const level = await request<StockLevel>(`/inventory/${encodeURIComponent(item.sku)}`, {
          signal,
        }).catch(() => undefined);
        return { sku: item.sku, title: item.title, ...(level ? { level } : {}) };
      }),
    );
    return { total: catalog.total, rows };
  }, address);
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  return (
    <section aria-labelledby="stock-list-heading">
      <h2 id="stock-list-heading">Stock by SKU</h2>
      <form
        role="search"
        class="inline-form"
        onSubmit={submitting(() => navigate(withQuery('/console/inventory', { q: text.trim() })))}
      >
        <Field id="stock-q" label="Find products">
          <input id="stock-q" type="search" value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </Field>
        <button type="submit">Find</button>
      </form>
      <Show loaded={loaded} what="Reading stock">
        {({ total, rows }) => (
          <>
            <TableScroll label="Stock by SKU">
              <table>
                <caption class="visually-hidden">Stock of the products on page {page}</caption>
                <thead>
                  <tr>
                    <th scope="col">SKU</th>
                    <th scope="col">Title</th>
                    <LevelHeads />
                  </tr>
                </thead>
                <tbody>
                  {rows.map((row) => (
                    <tr key={row.sku}>
                      <th scope="row">
                        <a href={withQuery('/console/inventory', { sku: row.sku })}>{row.sku}</a>
                      </th>
                      <td>{row.title}</td>
                      <LevelCells level={row.level} />
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
            <Pager
              page={page}
              pages={Math.ceil(total / LIST_SIZE)}
              href={(p) => withQuery('/console/inventory', { q, page: p })}
            />
          </>
        )}
      </Show>
    </section>
  );
}
