import { LOG_START, type Checkpoint, type EventStore, type RecordedEvent } from './event-store.ts';
import { streamCategory } from './validation.ts';

/**
 * Reading the log as analysts and auditors do: the global log (or one stream) from a place in it,
 * keeping only the events a filter selects. Shared by the streams routes and the export command.
 */

/** Which events to keep; an absent field keeps everything. */
export type LogFilter = Readonly<{
  types?: readonly string[];
  /** Stream categories: `order` keeps `order-…` streams. */
  categories?: readonly string[];
  /** Events recorded at or after this instant (ISO 8601). */
  recordedFrom?: string;
}>;

export const selects = (filter: LogFilter): ((event: RecordedEvent) => boolean) => {
  const types = filter.types?.length ? new Set(filter.types) : undefined;
  const categories = filter.categories?.length ? new Set(filter.categories) : undefined;
  const from = filter.recordedFrom === undefined ? undefined : Date.parse(filter.recordedFrom);
  return (event) =>
    (!types || types.has(event.type)) &&
    (!categories || categories.has(streamCategory(event.streamId))) &&
    (from === undefined || Date.parse(event.recordedAt) >= from);
};

/**
 * A resume point as clients carry it: `<transactionId>.<globalPosition>`. The log is ordered by
 * (transaction, position), so the transaction must travel with the position.
 */
export const formatCursor = (checkpoint: Checkpoint): string =>
  `${checkpoint.transactionId}.${checkpoint.globalPosition}`;

const MAX_XID8 = 2n ** 64n - 1n;

/**
 * A regular expression source for the decimal numbers 0 to `max`, without leading zeros: for a
 * document's pattern that says exactly which numbers are accepted (range checks a pattern cannot show
 * would refuse what the document calls valid).
 */
function decimalUpTo(max: bigint): string {
  const digits = max.toString();
  const alternatives = ['0'];
  if (digits.length > 1) alternatives.push(`[1-9][0-9]{0,${digits.length - 2}}`);
  for (let i = 0; i < digits.length; i++) {
    const low = i === 0 ? 1 : 0;
    const below = Number(digits[i]) - 1;
    if (below >= low)
      alternatives.push(`${digits.slice(0, i)}[${low}-${below}][0-9]{${digits.length - i - 1}}`);
  }
  alternatives.push(digits);
  return `(?:${alternatives.join('|')})`;
}

const TRANSACTION_ID = decimalUpTo(MAX_XID8);
const GLOBAL_POSITION = decimalUpTo(BigInt(Number.MAX_SAFE_INTEGER));
/** Exactly the cursors `parseCursor` takes (written without leading zeros, as `formatCursor` writes them). */
export const CURSOR_PATTERN = new RegExp(`^${TRANSACTION_ID}\\.${GLOBAL_POSITION}$`);
/** A cursor, or a plain global position. */
export const CURSOR_OR_POSITION_PATTERN = new RegExp(`^(?:${TRANSACTION_ID}\\.)?${GLOBAL_POSITION}$`);

/**
 * A cursor from `formatCursor`, or a plain global position (the event at that position is where
 * reading resumes after). Undefined when the text is neither.
 */
export function parseCursor(text: string): Checkpoint | number | undefined {
  const match = /^(?:(\d{1,20})\.)?(\d{1,16})$/.exec(text);
  if (!match) return undefined;
  const [, transaction, position] = match;
  const globalPosition = Number(position);
  if (!Number.isSafeInteger(globalPosition)) return undefined;
  if (transaction === undefined) return globalPosition;
  const transactionId = BigInt(transaction);
  if (transactionId > MAX_XID8) return undefined;
  return { transactionId: transactionId.toString(), globalPosition };
}

/** The checkpoint a cursor names; a plain position is looked up (UnknownPositionError if no event has it). */
export async function resolveCursor(store: EventStore, after: Checkpoint | number): Promise<Checkpoint> {
  if (typeof after !== 'number') return after;
  // Reading nothing after the position resolves it to its checkpoint through the port.
  return (await store.readAll({ after, maxCount: 0 })).next;
}

export type LogBatch = Readonly<{
  /** The events of this batch the filter kept, in log order. */
  events: readonly RecordedEvent[];
  /** The place after the last event read (kept or not): where the next batch starts. */
  readTo: Checkpoint;
  /** This batch reached the end of the log as it is visible now. */
  caughtUp: boolean;
}>;

/**
 * The global log after `after`, in batches of `batchSize` events read, each filtered. Ends after the
 * batch that reaches the end of the visible log.
 */
export async function* readLog(
  store: EventStore,
  options: Readonly<{ after?: Checkpoint | number; filter?: LogFilter; batchSize?: number }> = {},
): AsyncGenerator<LogBatch> {
  const keep = selects(options.filter ?? {});
  const batchSize = options.batchSize ?? 1000;
  let after: Checkpoint | number = options.after ?? LOG_START;
  for (;;) {
    const batch = await store.readAll({ after, maxCount: batchSize });
    const caughtUp = batch.events.length < batchSize;
    yield { events: batch.events.filter(keep), readTo: batch.next, caughtUp };
    if (caughtUp) return;
    after = batch.next;
  }
}

const isAfter = (event: RecordedEvent, place: Checkpoint) => {
  const transaction = BigInt(event.checkpoint.transactionId);
  const placeTransaction = BigInt(place.transactionId);
  return (
    transaction > placeTransaction ||
    (transaction === placeTransaction && event.globalPosition > place.globalPosition)
  );
};

/**
 * One stream's events in version order, in batches, keeping those the filter selects and, with
 * `after`, only those that come after that place in the global log.
 */
export async function* readStreamLog(
  store: EventStore,
  streamId: string,
  options: Readonly<{ after?: Checkpoint | number; filter?: LogFilter; batchSize?: number }> = {},
): AsyncGenerator<readonly RecordedEvent[]> {
  const keep = selects(options.filter ?? {});
  const after = options.after === undefined ? undefined : await resolveCursor(store, options.after);
  const batchSize = options.batchSize ?? 1000;
  for (let fromVersion = 1; ; fromVersion += batchSize) {
    const events = await store.readStream(streamId, { fromVersion, maxCount: batchSize });
    yield events.filter((e) => keep(e) && (!after || isAfter(e, after)));
    if (events.length < batchSize) return;
  }
}
