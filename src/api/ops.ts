import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';

export type OpsDependencies = Readonly<{
  profile: 'embedded' | 'services';
  /** Lag beyond which a projection makes this process not ready (PROJECTION_LAG_BOUND_MS). */
  projectionLagBoundMs: number;
  /** The projections behind by more than `boundMs`, by name. */
  projectionsBehind(boundMs: number): Promise<readonly string[]>;
  /** Resolves when the database answers, throws what is wrong. */
  pingDatabase(): Promise<void>;
  /** The other services this process uses (Redis, Elasticsearch), by name, asked alike. */
  services: Readonly<Record<string, () => Promise<void>>>;
  metrics: Pick<Registry, 'contentType' | 'metrics'>;
}>;

/** Liveness, readiness and Prometheus metrics. */
export const opsRoutes: FastifyPluginAsync<{ ops: OpsDependencies }> = async (app, { ops }) => {
  app.get('/health', { schema: { tags: ['operations'] } }, async () => ({ status: 'ok' }));

  app.get('/ready', { schema: { tags: ['operations'] } }, async (_request, reply) => {
    // Each dependency this process uses, asked at once: 'ok', or what is wrong with it.
    const probes: Record<string, () => Promise<string | void>> = {
      database: () => ops.pingDatabase(),
      projections: async () => {
        const bound = ops.projectionLagBoundMs;
        const behind = await ops.projectionsBehind(bound);
        if (behind.length > 0) return `behind by more than ${bound} ms: ${behind.join(', ')}`;
      },
      ...ops.services,
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
      .send({ status: ready ? 'ready' : 'not ready', profile: ops.profile, checks });
  });

  app.get('/metrics', { schema: { tags: ['operations'] } }, async (_request, reply) => {
    const registry = ops.metrics;
    return reply.type(registry.contentType).send(await registry.metrics());
  });
};
