import { useEffect, useState } from 'preact/hooks';
import { ApiError, request } from '../../shared/api.ts';
import { navigate } from '../../shared/router.ts';
import type { CatalogPage, ProductSummary } from '../../shared/types.ts';
import { useTitle } from '../hooks.ts';
import { Availability, Price, ProductArt, roundMoney } from '../parts.tsx';
import { ProblemAlert } from '../problem.tsx';
import { rememberProducts } from '../products.ts';

/** The catalog's sort orders (src/projections/catalog/types.ts SORTS), as shoppers read them. */
const SORTS = [
  ['relevance', 'Best match'],
  ['newest', 'Newest'],
  ['price_asc', 'Price: low to high'],
  ['price_desc', 'Price: high to low'],
  ['title', 'Name: A to Z'],
] as const;

const DEFAULT_PAGE_SIZE = 20;

/** Searches this tab has shown, so that back and forward show them again at once. */
const seen = new Map<string, CatalogPage>();
function keep(search: string, catalog: CatalogPage): void {
  seen.delete(search);
  seen.set(search, catalog);
  if (seen.size > 30) seen.delete(seen.keys().next().value!);
}

/** The home page with `query` changed (and back to the first page, unless the change is the page). */
function hrefWith(query: URLSearchParams, change: (params: URLSearchParams) => void): string {
  const params = new URLSearchParams(query);
  params.delete('page');
  change(params);
  const text = params.toString();
  return text ? `/?${text}` : '/';
}

const go = (href: string) => navigate(href, { scroll: false });

/** The page's heading (and title): the search, else the category, else all products. */
export function homeHeading(query: URLSearchParams): string {
  const q = query.get('q')?.trim() ?? '';
  return q ? `Results for “${q}”` : (query.get('category') ?? 'All products');
}

/** A failure that asking again may mend (the network, the server), not a search the catalog refuses. */
const retryable = (error: unknown) =>
  !(error instanceof ApiError) || error.status === 0 || error.status === 429 || error.status >= 500;

type State = Readonly<{ search: string; catalog?: CatalogPage; error?: unknown; loading: boolean }>;

export function Home({ query, initial }: { query: URLSearchParams; initial?: CatalogPage }) {
  const search = query.toString();
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<State>(() => ({
    search,
    catalog: initial ?? seen.get(search),
    loading: false,
  }));

  useEffect(() => {
    if (state.catalog && state.search === search && state.error === undefined) {
      // Drawn from what the server sent (or this tab saw): nothing to ask.
      keep(search, state.catalog);
      rememberProducts(state.catalog.items);
      return;
    }
    const cached = seen.get(search);
    if (cached) {
      setState({ search, catalog: cached, loading: false });
      return;
    }
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    request<CatalogPage>(`/products${search ? `?${search}` : ''}`, {
      auth: false,
      signal: controller.signal,
    }).then(
      (catalog) => {
        keep(search, catalog);
        rememberProducts(catalog.items);
        setState({ search, catalog, loading: false });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        // Not the results of another search under this one's heading: the problem alone.
        setState({ search, error, loading: false });
      },
    );
    return () => controller.abort();
  }, [search, attempt]);

  const heading = homeHeading(query);
  useTitle(heading);

  const { catalog } = state;
  const failed = state.error !== undefined && state.search === search;
  return (
    <div class="catalog">
      <div class="catalog-head">
        <h1>{heading}</h1>
        <Toolbar query={query} catalog={catalog} loading={state.loading} />
      </div>
      {failed && (
        <ProblemAlert error={state.error}>
          <p class="actions">
            {retryable(state.error) && (
              <button type="button" class="button button--secondary" onClick={() => setAttempt((n) => n + 1)}>
                Try again
              </button>
            )}
            <a href="/">Start a new search</a>
          </p>
        </ProblemAlert>
      )}
      {catalog ? (
        <div class="catalog-body">
          <Filters query={query} catalog={catalog} />
          <Results query={query} catalog={catalog} loading={state.loading} />
        </div>
      ) : (
        !failed && <p class="muted">Loading products…</p>
      )}
    </div>
  );
}

function Toolbar({
  query,
  catalog,
  loading,
}: {
  query: URLSearchParams;
  catalog: CatalogPage | undefined;
  loading: boolean;
}) {
  const q = query.get('q');
  const standard = q ? 'relevance' : 'newest';
  const sorts = SORTS.filter(([value]) => value !== standard && (value !== 'relevance' || q)).map(
    ([value, label]) => [value, label] as [string, string],
  );
  sorts.unshift(['', SORTS.find(([value]) => value === standard)![1]]);
  const sort = query.get('sort') ?? '';
  const chosen = sorts.some(([value]) => value === sort) ? sort : '';
  const inStock = query.get('inStock') === 'true';
  let summary = '';
  if (loading) summary = 'Searching…';
  else if (catalog) {
    const first = (catalog.page - 1) * catalog.pageSize + 1;
    const last = first + catalog.items.length - 1;
    summary =
      catalog.total === 0
        ? 'No products found'
        : catalog.items.length === 0
          ? `${catalog.total.toLocaleString('en-US')} products`
          : `${first.toLocaleString('en-US')}–${last.toLocaleString('en-US')} of ${catalog.total.toLocaleString('en-US')} products`;
  }
  return (
    <div class="toolbar">
      <p class="result-count" role="status">
        {summary}
      </p>
      <div class="in-stock">
        <input
          type="checkbox"
          id="in-stock"
          checked={inStock}
          onChange={() =>
            go(
              hrefWith(query, (params) =>
                inStock ? params.delete('inStock') : params.set('inStock', 'true'),
              ),
            )
          }
        />
        <label for="in-stock">In stock only</label>
      </div>
      <div class="sort">
        <label for="sort-by">Sort by</label>
        <select
          id="sort-by"
          value={chosen}
          onChange={(event) => {
            const value = event.currentTarget.value;
            go(hrefWith(query, (params) => (value ? params.set('sort', value) : params.delete('sort'))));
          }}
        >
          {/* The catalog's default order (best match for a search, newest otherwise) is no parameter at all. */}
          {sorts.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </div>
    </div>
  );
}

type Option = Readonly<{ value: string; label: string; count?: number; checked: boolean; href: string }>;

/** One facet: a group of checkboxes, each named by its value, its count as its description. */
function FacetGroup({
  id,
  legend,
  options,
  shown,
}: {
  id: string;
  legend: string;
  options: Option[];
  shown?: number;
}) {
  const [all, setAll] = useState(false);
  if (options.length === 0) return null;
  const limit = shown ?? options.length;
  const visible = all ? options : options.filter((o, i) => i < limit || o.checked);
  return (
    <fieldset class="facet">
      <legend>{legend}</legend>
      <ul>
        {visible.map((option, i) => {
          const inputId = `${id}-${i}`;
          return (
            <li key={option.value}>
              <input
                type="checkbox"
                id={inputId}
                checked={option.checked}
                aria-describedby={option.count === undefined ? undefined : `${inputId}-n`}
                onChange={() => go(option.href)}
              />
              <label for={inputId}>{option.label}</label>
              {option.count !== undefined && (
                <span class="count" id={`${inputId}-n`}>
                  {option.count.toLocaleString('en-US')}
                  <span class="visually-hidden"> {option.count === 1 ? 'product' : 'products'}</span>
                </span>
              )}
            </li>
          );
        })}
      </ul>
      {options.length > limit && (
        <button type="button" class="link-button more" aria-expanded={all} onClick={() => setAll(!all)}>
          {all ? `Fewer ${legend.toLowerCase()}s` : `All ${options.length} ${legend.toLowerCase()}s`}
        </button>
      )}
    </fieldset>
  );
}

/** A facet of one value at a time (the API takes one category, one brand). */
function singleValueOptions(
  query: URLSearchParams,
  name: 'category' | 'brand',
  counts: readonly { value: string; count: number }[],
): Option[] {
  const selected = query.get(name);
  const options: Option[] = counts.map(({ value, count }) => ({
    value,
    label: value,
    count,
    checked: value === selected,
    href: hrefWith(query, (params) => (value === selected ? params.delete(name) : params.set(name, value))),
  }));
  if (selected !== null && !counts.some((c) => c.value === selected))
    options.unshift({
      value: selected,
      label: selected,
      count: 0,
      checked: true,
      href: hrefWith(query, (params) => params.delete(name)),
    });
  return options;
}

function priceOptions(query: URLSearchParams, catalog: CatalogPage): Option[] {
  const currency = catalog.items[0]?.price.currency ?? 'USD';
  const min = query.get('minPrice');
  const max = query.get('maxPrice');
  const options: Option[] = catalog.facets.price.map(({ from, to, count }) => {
    // The API's ranges end before `to`; maxPrice is inclusive.
    const checked = min === String(from) && (to === null ? max === null : max === String(to - 1));
    const label =
      to === null
        ? `${roundMoney(from, currency)} and over`
        : from === 0
          ? `Under ${roundMoney(to, currency)}`
          : `${roundMoney(from, currency)} to ${roundMoney(to, currency)}`;
    return {
      value: `${from}-${to ?? ''}`,
      label,
      count,
      checked,
      href: hrefWith(query, (params) => {
        params.delete('minPrice');
        params.delete('maxPrice');
        if (checked) return;
        params.set('minPrice', String(from));
        if (to !== null) params.set('maxPrice', String(to - 1));
      }),
    };
  });
  if ((min !== null || max !== null) && !options.some((o) => o.checked))
    options.unshift({
      value: 'custom',
      label:
        min !== null && max !== null
          ? `${roundMoney(Number(min), currency)} to ${roundMoney(Number(max) + 1, currency)}`
          : min !== null
            ? `${roundMoney(Number(min), currency)} and over`
            : `Up to ${roundMoney(Number(max), currency)}`,
      checked: true,
      href: hrefWith(query, (params) => {
        params.delete('minPrice');
        params.delete('maxPrice');
      }),
    });
  return options;
}

const ATTRIBUTE_NAMES: Record<string, string> = {
  ramGb: 'Memory (GB)',
  storageGb: 'Storage (GB)',
  screenInches: 'Screen (inches)',
  batteryHours: 'Battery (hours)',
  ageRange: 'Age range',
  cpu: 'Processor',
};

/** `dishwasherSafe` -> `Dishwasher safe`. */
export function attributeName(name: string): string {
  const known = ATTRIBUTE_NAMES[name];
  if (known) return known;
  const words = name
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export const attributeValue = (value: string | number | boolean): string =>
  value === true || value === 'true' ? 'Yes' : value === false || value === 'false' ? 'No' : String(value);

/**
 * Attribute filters offered from the products shown: an attribute most of them have, with few enough
 * values to choose from; the ones chosen already stay, checked.
 */
function attributeGroups(query: URLSearchParams, items: readonly ProductSummary[]) {
  const chosen = new Map<string, Set<string>>();
  for (const filter of query.getAll('attr')) {
    const colon = filter.indexOf(':');
    if (colon <= 0) continue;
    const name = filter.slice(0, colon);
    if (!chosen.has(name)) chosen.set(name, new Set());
    chosen.get(name)!.add(filter.slice(colon + 1));
  }
  const counts = new Map<string, Map<string, number>>();
  const holders = new Map<string, number>();
  for (const item of items)
    for (const [name, value] of Object.entries(item.attributes)) {
      if (!counts.has(name)) counts.set(name, new Map());
      const values = counts.get(name)!;
      values.set(String(value), (values.get(String(value)) ?? 0) + 1);
      holders.set(name, (holders.get(name) ?? 0) + 1);
    }
  const names = [...new Set([...counts.keys(), ...chosen.keys()])].filter((name) => {
    if (chosen.has(name)) return true;
    const values = counts.get(name)!;
    return (
      holders.get(name)! * 2 >= items.length &&
      values.size >= 2 &&
      values.size <= 10 &&
      values.size < holders.get(name)!
    );
  });
  return names.sort().map((name) => {
    const values = counts.get(name) ?? new Map<string, number>();
    const picked = chosen.get(name) ?? new Set<string>();
    const all = [...new Set([...values.keys(), ...picked])];
    const numeric = all.every((v) => v !== '' && !Number.isNaN(Number(v)));
    all.sort((a, b) =>
      numeric ? Number(a) - Number(b) : (values.get(b) ?? 0) - (values.get(a) ?? 0) || a.localeCompare(b),
    );
    const options: Option[] = all.map((value) => {
      const checked = picked.has(value);
      const param = `${name}:${value}`;
      return {
        value,
        label: attributeValue(value),
        checked,
        href: hrefWith(query, (params) => {
          const rest = params.getAll('attr').filter((a) => a !== param);
          params.delete('attr');
          for (const a of checked ? rest : [...rest, param]) params.append('attr', a);
        }),
      };
    });
    return { name, options };
  });
}

function Filters({ query, catalog }: { query: URLSearchParams; catalog: CatalogPage }) {
  const [open, setOpen] = useState(false);
  const active =
    ['category', 'brand', 'minPrice'].filter((name) => query.has(name)).length +
    query.getAll('attr').length +
    (query.has('maxPrice') && !query.has('minPrice') ? 1 : 0);
  const clearAll = hrefWith(query, (params) => {
    for (const name of ['category', 'brand', 'minPrice', 'maxPrice', 'attr']) params.delete(name);
  });
  return (
    <aside class="filters" aria-labelledby="filters-heading">
      <div class="filters-head">
        <h2 id="filters-heading" class="filters-title">
          Filters
        </h2>
        <button
          type="button"
          class="button button--secondary filters-toggle"
          aria-expanded={open}
          aria-controls="filter-panel"
          onClick={() => setOpen(!open)}
        >
          {open ? 'Hide filters' : 'Show filters'}
          {active > 0 && ` (${active})`}
        </button>
      </div>
      <div id="filter-panel" class={open ? 'filter-panel filter-panel--open' : 'filter-panel'}>
        {active > 0 && (
          <p class="clear-filters">
            <a href={clearAll}>Clear all filters</a>
          </p>
        )}
        <FacetGroup
          id="f-category"
          legend="Category"
          options={singleValueOptions(query, 'category', catalog.facets.category)}
        />
        <FacetGroup
          id="f-brand"
          legend="Brand"
          options={singleValueOptions(query, 'brand', catalog.facets.brand)}
          shown={8}
        />
        <FacetGroup id="f-price" legend="Price" options={priceOptions(query, catalog)} />
        {attributeGroups(query, catalog.items).map(({ name, options }) => (
          <FacetGroup key={name} id={`f-attr-${name}`} legend={attributeName(name)} options={options} />
        ))}
      </div>
    </aside>
  );
}

function ProductCard({ product }: { product: ProductSummary }) {
  return (
    <li class="card">
      <ProductArt sku={product.sku} category={product.category} />
      <div class="card-body">
        <h3 class="card-title">
          <a class="card-link" href={`/shop/products/${encodeURIComponent(product.sku)}`}>
            {product.title}
          </a>
        </h3>
        <p class="card-brand">{product.brand}</p>
        <p class="card-meta">
          <Price money={product.price} />
          <Availability available={product.available} />
        </p>
      </div>
    </li>
  );
}

function Results({
  query,
  catalog,
  loading,
}: {
  query: URLSearchParams;
  catalog: CatalogPage;
  loading: boolean;
}) {
  const page = catalog.page;
  const pages = Math.max(1, Math.ceil(catalog.total / (catalog.pageSize || DEFAULT_PAGE_SIZE)));
  const pageHref = (n: number) =>
    hrefWith(query, (params) => {
      if (n > 1) params.set('page', String(n));
    });
  return (
    <section class="results" aria-labelledby="results-heading" aria-busy={loading}>
      <h2 id="results-heading" class="visually-hidden">
        Products
      </h2>
      {catalog.items.length === 0 ? (
        <div class="empty">
          <p>No products match this search.</p>
          <p>
            <a href="/">See all products</a>
          </p>
        </div>
      ) : (
        <ul class={loading ? 'product-grid product-grid--loading' : 'product-grid'}>
          {catalog.items.map((item) => (
            <ProductCard key={item.sku} product={item} />
          ))}
        </ul>
      )}
      {(page > 1 || page < pages) && (
        <nav class="pager" aria-label="Pages">
          {page > 1 ? (
            <a href={pageHref(page - 1)} rel="prev" class="button button--secondary">
              Previous page
            </a>
          ) : (
            <span />
          )}
          <span class="pager-at">
            Page {page} of {pages.toLocaleString('en-US')}
          </span>
          {page < pages ? (
            <a href={pageHref(page + 1)} rel="next" class="button button--secondary">
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
