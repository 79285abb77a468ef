import type { CatalogFilters } from './types.ts';

/** At most this many words of a search count: a pasted paragraph is not a query. */
const MAX_TERMS = 12;

/**
 * The words of a search, lowercased: runs of letters and digits. Both adapters match exactly these
 * (every word, the last one as a prefix, so "cordless dri" finds "Cordless Drill"), which keeps
 * PostgreSQL and Elasticsearch finding the same products whatever their tokenizers make of punctuation.
 */
export const searchTerms = (q: string | undefined): string[] =>
  (q?.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, MAX_TERMS);

/** The order asked for; without one, the best matches first when there is a search, else the newest. */
export function sortOf(filters: CatalogFilters): Exclude<CatalogFilters['sort'], undefined> {
  const hasTerms = searchTerms(filters.q).length > 0;
  if (filters.sort === undefined) return hasTerms ? 'relevance' : 'newest';
  return filters.sort === 'relevance' && !hasTerms ? 'newest' : filters.sort;
}

/**
 * The attribute values a filter value stands for. Attributes are strings, numbers or booleans, and a
 * query string only carries text: `volts:18` matches the number 18 and the text "18", `cordless:true`
 * the boolean and the text. A number matches only in its plain form (`18`, not `18.0`), as
 * Elasticsearch indexes it.
 */
export function attributeValues(value: string): (string | number | boolean)[] {
  const values: (string | number | boolean)[] = [value];
  const number = Number(value);
  if (value.trim() !== '' && Number.isFinite(number) && String(number) === value) values.push(number);
  if (value === 'true' || value === 'false') values.push(value === 'true');
  return values;
}
