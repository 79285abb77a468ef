/** How far the catalog rows of one SKU had been written when they were read. */
export type Revisions = Readonly<{ product: number; stock: number }>;

/**
 * The highest revisions the catalog projection has started to write, per SKU. It is raised inside
 * the projection's transaction, before the commit: a reader that read the rows just before the
 * commit holds older revisions and its copy is not kept, and a copy cached earlier stops being served.
 * A process that opens two databases (tests do) shares it: that can only cost cache hits, never
 * serve a stale page, because revisions only ever raise it.
 */
const written = new Map<string, { product: number; stock: number }>();

export function projectionWrites(sku: string, kind: keyof Revisions, revision: number): void {
  const known = written.get(sku);
  if (!known) written.set(sku, { product: 0, stock: 0, [kind]: revision });
  else if (revision > known[kind]) known[kind] = revision;
}

const upToDate = (sku: string, read: Revisions): boolean => {
  const known = written.get(sku);
  return !known || (read.product >= known.product && read.stock >= known.stock);
};

type Entry<T> = { value: T; revisions: Revisions; expiresAt: number };

/**
 * Product pages by SKU, least recently used first out. Exact while this process runs the catalog
 * projection (ROLE all); the short time limit bounds how much staler than the read model a page can
 * be in an API-only process (ROLE api), whose projection runs elsewhere and cannot tell it of writes.
 */
export class ProductCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly capacity = 10_000,
    private readonly ttlMs = 3_000,
    private readonly clock: () => number = Date.now,
  ) {}

  get(sku: string): T | undefined {
    const entry = this.entries.get(sku);
    if (!entry) return undefined;
    this.entries.delete(sku);
    if (entry.expiresAt <= this.clock() || !upToDate(sku, entry.revisions)) return undefined;
    this.entries.set(sku, entry);
    return entry.value;
  }

  /** Keeps what was read unless the projection has written something newer meanwhile. */
  offer(sku: string, value: T, revisions: Revisions): void {
    if (!upToDate(sku, revisions)) return;
    this.entries.delete(sku);
    this.entries.set(sku, { value, revisions, expiresAt: this.clock() + this.ttlMs });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}
