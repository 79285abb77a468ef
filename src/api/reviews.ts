import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { isLeft } from 'fp-ts/lib/Either.js';
import { z } from 'zod';
import { reviewOrder, type ReviewOrderDependencies } from '../commands/review-order.ts';
import { REVIEW_STATUSES, type HeldOrder, type ReviewFilter } from '../projections/fraud/index.ts';
import { requireRole } from './auth.ts';
import { commandContext } from './context.ts';
import { domainProblem, notFound } from './problem.ts';

export type ReviewRouteDependencies = ReviewOrderDependencies &
  Readonly<{
    /** Orders held by a fraud rule, with the rule (the fraud read model). */
    reviews(
      filter: ReviewFilter,
    ): Promise<{ items: HeldOrder[]; total: number; page: number; pageSize: number }>;
  }>;

const money = z.object({ amount: z.int(), currency: z.string() });
const heldOrder = z.object({
  orderId: z.string(),
  customerId: z.string(),
  rule: z.string().describe('the fraud rule that held the order'),
  measures: z
    .record(z.string(), z.number().nullable())
    .describe('what the rules measured of the customer when the order was screened'),
  total: money,
  status: z.enum(REVIEW_STATUSES),
  heldAt: z.string(),
  decidedAt: z.string().optional(),
});

/**
 * The fraud review queue: orders a rule held before any stock was reserved. Admins and auditors read
 * it (which rule fired is theirs to know, never the customer's); admins approve (the checkout goes on)
 * or reject (the order is cancelled as `fraud_suspected`).
 */
export const reviewRoutes: FastifyPluginAsync<{ reviews: ReviewRouteDependencies }> = async (
  app,
  { reviews: deps },
) => {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.get(
    '/admin/reviews',
    {
      onRequest: requireRole('admin', 'auditor'),
      schema: {
        tags: ['admin', 'orders'],
        security: [{ bearer: [] }],
        description:
          'Orders held for review by a fraud rule: by default the open ones, oldest first; `status=all` ' +
          'for every review, newest first.',
        querystring: z.strictObject({
          status: z.enum([...REVIEW_STATUSES, 'all']).default('open'),
          page: z.coerce.number().int().min(1).max(10_000).default(1),
          pageSize: z.coerce.number().int().min(1).max(100).default(20),
        }),
        response: {
          200: z.object({ items: z.array(heldOrder), total: z.int(), page: z.int(), pageSize: z.int() }),
        },
      },
    },
    async (request) => {
      const { status, page, pageSize } = request.query;
      return deps.reviews({ page, pageSize, ...(status === 'all' ? {} : { status }) });
    },
  );

  routes.post(
    '/admin/orders/:orderId/review',
    {
      onRequest: requireRole('admin'),
      schema: {
        tags: ['admin', 'orders'],
        security: [{ bearer: [] }],
        description:
          'Decides on an order held for review: `approve` resumes its checkout, `reject` cancels it ' +
          '(reason `fraud_suspected`). The same decision again changes nothing; an order not held is 409.',
        params: z.object({ orderId: z.uuid() }),
        body: z.strictObject({ decision: z.enum(['approve', 'reject']) }),
        response: { 200: z.object({ orderId: z.string(), status: z.string() }) },
      },
    },
    async (request) => {
      const { orderId } = request.params;
      const reviewed = await reviewOrder(deps, {
        orderId,
        decision: request.body.decision,
        context: commandContext(request),
      });
      if (isLeft(reviewed)) {
        if (reviewed.left.code === 'OrderNotFound') throw notFound(`order ${orderId}`);
        throw domainProblem(reviewed.left);
      }
      return { orderId, status: reviewed.right.status };
    },
  );
};
