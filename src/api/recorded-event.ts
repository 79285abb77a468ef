import { z } from 'zod';
import type { RecordedEvent } from '../eventstore/event-store.ts';

/** How a stored event reads over HTTP and in exports: the envelope, with its place in the stream and the log. */
export const recordedEventView = (e: RecordedEvent) => ({
  eventId: e.eventId,
  streamId: e.streamId,
  type: e.type,
  schemaVersion: e.schemaVersion,
  // The store takes only JSON objects as data.
  data: e.data as Record<string, unknown>,
  metadata: e.metadata,
  version: e.streamVersion,
  position: e.globalPosition,
  recordedAt: e.recordedAt,
  prevHash: e.prevHash,
  hash: e.hash,
});

export type RecordedEventView = ReturnType<typeof recordedEventView>;

/** The OpenAPI description of `recordedEventView`. */
export const recordedEventSchema = z.object({
  eventId: z.uuid(),
  streamId: z.string(),
  type: z.string(),
  schemaVersion: z.int(),
  data: z.record(z.string(), z.unknown()),
  metadata: z.object({
    correlationId: z.string(),
    causationId: z.string().nullable(),
    actor: z.object({ id: z.string(), role: z.string() }),
    occurredAt: z.string(),
    traceId: z.string().optional(),
  }),
  version: z.int().describe('the event’s version in its stream, from 1'),
  position: z.int().describe('the event’s global position (log order is by transaction, then position)'),
  recordedAt: z.string().describe('when the store recorded it (ISO 8601)'),
  prevHash: z.string().describe('hash of the stream’s previous event (64 zeros for the first)'),
  hash: z.string().describe('sha256 chaining prevHash, version and the event’s canonical content'),
});
