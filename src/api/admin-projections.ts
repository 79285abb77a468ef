import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { RebuildAlreadyRunning, RebuildRefused, type ProjectionOperations } from '../subscriptions/index.ts';
import { requireRole } from './auth.ts';
import { HttpProblem, notFound } from './problem.ts';

const nameParams = z.strictObject({ name: z.string().min(1).max(100) });

export type AdminProjectionDependencies = Readonly<{
  projections: Pick<
    ProjectionOperations,
    'overview' | 'refusal' | 'rebuildable' | 'rebuildStatus' | 'rebuild'
  >;
  /** Lag beyond which a projection counts as behind (PROJECTION_LAG_BOUND_MS). */
  lagBoundMs: number;
}>;

/**
 * Projection operations (admin only): each projection's checkpoint, lag and rebuild, and a rebuild
 * from position 0 started in the background (one at a time per projection in this process).
 */
export const adminProjectionRoutes: FastifyPluginAsync<{
  adminProjections: AdminProjectionDependencies;
}> = async (app, { adminProjections: { projections, lagBoundMs } }) => {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  app.addHook('onRequest', requireRole('admin'));

  routes.get(
    '/admin/projections',
    {
      schema: {
        tags: ['operations'],
        security: [{ bearer: [] }],
        description:
          "Each projection's checkpoint, lag (age of the oldest event it has not applied yet), whether it " +
          'is behind the lag bound, and the progress of its last rebuild in this process.',
      },
    },
    async () => ({
      lagBoundMs,
      projections: await projections.overview(lagBoundMs),
    }),
  );

  routes.post(
    '/admin/projections/:name/rebuild',
    {
      schema: {
        tags: ['operations'],
        security: [{ bearer: [] }],
        params: nameParams,
        description:
          'Rebuilds the projection from position 0 beside the live one and swaps it in; answers 202 at once. ' +
          '409 while a rebuild of it runs, 422 for a projection that may not be rebuilt.',
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      const refusal = projections.refusal(name);
      if (refusal)
        throw new HttpProblem(422, 'projection-not-rebuildable', 'Projection not rebuildable', refusal);
      if (!projections.rebuildable.some((p) => p.name === name)) throw notFound(`projection ${name}`);
      if (projections.rebuildStatus(name)?.state === 'running')
        throw new HttpProblem(409, 'rebuild-running', 'Rebuild running', `${name} is being rebuilt already`, {
          rebuild: projections.rebuildStatus(name),
        });
      const log = request.log;
      projections.rebuild(name).catch((error: unknown) => {
        if (error instanceof RebuildAlreadyRunning || error instanceof RebuildRefused) return;
        log.error({ err: error, projection: name }, 'projection rebuild failed');
      });
      return reply
        .code(202)
        .header('location', '/admin/projections')
        .send({ projection: name, rebuild: projections.rebuildStatus(name) });
    },
  );
};
