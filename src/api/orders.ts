import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { isLeft } from 'fp-ts/lib/Either.js';
import { z } from 'zod';
import { cancelOrder, type CancelOrderDependencies } from '../commands/cancel-order.ts';
import { streams } from '../commands/index.ts';
import { visibleTo } from '../commands/order-access.ts';
import { customerData } from '../domain/fraud/index.ts';
import type { PlacedOrder } from '../domain/order/index.ts';
import type { EventStore } from '../eventstore/event-store.ts';
import type { OrderSummary } from '../projections/orders/order-history.ts';
import { foldWithTimeline, orderView, type TimelineEntry } from '../projections/orders/order-view.ts';
import { asOfQuery } from './as-of.ts';
import { authenticated, caller } from './auth.ts';
import { commandContext } from './context.ts';
import { domainProblem, forbidden, notFound } from './problem.ts';
import { recordedEventView } from './recorded-event.ts';

const orderParams = z.object({ orderId: z.uuid() });

export type OrderDependencies = CancelOrderDependencies &
  Readonly<{
    /** The order streams' events, for `/events` and `?asOf=`. */
    store: Pick<EventStore, 'readStream'>;
    /** A customer's orders, newest first (the order-history read model). */
    ordersOfCustomer(
      customerId: string,
      page: number,
      pageSize: number,
    ): Promise<{ items: OrderSummary[]; total: number; page: number; pageSize: number }>;
  }>;

/** Orders: the owner sees theirs, auditors and admins any; everyone else is told it does not exist. */
export const orderRoutes: FastifyPluginAsync<{ orders: OrderDependencies }> = async (
  app,
  { orders: deps },
) => {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const { orders } = deps;

  /** The order now, or as recorded at `asOf` (not placed yet then: not found). */
  const visibleOrder = async (request: FastifyRequest, orderId: string): Promise<PlacedOrder> => {
    const { state } = await orders.load(streams.order(orderId));
    if (!visibleTo(state, caller(request))) throw notFound(`order ${orderId}`);
    return state;
  };

  /** The order with the timeline of its events, folded from its stream (up to `asOf`, when given). */
  const orderWithTimeline = async (
    request: FastifyRequest,
    orderId: string,
    asOf?: string,
  ): Promise<{ order: PlacedOrder; timeline: TimelineEntry[] }> => {
    const until = asOf === undefined ? Infinity : Date.parse(asOf);
    const events = (await deps.store.readStream(streams.order(orderId))).filter(
      (e) => Date.parse(e.recordedAt) <= until,
    );
    const { state, timeline } = foldWithTimeline(events);
    if (!visibleTo(state, caller(request))) throw notFound(`order ${orderId}`);
    return { order: state, timeline };
  };

  routes.get(
    '/orders',
    {
      onRequest: authenticated,
      schema: {
        tags: ['orders'],
        security: [{ bearer: [] }],
        querystring: z.strictObject({
          page: z.coerce.number().int().min(1).max(10_000).default(1),
          pageSize: z.coerce.number().int().min(1).max(100).default(20),
        }),
      },
    },
    async (request) =>
      deps.ordersOfCustomer(caller(request).userId, request.query.page, request.query.pageSize),
  );

  routes.get(
    '/orders/:orderId',
    {
      onRequest: authenticated,
      schema: {
        tags: ['orders'],
        security: [{ bearer: [] }],
        params: orderParams,
        querystring: asOfQuery,
        description:
          'Status, lines with the units shipped and returned, shipments with tracking, returns, refunds, ' +
          'the amount refunded and the timeline of its events. With `asOf`, the order as recorded at that ' +
          'moment (folded from its events up to then): 404 before it was placed, 400 for a time in the ' +
          'future or not ISO 8601.',
      },
    },
    async (request) => {
      const { order, timeline } = await orderWithTimeline(
        request,
        request.params.orderId,
        request.query.asOf,
      );
      return { ...orderView(order), timeline };
    },
  );

  routes.get(
    '/orders/:orderId/events',
    {
      onRequest: authenticated,
      schema: {
        tags: ['orders'],
        security: [{ bearer: [] }],
        params: orderParams,
        description:
          "The order stream's events. Its customer reads them without the fraud rules' reasons (which " +
          'rule, what it measured, a client address key): admins and auditors read them whole.',
      },
    },
    async (request) => {
      await visibleOrder(request, request.params.orderId);
      const events = await deps.store.readStream(streams.order(request.params.orderId));
      // The owner reads their order's history without what the fraud rules measured and decided.
      const owner = caller(request).role === 'customer';
      return events
        .map(recordedEventView)
        .map((e) => (owner ? { ...e, data: customerData(e.type, e.data) } : e));
    },
  );

  routes.post(
    '/orders/:orderId/cancel',
    {
      onRequest: authenticated,
      schema: { tags: ['orders'], security: [{ bearer: [] }], params: orderParams },
    },
    async (request) => {
      const { orderId } = request.params;
      const result = await cancelOrder(deps, {
        orderId,
        by: caller(request),
        context: commandContext(request),
      });
      if (isLeft(result)) {
        if (result.left.code === 'OrderNotFound') throw notFound(`order ${orderId}`);
        if (result.left.code === 'ReadOnlyRole') throw forbidden(result.left.message);
        throw domainProblem(result.left);
      }
      return { orderId, status: result.right.status };
    },
  );
};
