import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DOMAIN_EVENT_TYPES } from '../domain/event-types.ts';
import { UnknownPositionError } from '../eventstore/errors.ts';
import type { Checkpoint, EventStore, RecordedEvent } from '../eventstore/event-store.ts';
import { verifyChain } from '../eventstore/hash-chain.ts';
import { anchorOfLog } from '../eventstore/log-anchor.ts';
import {
  CURSOR_OR_POSITION_PATTERN,
  CURSOR_PATTERN,
  formatCursor,
  parseCursor,
  readLog,
  type LogFilter,
} from '../eventstore/log-reader.ts';
import { STREAM_CATEGORY, STREAM_ID } from '../eventstore/validation.ts';
import { requireRole } from './auth.ts';
import { HttpProblem, notFound } from './problem.ts';
import { recordedEventSchema, recordedEventView } from './recorded-event.ts';

export const NDJSON = 'application/x-ndjson';
/** A JSON page is built in memory, so it holds at most this many events; NDJSON is streamed. */
export const MAX_JSON_EVENTS = 1000;
export const MAX_NDJSON_EVENTS = 100_000;

// The document's patterns say it all (no refinements it cannot show): what it calls valid is valid.
const streamParams = z.strictObject({
  streamId: z
    .string()
    .max(300)
    .regex(STREAM_ID, 'must be <category>-<id>, e.g. order-0193… or inventory-SKU-1'),
});

/**
 * A list parameter: one value, comma-separated values, or the parameter repeated (each a comma-separated
 * list too), at most `max` items in each value and `max` values; always a list, without repeats.
 */
const listParam = (item: string, max: number, message: string) => {
  const list = z.string().regex(new RegExp(`^(?:${item})(?:,(?:${item})){0,${max - 1}}$`), message);
  return z.union([list, z.array(list).max(max)], { error: message }).transform((value) => {
    const items = [...new Set((Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')))];
    return items.length > 0 ? items : undefined;
  });
};

const eventTypes = DOMAIN_EVENT_TYPES.join('|');
const category = STREAM_CATEGORY.source.slice(1, -1);

const logQuery = z.strictObject({
  from: z
    .string()
    .regex(CURSOR_OR_POSITION_PATTERN, 'must be a cursor (<transactionId>.<position>) or a global position')
    .optional()
    .describe(
      'resume after this place: the `next` cursor of an earlier answer, or an event’s global position (0: the start)',
    ),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_NDJSON_EVENTS)
    .default(100)
    .describe(
      `events to return; a JSON page holds at most ${MAX_JSON_EVENTS}, NDJSON up to ${MAX_NDJSON_EVENTS}`,
    ),
  type: listParam(eventTypes, 50, 'must be event types of this platform, comma-separated')
    .optional()
    .describe('keep only these event types (comma-separated or repeated)'),
  category: listParam(category, 20, 'must be stream categories such as order or inventory, comma-separated')
    .optional()
    .describe('keep only streams of these categories, e.g. order,inventory (comma-separated or repeated)'),
});

const logEnd = z.object({
  next: z.string().describe('pass as `from` to read on after what this answer covered'),
  caughtUp: z.boolean().describe('true when this answer reached the end of the log as visible now'),
});
const logPage = logEnd.extend({ events: z.array(recordedEventSchema) });

const streamPage = z.object({
  streamId: z.string(),
  version: z.int().describe('the stream’s current version (its last event’s)'),
  events: z.array(recordedEventSchema),
  nextVersion: z.int().nullable().describe('pass as `fromVersion` for the next page; null at the end'),
});

const anchorQuery = z.strictObject({
  upTo: z
    .string()
    .regex(CURSOR_PATTERN, 'must be a cursor (<transactionId>.<position>) from an earlier anchor')
    .optional()
    .describe('the `upTo` of an anchor kept earlier: the anchor of the log up to there, to compare'),
});
const logAnchor = z.object({
  upTo: z.string().describe('cursor of the last event the anchor covers'),
  events: z.int(),
  hash: z.string().describe('running sha256 over every event in log order, each recomputed from its content'),
  valid: z.boolean().describe("false when a stream's own hash chain is broken on the way"),
  brokenAt: z.object({ streamId: z.string(), streamVersion: z.int() }).optional(),
});

const verification = z.object({
  valid: z.boolean(),
  events: z.int().describe('events checked'),
  brokenAt: z.int().optional().describe('the first version whose hash chain does not hold'),
  problem: z.string().optional(),
});

type LogItem = { event: RecordedEvent } | { end: { next: string; caughtUp: boolean } };

/**
 * Up to `limit` events of the log after `after` that the filter keeps, then where to resume. Reads at
 * most `readBudget` events of the log, so a rare filter answers in bounded time with `caughtUp: false`.
 */
async function* logItems(
  store: EventStore,
  after: Checkpoint | number,
  filter: LogFilter,
  limit: number,
): AsyncGenerator<LogItem> {
  const filtered = Boolean(filter.types || filter.categories);
  const batchSize = filtered ? 1000 : Math.min(limit, 1000);
  const readBudget = Math.max(10 * limit, 10_000);
  let kept = 0;
  let read = 0;
  for await (const batch of readLog(store, { after, filter, batchSize })) {
    read += batchSize;
    for (const event of batch.events) {
      yield { event };
      if (++kept < limit) continue;
      // When this is the batch's last kept event, the rest of the batch was read and left out by the
      // filter: resume after the batch rather than read those again.
      const end = event === batch.events.at(-1);
      yield {
        end: {
          next: formatCursor(end ? batch.readTo : event.checkpoint),
          caughtUp: end && batch.caughtUp,
        },
      };
      return;
    }
    if (batch.caughtUp || read >= readBudget) {
      yield { end: { next: formatCursor(batch.readTo), caughtUp: batch.caughtUp } };
      return;
    }
  }
}

const unknownPosition = (error: unknown) =>
  error instanceof UnknownPositionError
    ? new HttpProblem(
        400,
        'unknown-position',
        'Unknown position',
        `${error.message}: pass a cursor from an earlier answer`,
      )
    : error;

export type StreamDependencies = Readonly<{ store: EventStore }>;

/** The event log for auditors and analysts (and admins): one stream, the global log, the hash chain check. */
export const streamRoutes: FastifyPluginAsync<{ streams: StreamDependencies }> = async (
  app,
  { streams: { store } },
) => {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const auditors = requireRole('auditor', 'admin');
  const security = [{ bearer: [] }];

  routes.get(
    '/streams/:streamId',
    {
      onRequest: auditors,
      schema: {
        tags: ['streams'],
        summary: 'Events of one stream, in version order',
        security,
        params: streamParams,
        querystring: z.strictObject({
          fromVersion: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(1),
          limit: z.coerce.number().int().min(1).max(MAX_JSON_EVENTS).default(100),
        }),
        response: { 200: streamPage },
      },
    },
    async (request) => {
      const { streamId } = request.params;
      const { fromVersion, limit } = request.query;
      const version = await store.streamVersion(streamId);
      if (version === 0) throw notFound(`stream ${streamId}`);
      const events = await store.readStream(streamId, { fromVersion, maxCount: limit });
      const last = events.at(-1)?.streamVersion ?? version;
      return {
        streamId,
        version,
        events: events.map(recordedEventView),
        nextVersion: events.length > 0 && last < version ? last + 1 : null,
      };
    },
  );

  routes.get(
    '/streams',
    {
      onRequest: auditors,
      schema: {
        tags: ['streams'],
        summary: 'The global log in order, as JSON pages or streamed NDJSON',
        description:
          'The log is ordered by (transaction, position). Resume with the `next` cursor ' +
          '(`<transactionId>.<globalPosition>`); a plain global position is accepted too and resumes ' +
          'after that event. With `Accept: application/x-ndjson` the answer is streamed: one event per ' +
          'line, then one last line `{"next", "caughtUp"}` (a stream that ends without it was cut short). ' +
          `A JSON page holds at most ${MAX_JSON_EVENTS} events (a larger limit is capped).`,
        security,
        querystring: logQuery,
        response: {
          200: {
            description: 'the events, then where to resume',
            content: { 'application/json': { schema: logPage }, [NDJSON]: { schema: recordedEventSchema } },
          },
        },
      },
    },
    async (request, reply) => {
      const { from, limit, type, category: categories } = request.query;
      const after = from === undefined ? 0 : parseCursor(from)!;
      const filter: LogFilter = { types: type, categories };
      const ndjson = (request.headers.accept ?? '').includes(NDJSON);
      const items = logItems(store, after, filter, ndjson ? limit : Math.min(limit, MAX_JSON_EVENTS));
      // The first read resolves the cursor: a bad one is still a problem answer, not a broken stream.
      const first = await items.next().catch((error: unknown) => {
        throw unknownPosition(error);
      });
      if (ndjson) {
        // Lines go out in chunks of about 64 KiB: a write per event would cost more than the event.
        const chunks = async function* () {
          let chunk = '';
          for (let item = first; !item.done; item = await items.next()) {
            const line = 'event' in item.value ? recordedEventView(item.value.event) : item.value.end;
            chunk += JSON.stringify(line) + '\n';
            if (chunk.length < 64 * 1024) continue;
            yield chunk;
            chunk = '';
          }
          if (chunk) yield chunk;
        };
        return reply.type(`${NDJSON}; charset=utf-8`).send(Readable.from(chunks()) as never);
      }
      const events = [];
      let end: { next: string; caughtUp: boolean } | undefined;
      for (let item = first; !item.done; item = await items.next())
        if ('event' in item.value) events.push(recordedEventView(item.value.event));
        else end = item.value.end;
      if (!end) throw new Error('the log page ended without a cursor');
      return { events, ...end };
    },
  );

  routes.get(
    '/audit/streams/:streamId/verify',
    {
      onRequest: auditors,
      schema: {
        tags: ['streams'],
        summary: 'Recomputes the stream’s hash chain: was any event edited, removed or reordered?',
        security,
        params: streamParams,
        response: { 200: verification },
      },
    },
    async (request) => {
      const { streamId } = request.params;
      const events = await store.readStream(streamId);
      if (events.length === 0) throw notFound(`stream ${streamId}`);
      return verifyChain(events);
    },
  );

  routes.get(
    '/audit/log/anchor',
    {
      onRequest: auditors,
      schema: {
        tags: ['streams'],
        summary: 'A chained checkpoint of the whole log, to keep elsewhere and check against later',
        description:
          'Keep `upTo` and `hash`; later, ask again with `upTo`: a different hash means an event up to ' +
          'there was edited, removed (a tail cut off included), inserted or reordered.',
        security,
        querystring: anchorQuery,
        response: { 200: logAnchor },
      },
    },
    async (request) => {
      const { upTo } = request.query;
      const anchor = await anchorOfLog(store, upTo ? (parseCursor(upTo) as Checkpoint) : undefined);
      return { ...anchor, upTo: formatCursor(anchor.upTo) };
    },
  );
};
