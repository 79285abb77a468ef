import type { SwaggerTransformObject } from '@fastify/swagger';
import type { FastifySchema, RouteOptions } from 'fastify';
import { z } from 'zod';
import { problemSchema, PROBLEM_CONTENT_TYPE } from './problem.ts';
import { recordedEventSchema } from './recorded-event.ts';

/**
 * Every answer a route can give, in the OpenAPI document, so that schema-driven clients and fuzzers
 * check status codes too. Added to each route as it is registered (an onRoute hook): the problem
 * document for each error it can answer, and a success schema for the few routes that declare none.
 * What a route declares itself always wins.
 */
export function documentAnswers(route: RouteOptions): void {
  const schema: FastifySchema = route.schema ?? {};
  if (schema.hide) return;
  const methods = [route.method].flat();
  const key = `${methods[0]} ${route.url}`;
  const errors = new Set<number>([429, 500, 503, ...(HANDLER_ERRORS[key] ?? [])]);
  if (schema.body || schema.querystring || schema.params || schema.headers) errors.add(400);
  if (methods.some((m) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(m)))
    [400, 413, 415].forEach((s) => errors.add(s));
  if (schema.security?.length) [401, 403].forEach((s) => errors.add(s));
  if (schema.params || route.url.includes(':')) errors.add(404);
  route.schema = {
    ...schema,
    response: {
      ...Object.fromEntries(
        [...errors].sort((a, b) => a - b).map((status) => [status, problemAnswer(status)]),
      ),
      ...SUCCESSES[key],
      ...(schema.response as object | undefined),
    },
  };
}

type Document = { paths?: object; components?: { schemas?: object } };
type Operation = { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> };

/**
 * @fastify/swagger's `transformObject`: the problem schema once, in components, and every error
 * answer refers to it (inline, it was most of the document). A 204 has no content (its declared
 * schema, `z.void()`, would otherwise read as a JSON body).
 */
export const referToOneProblemSchema: SwaggerTransformObject = (document) => {
  if (!('openapiObject' in document)) return document.swaggerObject;
  const openapi = document.openapiObject as Document;
  let problem: unknown;
  for (const operations of Object.values(openapi.paths ?? {}) as Record<string, Operation>[])
    for (const { responses } of Object.values(operations))
      for (const [status, response] of Object.entries(responses ?? {})) {
        if (status === '204') delete response.content;
        const content = response.content?.[PROBLEM_CONTENT_TYPE];
        if (!content) continue;
        problem ??= content.schema;
        content.schema = { $ref: '#/components/schemas/Problem' };
      }
  if (problem)
    openapi.components = {
      ...openapi.components,
      schemas: { ...openapi.components?.schemas, Problem: problem },
    };
  return document.openapiObject;
};

const ERROR_MEANINGS: Record<number, string> = {
  400: 'Invalid request: malformed, or fields at fault (listed in `errors`)',
  401: 'No valid bearer token',
  403: 'The caller may not do this',
  404: 'Not found, or not visible to the caller',
  409: 'In conflict with the current state',
  413: 'Body over the size limit',
  415: 'Body of a media type the route does not take',
  422: 'Refused by a business rule',
  429: 'Too many requests: retry after `Retry-After` seconds',
  500: 'Internal error: safe to retry',
  503: 'Unavailable for now: retry later',
};

const problemAnswer = (status: number) => ({
  description: ERROR_MEANINGS[status] ?? 'Problem',
  content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
});

/**
 * Errors a route's handler answers beyond those its schema implies (400 for inputs, 401/403 for a
 * bearer, 404 for path parameters, 413/415 for a body, 429/500/503 for all). Keyed by method and path.
 */
export const HANDLER_ERRORS: Readonly<Record<string, readonly number[]>> = {
  'POST /auth/register': [409],
  'POST /auth/login': [401, 403],
  'POST /auth/refresh': [401],
  'PUT /admin/products/:sku': [409, 422],
  'POST /admin/inventory/:sku/receive': [409, 422],
  'POST /admin/inventory/:sku/adjust': [409, 422],
  'GET /cart': [422],
  'POST /cart/items': [404, 409, 422],
  'PUT /cart/items/:sku': [409, 422],
  'DELETE /cart/items/:sku': [409, 422],
  'POST /cart/merge': [404, 409, 422],
  'POST /checkout': [409, 422],
  'POST /orders/:orderId/cancel': [409, 422],
  'POST /admin/projections/:name/rebuild': [409, 422],
  // After the sale: a rule of the order broken (409), an Idempotency-Key sent again with another body
  // or a return after its window (422); src/api/after-sale-problems.ts.
  'POST /admin/orders/:orderId/shipments': [409, 422],
  'POST /admin/orders/:orderId/shipments/:shipmentId/delivery': [409, 422],
  'POST /admin/orders/:orderId/cancel': [409, 422],
  'POST /admin/orders/:orderId/refunds': [409, 422],
  'POST /orders/:orderId/returns': [409, 422],
  'POST /admin/returns/:returnId/receipt': [409, 422],
  // An order that is not (or no longer) held for review.
  'POST /admin/orders/:orderId/review': [409],
  'GET /admin/analytics/sales': [422],
  'GET /admin/analytics/funnel': [422],
};

const money = z.object({ amount: z.int(), currency: z.string() });
const orderLine = z.looseObject({ sku: z.string(), quantity: z.int(), unitPrice: money, lineTotal: money });
const order = z.looseObject({
  orderId: z.string(),
  status: z.string(),
  lines: z.array(orderLine),
  total: money,
  createdAt: z.string(),
  updatedAt: z.string(),
  reason: z.string().optional(),
});
/** What happened, the status after it, when; and what else the event says (a shipment's tracking…). */
const timelineEntry = z.looseObject({ event: z.string(), status: z.string(), at: z.string() });
const rebuildStatus = z.object({
  state: z.enum(['running', 'succeeded', 'failed']),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  events: z.int(),
  total: z.int(),
  position: z.int(),
  error: z.string().optional(),
});
const dateOrNull = z.string().nullable();

/** Success bodies of routes whose own schema declares none. */
export const SUCCESSES: Readonly<Record<string, Readonly<Record<number, z.ZodType>>>> = {
  'GET /orders': {
    200: z.object({
      items: z.array(order.extend({ timeline: z.array(timelineEntry) })),
      total: z.int(),
      page: z.int(),
      pageSize: z.int(),
    }),
  },
  'GET /orders/:orderId': { 200: order },
  'GET /orders/:orderId/events': { 200: z.array(recordedEventSchema) },
  'POST /orders/:orderId/cancel': { 200: z.object({ orderId: z.string(), status: z.string() }) },
  'GET /admin/analytics/sales': {
    200: z.object({
      from: z.string(),
      to: z.string(),
      sales: z.array(
        z.object({
          day: z.string(),
          sku: z.string(),
          currency: z.string(),
          units: z.number(),
          revenue: z.number(),
          orders: z.number(),
        }),
      ),
    }),
  },
  'GET /admin/analytics/funnel': {
    200: z.object({
      from: dateOrNull,
      to: dateOrNull,
      placed: z.number(),
      confirmed: z.number(),
      cancelled: z.number(),
      conversionRate: z.number(),
    }),
  },
  'GET /admin/projections': {
    200: z.object({
      lagBoundMs: z.int(),
      projections: z.array(
        z.looseObject({
          name: z.string(),
          rebuildable: z.boolean(),
          refusal: z.string().optional(),
          live: z.boolean(),
          checkpoint: z.object({ transactionId: z.string(), globalPosition: z.int() }).nullable(),
          lagSeconds: z.number(),
          behind: z.boolean(),
          rebuild: rebuildStatus.optional(),
        }),
      ),
    }),
  },
  'POST /admin/projections/:name/rebuild': {
    202: z.object({ projection: z.string(), rebuild: rebuildStatus.optional() }),
  },
  'POST /webhooks/stripe': { 200: z.object({ received: z.literal(true), acted: z.boolean() }) },
};
