import Fastify, { type FastifyInstance } from 'fastify';
import type { Platform } from '../platform.ts';

/** The HTTP API: one Fastify plugin per area, registered here in one visible place. */
export async function buildServer(platform: Platform): Promise<FastifyInstance> {
  const app = Fastify({ logger: { level: platform.config.LOG_LEVEL }, bodyLimit: 64 * 1024 });

  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/ready', async (_request, reply) => {
    try {
      await platform.db.query('SELECT 1');
      return { status: 'ready', profile: platform.profile };
    } catch (error) {
      return reply.code(503).send({ status: 'not ready', database: (error as Error).message });
    }
  });

  return app;
}
