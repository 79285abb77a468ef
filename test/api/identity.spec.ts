import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../support/platform.ts';

describe('identity over HTTP', () => {
  let t: TestApp;
  beforeAll(async () => (t = await testApp()));
  afterAll(() => t.close());

  it('registers a customer, signs in, and never returns or stores the password in clear', async () => {
    const register = await t.app.inject({
      method: 'POST',
      url: '/auth/register',
      payload: { email: 'ada@example.com', password: 'correct horse battery' },
    });
    expect(register.statusCode).toBe(201);
    expect(register.json().user).toMatchObject({ email: 'ada@example.com', role: 'customer' });
    expect(register.body).not.toContain('correct horse');
    const login = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email: 'ADA@example.com', password: 'correct horse battery' },
    });
    expect(login.statusCode).toBe(200);
    expect(login.json().token.split('.')).toHaveLength(3);
    const [row] = await t.platform.db.query<{ password_hash: string }>(`SELECT password_hash FROM users`);
    expect(row!.password_hash).toMatch(/^scrypt\$/);
    expect(row!.password_hash).not.toContain('correct horse');
  });

  it('refuses a wrong password and an unknown email alike, as problem+json', async () => {
    for (const payload of [
      { email: 'ada@example.com', password: 'wrong password!' },
      { email: 'nobody@example.com', password: 'correct horse battery' },
    ]) {
      const response = await t.app.inject({ method: 'POST', url: '/auth/login', payload });
      expect(response.statusCode).toBe(401);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({ status: 401, title: 'Invalid credentials' });
    }
  });

  it('refuses a second account for the same email, whatever its case', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/auth/register',
      payload: { email: 'Ada@Example.com', password: 'another password' },
    });
    expect(response.statusCode).toBe(409);
  });

  it.each([
    ['malformed JSON', '{"email": ', 'application/json'],
    ['a short password', JSON.stringify({ email: 'b@example.com', password: 'short' }), 'application/json'],
    [
      'an unknown field',
      JSON.stringify({ email: 'b@example.com', password: 'long enough pw', role: 'admin' }),
      'application/json',
    ],
    ['a wrong type', JSON.stringify({ email: 42, password: 'long enough pw' }), 'application/json'],
    [
      'a body over the limit',
      JSON.stringify({ email: 'b@example.com', password: 'x'.repeat(100_000) }),
      'application/json',
    ],
    ['text instead of JSON', 'email=b', 'text/plain'],
  ])('answers %s with a 4xx problem and creates no account', async (_name, payload, contentType) => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/auth/register',
      payload,
      headers: { 'content-type': contentType },
    });
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(response.statusCode).toBeLessThan(500);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toHaveProperty('title');
    const accounts = await t.platform.db.query(`SELECT 1 FROM users WHERE email = 'b@example.com'`);
    expect(accounts).toHaveLength(0);
  });

  it('serves OpenAPI, health, readiness and metrics', async () => {
    const openapi = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(openapi.json().paths).toHaveProperty('/auth/login');
    expect((await t.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/ready' })).json()).toMatchObject({ status: 'ready' });
    expect((await t.app.inject({ method: 'GET', url: '/no/such/route' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'HEAD', url: '/health' })).statusCode).toBe(200);
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('http_request_duration_seconds');
    // Latency by method, route (as declared, with its prefix and parameters) and status.
    const count = (labels: string) =>
      Number(
        new RegExp(`^http_request_duration_seconds_count\\{${labels}\\} (\\d+)$`, 'm').exec(
          metrics.body,
        )?.[1],
      );
    expect(count('method="GET",route="/health",status="200"')).toBeGreaterThanOrEqual(1);
    expect(count('method="HEAD",route="/health",status="200"')).toBe(1);
    expect(count('method="GET",route="/ready",status="200"')).toBe(1);
    expect(count('method="GET",route="unmatched",status="404"')).toBe(1);
    expect(count('method="GET",route="/openapi.json",status="200"')).toBe(1);
    expect((await t.app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
  });
});
