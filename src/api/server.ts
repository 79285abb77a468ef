import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, validatorCompiler } from 'fastify-type-provider-zod';
import { randomBytes } from 'node:crypto';
import { listedPrices } from '../commands/checkout.ts';
import type { Platform } from '../platform.ts';
import { currentCart } from '../projections/carts/current-cart.ts';
import { adminCatalogRoutes } from './admin-catalog.ts';
import { adminProjectionRoutes } from './admin-projections.ts';
import { analyticsRoutes } from './analytics.ts';
import { authPlugin } from './auth.ts';
import { cartRoutes } from './cart.ts';
import { catalogRoutes } from './catalog.ts';
import { checkoutRoutes } from './checkout.ts';
import { identityRoutes } from './identity.ts';
import { opsRoutes } from './ops.ts';
import { orderRoutes } from './orders.ts';
import { webhookRoutes } from './webhooks.ts';
import { recordRequestLatency, RequestLatency } from './request-latency.ts';
import { RequestLogger } from './request-logger.ts';
import { registerProblemHandlers, sendFrameworkProblem } from './problem.ts';
import { streamRoutes } from './streams.ts';

export const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Request ids, which also become the correlation id of the events a request causes: unique across
 * processes (a random prefix per process) and cheap (a counter: a UUID per request cost a fifth of
 * a cached product page's time).
 */
function requestIds(): () => string {
  const prefix = randomBytes(9).toString('base64url');
  let next = 0;
  return () => `${prefix}-${(++next).toString(36)}`;
}

/** The HTTP API: one Fastify plugin per area, registered here in one visible place. */
export async function buildServer(platform: Platform): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: platform.config.LOG_LEVEL,
      // Credentials never reach the log, even at debug level.
      redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["stripe-signature"]'],
    },
    bodyLimit: BODY_LIMIT_BYTES,
    // Stream ids (GET /streams/:streamId) may be up to 251 characters long.
    routerOptions: { maxParamLength: 300 },
    frameworkErrors: sendFrameworkProblem,
    genReqId: requestIds(),
    childLoggerFactory: (logger, bindings, options) => new RequestLogger(logger, bindings, options),
    logController: new LogController({
      disableRequestLogging: platform.config.LOG_LEVEL !== 'debug' && platform.config.LOG_LEVEL !== 'trace',
    }),
  });
  app.setValidatorCompiler(validatorCompiler);
  // Responses are written by our own handlers from typed values: serialise them plainly and fast.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  registerProblemHandlers(app);

  recordRequestLatency(
    app,
    await RequestLatency.replacing(platform.metrics.httpRequestDuration, platform.metrics.registry),
  );

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'eventful-commerce',
        version: '1.0.0',
        description: 'Event-sourced order platform (API v1)',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(authPlugin, { secret: platform.jwtSecret });
  await app.register(opsRoutes, { platform });
  await app.register(identityRoutes, { users: platform.users });
  for (const routes of [catalogRoutes, adminCatalogRoutes, cartRoutes, analyticsRoutes])
    await app.register(routes, { platform });
  await app.register(checkoutRoutes, {
    checkout: {
      commands: platform.commands,
      currentCart: (customerId) => currentCart(platform, customerId),
      prices: listedPrices(platform.commands),
    },
  });
  await app.register(orderRoutes, { platform });
  await app.register(webhookRoutes, { platform });
  await app.register(adminProjectionRoutes, { platform });
  await app.register(streamRoutes, { platform });

  return app;
}
