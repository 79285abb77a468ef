import { createHash } from 'node:crypto';
import { LOG_START, type Checkpoint, type EventStore, type RecordedEvent } from './event-store.ts';
import { chainHash, contentHashOf, GENESIS_HASH } from './hash-chain.ts';

/**
 * A chained checkpoint of the whole log: a running hash over every event in the log's order, each
 * event's hash recomputed from its content and its stream's chain. An auditor keeps an anchor
 * elsewhere and later asks for the anchor at the same cursor again: if any event up to there was
 * edited, removed (a stream's tail cut off included), inserted or reordered, the hash differs, even
 * where every stream's own chain still looks whole.
 */
export type LogAnchor = Readonly<{
  /** Where the anchor ends (the checkpoint of its last event), or the log's start when it is empty. */
  upTo: Checkpoint;
  events: number;
  hash: string;
  /** False when a stream's own chain is broken on the way; `brokenAt` names the first such event. */
  valid: boolean;
  brokenAt?: Readonly<{ streamId: string; streamVersion: number }>;
}>;

const BATCH = 5_000;

const after = (a: Checkpoint, b: Checkpoint) =>
  BigInt(a.transactionId) > BigInt(b.transactionId) ||
  (a.transactionId === b.transactionId && a.globalPosition > b.globalPosition);

/** The anchor of the log up to `upTo` (inclusive), or up to everything readable now. */
export async function anchorOfLog(store: Pick<EventStore, 'readAll'>, upTo?: Checkpoint): Promise<LogAnchor> {
  let running = GENESIS_HASH;
  let events = 0;
  let last: Checkpoint = LOG_START;
  let brokenAt: LogAnchor['brokenAt'];
  const streams = new Map<string, { version: number; hash: string }>();
  const fold = (event: RecordedEvent) => {
    const previous = streams.get(event.streamId) ?? { version: 0, hash: GENESIS_HASH };
    const hash = chainHash(previous.hash, event.streamVersion, contentHashOf(event));
    const whole =
      event.streamVersion === previous.version + 1 && event.prevHash === previous.hash && event.hash === hash;
    if (!whole) brokenAt ??= { streamId: event.streamId, streamVersion: event.streamVersion };
    streams.set(event.streamId, { version: event.streamVersion, hash });
    // What is stored counts too: a rewritten hash column changes the anchor even where it was broken.
    running = createHash('sha256')
      .update(`${running}:${event.streamId}:${event.streamVersion}:${event.prevHash}:${event.hash}:${hash}`)
      .digest('hex');
    events++;
    last = event.checkpoint;
  };
  for (let from: Checkpoint = LOG_START; ;) {
    const batch = await store.readAll({ after: from, maxCount: BATCH });
    for (const event of batch.events) {
      if (upTo && after(event.checkpoint, upTo)) return anchor();
      fold(event);
    }
    if (batch.events.length < BATCH) return anchor();
    from = batch.next;
  }

  function anchor(): LogAnchor {
    return {
      upTo: last,
      events,
      hash: running,
      valid: brokenAt === undefined,
      ...(brokenAt ? { brokenAt } : {}),
    };
  }
}
