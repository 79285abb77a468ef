import type { FastifyInstance, HTTPMethods } from 'fastify';

export type RegisteredRoute = Readonly<{ method: string; url: string }>;

const LINE = /^((?:│ {3}| {4})*)(?:├── |└── )(.+?)(?: \(([A-Z]+(?:, [A-Z]+)*)\))?$/;

/**
 * Every route the server registers, as Fastify's router holds it (its automatic HEAD twins of GET
 * routes included): read from `app.printRoutes()`, the router's radix tree, whose labels along each
 * branch make the whole path; each one is checked with `app.hasRoute`, so a tree read wrongly fails
 * here instead of hiding a route. (`commonPrefix: false` prints a wildcard under a merged node without
 * that node's label: `/docs/*` for `/docs/static/*`.)
 */
export function registeredRoutes(app: FastifyInstance): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  const prefixes: string[] = [];
  for (const line of app.printRoutes().split('\n')) {
    if (line.trim() === '') continue;
    const match = LINE.exec(line);
    if (!match) throw new Error(`cannot read this line of printRoutes(): ${JSON.stringify(line)}`);
    const depth = match[1]!.length / 4;
    const url = (depth === 0 ? '' : prefixes[depth - 1]!) + match[2]!;
    prefixes.length = depth;
    prefixes[depth] = url;
    for (const method of match[3]?.split(', ') ?? []) routes.push({ method, url });
  }
  for (const route of routes)
    if (!app.hasRoute({ method: route.method as HTTPMethods, url: route.url }))
      throw new Error(`printRoutes() read as ${route.method} ${route.url}, which the router does not have`);
  if (routes.length === 0) throw new Error('printRoutes() listed no route');
  return routes;
}

/** `/orders/:orderId` as the OpenAPI document writes it: `/orders/{orderId}`. */
export const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');
