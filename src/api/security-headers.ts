import type { FastifyInstance } from 'fastify';
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

/** Every answer carries the security headers, errors included: set first thing, before any other hook. */
export function addSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (_request, reply, done) => {
    setSecurityHeaders(reply.raw);
    done();
  });
}
