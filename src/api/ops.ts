import type { FastifyPluginAsync } from 'fastify';
import type { Platform } from '../platform.ts';

/** Liveness, readiness and Prometheus metrics. */
export const opsRoutes: FastifyPluginAsync<{ platform: Platform }> = async (app, { platform }) => {
  app.get('/health', { schema: { tags: ['operations'] } }, async () => ({ status: 'ok' }));

  app.get('/ready', { schema: { tags: ['operations'] } }, async (_request, reply) => {
    const checks: Record<string, string> = {};
    try {
      await platform.db.query('SELECT 1');
      checks.database = 'ok';
    } catch (error) {
      checks.database = (error as Error).message;
    }
    try {
      const bound = platform.config.PROJECTION_LAG_BOUND_MS;
      const behind = await platform.projections.behind(bound);
      checks.projections =
        behind.length === 0 ? 'ok' : `behind by more than ${bound} ms: ${behind.join(', ')}`;
    } catch (error) {
      checks.projections = (error as Error).message;
    }
    if (platform.readModels.store === 'redis')
      try {
        await platform.readModels.ping();
        checks.redis = 'ok';
      } catch (error) {
        checks.redis = (error as Error).message;
      }
    if (platform.search.engine === 'elasticsearch')
      try {
        await platform.search.ping();
        checks.elasticsearch = 'ok';
      } catch (error) {
        checks.elasticsearch = (error as Error).message;
      }
    const ready = Object.values(checks).every((c) => c === 'ok');
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not ready', profile: platform.profile, checks });
  });

  app.get('/metrics', { schema: { tags: ['operations'] } }, async (_request, reply) => {
    const registry = platform.metrics.registry;
    return reply.type(registry.contentType).send(await registry.metrics());
  });
};
