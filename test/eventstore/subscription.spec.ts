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
        appends !== seen ? Promise.resolve(true) : new Promise<boolean>(() => undefined),
      quietWaitMs: () => undefined,
    };
    const seen: RecordedEvent[] = [];
    const subscription = followLog(
      source,
      async (events) => void seen.push(...events),
      {},
      () => undefined,
    );
    await expect.poll(() => seen, { timeout: 30_000 }).toEqual([event]);
    expect(subscription.checkpoint).toEqual(at(1));
    void subscription.stop();
  });

  it('polls soon again after an append it was told of but could not read yet, not at its quiet wait', async () => {
    // Told of every append, the source waits a minute when polling finds nothing. An append is
    // signalled while another transaction, begun before it, still runs: the read right after the
    // signal finds nothing, and the events appear by the read after that.
    let appends = 0;
    let readsSinceSignal: number | undefined;
    let waitsBeforeFound: number | undefined;
    let wake = () => undefined as void;
    const waits: number[] = [];
    const source = {
      // The event once, as a log does: not again from the checkpoint past it.
      readAll: async ({ after }: { after?: Checkpoint | number }) => {
        if (readsSinceSignal !== undefined) readsSinceSignal++;
        if (readsSinceSignal === undefined || readsSinceSignal < 2 || after !== LOG_START)
          return { events: [], next: after as Checkpoint };
        waitsBeforeFound = waits.length;
        return { events: [event], next: at(1) };
      },
      appendsSoFar: () => appends,
      waitForAppend: (ms: number, seen: number) => {
        waits.push(ms);
        if (appends !== seen) return Promise.resolve(true);
        return new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), ms);
          wake = () => (clearTimeout(timer), resolve(true));
        });
      },
      quietWaitMs: () => 60_000,
    };
    const seen: RecordedEvent[] = [];
    const subscription = followLog(
      source,
      async (events) => void seen.push(...events),
      {},
      () => undefined,
    );
    await expect.poll(() => waits.at(-1), { timeout: 30_000 }).toBe(60_000); // idle: the quiet wait
    const idle = waits.length;
    readsSinceSignal = 0;
    appends++;
    wake();
    // The read after the signal found nothing: it waits a short poll, not its quiet minute.
    await expect.poll(() => waits.length, { timeout: 30_000 }).toBeGreaterThan(idle);
    expect(waits[idle]).toBeLessThan(60_000);
    await expect.poll(() => seen, { timeout: 30_000 }).toEqual([event]);
    expect(waits.slice(idle, waitsBeforeFound).every((ms) => ms < 60_000)).toBe(true);
    void subscription.stop();
  });
});
