import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { forbidden, unauthorized } from './problem.ts';

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
  /** Set: /metrics needs it as a bearer token. Unset: /metrics answers the loopback address only. */
  metricsToken: string | undefined;
}>;

const readiness = z.object({
  status: z.enum(['ready', 'not ready']),
  profile: z.enum(['embedded', 'services']),
  checks: z.record(z.string(), z.string()).describe("each dependency: 'ok', or what is wrong with it"),
});

/** Liveness, readiness and Prometheus metrics. */
export const opsRoutes: FastifyPluginAsync<{ ops: OpsDependencies }> = async (app, { ops }) => {
  app.get(
    '/health',
    { schema: { tags: ['operations'], response: { 200: z.object({ status: z.literal('ok') }) } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/ready',
    { schema: { tags: ['operations'], response: { 200: readiness, 503: readiness } } },
    async (_request, reply) => {
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
    },
  );

  const mayReadMetrics = metricsAccess(ops.metricsToken);
  app.get(
    '/metrics',
    {
      onRequest: async (request, reply) => mayReadMetrics(request, reply),
      schema: {
        tags: ['operations'],
        security: [{ metricsToken: [] }],
        description:
          'Prometheus text. With METRICS_TOKEN set, for `Authorization: Bearer <METRICS_TOKEN>`; ' +
          'without, for clients on the loopback address only.',
        response: {
          200: {
            description: 'Prometheus exposition format',
            content: { 'text/plain': { schema: z.string() } },
          },
        },
      },
    },
    async (_request, reply) => {
      const registry = ops.metrics;
      return reply.type(registry.contentType).send(await registry.metrics());
    },
  );
};

/**
 * Business figures and per-route counts are not for the public: a bearer token compared in constant
 * time, or, with no token configured, the loopback address (the socket's, never a forwarded header).
 */
function metricsAccess(token: string | undefined): (request: FastifyRequest, reply: FastifyReply) => void {
  if (token === undefined)
    return (request) => {
      if (!isLoopback(request.socket.remoteAddress))
        throw forbidden('metrics are served on the loopback address only (METRICS_TOKEN is not set)');
    };
  const expected = digest(token);
  return (request, reply) => {
    const [scheme, presented] = (request.headers.authorization ?? '').split(' ', 2);
    if (scheme?.toLowerCase() !== 'bearer' || !presented || !timingSafeEqual(digest(presented), expected)) {
      reply.header('www-authenticate', 'Bearer realm="metrics"');
      throw unauthorized('the metrics token is required');
    }
  };
}

/** Equal lengths for timingSafeEqual, whatever was presented. */
const digest = (secret: string) => createHash('sha256').update(secret).digest();

const isLoopback = (address: string | undefined) =>
  address !== undefined &&
  (address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.'));
