import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The storefront's policy, which the JSON answers share: the site's own scripts, styles, images and
 * API only, never framed. Vite builds the pages with no inline script or style element.
 */
const SITE_DIRECTIVES = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'frame-ancestors': ["'none'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
};

/** Swagger UI at /docs: its own scripts only, but it writes inline styles (its SVG icons are data: URIs). */
const DOCS_DIRECTIVES = { ...SITE_DIRECTIVES, 'style-src': ["'self'", "'unsafe-inline'"] };

const options = (directives: typeof SITE_DIRECTIVES): HelmetOptions => ({
  // Not helmet's defaults: they add upgrade-insecure-requests, which breaks a site served over plain HTTP.
  contentSecurityPolicy: { useDefaults: false, directives },
  frameguard: { action: 'deny' },
});

/** The headers helmet sets for these options: they depend on nothing else, so they are computed once. */
function helmetHeaders(helmetOptions: HelmetOptions): ReadonlyArray<readonly [string, string]> {
  const headers: [string, string][] = [];
  const response = {
    setHeader: (name: string, value: string | number) => headers.push([name, String(value)]),
    removeHeader: () => undefined,
  };
  helmet(helmetOptions)({} as IncomingMessage, response as unknown as ServerResponse, () => undefined);
  return headers;
}

/** `X-Content-Type-Options: nosniff`, the content security policy, `X-Frame-Options: DENY` and the rest. */
export const SECURITY_HEADERS = helmetHeaders(options(SITE_DIRECTIVES));

/** The content security policy of the Swagger UI pages (their plugin sets it over the site's). */
export const DOCS_CONTENT_SECURITY_POLICY = helmetHeaders(options(DOCS_DIRECTIVES)).find(
  ([name]) => name.toLowerCase() === 'content-security-policy',
)![1];

/** On the raw response, so that a reply that is hijacked (a stream) or sent before any hook has them too. */
export function setSecurityHeaders(response: Pick<ServerResponse, 'setHeader'>): void {
  for (const [name, value] of SECURITY_HEADERS) response.setHeader(name, value);
}

/**
 * Helmet's headers that only a document a browser renders (a page) acts on: the opener and agent
 * cluster of a window, DNS prefetching of a page's links, IE's handling of downloaded HTML, Flash and
 * PDF cross-domain policies, the XSS auditor. The API's answers are data, never such a document; a
 * header not named here goes on every answer.
 */
const DOCUMENT_ONLY = new Set([
  'cross-origin-opener-policy',
  'origin-agent-cluster',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
]);

const asHeaders = (headers: typeof SECURITY_HEADERS) =>
  Object.fromEntries(headers.map(([name, value]) => [name.toLowerCase(), value]));
/** The content security policy, nosniff, DENY, no-referrer, same-origin resources, HSTS. */
const ON_EVERY_ANSWER = asHeaders(
  SECURITY_HEADERS.filter(([name]) => !DOCUMENT_ONLY.has(name.toLowerCase())),
);
const ON_PAGES = asHeaders(SECURITY_HEADERS.filter(([name]) => DOCUMENT_ONLY.has(name.toLowerCase())));

/**
 * Every answer carries the security headers that concern it, errors included, set first thing,
 * before any other hook: the API's routes (those in the OpenAPI document, whose answers are data:
 * JSON, NDJSON, metrics) the headers that protect any answer; every other route (pages, their files, the API docs) those of
 * `DOCUMENT_ONLY` too. Set on the reply, not its raw response, so that Node writes them with the
 * reply's own headers in one pass (docs/decisions/0021: twelve headers set one by one on the raw
 * response cost a cached product page about a quarter of its CPU).
 */
export function addSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(ON_EVERY_ANSWER);
    done();
  });
  const onPages: onRequestHookHandler = (_request, reply, done) => {
    reply.headers(ON_PAGES);
    done();
  };
  app.addHook('onRoute', (route) => {
    const schema = route.schema as { hide?: boolean } | undefined;
    if (schema && !schema.hide) return; // an API route
    route.onRequest = [...[route.onRequest ?? []].flat(), onPages];
  });
}
