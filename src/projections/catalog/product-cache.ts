/** How far the catalog rows of one SKU had been written when they were read. */
export type Revisions = Readonly<{ product: number; stock: number }>;

/**
 * The highest revisions the catalog projection has started to write, per SKU. They are raised before
 * the write commits (inside the projection's transaction, or, for a batch of stock changes alone on
 * PGlite, before the one exchange that writes it): a reader that read the rows just before the commit
 * holds older revisions and its copy is not kept, and a copy cached earlier stops being served.
 */
export class WrittenRevisions {
  private readonly written = new Map<string, { product: number; stock: number }>();

  raise(sku: string, kind: keyof Revisions, revision: number): void {
    const known = this.written.get(sku);
    if (!known) this.written.set(sku, { product: 0, stock: 0, [kind]: revision });
    else if (revision > known[kind]) known[kind] = revision;
  }

  upToDate(sku: string, read: Revisions): boolean {
    const known = this.written.get(sku);
    return !known || (read.product >= known.product && read.stock >= known.stock);
  }
}

type Entry<T> = { value: T; revisions: Revisions; expiresAt: number };

/**
 * Product pages by SKU, least recently used first out. Exact while this process runs the catalog
 * projection (ROLE all or worker): the revisions refuse every page older than what the projection has
 * written, so the time limit can be long (30 minutes). In an API-only process (ROLE api) the projection
 * runs elsewhere and cannot tell it of writes: there the short time limit (3 s by default) bounds how
 * much staler than the read model a page can be.
 */
export class ProductCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly capacity = 10_000,
    private ttlMs = 3_000,
    private readonly clock: () => number = Date.now,
    private readonly written: WrittenRevisions = new WrittenRevisions(),
  ) {}

  /** Pages offered from now on are kept this long (pages already kept keep their time). */
  keepFor(ttlMs: number): void {
    this.ttlMs = ttlMs;
  }

  get(sku: string): T | undefined {
    const entry = this.entries.get(sku);
    if (!entry) return undefined;
    this.entries.delete(sku);
    if (entry.expiresAt <= this.clock() || !this.written.upToDate(sku, entry.revisions)) return undefined;
    this.entries.set(sku, entry);
    return entry.value;
  }

  /** Keeps what was read unless the projection has written something newer meanwhile. */
  offer(sku: string, value: T, revisions: Revisions): void {
    if (!this.written.upToDate(sku, revisions)) return;
    this.entries.delete(sku);
    this.entries.set(sku, { value, revisions, expiresAt: this.clock() + this.ttlMs });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}

/** Where product pages are cached: in this process (ProductCache) or in Redis (src/cache/). */
export interface PageCache<T> {
  get(sku: string): Promise<T | undefined>;
  /**
   * The page if this process holds it, at once (in-process caches only): a busy product page is then
   * answered in the tick that read its request, without a promise on the way.
   */
  peek?(sku: string): T | undefined;
  /** Keeps the page read at `revisions`, unless something newer was written meanwhile. */
  offer(sku: string, value: T, revisions: Revisions): Promise<void>;
}

/** The in-process cache behind the PageCache port. */
export const inProcessPageCache = <T>(cache: ProductCache<T>): PageCache<T> => ({
  get: async (sku) => cache.get(sku),
  peek: (sku) => cache.get(sku),
  offer: async (sku, value, revisions) => cache.offer(sku, value, revisions),
});
