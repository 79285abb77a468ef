import {
  compareCheckpoints,
  type Checkpoint,
  type ReadAllBatch,
  type ReadAllOptions,
  type RecordedEvent,
} from './event-store.ts';

/** Reads the log: every event after a place in it (`maxCount` at most), or only some types. */
type LogRead = (options: ReadAllOptions & { after: Checkpoint }) => Promise<ReadAllBatch>;

/** Events kept at most; a subscriber further behind reads the database itself until it catches up. */
const DEFAULT_CAPACITY = 10_000;
/** Events one refresh reads at most. */
const REFRESH_BATCH = 1_000;

/**
 * The recent log, read once for every subscription of a process (docs/decisions/0028). Each live
 * subscriber used to read the log itself, the events of its types after its own checkpoint: a dozen
 * subscribers woken by every append made a dozen reads. The tail keeps the log's latest events, all
 * types, in log order and without gaps, from `start` (exclusive) to `end`; a subscriber whose
 * checkpoint falls in there is answered from memory, and one at the end has the tail read on, one
 * read at a time however many ask. A subscriber outside it (catching up, or started ahead of it)
 * reads the database as before.
 */
export class LogTail {
  private events: RecordedEvent[] = [];
  /** The tail holds every event after `start` up to `end` (both undefined until the first read). */
  private start: Checkpoint | undefined;
  private end: Checkpoint | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly read: LogRead,
    private readonly capacity = DEFAULT_CAPACITY,
  ) {}

  async readAll(options: ReadAllOptions & { after: Checkpoint }): Promise<ReadAllBatch> {
    const { after } = options;
    if (this.end === undefined || compareCheckpoints(after, this.end) >= 0) {
      // At the end of the tail (or past it): read on, together with whoever else is waiting there.
      this.refreshing ??= this.readOn(after).finally(() => (this.refreshing = undefined));
      await this.refreshing;
    }
    if (!this.covers(after)) return this.read(options);
    return this.answer(options);
  }

  private covers(after: Checkpoint): boolean {
    return (
      this.start !== undefined &&
      this.end !== undefined &&
      compareCheckpoints(after, this.start) >= 0 &&
      compareCheckpoints(after, this.end) <= 0
    );
  }

  /** What the database would answer, from memory: the tail has every event from `after` to its end. */
  private answer({ after, types, maxCount = 1_000 }: ReadAllOptions & { after: Checkpoint }): ReadAllBatch {
    const wanted = types ? new Set(types) : undefined;
    const events: RecordedEvent[] = [];
    for (let i = this.firstAfter(after); i < this.events.length; i++) {
      const event = this.events[i]!;
      if (wanted && !wanted.has(event.type)) continue;
      events.push(event);
      if (events.length === maxCount) return { events, next: event.checkpoint };
    }
    return { events, next: this.end! };
  }

  /** The index of the first event after `after` (binary search: the tail is in log order). */
  private firstAfter(after: Checkpoint): number {
    let low = 0;
    let high = this.events.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareCheckpoints(this.events[middle]!.checkpoint, after) <= 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /**
   * Reads the log on from the tail's end, which takes a subscriber just past it (its own read of the
   * database went a little further) back in. The tail starts again at `from` if it has not started
   * yet, or if `from` is still beyond it.
   */
  private async readOn(from: Checkpoint): Promise<void> {
    if (this.end !== undefined) {
      const batch = await this.read({ after: this.end, maxCount: REFRESH_BATCH });
      this.events.push(...batch.events);
      this.end = batch.events.at(-1)?.checkpoint ?? this.end;
      this.trim();
      if (compareCheckpoints(from, this.end) <= 0) return;
    }
    const batch = await this.read({ after: from, maxCount: REFRESH_BATCH });
    this.events = [...batch.events];
    this.start = from;
    this.end = batch.events.at(-1)?.checkpoint ?? from;
    this.trim();
  }

  private trim() {
    const over = this.events.length - this.capacity;
    if (over <= 0) return;
    this.start = this.events[over - 1]!.checkpoint;
    this.events = this.events.slice(over);
  }
}
