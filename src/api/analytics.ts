import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { conversionFunnel, salesPerSkuPerDay } from '../integration/consumers/analytics.ts';
import { requireRole } from './auth.ts';

const MAX_DAYS = 366;
const ordered = (r: { from?: string; to?: string }) => !r.from || !r.to || r.from <= r.to;
const orderedMessage = { message: 'from must not be after to', path: ['from'] };

/** Inclusive UTC dates, YYYY-MM-DD. */
const optionalRange = z
  .strictObject({ from: z.iso.date().optional(), to: z.iso.date().optional() })
  .refine(ordered, orderedMessage);
const requiredRange = z
  .strictObject({ from: z.iso.date(), to: z.iso.date() })
  .refine(ordered, orderedMessage)
  .refine((r) => Date.parse(r.to) - Date.parse(r.from) < MAX_DAYS * 86_400_000, {
    message: `at most ${MAX_DAYS} days at a time`,
    path: ['to'],
  });

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
      return { from, to, sales: await analytics.salesPerSkuPerDay({ from, to }) };
    },
  );

  routes.get(
    '/admin/analytics/funnel',
    { schema: { ...docs, querystring: optionalRange } },
    async (request) => {
      const { from, to } = request.query;
      return { from: from ?? null, to: to ?? null, ...(await analytics.conversionFunnel({ from, to })) };
    },
  );
};
