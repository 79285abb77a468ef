import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BusinessSeriesPoint } from '../projections/business/index.ts';
import { requireRole } from './auth.ts';
import { HttpProblem } from './problem.ts';

export type BusinessMetricsDependencies = Readonly<{
  /** The business numbers per bucket (the business-metrics read model). */
  series(range: { from: string; to: string; stepSeconds: number }): Promise<BusinessSeriesPoint[]>;
}>;

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };
const MAX_BUCKETS = 1000;

/** `step`: seconds, or a number with a unit (`15m`, `1h`, `1d`). */
const step = z
  .string()
  .regex(/^\d{1,7}[smhd]?$/, 'seconds, or a number with a unit: 15m, 1h, 1d')
  .transform((value) => {
    const unit = /[smhd]$/.test(value) ? value.slice(-1) : 's';
    return Number.parseInt(value, 10) * UNIT_SECONDS[unit]!;
  })
  .refine((seconds) => seconds >= 60, 'at least one minute');

/** GET /admin/metrics/business: the business numbers as time series, for the console's charts. */
export const businessMetricsRoutes: FastifyPluginAsync<{
  businessMetrics: BusinessMetricsDependencies;
}> = async (app, { businessMetrics }) => {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/admin/metrics/business',
    {
      onRequest: requireRole('admin'),
      schema: {
        tags: ['admin'],
        security: [{ bearer: [] }],
        description:
          'Orders placed, confirmed and cancelled, the success ratio, carts started and abandoned, shipments, ' +
          `returns and refunds per bucket of \`step\` from \`from\` (inclusive) to \`to\` (exclusive); at most ${MAX_BUCKETS} buckets.`,
        querystring: z.strictObject({
          from: z.iso.datetime({ offset: true }),
          to: z.iso.datetime({ offset: true }),
          step: step.default(3600),
        }),
        response: {
          200: z.object({
            from: z.string(),
            to: z.string(),
            stepSeconds: z.int(),
            series: z.array(
              z.object({
                at: z.string(),
                placed: z.int(),
                confirmed: z.int(),
                cancelled: z.int(),
                successRatio: z.number().nullable(),
                cartsStarted: z.int(),
                cartAbandonment: z.number().nullable(),
                shipments: z.int(),
                returns: z.int(),
                refunds: z.int(),
                refunded: z.int(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const { from, to, step: stepSeconds } = request.query;
      const span = Date.parse(to) - Date.parse(from);
      if (span <= 0) throw new HttpProblem(400, 'validation', 'Invalid request', '`to` must be after `from`');
      if (span / (stepSeconds * 1000) > MAX_BUCKETS)
        throw new HttpProblem(
          400,
          'validation',
          'Invalid request',
          `more than ${MAX_BUCKETS} buckets: a longer step`,
        );
      const range = { from: new Date(from).toISOString(), to: new Date(to).toISOString(), stepSeconds };
      return { ...range, series: await businessMetrics.series(range) };
    },
  );
};
