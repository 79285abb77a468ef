import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { isLeft } from 'fp-ts/lib/Either.js';
import { z } from 'zod';
import { receiveReturn, requestReturn, type ReturnDependencies } from '../commands/returns.ts';
import { id, NOT_BLANK } from '../domain/command-data.ts';
import type { ReturnSummary } from '../projections/orders/order-history.ts';
import { afterSaleProblem, IDEMPOTENCY_KEY_PATTERN } from './after-sale-problems.ts';
import { caller, requireRole } from './auth.ts';
import { commandContext } from './context.ts';
import { notFound } from './problem.ts';

export type ReturnRouteDependencies = ReturnDependencies &
  Readonly<{
    /** Returns, newest first (the order-history read model). */
    listReturns(filter: {
      status?: string;
      page: number;
      pageSize: number;
    }): Promise<{ items: ReturnSummary[]; total: number; page: number; pageSize: number }>;
  }>;

const sku = id;
const quantity = z.int().positive().max(1_000_000);

/**
 * Returns: a customer asks to send back delivered units of their own order (within the return window);
 * admins list returns and receive them line by line, restocking or writing off each.
 */
export const returnRoutes: FastifyPluginAsync<{ returns: ReturnRouteDependencies }> = async (
  app,
  { returns: deps },
) => {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.post(
    '/orders/:orderId/returns',
    {
      onRequest: requireRole('customer'),
      schema: {
        tags: ['orders'],
        security: [{ bearer: [] }],
        description:
          'Only delivered units not returned yet (409), within RETURN_WINDOW_DAYS of their delivery (422); ' +
          "another customer's order is 404.",
        params: z.object({ orderId: z.uuid() }),
        headers: z.object({
          'idempotency-key': z.string().min(8).max(200).regex(IDEMPOTENCY_KEY_PATTERN),
        }),
        body: z.strictObject({
          lines: z.array(z.strictObject({ sku, quantity })).min(1).max(200),
          reason: z.string().max(500).regex(NOT_BLANK, 'must not be blank').trim(),
        }),
        response: { 201: z.object({ returnId: z.string() }) },
      },
    },
    async (request, reply) => {
      const requested = await requestReturn(deps, {
        orderId: request.params.orderId,
        by: caller(request),
        idempotencyKey: request.headers['idempotency-key'],
        ...request.body,
        context: commandContext(request),
      });
      if (isLeft(requested)) {
        if (requested.left.code === 'OrderNotFound') throw notFound(`order ${request.params.orderId}`);
        throw afterSaleProblem(requested.left);
      }
      return reply.code(201).send(requested.right);
    },
  );

  routes.get(
    '/admin/returns',
    {
      onRequest: requireRole('admin', 'auditor'),
      schema: {
        tags: ['admin', 'orders'],
        security: [{ bearer: [] }],
        querystring: z.strictObject({
          status: z.enum(['requested', 'received']).optional(),
          page: z.coerce.number().int().min(1).max(10_000).default(1),
          pageSize: z.coerce.number().int().min(1).max(100).default(20),
        }),
        response: {
          200: z.object({
            items: z.array(
              z.looseObject({
                returnId: z.string(),
                orderId: z.string(),
                customerId: z.string(),
                status: z.string(),
                lines: z.array(z.object({ sku: z.string(), quantity: z.int() })),
                reason: z.string(),
                received: z.array(z.object({ sku: z.string(), quantity: z.int(), restock: z.boolean() })),
                requestedAt: z.string(),
                receivedAt: z.string().optional(),
              }),
            ),
            total: z.int(),
            page: z.int(),
            pageSize: z.int(),
          }),
        },
      },
    },
    async (request) => {
      const { status, page, pageSize } = request.query;
      return deps.listReturns({ page, pageSize, ...(status ? { status } : {}) });
    },
  );

  routes.post(
    '/admin/returns/:returnId/receipt',
    {
      onRequest: requireRole('admin'),
      schema: {
        tags: ['admin', 'orders'],
        security: [{ bearer: [] }],
        description:
          'What arrived, line by line: received units are refunded at the price paid; restocked units go ' +
          'back on hand, the others are written off.',
        params: z.object({ returnId: id }),
        body: z.strictObject({
          lines: z
            .array(z.strictObject({ sku, quantity, restock: z.boolean() }))
            .min(1)
            .max(200),
        }),
        response: {
          200: z.object({ returnId: z.string(), orderId: z.string(), status: z.literal('received') }),
        },
      },
    },
    async (request) => {
      const received = await receiveReturn(deps, {
        returnId: request.params.returnId,
        lines: request.body.lines,
        context: commandContext(request),
      });
      if (isLeft(received)) throw afterSaleProblem(received.left);
      return { ...received.right, status: 'received' as const };
    },
  );
};
