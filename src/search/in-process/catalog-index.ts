import { searchTerms, sortOf } from '../../projections/catalog/search-query.ts';
import {
  PRICE_STEPS,
  type CatalogFilters,
  type CatalogPage,
  type FacetCount,
  type PriceRange,
} from '../../projections/catalog/types.ts';
import { summaryOf, type CatalogDocument } from '../catalog-document.ts';
import { byString, Dictionary, grow, lowerBound, Posting, SlotList, SortedSlots, Tally } from './slots.ts';

const MAX_BRAND_FACETS = 50;
/** As PostgreSQL's ts_rank weighs its A, B and C labels: a word in the title counts most. */
const FIELD_WEIGHTS = { title: 1, brand: 0.4, description: 0.2 } as const;
/** Beyond this many products changed at once, the sorted orders are sorted again whole. */
const RESORT_OVER = 512;
/** Relevance pages deeper than this sort every match instead of keeping the best few. */
const KEEP_BEST_UP_TO = 256;

type Sort = Exclude<ReturnType<typeof sortOf>, 'relevance'>;

/** The words of a text as searches see them: runs of letters and digits, lowercased (see searchTerms). */
const wordsOf = (text: string | undefined): string[] => text?.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

type Group = Readonly<{ lists: readonly (SlotList | Posting)[]; weighted: boolean }>;

/**
 * The catalog's search documents in this process's memory, with what searches need to answer in a
 * few milliseconds over 100,000 products: a word index (each word's products and weights, the words
 * in order for prefixes), the listed products in each sort order, and facet fields as small numbers.
 * Searches answer as the SQL and Elasticsearch adapters do (test/search/catalog-search.spec.ts).
 * One thread: a search runs whole, between two changes, never during one.
 */
export class CatalogIndex {
  private readonly docs: (CatalogDocument | undefined)[] = [];
  private readonly slots = new Map<string, number>();
  private readonly tokens: (readonly string[] | undefined)[] = [];
  private skus: string[] = [];
  private titles: string[] = [];
  private listed = new Uint8Array(1024);
  private price = new Float64Array(1024);
  private available = new Float64Array(1024);
  private listedAt = new Float64Array(1024);
  private bucket = new Uint8Array(1024);
  private category = new Int32Array(1024);
  private brand = new Int32Array(1024);
  private readonly categories = new Dictionary();
  private readonly brands = new Dictionary();
  /** Each category's and brand's slots (by id), so a page of one reads only its own products. */
  private readonly inCategory: SlotList[] = [];
  private readonly ofBrand: SlotList[] = [];
  /** The slots having each attribute value (see attributeKey), and each slot's keys. */
  private readonly attributeLists = new Map<string, SlotList>();
  private readonly attributeKeys: (readonly string[] | undefined)[] = [];
  private readonly words = new Map<string, Posting>();
  /** Every word in order, for prefixes; undefined when it must be sorted again. */
  private sortedWords: string[] | undefined = [];
  private readonly orders: Record<Sort, SortedSlots> = {
    newest: new SortedSlots(),
    price_asc: new SortedSlots(),
    price_desc: new SortedSlots(),
    title: new SortedSlots(),
  };
  private listedCount = 0;
  /** Facet counts of every listed product, and of those in stock: a browse of everything reads these. */
  private readonly everything = new Tally();
  private readonly everythingInStock = new Tally();
  private ordersSorted = true;
  // Scratch space of searches: a slot belongs to the current search's matches when its mark is the round.
  private mark = new Uint32Array(1024);
  private wordMark = new Uint32Array(1024);
  private hits = new Uint8Array(1024);
  private score = new Float64Array(1024);
  /** A search's word matches, then its matches (each slot at most once). */
  private candidates = new Int32Array(1024);
  private round = 0;

  private readonly compare: Record<Sort, (a: number, b: number) => number> = {
    newest: (a, b) => this.listedAt[b]! - this.listedAt[a]! || this.bySku(a, b),
    price_asc: (a, b) => this.price[a]! - this.price[b]! || this.bySku(a, b),
    price_desc: (a, b) => this.price[b]! - this.price[a]! || this.bySku(a, b),
    title: (a, b) => byString(this.titles[a]!, this.titles[b]!) || this.bySku(a, b),
  };

  get size(): number {
    return this.listedCount;
  }

  get(sku: string): CatalogDocument | undefined {
    const slot = this.slots.get(sku);
    return slot === undefined ? undefined : this.docs[slot];
  }

  /** Puts documents in (new ones) or in place of what the index holds for their SKUs. */
  put(docs: readonly CatalogDocument[]): void {
    const many = docs.length > RESORT_OVER;
    if (many) {
      this.ordersSorted = false;
      this.sortedWords = undefined;
    }
    for (const doc of docs) this.putOne(doc, !many);
  }

  search(filters: CatalogFilters): CatalogPage {
    if (!this.ordersSorted) this.sortOrders();
    const round = this.nextRound();
    const terms = searchTerms(filters.q);
    const categoryId = filters.category === undefined ? -2 : this.categories.find(filters.category);
    const brandId = filters.brand === undefined ? -2 : this.brands.find(filters.brand);
    const groups = [...this.wordGroups(terms), ...this.attributeGroups(filters.attributes)];
    const categoryCounts = new Int32Array(this.categories.values.length);
    const brandCounts = new Int32Array(this.brands.values.length);
    const priceCounts = new Int32Array(PRICE_STEPS.length + 1);
    const { listed, price, available, category, brand, bucket, mark } = this;
    const minPrice = filters.minPrice ?? -Infinity;
    const maxPrice = filters.maxPrice ?? Infinity;
    const inStock = filters.inStock === true;
    const sort = sortOf(filters);
    const from = (filters.page - 1) * filters.pageSize;
    if (
      groups.length === 0 &&
      categoryId === -2 &&
      brandId === -2 &&
      filters.minPrice === undefined &&
      filters.maxPrice === undefined
    ) {
      const tally = inStock ? this.everythingInStock : this.everything;
      const page = this.walk(
        this.orders[sort === 'relevance' ? 'newest' : sort],
        (slot) => !inStock || available[slot]! > 0,
        from,
        filters.pageSize,
      );
      return this.answer(page, tally.category, tally.brand, tally.price);
    }
    let matched = 0;
    const consider = (slot: number) => {
      if (
        listed[slot] === 0 ||
        (categoryId !== -2 && category[slot] !== categoryId) ||
        (brandId !== -2 && brand[slot] !== brandId) ||
        price[slot]! < minPrice ||
        price[slot]! > maxPrice ||
        (inStock && available[slot]! <= 0)
      )
        return false;
      mark[slot] = round;
      categoryCounts[category[slot]!]!++;
      brandCounts[brand[slot]!]!++;
      priceCounts[bucket[slot]!]!++;
      return true;
    };
    if (groups.length > 0) {
      const found = this.matchGroups(groups);
      const { candidates } = this;
      for (let i = 0; i < found; i++) if (consider(candidates[i]!)) candidates[matched++] = candidates[i]!;
    } else if (categoryId !== -1 && brandId !== -1) {
      // The fewest products that may match: a brand's, a category's, a price range's, or all.
      const sources: { slots: Int32Array; from: number; to: number }[] = [];
      if (brandId >= 0)
        sources.push({ slots: this.ofBrand[brandId]!.slots, from: 0, to: this.ofBrand[brandId]!.length });
      if (categoryId >= 0)
        sources.push({
          slots: this.inCategory[categoryId]!.slots,
          from: 0,
          to: this.inCategory[categoryId]!.length,
        });
      if (filters.minPrice !== undefined || filters.maxPrice !== undefined) {
        const byPrice = this.orders.price_asc;
        sources.push({
          slots: byPrice.slots,
          from: byPrice.firstWhere((slot) => price[slot]! >= minPrice),
          to: byPrice.firstWhere((slot) => price[slot]! > maxPrice),
        });
      }
      const source = sources.sort((a, b) => a.to - a.from - (b.to - b.from))[0];
      if (source) for (let i = source.from; i < source.to; i++) consider(source.slots[i]!);
      else for (let slot = 0; slot < this.docs.length; slot++) consider(slot);
    }
    const page =
      sort === 'relevance'
        ? this.bestMatches(this.candidates.subarray(0, matched), from, filters.pageSize)
        : this.walk(this.orders[sort], (slot) => mark[slot] === round, from, filters.pageSize);
    return this.answer(page, categoryCounts, brandCounts, priceCounts);
  }

  private answer(
    page: readonly number[],
    categoryCounts: ArrayLike<number>,
    brandCounts: ArrayLike<number>,
    priceCounts: ArrayLike<number>,
  ): CatalogPage {
    const category = facet(this.categories.values, categoryCounts);
    const price: PriceRange[] = [];
    for (let i = 0; i < priceCounts.length; i++)
      if (priceCounts[i]! > 0) price.push(priceRange(i, priceCounts[i]!));
    return {
      items: page.map((slot) => summaryOf(this.docs[slot]!)),
      total: category.reduce((sum, c) => sum + c.count, 0),
      facets: {
        category,
        brand: facet(this.brands.values, brandCounts).slice(0, MAX_BRAND_FACETS),
        price,
      },
    };
  }

  private putOne(doc: CatalogDocument, keepSorted: boolean): void {
    let slot = this.slots.get(doc.sku);
    if (slot === undefined) {
      slot = this.docs.length;
      this.slots.set(doc.sku, slot);
      this.docs.push(undefined);
      this.tokens.push(undefined);
      this.attributeKeys.push(undefined);
      this.ensureCapacity(this.docs.length);
    }
    const before = this.docs[slot];
    const wasListed = before?.listed === true;
    // Stock moves with every checkout and changes no order: only a product's own changes move it.
    const moves =
      !before ||
      wasListed !== doc.listed ||
      before.price !== doc.price ||
      before.title !== doc.title ||
      before.listedAt !== doc.listedAt;
    const reorder = moves && keepSorted && this.ordersSorted;
    if (moves && !reorder) this.ordersSorted = false;
    if (reorder && wasListed) for (const sort of SORTS) this.orders[sort].remove(slot, this.compare[sort]);
    if (wasListed) this.tally(slot, -1);
    this.docs[slot] = doc;
    this.skus[slot] = doc.sku;
    this.titles[slot] = doc.title ?? '';
    this.listed[slot] = doc.listed ? 1 : 0;
    this.price[slot] = doc.price ?? 0;
    this.available[slot] = doc.available;
    this.listedAt[slot] = doc.listedAt === undefined ? 0 : Date.parse(doc.listedAt);
    this.bucket[slot] = priceBucket(doc.price ?? 0);
    const categoryId = this.categories.idOf(doc.category ?? '');
    const brandId = this.brands.idOf(doc.brand ?? '');
    if (!before || this.category[slot] !== categoryId) {
      if (before) this.inCategory[this.category[slot]!]!.remove(slot);
      (this.inCategory[categoryId] ??= new SlotList()).add(slot);
      this.category[slot] = categoryId;
    }
    if (!before || this.brand[slot] !== brandId) {
      if (before) this.ofBrand[this.brand[slot]!]!.remove(slot);
      (this.ofBrand[brandId] ??= new SlotList()).add(slot);
      this.brand[slot] = brandId;
    }
    if (
      !before ||
      before.title !== doc.title ||
      before.brand !== doc.brand ||
      before.description !== doc.description
    )
      this.indexWords(slot, doc, keepSorted);
    if (!before || before.attributes !== doc.attributes) this.indexAttributes(slot, doc);
    this.listedCount += (doc.listed ? 1 : 0) - (wasListed ? 1 : 0);
    if (doc.listed) this.tally(slot, 1);
    if (reorder && doc.listed) for (const sort of SORTS) this.orders[sort].insert(slot, this.compare[sort]);
  }

  /** Counts a listed slot in (1) or out of (-1) the facets of everything, as its columns say now. */
  private tally(slot: number, sign: 1 | -1): void {
    this.everything.add(this.category[slot]!, this.brand[slot]!, this.bucket[slot]!, sign);
    if (this.available[slot]! > 0)
      this.everythingInStock.add(this.category[slot]!, this.brand[slot]!, this.bucket[slot]!, sign);
  }

  private indexAttributes(slot: number, doc: CatalogDocument): void {
    for (const key of this.attributeKeys[slot] ?? []) {
      const list = this.attributeLists.get(key)!;
      list.remove(slot);
      if (list.length === 0) this.attributeLists.delete(key);
    }
    const keys = Object.entries(doc.attributes ?? {}).map(([name, value]) => attributeKey(name, value));
    for (const key of keys) {
      let list = this.attributeLists.get(key);
      if (!list) this.attributeLists.set(key, (list = new SlotList()));
      list.add(slot);
    }
    this.attributeKeys[slot] = keys;
  }

  private indexWords(slot: number, doc: CatalogDocument, keepSorted: boolean): void {
    for (const word of this.tokens[slot] ?? []) {
      const posting = this.words.get(word)!;
      posting.remove(slot);
      if (posting.length > 0) continue;
      this.words.delete(word);
      if (keepSorted && this.sortedWords) this.sortedWords.splice(lowerBound(this.sortedWords, word), 1);
    }
    const weights = new Map<string, number>();
    for (const [field, weight] of Object.entries(FIELD_WEIGHTS) as [keyof typeof FIELD_WEIGHTS, number][]) {
      const counts = new Map<string, number>();
      for (const word of wordsOf(doc[field])) counts.set(word, (counts.get(word) ?? 0) + 1);
      // More mentions count for more, less and less (as ts_rank's and BM25's term frequencies do).
      for (const [word, count] of counts)
        weights.set(word, (weights.get(word) ?? 0) + weight * (1 + Math.log(count)));
    }
    const words: string[] = [];
    for (const [word, weight] of weights) {
      let posting = this.words.get(word);
      if (!posting) {
        this.words.set(word, (posting = new Posting()));
        if (!keepSorted) this.sortedWords = undefined;
        else if (this.sortedWords) this.sortedWords.splice(lowerBound(this.sortedWords, word), 0, word);
      }
      posting.add(slot, weight);
      words.push(word);
    }
    this.tokens[slot] = words;
  }

  /**
   * The slots in a list of every group (a word's products, the products having one of an attribute's
   * values), each with its score in `this.score` (the weights of its word groups): the first `n` of
   * `this.candidates`, n returned. Groups are read smallest first: each later one only counts slots
   * the ones before found.
   */
  private matchGroups(groups: readonly Group[]): number {
    if (groups.some((group) => group.lists.length === 0)) return 0;
    const size = (group: Group) => group.lists.reduce((sum, list) => sum + list.length, 0);
    const ordered = [...groups].sort((a, b) => size(a) - size(b));
    const round = this.round;
    const { wordMark, hits, score, candidates } = this;
    let found = 0;
    ordered.forEach(({ lists, weighted }, g) => {
      for (const list of lists) {
        const weights = weighted ? (list as Posting).weights : undefined;
        for (let i = 0; i < list.length; i++) {
          const slot = list.slots[i]!;
          const weight = weights ? weights[i]! : 0;
          if (g === 0) {
            if (wordMark[slot] !== round) {
              wordMark[slot] = round;
              hits[slot] = 1;
              score[slot] = weight;
              candidates[found++] = slot;
            } else score[slot] = score[slot]! + weight; // in two lists of one group (a prefix's words)
          } else if (wordMark[slot] === round && (hits[slot] === g || hits[slot] === g + 1)) {
            hits[slot] = g + 1;
            score[slot] = score[slot]! + weight;
          }
        }
      }
    });
    let kept = 0;
    for (let i = 0; i < found; i++)
      if (hits[candidates[i]!] === ordered.length) candidates[kept++] = candidates[i]!;
    return kept;
  }

  /** The lists of the words searched: every word whole, the last one as a prefix. */
  private wordGroups(terms: readonly string[]): Group[] {
    return terms.map((term, i) => {
      if (i === terms.length - 1) return { lists: this.withPrefix(term), weighted: true };
      const posting = this.words.get(term);
      return { lists: posting ? [posting] : [], weighted: true };
    });
  }

  /** One group per attribute name: the products having any of the values asked for. */
  private attributeGroups(attributes: CatalogFilters['attributes']): Group[] {
    return Object.entries(attributes ?? {})
      .filter(([, values]) => values.length > 0)
      .map(([name, values]) => ({
        lists: values.flatMap((value) => this.attributeLists.get(attributeKey(name, value)) ?? []),
        weighted: false,
      }));
  }

  private withPrefix(prefix: string): Posting[] {
    if (!this.sortedWords) this.sortedWords = [...this.words.keys()].sort(byString);
    const words = this.sortedWords;
    const found: Posting[] = [];
    for (let i = lowerBound(words, prefix); i < words.length && words[i]!.startsWith(prefix); i++)
      found.push(this.words.get(words[i]!)!);
    return found;
  }

  /** The page of the matches by relevance: best score first, the SKU breaking ties. */
  private bestMatches(matched: Int32Array, from: number, size: number): number[] {
    const score = this.score;
    const better = (a: number, b: number) => score[b]! - score[a]! || this.bySku(a, b);
    const wanted = from + size;
    if (wanted > KEEP_BEST_UP_TO || wanted >= matched.length)
      return Array.from(matched).sort(better).slice(from, wanted);
    const best: number[] = [];
    for (const slot of matched) {
      if (best.length === wanted && better(slot, best[wanted - 1]!) >= 0) continue;
      let at = best.length === wanted ? wanted - 1 : best.length;
      while (at > 0 && better(slot, best[at - 1]!) < 0) {
        best[at] = best[at - 1]!;
        at--;
      }
      best[at] = slot;
    }
    return best.slice(from, wanted);
  }

  /** The page of the matches in a sort order: walks the order, counting only this search's matches. */
  private walk(order: SortedSlots, matches: (slot: number) => boolean, from: number, size: number): number[] {
    const page: number[] = [];
    const { slots, length } = order;
    let skipped = 0;
    for (let i = 0; i < length && page.length < size; i++) {
      const slot = slots[i]!;
      if (!matches(slot)) continue;
      if (skipped < from) skipped++;
      else page.push(slot);
    }
    return page;
  }

  private sortOrders(): void {
    const listed: number[] = [];
    for (let slot = 0; slot < this.docs.length; slot++) if (this.listed[slot] === 1) listed.push(slot);
    for (const sort of SORTS) this.orders[sort].replace(Int32Array.from(listed).sort(this.compare[sort]));
    this.ordersSorted = true;
  }

  private bySku(a: number, b: number): number {
    return byString(this.skus[a]!, this.skus[b]!);
  }

  private nextRound(): number {
    if (this.round === 0xffffffff) {
      this.mark.fill(0);
      this.wordMark.fill(0);
      this.round = 0;
    }
    return ++this.round;
  }

  private ensureCapacity(slots: number): void {
    if (slots <= this.listed.length) return;
    const size = Math.max(slots, this.listed.length * 2);
    this.listed = grow(this.listed, size);
    this.price = grow(this.price, size);
    this.available = grow(this.available, size);
    this.listedAt = grow(this.listedAt, size);
    this.bucket = grow(this.bucket, size);
    this.category = grow(this.category, size);
    this.brand = grow(this.brand, size);
    this.mark = grow(this.mark, size);
    this.wordMark = grow(this.wordMark, size);
    this.hits = grow(this.hits, size);
    this.score = grow(this.score, size);
    this.candidates = grow(this.candidates, size);
  }
}

const SORTS: readonly Sort[] = ['newest', 'price_asc', 'price_desc', 'title'];

/** As width_bucket over PRICE_STEPS: 0 below the first step, i from PRICE_STEPS[i - 1] up. */
function priceBucket(amount: number): number {
  let bucket = 0;
  while (bucket < PRICE_STEPS.length && amount >= PRICE_STEPS[bucket]!) bucket++;
  return bucket;
}

const priceRange = (bucket: number, count: number): PriceRange => ({
  from: bucket === 0 ? 0 : PRICE_STEPS[bucket - 1]!,
  to: PRICE_STEPS[bucket] ?? null,
  count,
});

/** Biggest counts first, then by value. */
function facet(values: readonly string[], counts: ArrayLike<number>): FacetCount[] {
  const found: FacetCount[] = [];
  for (let id = 0; id < counts.length; id++) {
    const count = counts[id] ?? 0;
    if (count > 0) found.push({ value: values[id]!, count });
  }
  return found.sort((a, b) => b.count - a.count || byString(a.value, b.value));
}

/**
 * Where an attribute value is listed. A value asked for as text matches text, a number in its plain
 * form (`18`, not `18.0`) and a boolean (`true`), as attributeValues says: each is listed as its text.
 */
const attributeKey = (name: string, value: string | number | boolean) => `${name}\u0000${String(value)}`;
