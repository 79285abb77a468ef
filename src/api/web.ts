import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { HttpProblem } from './problem.ts';

/** Where `scripts/build-web.mjs` writes the built pages (`dist/web`), relative to the repository. */
export const WEB_BUILD_DIR = join(import.meta.dirname, '..', '..', 'dist', 'web');

export type WebDependencies = Readonly<{
  /** The built pages; absent or unbuilt, every page answers 503 saying how to build them. */
  buildDir: string;
}>;

/** What the storefront's server renderer (web/src/storefront/ssr.tsx, built) exports. */
type StorefrontRenderer = Readonly<{
  renderPage(
    url: string,
    data: Readonly<{ page: string } & Record<string, unknown>>,
    origin: string,
  ): { html: string; head: string; data: string };
}>;

const compressBrotli = promisify(brotliCompress);
const compressGzip = promisify(gzip);
const HTML = 'text/html; charset=utf-8';

/**
 * The web pages, served by the platform itself: the storefront at `/` (home and search) and under
 * `/shop/`, the operator console under `/console`, and their assets. The home page and product pages
 * are rendered here (crawlers read them; the browser takes them over without asking again), from the
 * same answers the JSON routes give (asked through `inject`, so the pages can never disagree with
 * the API). The other pages are drawn in the browser.
 */
export const webRoutes: FastifyPluginAsync<{ web: WebDependencies }> = async (app, { web }) => {
  const page = { schema: { hide: true } } as const;
  const built = existsSync(join(web.buildDir, 'built-from'));
  if (!built) {
    const notBuilt = () =>
      new HttpProblem(
        503,
        'pages-not-built',
        'Pages not built',
        'The storefront and console are not built: run `npm run build:web`.',
      );
    for (const url of ['/', '/shop/*', '/console', '/console/*'])
      app.get(url, page, async () => {
        throw notBuilt();
      });
    return;
  }

  const client = join(web.buildDir, 'client');
  const storefrontTemplate = readFileSync(join(client, 'index.html'), 'utf8');
  const consolePage = readFileSync(join(client, 'console', 'index.html'), 'utf8');
  const renderer = (await import(
    pathToFileURL(join(web.buildDir, 'server', 'ssr.js')).href
  )) as StorefrontRenderer;

  // Hashed file names: a changed file is a new name, so each can be kept for a year.
  await app.register(fastifyStatic, {
    root: join(client, 'assets'),
    prefix: '/assets/',
    preCompressed: true,
    immutable: true,
    maxAge: '365d',
    schemaHide: true,
    decorateReply: false,
    index: false,
  });
  for (const file of ['favicon.svg', 'robots.txt']) {
    const content = readFileSync(join(client, file));
    const type = file.endsWith('.svg') ? 'image/svg+xml' : 'text/plain; charset=utf-8';
    app.get(`/${file}`, page, async (_request, reply) =>
      reply.type(type).header('cache-control', 'public, max-age=86400').send(content),
    );
  }

  /** A page's HTML, compressed when the browser takes it: pages are drawn per request, so not cached. */
  const sendHtml = async (request: FastifyRequest, reply: FastifyReply, status: number, html: string) => {
    reply.code(status).type(HTML).header('cache-control', 'no-cache').header('vary', 'accept-encoding');
    const accepted = String(request.headers['accept-encoding'] ?? '');
    if (/\bbr\b/.test(accepted))
      return reply
        .header('content-encoding', 'br')
        .send(await compressBrotli(html, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } }));
    if (/\bgzip\b/.test(accepted))
      return reply.header('content-encoding', 'gzip').send(await compressGzip(html));
    return reply.send(html);
  };

  const origin = (request: FastifyRequest) => `${request.protocol}://${request.host}`;

  const storefront = async (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    data: Parameters<StorefrontRenderer['renderPage']>[1],
  ) => {
    const rendered = renderer.renderPage(request.url, data, origin(request));
    const html = storefrontTemplate
      .replace('<!--app-head-->', rendered.head)
      .replace('<!--app-html-->', rendered.html)
      .replace('<!--app-data-->', rendered.data);
    return sendHtml(request, reply, status, html);
  };

  /** The JSON route's answer, as any client would get it. */
  const ask = async (request: FastifyRequest, url: string) => {
    const answer = await app.inject({ method: 'GET', url, headers: { 'x-correlation-id': request.id } });
    return { status: answer.statusCode, body: answer.json<Record<string, unknown>>() };
  };

  // Home and search: the query string is the catalog's (`/?q=drill&category=Tools&page=2`).
  app.get('/', page, async (request, reply) => {
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    const catalog = await ask(request, `/products${query}`);
    if (catalog.status === 200)
      return storefront(request, reply, 200, { page: 'home', catalog: catalog.body });
    // A search the catalog refuses (a page number that is not one): the page says so, drawn in the browser.
    return storefront(request, reply, catalog.status, { page: 'app' });
  });

  app.get<{ Params: { sku: string } }>('/shop/products/:sku', page, async (request, reply) => {
    const product = await ask(request, `/products/${encodeURIComponent(request.params.sku)}`);
    if (product.status === 200)
      return storefront(request, reply, 200, { page: 'product', product: product.body });
    return storefront(request, reply, product.status === 404 ? 404 : product.status, { page: 'not-found' });
  });

  // Cart, checkout, account, orders: drawn in the browser for the signed-in shopper.
  app.get('/shop/*', page, async (request, reply) => storefront(request, reply, 200, { page: 'app' }));

  const consoleShell = async (request: FastifyRequest, reply: FastifyReply) =>
    sendHtml(request, reply, 200, consolePage);
  app.get('/console', page, consoleShell);
  app.get('/console/*', page, consoleShell);
};
