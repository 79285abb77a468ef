import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DatabaseUnavailableError } from '../db/sql-client.ts';
import type { DomainError } from '../domain/decider.ts';
import { setSecurityHeaders } from './security-headers.ts';

/** RFC 9457 problem details: the body of every error this API answers. */
export type Problem = {
  type: string;
  title: string;
  status: number;
  detail?: string;
  /** For validation errors: which fields, and what is wrong with each (never their values). */
  errors?: { field: string; problem: string }[];
  [extension: string]: unknown;
};

/** The OpenAPI description of `Problem`. */
export const problemSchema = z
  .looseObject({
    type: z.string().describe('URI naming the kind of problem'),
    title: z.string(),
    status: z.int().min(400).max(599),
    detail: z.string().optional(),
    errors: z
      .array(z.object({ field: z.string(), problem: z.string() }))
      .optional()
      .describe('validation errors: the fields at fault'),
  })
  .describe('RFC 9457 problem details');

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const PROBLEM_BASE = 'https://eventful-commerce.dev/problems/';

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail?: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
  }
}

export const sendProblem = (reply: FastifyReply, problem: Problem) =>
  reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);

const toProblem = (p: HttpProblem): Problem => ({
  type: PROBLEM_BASE + p.slug,
  title: p.title,
  status: p.status,
  ...(p.detail ? { detail: p.detail } : {}),
  ...p.extensions,
});

export const notFound = (what: string) => new HttpProblem(404, 'not-found', 'Not found', `${what} not found`);
export const unauthorized = (detail = 'a valid bearer token is required') =>
  new HttpProblem(401, 'unauthorized', 'Unauthorized', detail);
export const forbidden = (detail = 'your role may not do this') =>
  new HttpProblem(403, 'forbidden', 'Forbidden', detail);

/** How each domain rule a command broke reads over HTTP. Unlisted codes are a 409 conflict with the state. */
const DOMAIN_STATUS: Record<string, number> = {
  InvalidCommandData: 400,
  CardDataNotAllowed: 400,
  EmptyOrder: 422,
  CartEmpty: 422,
  QuantityTooLarge: 422,
  QuantityUnavailable: 409,
  InsufficientStock: 409,
  ProductNotListed: 404,
  ItemNotInCart: 404,
  OrderNotFound: 404,
  OrderAlreadyPlaced: 422,
};

export const domainProblem = (error: DomainError) =>
  new HttpProblem(DOMAIN_STATUS[error.code] ?? 409, kebab(error.code), spaced(error.code), error.message, {
    code: error.code,
    ...(error.details ? { details: error.details } : {}),
  });

const kebab = (code: string) => code.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
const spaced = (code: string) => code.replace(/([a-z])([A-Z])/g, '$1 $2');

const FRAMEWORK_TITLES: Record<number, string> = {
  400: 'Bad request',
  408: 'Request timeout',
  413: 'Payload too large',
  414: 'URI too long',
  415: 'Unsupported media type',
  431: 'Request header fields too large',
};

/** What the framework or Node's HTTP server refuses (no route involved), as a problem document. */
export const frameworkProblem = (status: number, code: string | undefined, detail: string): Problem => ({
  type: PROBLEM_BASE + (code ?? 'bad-request').toLowerCase().replace(/_/g, '-'),
  title: FRAMEWORK_TITLES[status] ?? STATUS_CODES[status] ?? 'Bad request',
  status,
  detail,
});

/** Fastify's `frameworkErrors`: what the router refuses (a malformed or over-long URL) is a problem document too. */
export const sendFrameworkProblem = (error: FastifyError, _request: unknown, reply: FastifyReply): void => {
  // Answered before any hook runs: the security headers are set here.
  setSecurityHeaders(reply.raw);
  // A path parameter longer than the router takes is an invalid parameter like any other too long
  // one (400), not a URI too long to read (414).
  const status =
    error.code !== 'FST_ERR_MAX_PARAM_LENGTH' && error.statusCode && error.statusCode < 500
      ? error.statusCode
      : 400;
  // The reply is sent; Fastify wants nothing back from this hook.
  void sendProblem(reply, frameworkProblem(status, error.code, error.message));
};

/**
 * The methods each path answers, from the routes as they are registered, so that a request for a path
 * that exists with a method it does not take is a 405 naming the methods in `Allow` (RFC 9110), not a
 * 404. Only asked when no route matched.
 */
class RouteMethods {
  private readonly routes = new Map<string, { pattern: RegExp; methods: Set<string> }>();

  add(route: Pick<RouteOptions, 'method' | 'url'>): void {
    const source = route.url
      .split('/')
      .map((part) => (part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : escapeRegExp(part)))
      .join('/');
    const known = this.routes.get(source) ?? { pattern: new RegExp(`^${source}$`), methods: new Set() };
    [route.method].flat().forEach((method) => known.methods.add(method));
    this.routes.set(source, known);
  }

  /** The methods `url`'s path answers, in a stable order; none when no route has that path. */
  allowed(url: string): string[] {
    const path = url.split('?', 1)[0]!;
    const methods = new Set<string>();
    for (const { pattern, methods: of } of this.routes.values())
      if (pattern.test(path)) of.forEach((method) => methods.add(method));
    return [...methods].sort();
  }
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every error leaves as problem+json; nothing a client sends can make the server answer 5xx. */
export function registerProblemHandlers(app: FastifyInstance) {
  const routeMethods = new RouteMethods();
  app.addHook('onRoute', (route) => routeMethods.add(route));
  // No route for this method and path: 405 with `Allow` when the path exists with other methods.
  const noRoute = (request: FastifyRequest, reply: FastifyReply) => {
    const allowed = routeMethods.allowed(request.url);
    if (allowed.length === 0 || allowed.includes(request.method))
      return sendProblem(
        reply,
        toProblem(
          new HttpProblem(404, 'not-found', 'Not found', `no route ${request.method} ${request.url}`),
        ),
      );
    return sendProblem(
      reply.header('allow', allowed.join(', ')),
      toProblem(
        new HttpProblem(
          405,
          'method-not-allowed',
          'Method not allowed',
          `${request.method} is not allowed here; allowed: ${allowed.join(', ')}`,
        ),
      ),
    );
  };
  app.setNotFoundHandler(noRoute);

  app.setErrorHandler((error: FastifyError | HttpProblem, request, reply) => {
    // No route, but its body was read (and refused) first: e.g. QUERY without a Content-Type.
    if (request.is404) return noRoute(request, reply);
    if (error instanceof HttpProblem) return sendProblem(reply, toProblem(error));
    if (error instanceof DatabaseUnavailableError) {
      request.log.warn({ err: error }, 'database unavailable');
      return sendProblem(reply.header('retry-after', '5'), {
        type: PROBLEM_BASE + 'database-unavailable',
        title: 'Service unavailable',
        status: 503,
        detail:
          'the database did not answer; retry later (with the same Idempotency-Key: nothing is done twice)',
      });
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const errors = error.validation.map((v) => ({
        field: [error.validationContext, ...v.instancePath.split('/').filter(Boolean)].join('.'),
        problem: v.message ?? 'is invalid',
      }));
      return sendProblem(reply, {
        type: PROBLEM_BASE + 'validation',
        title: 'Invalid request',
        status: 400,
        detail: `invalid ${errors.map((e) => e.field).join(', ')}`,
        errors,
      });
    }
    const status = error.statusCode ?? 500;
    // Fastify's own refusals: a malformed or empty JSON body, too large (413), another media type (415).
    if (status < 500) return sendProblem(reply, frameworkProblem(status, error.code, error.message));
    request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, {
      type: PROBLEM_BASE + 'internal',
      title: 'Internal error',
      status: 500,
      detail: 'the request could not be completed; it is safe to retry',
    });
  });
}
