import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { isLeft } from 'fp-ts/lib/Either.js';
import { z } from 'zod';
import { streams } from '../commands/index.ts';
import { orderDecider, type OrderState, type PlacedOrder } from '../domain/order/index.ts';
import type { Platform } from '../platform.ts';
import { ordersOfCustomer } from '../projections/orders/order-history.ts';
import { asOfQuery, stateAsOf } from './as-of.ts';
import { authenticated, caller } from './auth.ts';
import { commandContext } from './context.ts';
import { domainProblem, forbidden, notFound } from './problem.ts';
import { recordedEventView } from './recorded-event.ts';

const orderParams = z.object({ orderId: z.uuid() });

/** Orders: the owner sees theirs, auditors and admins any; everyone else is told it does not exist. */
export const orderRoutes: FastifyPluginAsync<{ platform: Platform }> = async (app, { platform }) => {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const { order: orders } = platform.commands;

  /** The order now, or as recorded at `asOf` (not placed yet then: not found). */
  const visibleOrder = async (
    request: FastifyRequest,
    orderId: string,
    asOf?: string,
  ): Promise<PlacedOrder> => {
    const { state }: { state: OrderState } =
      asOf === undefined
        ? await orders.load(streams.order(orderId))
        : await stateAsOf(platform.store, orderDecider, streams.order(orderId), asOf);
    const who = caller(request);
    const mayRead =
      who.role === 'auditor' ||
      who.role === 'admin' ||
      (state.status !== 'not_placed' && state.customerId === who.userId);
    if (state.status === 'not_placed' || !mayRead) throw notFound(`order ${orderId}`);
    return state;
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
      ordersOfCustomer(platform.db, caller(request).userId, request.query.page, request.query.pageSize),
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
          'With `asOf`, the order as recorded at that moment (folded from its events up to then): 404 ' +
          'before it was placed, 400 for a time in the future or not ISO 8601.',
      },
    },
    async (request) => {
      const order = await visibleOrder(request, request.params.orderId, request.query.asOf);
      return {
        orderId: order.orderId,
        status: order.status,
        lines: order.lines,
        total: order.total,
        createdAt: order.placedAt,
        updatedAt: order.updatedAt,
        ...(order.cancellationReason ? { reason: order.cancellationReason } : {}),
      };
    },
  );

  routes.get(
    '/orders/:orderId/events',
    {
      onRequest: authenticated,
      schema: { tags: ['orders'], security: [{ bearer: [] }], params: orderParams },
    },
    async (request) => {
      await visibleOrder(request, request.params.orderId);
      const events = await platform.store.readStream(streams.order(request.params.orderId));
      return events.map(recordedEventView);
    },
  );

  routes.post(
    '/orders/:orderId/cancel',
    {
      onRequest: authenticated,
      schema: { tags: ['orders'], security: [{ bearer: [] }], params: orderParams },
    },
    async (request) => {
      const order = await visibleOrder(request, request.params.orderId);
      if (caller(request).role === 'auditor')
        throw forbidden('auditors read orders; they do not change them');
      const result = await orders.handle(
        streams.order(order.orderId),
        {
          type: 'CancelOrder',
          data: { orderId: order.orderId, reason: 'cancelled_by_customer', at: new Date().toISOString() },
        },
        commandContext(request),
      );
      if (isLeft(result)) throw domainProblem(result.left);
      return { orderId: order.orderId, status: 'cancelled' };
    },
  );
};
