import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type SeenRequest = {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  form: URLSearchParams;
};
export type Answer = { status: number; body: Record<string, unknown> };

export type ProxyHooks = {
  /** Answer without asking stripe-mock, to stage what it never says (errors, outages). */
  intercept?: (request: SeenRequest, index: number) => Answer | undefined;
  /** Change stripe-mock's answer before the SDK sees it. */
  rewrite?: (request: SeenRequest, answer: Answer) => Answer;
};

export type StripeProxy = { url: URL; requests: SeenRequest[]; close(): Promise<void> };

const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'keep-alive', 'transfer-encoding']);

/**
 * A local HTTP proxy in front of the real stripe-mock that records every request the SDK really sends
 * (headers and form body) and can stage answers. stripe-mock still validates each forwarded request
 * against Stripe's OpenAPI spec.
 */
export async function startStripeProxy(upstream: URL, hooks: ProxyHooks = {}): Promise<StripeProxy> {
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => void forward(req, res));
  async function forward(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const target = new URL(req.url ?? '/', upstream);
    const seen: SeenRequest = {
      method: req.method ?? 'GET',
      path: target.pathname,
      headers: req.headers,
      form: new URLSearchParams(req.method === 'GET' ? target.search : body),
    };
    requests.push(seen);
    try {
      let answer = hooks.intercept?.(seen, requests.length - 1);
      if (!answer) {
        const headers = Object.entries(req.headers).flatMap(([name, value]) =>
          HOP_BY_HOP.has(name) || value === undefined ? [] : [[name, String(value)] as [string, string]],
        );
        const upstreamRes = await fetch(target, {
          method: seen.method,
          headers,
          ...(seen.method === 'GET' ? {} : { body }),
        });
        answer = { status: upstreamRes.status, body: (await upstreamRes.json()) as Record<string, unknown> };
        if (hooks.rewrite) answer = hooks.rewrite(seen, answer);
      }
      const idempotencyKey = req.headers['idempotency-key'];
      res.writeHead(answer.status, {
        'content-type': 'application/json',
        'request-id': 'req_proxy',
        ...(typeof idempotencyKey === 'string' ? { 'idempotency-key': idempotencyKey } : {}),
      });
      res.end(JSON.stringify(answer.body));
    } catch (error) {
      res.writeHead(599, { 'content-type': 'text/plain' });
      res.end(`proxy failure: ${String(error)}`);
    }
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}`),
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
