import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, validatorCompiler } from 'fastify-type-provider-zod';
import { randomBytes } from 'node:crypto';
import { listedPrices, sellableUnits } from '../commands/listed-products.ts';
import { conversionFunnel, salesPerSkuPerDay } from '../integration/consumers/analytics.ts';
import type { Platform } from '../platform.ts';
import { CustomerCarts } from '../projections/carts/current-cart.ts';
import { productPage } from '../projections/catalog/index.ts';
import {
  listOrders,
  listReturns,
  orderOfReturn,
  ordersOfCustomer,
} from '../projections/orders/order-history.ts';
import { stockAsOf } from '../projections/stock-history/index.ts';
import type { CheckoutDependencies } from '../commands/checkout.ts';
import { adminCatalogRoutes, type AdminCatalogDependencies } from './admin-catalog.ts';
import { adminProjectionRoutes, type AdminProjectionDependencies } from './admin-projections.ts';
import { analyticsRoutes, type AnalyticsDependencies } from './analytics.ts';
import { authPlugin } from './auth.ts';
import { cartRoutes, type CartDependencies } from './cart.ts';
import { catalogRoutes, type CatalogDependencies } from './catalog.ts';
import { checkoutRoutes } from './checkout.ts';
import { gateRoutes, type GateRouteDependencies } from './gate.ts';
import { identityRoutes } from './identity.ts';
import { openIdentity } from '../identity/index.ts';
import { registerRateLimits } from './rate-limits.ts';
import { opsRoutes, type OpsDependencies } from './ops.ts';
import { orderRoutes, type OrderDependencies } from './orders.ts';
import { fulfilmentRoutes, type FulfilmentRouteDependencies } from './fulfilment.ts';
import { returnRoutes, type ReturnRouteDependencies } from './returns.ts';
import { reviewRoutes, type ReviewRouteDependencies } from './reviews.ts';
import { clientAddressKey } from '../commands/client-address.ts';
import { businessMetricsRoutes, type BusinessMetricsDependencies } from './business-metrics.ts';
import { businessSeries } from '../projections/business/index.ts';
import { webhookRoutes, type WebhookDependencies } from './webhooks.ts';
import { recordRequestLatency, RequestLatency } from './request-latency.ts';
import { RequestLogger } from './request-logger.ts';
import { registerProblemHandlers, sendFrameworkProblem } from './problem.ts';
import { capConnections, connectionOptions } from './connection-limits.ts';
import { documentAnswers, referToOneProblemSchema } from './openapi-responses.ts';
import { addSecurityHeaders, DOCS_CONTENT_SECURITY_POLICY } from './security-headers.ts';
import { streamRoutes, type StreamDependencies } from './streams.ts';
import { liveOrderRoutes, type LiveOrderDependencies } from './live.ts';
import { storefrontConfigRoutes, type StorefrontConfigDependencies } from './storefront-config.ts';
import { CATALOG_CURRENCY } from '../projections/catalog/types.ts';
import { webRoutes, WEB_BUILD_DIR } from './web.ts';

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
    // Time limits on slow requests, and their refusals (408, 431, malformed) as problem documents.
    ...connectionOptions(platform.config),
    // Stream ids (GET /streams/:streamId) may be up to 251 characters long, and no path parameter is
    // documented longer than 300 characters: counted in UTF-16 code units, as the router does, that
    // is at most 600. Longer ones are refused by the router (400), shorter ones by their schema.
    routerOptions: { maxParamLength: 1000 },
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
  addSecurityHeaders(app);
  capConnections(app.server, platform.config);
  // Before any route is added: every route's answers, errors included, go into the OpenAPI document.
  app.addHook('onRoute', documentAnswers);

  recordRequestLatency(
    app,
    await RequestLatency.replacing(platform.metrics.httpRequestDuration, platform.metrics.registry),
  );

  await app.register(fastifySwagger, {
    openapi: {
      // 3.1: its schemas are JSON Schema 2020-12, which says what 3.0's subset cannot (the names an
      // object's keys may have, for one), so that what the document calls valid the routes accept.
      openapi: '3.1.0',
      info: {
        title: 'eventful-commerce',
        version: '1.0.0',
        description: 'Event-sourced order platform (API v1)',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN' },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: referToOneProblemSchema,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: DOCS_CONTENT_SECURITY_POLICY });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const identity = await openIdentity(platform.db, platform.users, platform.config);
  app.addHook('onClose', () => identity.close());
  const limits = await registerRateLimits(app, platform.config, identity.redis);
  await app.register(authPlugin, {
    secret: platform.jwtSecret,
    accessTokenSeconds: identity.accessTokenSeconds,
    revocations: identity.revocations,
  });
  const deps = pluginDependencies(platform);
  await app.register(opsRoutes, { ops: deps.ops });
  await app.register(identityRoutes, {
    accounts: identity.accounts,
    accessTokenSeconds: identity.accessTokenSeconds,
    limits,
  });
  await app.register(catalogRoutes, { catalog: deps.catalog });
  await app.register(adminCatalogRoutes, { adminCatalog: deps.adminCatalog });
  await app.register(cartRoutes, { cart: deps.cart });
  await app.register(analyticsRoutes, { analytics: deps.analytics });
  await app.register(checkoutRoutes, { checkout: deps.checkout });
  await app.register(orderRoutes, { orders: deps.orders });
  await app.register(liveOrderRoutes, { live: deps.live });
  await app.register(fulfilmentRoutes, { fulfilment: deps.fulfilment });
  await app.register(returnRoutes, { returns: deps.returns });
  await app.register(reviewRoutes, { reviews: deps.reviews });
  await app.register(businessMetricsRoutes, { businessMetrics: deps.businessMetrics });
  await app.register(webhookRoutes, { webhooks: deps.webhooks });
  await app.register(adminProjectionRoutes, { adminProjections: deps.adminProjections });
  await app.register(gateRoutes, { gate: deps.gate });
  await app.register(streamRoutes, { streams: deps.streams });
  await app.register(storefrontConfigRoutes, { storefront: deps.storefront });
  await app.register(webRoutes, { web: { buildDir: WEB_BUILD_DIR } });

  return app;
}

export type PluginDependencies = Readonly<{
  ops: OpsDependencies;
  catalog: CatalogDependencies;
  adminCatalog: AdminCatalogDependencies;
  cart: CartDependencies;
  analytics: AnalyticsDependencies;
  checkout: CheckoutDependencies;
  orders: OrderDependencies;
  live: LiveOrderDependencies;
  fulfilment: FulfilmentRouteDependencies;
  returns: ReturnRouteDependencies;
  reviews: ReviewRouteDependencies;
  businessMetrics: BusinessMetricsDependencies;
  webhooks: WebhookDependencies;
  adminProjections: AdminProjectionDependencies;
  gate: GateRouteDependencies;
  streams: StreamDependencies;
  storefront: StorefrontConfigDependencies;
}>;

/** What each plugin is given of the platform: the only place the API sees the platform whole. */
export function pluginDependencies(platform: Platform): PluginDependencies {
  const { db, store, commands, readModels, config } = platform;
  const cart = cartDependencies(platform);
  return {
    ops: {
      profile: platform.profile,
      projectionLagBoundMs: config.PROJECTION_LAG_BOUND_MS,
      projectionsBehind: (boundMs) => platform.projections.behind(boundMs),
      pingDatabase: () => db.query('SELECT 1').then(() => undefined),
      services: {
        ...(readModels.store === 'redis' ? { redis: () => readModels.ping() } : {}),
        ...(platform.search.engine === 'elasticsearch'
          ? { elasticsearch: () => platform.search.ping() }
          : {}),
      },
      metrics: platform.metrics.registry,
      metricsToken: config.METRICS_TOKEN,
    },
    catalog: {
      search: platform.search,
      pages: {
        read: (sku) => productPage(db, sku, readModels.productPages),
        ...(readModels.productPages.peek ? { peek: readModels.productPages.peek } : {}),
      },
      inventory: commands.inventory,
      store,
      stockAsOf: (sku, asOf) => stockAsOf({ db, store }, sku, asOf),
    },
    adminCatalog: { products: commands.product, inventory: commands.inventory },
    cart,
    analytics: {
      salesPerSkuPerDay: (range) => salesPerSkuPerDay(db, range),
      conversionFunnel: (range) => conversionFunnel(db, range),
    },
    // Checkout finds the open cart and prices it as the cart does.
    checkout: {
      commands,
      currentCart: cart.openCart,
      prices: cart.prices,
      gate: platform.gate,
      clientKey: clientAddressKey(platform.jwtSecret),
    },
    orders: {
      orders: commands.order,
      store,
      ordersOfCustomer: (customerId, page, pageSize) => ordersOfCustomer(db, customerId, page, pageSize),
    },
    live: { store },
    fulfilment: {
      orders: commands.order,
      listOrders: (filter) => listOrders(db, filter),
    },
    returns: {
      orders: commands.order,
      returnWindowDays: config.RETURN_WINDOW_DAYS,
      orderOfReturn: (returnId) => orderOfReturn(db, returnId),
      listReturns: (filter) => listReturns(db, filter),
    },
    reviews: { orders: commands.order, reviews: (filter) => platform.fraud.reviews(filter) },
    businessMetrics: { series: (range) => businessSeries(db, range) },
    webhooks: {
      payments: commands.payment,
      // The saga's own queue: the order goes back in front of it, and this process's workers wake.
      enqueue: (orderId) => platform.saga.queue.enqueue(orderId),
      stripeWebhookSecret: config.STRIPE_WEBHOOK_SECRET,
    },
    adminProjections: { projections: platform.projections, lagBoundMs: config.PROJECTION_LAG_BOUND_MS },
    gate: { gate: platform.gate },
    streams: { store },
    storefront: {
      gateway: platform.gateway.name,
      stripePublishableKey: config.STRIPE_PUBLISHABLE_KEY,
      stripeTestMode: config.STRIPE_SECRET_KEY?.startsWith('sk_test_') ?? false,
      currency: CATALOG_CURRENCY,
      returnWindowDays: config.RETURN_WINDOW_DAYS,
    },
  };
}

/**
 * The cart's view of the shop: one lookup of open carts (what it remembers is shared with checkout),
 * today's prices, what is sellable now.
 */
function cartDependencies({ db, store, commands, readModels }: Platform): CartDependencies {
  const carts = new CustomerCarts(db);
  return {
    carts: commands.cart,
    openCart: (customerId) => carts.current(customerId, (streamId) => commands.cart.load(streamId)),
    recordOpenCart: (customerId, cartId) => carts.recordOpenCart(customerId, cartId),
    // Through the cart views (Redis, services profile): the view plus any events beyond it, so the
    // customer sees every change committed before this request, however far the projection lags.
    cartView: (customerId) => carts.current(customerId, readModels.cartState),
    prices: listedPrices(commands),
    sellable: sellableUnits({
      products: commands.product,
      inventory: commands.inventory,
      streamVersion: (streamId) => store.streamVersion(streamId),
      stockCounters: (streamIds) => readModels.stockCounters(streamIds),
    }),
  };
}
