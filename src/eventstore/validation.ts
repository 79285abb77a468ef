import { validate as isUuid } from 'uuid';
import { newEventId } from './event-ids.ts';
import { InvalidAppendError } from './errors.ts';
import { canonicalJson, contentHash } from './hash-chain.ts';
import type { EventMetadata, ExpectedVersion, NewEvent } from './event-store.ts';

export const MAX_EVENT_BYTES = 1024 * 1024;
export const MAX_EVENTS_PER_APPEND = 1000;

/** `<category>-<id>`: a lower-case category, a dash, then an id of letters, digits and `._:@+-`. */
export const STREAM_ID = /^[a-z][a-z0-9_]{0,49}-[A-Za-z0-9][A-Za-z0-9._:@+-]{0,199}$/;

export const streamCategory = (streamId: string): string => streamId.slice(0, streamId.indexOf('-'));

export const isStreamId = (streamId: unknown): streamId is string =>
  typeof streamId === 'string' && STREAM_ID.test(streamId);

/** The `<category>` part of a stream id on its own. */
export const STREAM_CATEGORY = /^[a-z][a-z0-9_]{0,49}$/;

export function assertStreamId(streamId: unknown): asserts streamId is string {
  if (typeof streamId !== 'string' || !STREAM_ID.test(streamId))
    throw new InvalidAppendError(
      'invalid_stream_id',
      `stream id ${JSON.stringify(streamId)} is not <category>-<id> (e.g. inventory-SKU-123)`,
    );
}

/** Expected version for SQL: >= 0 exact, -1 any, -2 no_stream, -3 stream_exists. */
export function encodeExpectedVersion(expected: ExpectedVersion): number {
  if (expected === 'any') return -1;
  if (expected === 'no_stream') return -2;
  if (expected === 'stream_exists') return -3;
  if (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0) return expected;
  throw new InvalidAppendError(
    'invalid_expected_version',
    `expected version ${JSON.stringify(expected)} is not a version >= 0, 'no_stream', 'stream_exists' or 'any'`,
  );
}

/** An event checked and hashed: `json` is what the `es_append` SQL function takes for it. */
export type PreparedEvent = { eventId: string; json: string };

/** The `p_events` argument of `es_append`. */
export const appendPayload = (events: readonly PreparedEvent[]) => `[${events.map((e) => e.json).join(',')}]`;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function assertMetadata(metadata: unknown, where: string): asserts metadata is EventMetadata {
  const m = metadata as Partial<EventMetadata> | undefined;
  const ok =
    isPlainObject(m) &&
    typeof m.correlationId === 'string' &&
    (m.causationId === null || typeof m.causationId === 'string') &&
    isPlainObject(m.actor) &&
    typeof m.actor.id === 'string' &&
    typeof m.actor.role === 'string' &&
    typeof m.occurredAt === 'string' &&
    !Number.isNaN(Date.parse(m.occurredAt)) &&
    (m.traceId === undefined || typeof m.traceId === 'string');
  if (!ok)
    throw new InvalidAppendError(
      'invalid_event',
      `${where}: metadata needs correlationId, causationId (string or null), actor {id, role} and an ISO occurredAt`,
    );
}

/** Checks a batch before anything is written; any fault refuses the whole batch. */
export function prepareEvents(
  streamId: string,
  events: readonly NewEvent[],
  knownTypes: ReadonlySet<string>,
): PreparedEvent[] {
  if (!Array.isArray(events) || events.length === 0)
    throw new InvalidAppendError('no_events', 'an append needs at least one event');
  if (events.length > MAX_EVENTS_PER_APPEND)
    throw new InvalidAppendError('invalid_event', `at most ${MAX_EVENTS_PER_APPEND} events per append`);
  const ids = new Set<string>();
  return events.map((event, index) => {
    const where = `event ${index}`;
    if (!isPlainObject(event)) throw new InvalidAppendError('invalid_event', `${where} is not an object`);
    if (typeof event.type !== 'string' || !knownTypes.has(event.type))
      throw new InvalidAppendError(
        'unknown_event_type',
        `${where}: unknown event type ${JSON.stringify(event.type)}`,
      );
    const eventId = event.eventId ?? newEventId();
    if (typeof eventId !== 'string' || !isUuid(eventId))
      throw new InvalidAppendError(
        'invalid_event',
        `${where}: eventId ${JSON.stringify(eventId)} is not a UUID`,
      );
    if (ids.has(eventId))
      throw new InvalidAppendError('event_id_reused', `${where}: eventId ${eventId} appears twice`);
    ids.add(eventId);
    const schemaVersion: unknown = event.schemaVersion ?? 1;
    if (typeof schemaVersion !== 'number' || !Number.isInteger(schemaVersion) || schemaVersion < 1)
      throw new InvalidAppendError('invalid_event', `${where}: schemaVersion must be a positive integer`);
    assertMetadata(event.metadata, where);
    let dataJson: string;
    let metadataJson: string;
    try {
      // Canonical JSON (RFC 8785) is both what is hashed and what is stored, so it is made once.
      dataJson = canonicalJson(event.data);
      metadataJson = canonicalJson(event.metadata);
    } catch (error) {
      throw new InvalidAppendError(
        'invalid_event',
        `${where}: data is not JSON (${(error as Error).message})`,
      );
    }
    if (!isPlainObject(event.data))
      throw new InvalidAppendError('invalid_event', `${where}: data must be a JSON object`);
    if (dataJson.includes('\\u0000') || metadataJson.includes('\\u0000'))
      throw new InvalidAppendError('invalid_event', `${where}: contains a NUL character`);
    const bytes = Buffer.byteLength(dataJson) + Buffer.byteLength(metadataJson);
    if (bytes > MAX_EVENT_BYTES)
      throw new InvalidAppendError(
        'event_too_large',
        `${where} is ${bytes} bytes; the limit is ${MAX_EVENT_BYTES}`,
      );
    const id = eventId.toLowerCase();
    const hash = contentHash({
      eventId: id,
      streamId,
      type: event.type,
      schemaVersion,
      dataJson,
      metadataJson,
    });
    return {
      eventId: id,
      json:
        `{"eventId":"${id}","type":${JSON.stringify(event.type)},"schemaVersion":${schemaVersion},` +
        `"data":${dataJson},"metadata":${metadataJson},"contentHash":"${hash}"}`,
    };
  });
}
