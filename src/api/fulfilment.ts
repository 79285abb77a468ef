import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { isLeft } from 'fp-ts/lib/Either.js';
import { z } from 'zod';
import {
  cancelPaidOrder,
  markShipmentDelivered,
  shipOrderLines,
  type FulfilmentDependencies,
} from '../commands/fulfilment.ts';
import { requestRefund } from '../commands/refunds.ts';
import { id, NOT_BLANK } from '../domain/command-data.ts';
import { currencyCode } from '../domain/money.ts';
import type { OrderFilter, OrderSummary } from '../projections/orders/order-history.ts';
import { afterSaleProblem, IDEMPOTENCY_KEY_PATTERN } from './after-sale-problems.ts';
import { requireRole } from './auth.ts';
import { commandContext } from './context.ts';

export type FulfilmentRouteDependencies = FulfilmentDependencies &
  Readonly<{
    /** All orders, filtered, newest first (the order-history read model). */
    listOrders(
      filter: OrderFilter,
    ): Promise<{ items: OrderSummary[]; total: number; page: number; pageSize: number }>;
  }>;

const STATUSES = [
  'pending',
  'review',
  'confirmed',
  'partially_shipped',
  'shipped',
  'delivered',
  'cancelled',
  'refunded',
] as const;

const orderParams = z.object({ orderId: z.uuid() });
const money = z.object({ amount: z.int(), currency: z.string() });
/** The lines, shipments, returns, refunds and timeline of each order are those of `GET /orders/:orderId`. */
const orderPage = z.object({
  items: z.array(
    z.looseObject({
      orderId: z.string(),
      customerId: z.string(),
      status: z.string(),
      total: money,
      refunded: money,
      createdAt: z.string(),
      updatedAt: z.string(),
    }),
  ),
  total: z.int(),
  page: z.int(),
  pageSize: z.int(),
});
const idempotencyKey = z.object({
  'idempotency-key': z.string().min(8).max(200).regex(IDEMPOTENCY_KEY_PATTERN),
});
const sku = id;
/** Not blank, then trimmed (the document shows the pattern; a trim it cannot). */
const text = (max: number) => z.string().max(max).regex(NOT_BLANK, 'must not be blank').trim();
/** The earliest and latest instants PostgreSQL takes as ISO 8601 text (it has no year 0 or 10000). */
const EARLIEST = Date.parse('0001-01-01T00:00:00Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');
/** A bound as PostgreSQL takes it: in UTC (it refuses offsets beyond ±15:59), within its years. */
const storable = (instant: string) =>
  new Date(Math.min(Math.max(Date.parse(instant), EARLIEST), LATEST)).toISOString();

/**
 * The admin's side of an order after payment: list and filter all orders, ship them in parts, mark
 * shipments delivered, cancel a paid order that has not shipped, refund. The rules live in the
 * order domain; a refusal is a problem document (409 a conflict with the order, 404 what is not there).
 */
export const fulfilmentRoutes: FastifyPluginAsync<{ fulfilment: FulfilmentRouteDependencies }> = async (
  app,
  { fulfilment: deps },
) => {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const admin = { onRequest: requireRole('admin'), security: [{ bearer: [] }] };

  routes.get(
    '/admin/orders',
    {
      onRequest: requireRole('admin', 'auditor'),
      schema: {
        tags: ['admin', 'orders'],
        security: admin.security,
        description:
          'Every order, newest first; `from` (inclusive) and `to` (exclusive) bound when it was placed.',
        querystring: z.strictObject({
          status: z.enum(STATUSES).optional(),
          customerId: z.string().min(1).max(200).optional(),
          from: z.iso.datetime({ offset: true }).optional(),
          to: z.iso.datetime({ offset: true }).optional(),
          page: z.coerce.number().int().min(1).max(10_000).default(1),
          pageSize: z.coerce.number().int().min(1).max(100).default(20),
        }),
        response: { 200: orderPage },
      },
    },
    async (request) => {
      const { status, customerId, from, to, page, pageSize } = request.query;
      return deps.listOrders({
        page,
        pageSize,
        ...(status ? { status } : {}),
        ...(customerId ? { customerId } : {}),
        ...(from ? { from: storable(from) } : {}),
        ...(to ? { to: storable(to) } : {}),
      });
    },
  );

  routes.post(
    '/admin/orders/:orderId/shipments',
    {
      onRequest: admin.onRequest,
      schema: {
        tags: ['admin', 'orders'],
        security: admin.security,
        params: orderParams,
        headers: idempotencyKey,
        body: z.strictObject({
          lines: z
            .array(z.strictObject({ sku, quantity: z.int().positive().max(1_000_000) }))
            .min(1)
            .max(200),
          carrier: text(100),
          trackingNumber: text(100),
        }),
        response: { 201: z.object({ shipmentId: z.string() }) },
      },
    },
    async (request, reply) => {
      const shipped = await shipOrderLines(deps, {
        orderId: request.params.orderId,
        idempotencyKey: request.headers['idempotency-key'],
        ...request.body,
        context: commandContext(request),
      });
      if (isLeft(shipped)) throw afterSaleProblem(shipped.left);
      return reply.code(201).send(shipped.right);
    },
  );

  routes.post(
    '/admin/orders/:orderId/shipments/:shipmentId/delivery',
    {
      onRequest: admin.onRequest,
      schema: {
        tags: ['admin', 'orders'],
        security: admin.security,
        params: orderParams.extend({ shipmentId: id }),
        response: { 200: z.object({ shipmentId: z.string(), deliveredAt: z.string() }) },
      },
    },
    async (request) => {
      const delivered = await markShipmentDelivered(deps, {
        ...request.params,
        context: commandContext(request),
      });
      if (isLeft(delivered)) throw afterSaleProblem(delivered.left);
      return delivered.right;
    },
  );

  routes.post(
    '/admin/orders/:orderId/cancel',
    {
      onRequest: admin.onRequest,
      schema: {
        tags: ['admin', 'orders'],
        security: admin.security,
        description:
          'A confirmed order that has not shipped: its stock goes back on hand and its payment is refunded ' +
          'in full (voided if never captured), by the refund process.',
        params: orderParams,
        body: z.strictObject({ reason: text(500) }),
        response: {
          202: z.object({ orderId: z.string(), status: z.string(), refundId: z.string().nullable() }),
        },
      },
    },
    async (request, reply) => {
      const cancelled = await cancelPaidOrder(deps, {
        orderId: request.params.orderId,
        reason: request.body.reason,
        context: commandContext(request),
      });
      if (isLeft(cancelled)) throw afterSaleProblem(cancelled.left);
      return reply.code(202).send(cancelled.right);
    },
  );

  routes.post(
    '/admin/orders/:orderId/refunds',
    {
      onRequest: admin.onRequest,
      schema: {
        tags: ['admin', 'orders'],
        security: admin.security,
        description: 'Never more than was captured minus what was refunded or is being refunded (409).',
        params: orderParams,
        headers: idempotencyKey,
        body: z.strictObject({
          amount: z.strictObject({ amount: z.int().positive(), currency: currencyCode }),
          reason: text(500),
        }),
        response: { 202: z.object({ refundId: z.string() }) },
      },
    },
    async (request, reply) => {
      const requested = await requestRefund(deps, {
        orderId: request.params.orderId,
        idempotencyKey: request.headers['idempotency-key'],
        ...request.body,
        context: commandContext(request),
      });
      if (isLeft(requested)) throw afterSaleProblem(requested.left);
      return reply.code(202).send(requested.right);
    },
  );
};
