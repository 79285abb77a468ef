import { describe, expect, it } from 'vitest';
import type { Checkpoint, RecordedEvent } from '../../src/eventstore/event-store.ts';
import { LOG_START } from '../../src/eventstore/event-store.ts';
import { followLog } from '../../src/eventstore/subscription.ts';

const at = (globalPosition: number): Checkpoint => ({ transactionId: '7', globalPosition });
const event = { type: 'StockReceived', checkpoint: at(1) } as unknown as RecordedEvent;

describe('following the log', () => {
  it('reads again at once when an append was signalled while it was reading, however long its poll', async () => {
    let appends = 0;
    let reads = 0;
    const source = {
      readAll: async () => {
        reads++;
        if (reads > 1) return { events: reads === 2 ? [event] : [], next: at(1) };
        appends++; // committed while the first read ran: that read did not see it
        return { events: [], next: LOG_START };
      },
      appendsSoFar: () => appends,
      // Only a signal ends this wait: no poll comes to the rescue.
      waitForAppend: (_ms: number, seen: number) =>
        appends !== seen ? Promise.resolve() : new Promise<void>(() => undefined),
    };
    const seen: RecordedEvent[] = [];
    const subscription = followLog(
      source,
      async (events) => void seen.push(...events),
      {},
      () => undefined,
    );
    await expect.poll(() => seen, { timeout: 2_000 }).toEqual([event]);
    expect(subscription.checkpoint).toEqual(at(1));
    void subscription.stop();
  });
});
