import { v7 as uuidv7 } from 'uuid';
import type { RecordedEvent } from '../../src/eventstore/event-store.ts';

/** When every event made by `recordedEvent` was recorded. */
export const RECORDED_AT = '2026-03-14T09:26:53.589Z';

/**
 * An event as the store would hand it over (to the integration mapping, a projection), written by the
 * saga at `version` of `streamId`, which is also its place in the log: for tests that need no store.
 */
export const recordedEvent = (
  streamId: string,
  version: number,
  type: string,
  data: Record<string, unknown>,
): RecordedEvent => ({
  eventId: uuidv7(),
  streamId,
  streamVersion: version,
  globalPosition: version,
  type,
  schemaVersion: 1,
  data,
  metadata: {
    correlationId: 'corr-1',
    causationId: null,
    actor: { id: 'saga', role: 'system' },
    occurredAt: RECORDED_AT,
  },
  recordedAt: RECORDED_AT,
  prevHash: '0'.repeat(64),
  hash: '1'.repeat(64),
  checkpoint: { transactionId: '1', globalPosition: version },
});
