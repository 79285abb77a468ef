import type { FastifyPluginAsync } from 'fastify';
import type { Platform } from '../platform.ts';

/** Liveness, readiness and Prometheus metrics. */
export const opsRoutes: FastifyPluginAsync<{ platform: Platform }> = async (app, { platform }) => {
  app.get('/health', { schema: { tags: ['operations'] } }, async () => ({ status: 'ok' }));

  app.get('/ready', { schema: { tags: ['operations'] } }, async (_request, reply) => {
    // Each dependency this process uses, asked at once: 'ok', or what is wrong with it.
    const probes: Record<string, () => Promise<string | void>> = {
      database: () => platform.db.query('SELECT 1').then(() => undefined),
      projections: async () => {
        const bound = platform.config.PROJECTION_LAG_BOUND_MS;
        const behind = await platform.projections.behind(bound);
        if (behind.length > 0) return `behind by more than ${bound} ms: ${behind.join(', ')}`;
      },
      ...(platform.readModels.store === 'redis' ? { redis: () => platform.readModels.ping() } : {}),
      ...(platform.search.engine === 'elasticsearch' ? { elasticsearch: () => platform.search.ping() } : {}),
    };
    const checks = Object.fromEntries(
      await Promise.all(
        Object.entries(probes).map(async ([name, probe]) => {
          try {
            return [name, (await probe()) ?? 'ok'];
          } catch (error) {
            return [name, (error as Error).message];
          }
        }),
      ),
    ) as Record<string, string>;
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
