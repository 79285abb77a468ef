import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { conversionFunnel, salesPerSkuPerDay } from '../integration/consumers/analytics.ts';
import { requireRole } from './auth.ts';
import { HttpProblem } from './problem.ts';

const MAX_DAYS = 366;

/** Inclusive UTC dates, YYYY-MM-DD. */
const optionalRange = z.strictObject({ from: z.iso.date().optional(), to: z.iso.date().optional() });
const requiredRange = z.strictObject({ from: z.iso.date(), to: z.iso.date() });

/**
 * What the document cannot say about a range (it describes each date alone): `from` after `to`, or
 * more than MAX_DAYS days asked at once (`limited`), is refused as a rule (422), after the schema.
 */
function checkRange({ from, to }: { from?: string; to?: string }, limited: boolean): void {
  const refuse = (field: 'from' | 'to', problem: string) =>
    new HttpProblem(422, 'invalid-range', 'Invalid date range', problem, {
      errors: [{ field: `querystring.${field}`, problem }],
    });
  if (from && to && from > to) throw refuse('from', 'from must not be after to');
  if (limited && from && to && Date.parse(to) - Date.parse(from) >= MAX_DAYS * 86_400_000)
    throw refuse('to', `at most ${MAX_DAYS} days at a time`);
}

/**
 * Business analytics for admins, read from what the Kafka analytics sink recorded (empty when the
 * platform runs without Kafka): sales per SKU per day and the conversion funnel.
 */
export type AnalyticsDependencies = Readonly<{
  salesPerSkuPerDay(range: { from: string; to: string }): ReturnType<typeof salesPerSkuPerDay>;
  conversionFunnel(range: { from?: string; to?: string }): ReturnType<typeof conversionFunnel>;
}>;

export const analyticsRoutes: FastifyPluginAsync<{ analytics: AnalyticsDependencies }> = async (
  app,
  { analytics },
) => {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  app.addHook('onRequest', requireRole('admin'));
  const docs = { tags: ['analytics'], security: [{ bearer: [] }] };

  routes.get(
    '/admin/analytics/sales',
    { schema: { ...docs, querystring: requiredRange } },
    async (request) => {
      const { from, to } = request.query;
      checkRange({ from, to }, true);
      return { from, to, sales: await analytics.salesPerSkuPerDay({ from, to }) };
    },
  );

  routes.get(
    '/admin/analytics/funnel',
    { schema: { ...docs, querystring: optionalRange } },
    async (request) => {
      const { from, to } = request.query;
      checkRange({ from, to }, false);
      return { from: from ?? null, to: to ?? null, ...(await analytics.conversionFunnel({ from, to })) };
    },
  );
};
