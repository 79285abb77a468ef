import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HANDLER_ERRORS, SUCCESSES } from '../../src/api/openapi-responses.ts';
import { signIn } from '../support/http.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { checkout, settled, stockProduct } from '../support/shop.ts';

type Schema = Record<string, unknown>;
type Response = { description?: string; content?: Record<string, { schema?: Schema }> };
type Operation = {
  parameters?: { in: string }[];
  requestBody?: unknown;
  security?: unknown[];
  responses: Record<string, Response>;
};
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};

const PROBLEM = 'application/problem+json';
/** Answers that are not problem documents although their status is an error's. */
const NOT_PROBLEMS: Record<string, string[]> = { 'GET /ready': ['503'] };

describe('the OpenAPI document', () => {
  let t: TestApp;
  let doc: Document;
  let operations: { key: string; path: string; method: string; operation: Operation }[];

  beforeAll(async () => {
    t = await testApp('embedded');
    const response = await t.app.inject({ url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    doc = response.json();
    operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        key: `${method.toUpperCase()} ${path}`,
        path,
        method,
        operation,
      })),
    );
  });
  afterAll(() => t.close());

  it('documents a success with a body schema for every operation', () => {
    const lacking = operations
      .filter(({ operation }) =>
        Object.entries(operation.responses).every(
          ([status, response]) =>
            !/^2\d\d$/.test(status) ||
            (status !== '204' && !Object.values(response.content ?? {}).some((media) => media.schema)),
        ),
      )
      .map(({ key }) => key);
    expect(lacking).toEqual([]);
  });

  it('documents the errors each operation can answer, as problem documents', () => {
    const missing: string[] = [];
    for (const { key, operation } of operations) {
      const expected = ['429', '500', '503'];
      const params = operation.parameters ?? [];
      if (params.length > 0 || operation.requestBody) expected.push('400');
      if (operation.requestBody) expected.push('413', '415');
      if (operation.security?.length) expected.push('401', '403');
      if (params.some((p) => p.in === 'path')) expected.push('404');
      for (const status of expected) if (!operation.responses[status]) missing.push(`${key} ${status}`);
    }
    expect(missing).toEqual([]);
  });

  it('gives every error answer the one problem schema, as application/problem+json', () => {
    const problem = doc.components.schemas.Problem!;
    expect(problem).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['type', 'title', 'status']),
      properties: { errors: { type: 'array' } },
    });
    const wrong: string[] = [];
    for (const { key, operation } of operations)
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400 || NOT_PROBLEMS[key]?.includes(status)) continue;
        const media = Object.keys(response.content ?? {});
        const schema = response.content?.[PROBLEM]?.schema;
        if (media.join() !== PROBLEM || schema?.$ref !== '#/components/schemas/Problem')
          wrong.push(`${key} ${status}: ${media.join() || 'no content'}`);
      }
    expect(wrong).toEqual([]);
  });

  it('is OpenAPI 3.1, and a 204 has no content', () => {
    expect((doc as unknown as { openapi: string }).openapi).toBe('3.1.0');
    const with204 = operations.filter(({ operation }) => operation.responses['204']);
    expect(with204.map(({ key }) => key)).toContain('POST /auth/logout');
    for (const { key, operation } of with204)
      expect(operation.responses['204']!.content, key).toBeUndefined();
  });

  it('spells its patterns so that JavaScript, Python and Rust read them alike', () => {
    // `\s`, `\S` and `.` mean other characters in other engines; `\p{…}` is missing from Python's re.
    const patterns: { key: string; pattern: string }[] = [];
    const collect = (key: string, value: unknown): void => {
      if (Array.isArray(value)) value.forEach((item) => collect(key, item));
      else if (value && typeof value === 'object')
        for (const [name, child] of Object.entries(value))
          if (name === 'pattern' && typeof child === 'string') patterns.push({ key, pattern: child });
          else collect(key, child);
    };
    for (const { key, operation } of operations) collect(key, operation);
    expect(patterns.length).toBeGreaterThan(10);
    const unportable = patterns.filter(({ pattern }) => {
      new RegExp(pattern, 'u'); // every one compiles as the validators of the document compile it
      let inClass = false;
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i];
        if (c === '\\') {
          if (/[sSpP]/.test(pattern[i + 1] ?? '')) return true;
          i++;
        } else if (c === '[') inClass = true;
        else if (c === ']') inClass = false;
        else if (c === '.' && !inClass) return true;
      }
      return false;
    });
    expect(unportable).toEqual([]);
  });

  it('names only routes that exist in its per-route declarations', () => {
    const fastifyPath = (key: string) => key.replace(/:(\w+)/g, '{$1}');
    const known = new Set(operations.map(({ key }) => key));
    const stale = [...Object.keys(HANDLER_ERRORS), ...Object.keys(SUCCESSES)].filter(
      (key) => !known.has(fastifyPath(key)),
    );
    expect(stale).toEqual([]);
  });

  describe('what the routes answer matches it', () => {
    let ajv: Ajv;
    let customer: Record<string, string>;
    let admin: Record<string, string>;
    let orderId: string;

    beforeAll(async () => {
      ajv = new Ajv({ strict: false, allErrors: true });
      addFormats.default(ajv);
      ajv.addSchema(doc, 'openapi');
      const buyer = await signIn(t.app, t.platform, 'openapi-customer@example.com');
      customer = buyer.headers;
      admin = (await signIn(t.app, t.platform, 'openapi-admin@example.com', 'admin')).headers;
      await stockProduct(t.platform, 'DOC-1', 5);
      orderId = await checkout(t.platform, buyer.userId, [{ sku: 'DOC-1', quantity: 1 }]);
    });

    /** The body validates against the schema documented for this route, status and media type. */
    const expectDocumented = (method: string, path: string, response: LightMyRequestResponse) => {
      const documented = doc.paths[path]?.[method]?.responses[String(response.statusCode)];
      const where = `${method.toUpperCase()} ${path} ${response.statusCode}`;
      expect(documented, `${where} is not documented: ${response.body}`).toBeDefined();
      const media = String(response.headers['content-type']).split(';')[0]!;
      expect(Object.keys(documented!.content ?? {}), where).toContain(media);
      const pointer = [
        'paths',
        path,
        method,
        'responses',
        String(response.statusCode),
        'content',
        media,
        'schema',
      ]
        .map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1'))
        .join('/');
      const validate = ajv.compile({ $ref: `openapi#/${pointer}` });
      const body: unknown = media.endsWith('json') ? response.json() : response.body;
      expect(validate(body), `${where}: ${JSON.stringify(validate.errors)} in ${response.body}`).toBe(true);
    };
    const call = async (method: string, path: string, url: string, headers: Record<string, string> = {}) => {
      const response = await t.app.inject({ method: method.toUpperCase() as 'GET', url, headers });
      expectDocumented(method, path, response);
      return response;
    };

    it('operations', async () => {
      await call('get', '/health', '/health');
      await call('get', '/ready', '/ready');
      await call('get', '/metrics', '/metrics');
      await call('get', '/admin/projections', '/admin/projections', admin);
      await call('get', '/admin/gate', '/admin/gate', admin);
      await call('get', '/admin/gate/{sku}', '/admin/gate/DOC-1', admin);
      const switched = await t.app.inject({
        method: 'PUT',
        url: '/admin/gate/DOC-1',
        headers: admin,
        payload: { mode: 'off' },
      });
      expectDocumented('put', '/admin/gate/{sku}', switched);
      await call('get', '/admin/analytics/funnel', '/admin/analytics/funnel', admin);
      await call(
        'get',
        '/admin/analytics/sales',
        '/admin/analytics/sales?from=2026-01-01&to=2026-01-31',
        admin,
      );
      const rebuild = await call(
        'post',
        '/admin/projections/{name}/rebuild',
        '/admin/projections/nonesuch/rebuild',
        admin,
      );
      expect(rebuild.statusCode).toBe(404);
    });

    it('orders', async () => {
      await settled(t.platform, orderId);
      await expect
        .poll(async () => (await t.app.inject({ url: '/orders', headers: customer })).json().total, {
          timeout: 30_000,
        })
        .toBe(1);
      await call('get', '/orders', '/orders', customer);
      await call('get', '/orders/{orderId}', `/orders/${orderId}`, customer);
      await call('get', '/orders/{orderId}/events', `/orders/${orderId}/events`, customer);
      const cancel = await call('post', '/orders/{orderId}/cancel', `/orders/${orderId}/cancel`, customer);
      expect(cancel.statusCode).toBeGreaterThanOrEqual(200);
    });

    it('errors', async () => {
      await call('get', '/orders/{orderId}', '/orders/not-a-uuid', customer);
      await call('get', '/orders/{orderId}', '/orders/00000000-0000-4000-8000-000000000000', customer);
      await call('get', '/orders', '/orders');
      await call('get', '/admin/projections', '/admin/projections', customer);
      await call('post', '/webhooks/stripe', '/webhooks/stripe', { 'content-type': 'application/json' });
    });

    it('a path asked with a method it does not take: 405 naming those it takes in Allow', async () => {
      for (const [method, url, allow] of [
        ['DELETE', '/health', 'GET, HEAD'],
        ['TRACE', '/checkout', 'POST'],
        ['QUERY', '/products/DOC-1', 'GET, HEAD'],
        ['PATCH', '/cart/items/DOC-1', 'DELETE, PUT'],
      ] as const) {
        const response = await t.app.inject({ method: method as 'GET', url, headers: customer });
        expect(response.statusCode, `${method} ${url}`).toBe(405);
        expect(response.headers.allow, `${method} ${url}`).toBe(allow);
        expect(response.headers['content-type']).toContain(PROBLEM);
        expect(response.json()).toMatchObject({ status: 405, title: 'Method not allowed' });
      }
      const nowhere = await t.app.inject({ method: 'DELETE', url: '/nowhere' });
      expect(nowhere.statusCode).toBe(404);
      expect(nowhere.headers.allow).toBeUndefined();
    });

    it('the catalog and the cart', async () => {
      await call('get', '/products', '/products?pageSize=3');
      await call('get', '/products/{sku}', '/products/DOC-1');
      await call('get', '/cart', '/cart', customer);
    });

    it('the storefront: its configuration, and the live order stream', async () => {
      await call('get', '/storefront/config', '/storefront/config');
      const live = '/orders/{orderId}/live';
      expect(Object.keys(doc.paths[live]?.get?.responses['200']?.content ?? {})).toEqual([
        'text/event-stream',
      ]);

      // The first event of a real stream is what the document says an event is, and its data the order.
      const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
      const controller = new AbortController();
      const stream = await fetch(`${base}/orders/${orderId}/live`, {
        headers: customer,
        signal: controller.signal,
      });
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream;/);
      const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      while (!text.includes('\n\n')) text += (await reader.read()).value ?? '';
      controller.abort();
      const event = Object.fromEntries(
        text
          .split('\n\n')[0]!
          .split('\n')
          .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
      );
      const pointer = (path: string, media: string) =>
        `openapi#/paths/${path.replace(/\//g, '~1')}/get/responses/200/content/${media.replace(/\//g, '~1')}/schema`;
      const eventSchema = ajv.compile({ $ref: pointer(live, 'text/event-stream') });
      expect(eventSchema(event), JSON.stringify(eventSchema.errors)).toBe(true);
      const orderSchema = ajv.compile({ $ref: pointer('/orders/{orderId}', 'application/json') });
      expect(orderSchema(JSON.parse(event.data!)), JSON.stringify(orderSchema.errors)).toBe(true);

      const stranger = (await signIn(t.app, t.platform, 'openapi-stranger@example.com')).headers;
      expect((await call('get', live, `/orders/${orderId}/live`, stranger)).statusCode).toBe(404);
      expect((await call('get', live, `/orders/${orderId}/live`)).statusCode).toBe(401);
      const malformed = await call('get', live, `/orders/${orderId}/live`, {
        ...customer,
        'last-event-id': 'the last one',
      });
      expect(malformed.statusCode).toBe(400);
    });
  });
});
