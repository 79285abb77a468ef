import { Fragment } from 'preact';
import { useEffect, useLayoutEffect, useState } from 'preact/hooks';
import { request } from '../../shared/api.ts';
import { formatMoney } from '../../shared/money.ts';
import { navigate } from '../../shared/router.ts';
import type { Attributes, CatalogPage as CatalogAnswer, Product } from '../../shared/types.ts';
import {
  Field,
  PageTitle,
  Show,
  TableScroll,
  moneyInput,
  parseMoney,
  submitting,
  useAction,
  useLoad,
  withQuery,
  Outcome,
} from '../ui.tsx';
import { Pager } from './pager.tsx';

const PAGE_SIZE = 20;
const CURRENCY = 'USD';

/** The catalog as the shop lists it (`GET /products`), newest first or best match, to pick one to edit. */
export function CatalogPage({ query, admin }: { query: URLSearchParams; admin: boolean }) {
  const q = query.get('q') ?? '';
  const page = Math.max(1, Number(query.get('page')) || 1);
  const address = withQuery('/products', { q, page, pageSize: PAGE_SIZE });
  const loaded = useLoad((signal) => request<CatalogAnswer>(address, { signal, auth: false }), address);
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  return (
    <>
      <PageTitle title="Catalog">Catalog</PageTitle>
      <div class="toolbar">
        <form
          role="search"
          class="inline-form"
          onSubmit={submitting(() => navigate(withQuery('/console/catalog', { q: text.trim() })))}
        >
          <Field id="catalog-q" label="Find products">
            <input
              id="catalog-q"
              type="search"
              value={text}
              onInput={(e) => setText(e.currentTarget.value)}
            />
          </Field>
          <button type="submit">Find</button>
        </form>
        {admin && (
          <a class="button-link" href="/console/catalog/new">
            New product
          </a>
        )}
      </div>
      <Show loaded={loaded} what="Loading products">
        {(catalog) => (
          <>
            <p>
              {catalog.total} {catalog.total === 1 ? 'product' : 'products'}
              {q ? ` matching “${q}”` : ''}.
            </p>
            {catalog.items.length > 0 && (
              <TableScroll label="Products">
                <table>
                  <caption class="visually-hidden">Products, page {page}</caption>
                  <thead>
                    <tr>
                      <th scope="col">SKU</th>
                      <th scope="col">Title</th>
                      <th scope="col">Category</th>
                      <th scope="col">Brand</th>
                      <th scope="col" class="num">
                        Price
                      </th>
                      <th scope="col" class="num">
                        Available
                      </th>
                      <th scope="col">Stock</th>
                    </tr>
                  </thead>
                  <tbody>
                    {catalog.items.map((item) => (
                      <tr key={item.sku}>
                        <td>
                          <a href={`/console/catalog/${encodeURIComponent(item.sku)}`}>{item.sku}</a>
                        </td>
                        <td>{item.title}</td>
                        <td>{item.category}</td>
                        <td>{item.brand}</td>
                        <td class="num">{formatMoney(item.price)}</td>
                        <td class="num">{item.available}</td>
                        <td>
                          <a
                            href={withQuery('/console/inventory', { sku: item.sku })}
                            aria-label={`Stock of ${item.sku}`}
                          >
                            Stock
                          </a>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableScroll>
            )}
            <Pager
              page={page}
              pages={Math.ceil(catalog.total / PAGE_SIZE)}
              href={(p) => withQuery('/console/catalog', { q, page: p })}
            />
          </>
        )}
      </Show>
    </>
  );
}

type AttributeType = 'text' | 'number' | 'boolean';
type AttributeRow = { id: number; name: string; value: string; type: AttributeType };

let rowIds = 0;
const rowOf = (name: string, value: string | number | boolean): AttributeRow => ({
  id: ++rowIds,
  name,
  value: String(value),
  type: typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'text',
});

type Draft = {
  sku: string;
  title: string;
  description: string;
  brand: string;
  category: string;
  price: string;
  attributes: AttributeRow[];
};

const draftOf = (product: Product): Draft => ({
  sku: product.sku,
  title: product.title,
  description: product.description,
  brand: product.brand,
  category: product.category,
  price: moneyInput(product.price.amount),
  attributes: Object.entries(product.attributes).map(([name, value]) => rowOf(name, value)),
});

const EMPTY: Draft = {
  sku: '',
  title: '',
  description: '',
  brand: '',
  category: '',
  price: '',
  attributes: [],
};

/** The attributes as the API takes them, or what is wrong with them. */
function attributesOf(rows: readonly AttributeRow[]): Attributes | string {
  const attributes: Record<string, string | number | boolean> = {};
  for (const [i, row] of rows.entries()) {
    const name = row.name.trim();
    if (!name) return `Attribute ${i + 1} has no name.`;
    if (name in attributes) return `Two attributes are named “${name}”.`;
    if (row.type === 'number') {
      const value = Number(row.value.trim());
      if (row.value.trim() === '' || !Number.isFinite(value)) return `“${name}” is not a number.`;
      attributes[name] = value;
    } else if (row.type === 'boolean') attributes[name] = row.value === 'true';
    else attributes[name] = row.value;
  }
  return attributes;
}

const SKU_PATTERN = '[A-Za-z0-9][A-Za-z0-9._:@+\\-]{0,63}';

/** Create or edit a product (`PUT /admin/products/:sku`) with its flexible attributes. */
export function ProductEditor({ sku, admin }: { sku: string | undefined; admin: boolean }) {
  const loaded = useLoad(
    (signal) =>
      sku
        ? request<Product>(`/products/${encodeURIComponent(sku)}`, { signal, auth: false })
        : Promise.resolve(undefined),
    sku ?? '',
  );
  const heading = sku ? `Product ${sku}` : 'New product';
  return (
    <>
      <p class="crumbs">
        <a href="/console/catalog">Product list</a>
      </p>
      <PageTitle title={heading}>{heading}</PageTitle>
      {sku ? (
        <Show loaded={loaded} what="Loading the product">
          {(product) =>
            product &&
            (admin ? (
              <ProductForm key={sku} initial={draftOf(product)} />
            ) : (
              <ProductDetails product={product} />
            ))
          }
        </Show>
      ) : admin ? (
        <ProductForm initial={EMPTY} />
      ) : (
        <p>Only admins create products.</p>
      )}
    </>
  );
}

function ProductDetails({ product }: { product: Product }) {
  return (
    <>
      <dl class="facts">
        <dt>Title</dt>
        <dd>{product.title}</dd>
        <dt>Brand</dt>
        <dd>{product.brand}</dd>
        <dt>Category</dt>
        <dd>{product.category}</dd>
        <dt>Price</dt>
        <dd>{formatMoney(product.price)}</dd>
        <dt>Available</dt>
        <dd>
          {product.available}{' '}
          <a href={withQuery('/console/inventory', { sku: product.sku })}>Stock details</a>
        </dd>
        {Object.entries(product.attributes).map(([name, value]) => (
          <Fragment key={name}>
            <dt>{name}</dt>
            <dd>{String(value)}</dd>
          </Fragment>
        ))}
      </dl>
      <p>{product.description}</p>
    </>
  );
}

function ProductForm({ initial }: { initial: Draft }) {
  const creating = initial.sku === '';
  const [draft, setDraft] = useState(initial);
  const [focusRow, setFocusRow] = useState<string>();
  const [invalid, setInvalid] = useState<string>();
  const action = useAction();
  // Focus follows the rows: to a new row's name, or after a removal to the next row (or "Add attribute").
  useLayoutEffect(() => {
    if (!focusRow) return;
    document.getElementById(focusRow)?.focus();
    setFocusRow(undefined);
  }, [focusRow]);

  const set = (field: keyof Omit<Draft, 'attributes'>) => (e: { currentTarget: { value: string } }) =>
    setDraft((d) => ({ ...d, [field]: e.currentTarget.value }));
  const setRow = (id: number, change: Partial<AttributeRow>) =>
    setDraft((d) => ({ ...d, attributes: d.attributes.map((r) => (r.id === id ? { ...r, ...change } : r)) }));
  const addRow = () => {
    const row = rowOf('', '');
    setDraft((d) => ({ ...d, attributes: [...d.attributes, row] }));
    setFocusRow(`attr-name-${row.id}`);
  };
  const removeRow = (index: number) => {
    const rows = draft.attributes;
    const next = rows[index + 1] ?? rows[index - 1];
    setDraft((d) => ({ ...d, attributes: d.attributes.filter((_, i) => i !== index) }));
    setFocusRow(next ? `attr-name-${next.id}` : 'attr-add');
  };

  const save = () =>
    action.run(async () => {
      setInvalid(undefined);
      const sku = draft.sku.trim();
      const price = parseMoney(draft.price, CURRENCY);
      const attributes = attributesOf(draft.attributes);
      const wrong = !price
        ? 'The price must be an amount such as 19.99.'
        : typeof attributes === 'string'
          ? attributes
          : undefined;
      if (wrong || typeof attributes === 'string' || !price) {
        setInvalid(wrong);
        return;
      }
      const saved = await request<Product>(`/admin/products/${encodeURIComponent(sku)}`, {
        method: 'PUT',
        body: {
          title: draft.title.trim(),
          description: draft.description,
          brand: draft.brand.trim(),
          category: draft.category.trim(),
          price,
          attributes,
        },
      });
      if (creating) {
        navigate(`/console/catalog/${encodeURIComponent(saved.sku)}`, { replace: true });
        return;
      }
      setDraft(draftOf(saved));
      return `Saved ${saved.sku}.`;
    });

  return (
    <form class="stack editor" onSubmit={submitting(save)}>
      {creating && (
        <Field id="product-sku" label="SKU" hint="Letters, digits and . _ : @ + -, up to 64 characters.">
          <input
            id="product-sku"
            required
            pattern={SKU_PATTERN}
            maxLength={64}
            aria-describedby="product-sku-hint"
            value={draft.sku}
            onInput={set('sku')}
          />
        </Field>
      )}
      <Field id="product-title" label="Title">
        <input id="product-title" required maxLength={300} value={draft.title} onInput={set('title')} />
      </Field>
      <Field id="product-description" label="Description">
        <textarea
          id="product-description"
          rows={5}
          maxLength={20000}
          value={draft.description}
          onInput={set('description')}
        />
      </Field>
      <div class="row">
        <Field id="product-brand" label="Brand">
          <input id="product-brand" required maxLength={300} value={draft.brand} onInput={set('brand')} />
        </Field>
        <Field id="product-category" label="Category">
          <input
            id="product-category"
            required
            maxLength={300}
            value={draft.category}
            onInput={set('category')}
          />
        </Field>
        <Field id="product-price" label="Price (USD)" hint="For example 19.99">
          <input
            id="product-price"
            required
            inputMode="decimal"
            pattern="\$?\d+(\.\d{1,2})?"
            aria-describedby="product-price-hint"
            value={draft.price}
            onInput={set('price')}
          />
        </Field>
      </div>
      <fieldset class="attributes">
        <legend>Attributes</legend>
        {draft.attributes.length === 0 && <p class="hint">No attributes yet.</p>}
        {draft.attributes.map((row, i) => {
          const n = i + 1;
          return (
            <div class="attribute" role="group" aria-label={`Attribute ${n}`} key={row.id}>
              <div class="field">
                <label for={`attr-name-${row.id}`}>Name of attribute {n}</label>
                <input
                  id={`attr-name-${row.id}`}
                  required
                  maxLength={100}
                  value={row.name}
                  onInput={(e) => setRow(row.id, { name: e.currentTarget.value })}
                />
              </div>
              <div class="field">
                <label for={`attr-type-${row.id}`}>Type of attribute {n}</label>
                <select
                  id={`attr-type-${row.id}`}
                  value={row.type}
                  onChange={(e) => {
                    const type = e.currentTarget.value as AttributeType;
                    setRow(row.id, {
                      type,
                      value: type === 'boolean' ? (row.value === 'true' ? 'true' : 'false') : row.value,
                    });
                  }}
                >
                  <option value="text">Text</option>
                  <option value="number">Number</option>
                  <option value="boolean">Yes or no</option>
                </select>
              </div>
              <div class="field">
                <label for={`attr-value-${row.id}`}>Value of attribute {n}</label>
                {row.type === 'boolean' ? (
                  <select
                    id={`attr-value-${row.id}`}
                    value={row.value}
                    onChange={(e) => setRow(row.id, { value: e.currentTarget.value })}
                  >
                    <option value="true">Yes</option>
                    <option value="false">No</option>
                  </select>
                ) : (
                  <input
                    id={`attr-value-${row.id}`}
                    inputMode={row.type === 'number' ? 'decimal' : undefined}
                    maxLength={1000}
                    value={row.value}
                    onInput={(e) => setRow(row.id, { value: e.currentTarget.value })}
                  />
                )}
              </div>
              <button
                type="button"
                class="secondary"
                aria-label={`Remove attribute ${n}${row.name ? ` (${row.name})` : ''}`}
                onClick={() => removeRow(i)}
              >
                Remove
              </button>
            </div>
          );
        })}
        <button type="button" id="attr-add" class="secondary" onClick={addRow}>
          Add attribute
        </button>
      </fieldset>
      <Outcome invalid={invalid} action={action} />
      <div class="actions">
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Saving…' : creating ? 'Create product' : 'Save product'}
        </button>
        {!creating && <a href={withQuery('/console/inventory', { sku: draft.sku })}>Stock of {draft.sku}</a>}
      </div>
    </form>
  );
}
