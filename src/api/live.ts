import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { streams } from '../commands/index.ts';
import { visibleTo } from '../commands/order-access.ts';
import type { EventStore, RecordedEvent } from '../eventstore/event-store.ts';
import { foldWithTimeline, orderView } from '../projections/orders/order-view.ts';
import { authenticated, caller } from './auth.ts';
import { OrderWatch } from './order-watch.ts';
import { notFound } from './problem.ts';
import { setSecurityHeaders } from './security-headers.ts';

export type LiveOrderDependencies = Readonly<{
  store: Pick<EventStore, 'readStream' | 'readStreams'>;
}>;

declare module 'fastify' {
  interface FastifyInstance {
    /** The process's one watch over the orders clients follow live (GET /orders/:orderId/live). */
    orderWatch: OrderWatch<string>;
  }
}

/** A comment line now and then, so that proxies and clients see an idle stream is still alive. */
const KEEP_ALIVE_MS = 15_000;
/** How often an open stream asks whether its token still stands (signed out, account disabled). */
const LIVENESS_CHECK_MS = 2_000;

const liveParams = z.object({ orderId: z.uuid() });
const liveHeaders = z.object({
  'last-event-id': z
    .string()
    .regex(/^[0-9]{1,15}$/)
    .optional()
    .describe(
      'the `id` of the last message received: the first message is left out if the order has not changed since',
    ),
});

/** Each message of the stream, by the fields OpenAPI 3.2 gives a server-sent event (schemathesis checks them). */
const orderEvent = z.object({
  event: z.literal('order'),
  id: z
    .string()
    .regex(/^[0-9]+$/)
    .describe('the version of the order stream'),
  data: z.string().describe('the order as JSON, as `GET /orders/{orderId}` answers it'),
});

/** An order's stream folded into what `GET /orders/:orderId` answers; undefined before it was placed. */
function orderPage(events: readonly RecordedEvent[]) {
  const { state, timeline } = foldWithTimeline(events);
  return state.status === 'not_placed' ? undefined : { ...orderView(state), timeline };
}

/** One server-sent event: the order at `version` of its stream (JSON is one line: one `data:` line). */
const orderMessage = (version: number, page: object) =>
  `event: order\nid: ${version}\ndata: ${JSON.stringify(page)}\n\n`;

const STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  // nginx and its kin pass each message on at once instead of buffering the answer.
  'x-accel-buffering': 'no',
};

/**
 * GET /orders/:orderId/live: the order as server-sent events, read with `fetch` and a bearer header.
 * Wrapped by fastify-plugin so that `orderWatch` can be looked at from the instance (tests, operators).
 */
export const liveOrderRoutes = fp(
  async (app: FastifyInstance, { live }: { live: LiveOrderDependencies }) => {
    const watch = new OrderWatch<string>({
      store: live.store,
      present: (events) => {
        const page = orderPage(events);
        if (!page) throw new Error('a watched order is always placed');
        return orderMessage(events.at(-1)!.streamVersion, page);
      },
      onError: (error) =>
        app.log.warn({ err: error }, 'live orders: a watched order could not be read or sent'),
    });
    app.decorate('orderWatch', watch);
    // preClose, not onClose: the server waits for open answers to end before the onClose hooks run.
    app.addHook('preClose', () => watch.close());

    app.withTypeProvider<ZodTypeProvider>().get(
      '/orders/:orderId/live',
      {
        onRequest: authenticated,
        config: { longLived: true },
        schema: {
          tags: ['orders'],
          security: [{ bearer: [] }],
          params: liveParams,
          headers: liveHeaders,
          summary: 'The order as it changes, as server-sent events',
          description:
            'A `text/event-stream`: first the order as `GET /orders/{orderId}` answers it, then the order ' +
            'again each time its stream gets new events (confirmed or cancelled, shipped, delivered, ' +
            'returns, refunds), each an `event: order` message whose `id` is the stream version and whose ' +
            '`data` is the order as JSON; a `: keep-alive` comment every 15 s. With `Last-Event-ID` equal to ' +
            'the current version, the first message is left out. The stream ends when the access token it ' +
            'was opened with expires, or once its session is signed out or its account disabled: reconnect ' +
            'with a fresh one (and `Last-Event-ID`). Read it with ' +
            '`fetch` and the `Authorization` header; no token in the URL.',
          response: {
            200: {
              description: 'server-sent events, `event: order` with the order as JSON',
              content: { 'text/event-stream': { schema: orderEvent } },
            },
          },
        },
      },
      async (request, reply) => {
        const { orderId } = request.params;
        const events = await live.store.readStream(streams.order(orderId));
        const { state, timeline } = foldWithTimeline(events);
        if (!visibleTo(state, caller(request))) throw notFound(`order ${orderId}`);
        const version = events.at(-1)?.streamVersion ?? 0;

        reply.hijack();
        const response = reply.raw;
        setSecurityHeaders(response);
        response.writeHead(200, STREAM_HEADERS);
        response.flushHeaders();
        if (request.method === 'HEAD' || request.raw.destroyed) return void response.end();
        if (request.headers['last-event-id'] !== String(version))
          response.write(orderMessage(version, { ...orderView(state), timeline }));

        let unfollow = () => {};
        const end = () => {
          clearInterval(keepAlive);
          clearInterval(liveness);
          clearTimeout(expiry);
          unfollow();
          if (!response.writableEnded) response.end();
        };
        const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
        // The stream lives no longer than the token it was opened with: until it expires, and not past
        // a sign-out or a disabled account. Each change is sent only once the token is known to stand,
        // in the order the changes came; between changes the token is looked at now and then.
        const { exp } = request.user as { exp?: number };
        const expiry = exp === undefined ? undefined : setTimeout(end, exp * 1000 - Date.now());
        const user = request.user;
        let sent = Promise.resolve();
        const whileLive = (then: () => void) =>
          (sent = sent.then(async () => {
            if (response.writableEnded) return;
            if (await request.server.tokenIsLive(user)) then();
            else end();
          })).catch(end);
        const liveness = setInterval(() => void whileLive(() => undefined), LIVENESS_CHECK_MS);
        unfollow = watch.follow(
          orderId,
          { version, events },
          { update: ({ message }) => void whileLive(() => response.write(message)), closed: end },
        );
        request.raw.once('close', end);
      },
    );
  },
  { name: 'live-orders' },
);
