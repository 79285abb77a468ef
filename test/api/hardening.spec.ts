import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionOptions } from '../../src/api/connection-limits.ts';
import { testApp, type TestApp } from '../support/platform.ts';

type Answer = { status: number; headers: Record<string, string>; body: string };

const METRICS_TOKEN = 'metrics-token-for-the-hardening-test';
const MAX_CONNECTIONS = 4;

/** An HTTP/1.1 answer as the bytes came back on the socket. */
function parse(raw: string): Answer {
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => [
      line.slice(0, line.indexOf(':')).toLowerCase(),
      line.slice(line.indexOf(':') + 1).trim(),
    ]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
}

/** A connection of our own, and everything the server sent on it until it closed it. */
function connect(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (received += chunk));
  // Writing after the server closed may fail: what it answered before is what counts.
  socket.on('error', () => undefined);
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(received)));
  return { socket, closed, received: () => received };
}

/** One request on a connection of its own (no pool), closed after the answer. */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path, headers, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode!, headers: response.headers as Record<string, string>, body }),
      );
    });
    request.on('error', reject);
  });
}

const expectProblem = (answer: Answer, status: number) => {
  expect(answer.status, answer.body).toBe(status);
  expect(answer.headers['content-type']).toContain('application/problem+json');
  expect(JSON.parse(answer.body)).toMatchObject({
    status,
    type: expect.any(String),
    title: expect.any(String),
  });
  expect(answer.headers['x-content-type-options']).toBe('nosniff');
};

const expectSecurityHeaders = (headers: Record<string, unknown>) => {
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['referrer-policy']).toBe('no-referrer');
  const csp = String(headers['content-security-policy']);
  for (const directive of [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
  ])
    expect(csp).toContain(directive);
  expect(csp).not.toContain('unsafe');
};

const fromInject = (response: LightMyRequestResponse): Answer => ({
  status: response.statusCode,
  headers: response.headers as Record<string, string>,
  body: response.body,
});

describe('hardening over a real connection', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    t = await testApp('embedded', {
      HTTP_REQUEST_TIMEOUT_MS: '1500',
      HTTP_HEADERS_TIMEOUT_MS: '1000',
      HTTP_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
      METRICS_TOKEN,
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as net.AddressInfo).port;
  });
  afterAll(() => t.close());

  it('answers a 20 KB query string with a 431 problem', async () => {
    const answer = await get(port, `/products?q=${'a'.repeat(20_000)}`);
    expectProblem(answer, 431);
    expectSecurityHeaders(answer.headers);
  });

  it('answers a malformed header with a 400 problem and closes the connection', async () => {
    const { socket, closed } = connect(port);
    socket.write('GET /products HTTP/1.1\r\nHost: test\r\nBad Header: value\r\n\r\n');
    expectProblem(parse(await closed), 400);
  });

  it('cuts off a body sent a byte at a time (408), and answers others meanwhile', async () => {
    const { socket, closed, received } = connect(port);
    const length = 200;
    socket.write(
      `POST /webhooks/stripe HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n{`,
    );
    let sent = 1;
    const trickle = setInterval(() => {
      if (received() !== '' || socket.destroyed) return;
      socket.write(' ');
      sent++;
    }, 300);
    try {
      // Others are served while the slow body is still coming.
      expect((await get(port, '/health')).status).toBe(200);
      expect(socket.destroyed).toBe(false);
      const answer = await closed;
      expect(sent).toBeLessThan(length);
      // A 408 problem; only a byte of ours crossing the close could leave it a bare close.
      if (answer !== '') expectProblem(parse(answer), 408);
    } finally {
      clearInterval(trickle);
    }
    expect((await get(port, '/health')).status).toBe(200);
  });

  it('closes a connection that sends nothing (408)', async () => {
    const { closed } = connect(port);
    expectProblem(parse(await closed), 408);
  });

  it(`closes connections beyond ${MAX_CONNECTIONS} as they arrive`, async () => {
    // Keep-alive connections that have had their answer stay open, idle.
    const held = Array.from({ length: MAX_CONNECTIONS }, () => connect(port));
    for (const { socket } of held) socket.write('GET /health HTTP/1.1\r\nHost: test\r\n\r\n');
    await expect.poll(() => held.every(({ received }) => received().startsWith('HTTP/1.1 200'))).toBe(true);

    const refused = connect(port);
    refused.socket.write('GET /health HTTP/1.1\r\nHost: test\r\n\r\n');
    expect(await refused.closed).toBe('');
    expect(held.every(({ socket }) => !socket.destroyed)).toBe(true);

    held[0]!.socket.destroy();
    await held[0]!.closed;
    const connections = () =>
      new Promise<number>((resolve, reject) =>
        t.app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      );
    await expect.poll(connections).toBe(MAX_CONNECTIONS - 1);
    expect((await get(port, '/health')).status).toBe(200);
    for (const { socket, closed } of held.slice(1)) {
      socket.destroy();
      await closed;
    }
  });

  it('sets the security headers on a page of products, a 404 and every problem', async () => {
    expectSecurityHeaders((await get(port, '/products')).headers);
    const notFound = await get(port, '/nonesuch');
    expectProblem(notFound, 404);
    expectSecurityHeaders(notFound.headers);
    const unauthorized = await get(port, '/cart');
    expectProblem(unauthorized, 401);
    expectSecurityHeaders(unauthorized.headers);
    const badUrl = await get(port, '/products/%zz');
    expectProblem(badUrl, 400);
    expectSecurityHeaders(badUrl.headers);
  });

  it("gives pages the headers only a rendered document acts on, and the API's JSON answers the others", async () => {
    // Helmet's defaults that concern a window or a page's HTML; the others protect any answer.
    const documentOnly = {
      'cross-origin-opener-policy': 'same-origin',
      'origin-agent-cluster': '?1',
      'x-dns-prefetch-control': 'off',
      'x-download-options': 'noopen',
      'x-permitted-cross-domain-policies': 'none',
      'x-xss-protection': '0',
    };
    const everyAnswer = {
      'cross-origin-resource-policy': 'same-origin',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
    };
    const docs = await get(port, '/docs');
    expect(docs.headers['content-type']).toContain('text/html');
    expect(docs.headers).toMatchObject({ ...documentOnly, ...everyAnswer });
    for (const path of ['/products', '/products/NONESUCH', '/nonesuch']) {
      const answer = await get(port, path);
      expect(answer.headers['content-type'], path).toMatch(/json/);
      expectSecurityHeaders(answer.headers);
      expect(answer.headers, path).toMatchObject(everyAnswer);
      for (const name of Object.keys(documentOnly)) expect(answer.headers, path).not.toHaveProperty(name);
    }
  });

  it('answers malformed JSON (400), a body too large (413) and another media type (415) with problems', async () => {
    const post = (payload: string, contentType = 'application/json') =>
      t.app.inject({ method: 'POST', url: '/auth/login', headers: { 'content-type': contentType }, payload });
    for (const [response, status] of [
      [await post('{"email": '), 400],
      [await post(JSON.stringify({ email: 'x'.repeat(100_000) })), 413],
      [await post('<login/>', 'application/xml'), 415],
    ] as const) {
      expectProblem(fromInject(response), status);
      expectSecurityHeaders(response.headers);
    }
  });

  it('refuses /metrics without its token (401) and with a wrong one, serves it with the token', async () => {
    const anonymous = await get(port, '/metrics');
    expectProblem(anonymous, 401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
    expectProblem(await get(port, '/metrics', { authorization: `Bearer ${METRICS_TOKEN}x` }), 401);
    expectProblem(await get(port, '/metrics', { authorization: METRICS_TOKEN }), 401);
    const served = await get(port, '/metrics', { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(served.status).toBe(200);
    expect(served.headers['content-type']).toContain('text/plain');
    expect(served.body).toContain('process_cpu_seconds_total');
  });

  it('still serves the Swagger UI at /docs, under a policy of its own', async () => {
    const docs = await get(port, '/docs');
    expect(docs.status).toBe(200);
    expect(docs.headers['content-type']).toContain('text/html');
    expect(docs.body).toContain('swagger-ui');
    const csp = docs.headers['content-security-policy']!;
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect((await get(port, '/docs/static/swagger-initializer.js')).status).toBe(200);
  });
});

describe('/metrics without a token', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp('embedded');
  });
  afterAll(() => t.close());

  it('answers the loopback address only, whatever a header claims', async () => {
    for (const remoteAddress of ['127.0.0.1', '::1', '::ffff:127.0.0.1'])
      expect((await t.app.inject({ url: '/metrics', remoteAddress })).statusCode).toBe(200);
    for (const remoteAddress of ['10.0.0.7', '192.168.1.20', '::ffff:10.0.0.7']) {
      const response = await t.app.inject({
        url: '/metrics',
        remoteAddress,
        headers: { 'x-forwarded-for': '127.0.0.1' },
      });
      expectProblem(fromInject(response), 403);
    }
  });
});

describe('a long answer', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify(
      connectionOptions({
        HTTP_REQUEST_TIMEOUT_MS: 400,
        HTTP_HEADERS_TIMEOUT_MS: 300,
        HTTP_KEEP_ALIVE_TIMEOUT_MS: 5_000,
        HTTP_MAX_CONNECTIONS: 10,
      }),
    );
    // As a server-sent events route does: the request has arrived whole, the answer streams on.
    app.get('/ticks', (_request, reply) => {
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
      let tick = 0;
      const timer = setInterval(() => {
        reply.raw.write(`data: ${++tick}\n\n`);
        if (tick < 8) return;
        clearInterval(timer);
        reply.raw.end();
      }, 150);
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => app.close());

  it('is not cut by the request time limit', async () => {
    const answer = await get((app.server.address() as net.AddressInfo).port, '/ticks');
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('data: 8\n\n');
  });
});
