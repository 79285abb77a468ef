/** A stream's folded state at a version. `fresh`: just read from the store, not merely remembered. */
export type CachedStream<S> = Readonly<{ state: S; version: number; fresh: boolean }>;

/** Least-recently-used stream states (a Map keeps insertion order; a hit moves the entry to the end). */
export class StreamStateCache<S> {
  private readonly entries = new Map<string, CachedStream<S>>();

  constructor(private readonly capacity: number) {}

  get(streamId: string): CachedStream<S> | undefined {
    const entry = this.entries.get(streamId);
    if (entry === undefined) return undefined;
    this.entries.delete(streamId);
    this.entries.set(streamId, entry);
    return entry;
  }

  set(streamId: string, entry: CachedStream<S>): void {
    this.entries.delete(streamId);
    this.entries.set(streamId, entry);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(streamId: string): void {
    this.entries.delete(streamId);
  }
}
