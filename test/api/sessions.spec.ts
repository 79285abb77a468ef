import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.ts';
import { openPlatform } from '../../src/platform.ts';
import { testRedis } from '../cache/redis.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { stockProduct } from '../support/shop.ts';

const PASSWORD = 'a long test password';

type Pair = { token: string; refreshToken: string; expiresIn: number; user: { userId: string } };

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
let addresses = 0;
/** A client address of its own, for the calls whose address does not matter (per-address limits are on). */
const anotherAddress = () => `10.1.${(++addresses >> 8) & 255}.${addresses & 255}`;
const login = (app: FastifyInstance, email: string, password = PASSWORD, remoteAddress = anotherAddress()) =>
  app.inject({ method: 'POST', url: '/auth/login', payload: { email, password }, remoteAddress });
const refresh = (app: FastifyInstance, refreshToken: string, remoteAddress = anotherAddress()) =>
  app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken }, remoteAddress });
const getCart = (app: FastifyInstance, token: string) =>
  app.inject({ method: 'GET', url: '/cart', headers: bearer(token) });
const claims = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

const expectProblem = (response: LightMyRequestResponse, status: number) => {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toContain('application/problem+json');
  expect(response.json()).toMatchObject({ status, title: expect.any(String) });
};
const expectRetryAfter = (response: LightMyRequestResponse) => {
  expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
};
const expectTokenAnswer = (response: LightMyRequestResponse, status = 200): Pair => {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['cache-control']).toContain('no-store');
  return response.json<Pair>();
};

describe.each(['embedded', 'postgres'] as const)('sessions and limits (%s)', (profile) => {
  // The services profile counts in Redis, so that several API processes share the counts.
  const redis = profile === 'postgres' ? testRedis('sessions') : undefined;
  let t: TestApp;
  let admin: string;
  let accounts = 0;

  const newAccount = async (role: 'customer' | 'admin' = 'customer') => {
    const email = `${role}-${++accounts}-${profile}@example.com`;
    const user = await t.platform.users.register(email, PASSWORD, role);
    return { email, userId: user.userId };
  };
  const signedIn = async () => {
    const account = await newAccount();
    return { ...account, ...expectTokenAnswer(await login(t.app, account.email)) };
  };

  beforeAll(async () => {
    t = await testApp(profile, { RATE_LIMITS: 'on', ...redis?.env });
    const boss = await newAccount('admin');
    admin = expectTokenAnswer(await login(t.app, boss.email, PASSWORD, '198.51.100.7')).token;
  });
  afterAll(async () => {
    await t.close();
    await redis?.close();
  });

  it('signs in with a short-lived access token and a refresh token, never cached', async () => {
    const { email } = await newAccount();
    const pair = expectTokenAnswer(await login(t.app, email));
    expect(pair.expiresIn).toBeLessThanOrEqual(15 * 60);
    const { exp, iat } = claims(pair.token) as { exp: number; iat: number };
    expect(exp - iat).toBeLessThanOrEqual(15 * 60);
    expect(pair.refreshToken.length).toBeGreaterThanOrEqual(40);
    expect((await getCart(t.app, pair.token)).statusCode).toBe(200);
    // Only a hash of the refresh token is kept.
    const stored = await t.platform.db.query<{ token_hash: string }>(`SELECT token_hash FROM refresh_tokens`);
    expect(stored.map((r) => r.token_hash)).not.toContain(pair.refreshToken);
  });

  it('answers a registration with the same pair as a sign-in', async () => {
    const registered = expectTokenAnswer(
      await t.app.inject({
        method: 'POST',
        url: '/auth/register',
        payload: { email: `new-${profile}@example.com`, password: PASSWORD },
        remoteAddress: '192.0.2.200',
      }),
      201,
    );
    expect(registered).toMatchObject({ token: expect.any(String), refreshToken: expect.any(String) });
    expect((await getCart(t.app, registered.token)).statusCode).toBe(200);
    expectTokenAnswer(await refresh(t.app, registered.refreshToken, '192.0.2.200'));
  });

  it('locks the account after repeated wrong passwords, its owner too, and says when to retry', async () => {
    const { email } = await newAccount();
    const answers = [];
    for (let i = 0; i < 25; i++)
      answers.push(await login(t.app, email, `wrong password ${i}!`, '203.0.113.1'));
    const firstRefused = answers.findIndex((r) => r.statusCode === 429);
    expect(firstRefused).toBeGreaterThanOrEqual(0);
    expect(firstRefused).toBeLessThan(20);
    for (const refused of answers.slice(firstRefused)) {
      expectProblem(refused, 429);
      expectRetryAfter(refused);
    }
    // The right password, from another address, while the account is locked.
    const owner = await login(t.app, email, PASSWORD, '203.0.113.99');
    expectProblem(owner, 429);
    expectRetryAfter(owner);
    // Other accounts are not locked with it.
    const other = await newAccount();
    expectTokenAnswer(await login(t.app, other.email, PASSWORD, '203.0.113.99'));
  });

  it('limits sign-ins per client address across accounts', async () => {
    const statuses = [];
    for (let i = 0; i < 25; i++)
      statuses.push(
        (await login(t.app, `nobody-${i}@example.com`, 'wrong password!', '203.0.113.50')).statusCode,
      );
    expect(statuses.indexOf(429)).toBeGreaterThanOrEqual(0);
    expect(statuses.indexOf(429)).toBeLessThanOrEqual(20);
  });

  it('limits registrations per client address, so probing for accounts is slow', async () => {
    const answers = [];
    for (let i = 0; i < 15; i++)
      answers.push(
        await t.app.inject({
          method: 'POST',
          url: '/auth/register',
          payload: { email: `probe-${i}-${profile}@example.com`, password: PASSWORD },
          remoteAddress: '192.0.2.10',
        }),
      );
    const firstRefused = answers.findIndex((r) => r.statusCode === 429);
    expect(firstRefused).toBeGreaterThan(0);
    expect(firstRefused).toBeLessThanOrEqual(10);
    expectProblem(answers[firstRefused]!, 429);
    expectRetryAfter(answers[firstRefused]!);
    const elsewhere = await t.app.inject({
      method: 'POST',
      url: '/auth/register',
      payload: { email: `elsewhere-${profile}@example.com`, password: PASSWORD },
      remoteAddress: '192.0.2.11',
    });
    expect(elsewhere.statusCode).toBe(201);
  });

  it('limits refreshes per client address', async () => {
    const statuses = [];
    for (let i = 0; i < 70; i++)
      statuses.push((await refresh(t.app, `no-such-token-${i}`, '192.0.2.30')).statusCode);
    expect(statuses.slice(0, 60).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(60).every((s) => s === 429)).toBe(true);
  });

  it('rotates refresh tokens; a used one presented again ends the whole session', async () => {
    const first = await signedIn();
    const second = expectTokenAnswer(await refresh(t.app, first.refreshToken));
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.token).not.toBe(first.token);
    expect((await getCart(t.app, second.token)).statusCode).toBe(200);

    const reused = await refresh(t.app, first.refreshToken);
    expectProblem(reused, 401);
    expect(reused.headers['www-authenticate']).toMatch(/^Bearer/);
    // Every token of that sign-in is refused now, the newest pair included.
    expectProblem(await refresh(t.app, second.refreshToken), 401);
    expectProblem(await getCart(t.app, second.token), 401);
    expectProblem(await getCart(t.app, first.token), 401);
    // Another session of the same account is not touched.
    const other = expectTokenAnswer(await login(t.app, first.email));
    expect((await getCart(t.app, other.token)).statusCode).toBe(200);
  });

  it('signs out: the access and refresh tokens of that session stop working', async () => {
    const session = await signedIn();
    const logout = await t.app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: bearer(session.token),
      payload: { refreshToken: session.refreshToken },
    });
    expect(logout.statusCode, logout.body).toBe(204);
    const after = await getCart(t.app, session.token);
    expectProblem(after, 401);
    expect(after.headers['www-authenticate']).toContain('error="invalid_token"');
    expectProblem(await refresh(t.app, session.refreshToken), 401);
  });

  it('disables an account: its access token is refused at once, and it can no longer sign in', async () => {
    const customer = await signedIn();
    expect((await getCart(t.app, customer.token)).statusCode).toBe(200);
    const byCustomer = await t.app.inject({
      method: 'POST',
      url: `/admin/users/${customer.userId}/disable`,
      headers: bearer(customer.token),
    });
    expectProblem(byCustomer, 403);
    const disabled = await t.app.inject({
      method: 'POST',
      url: `/admin/users/${customer.userId}/disable`,
      headers: bearer(admin),
    });
    expect(disabled.statusCode, disabled.body).toBe(200);
    expectProblem(await getCart(t.app, customer.token), 401);
    expectProblem(await refresh(t.app, customer.refreshToken, '192.0.2.77'), 401);
    expectProblem(await login(t.app, customer.email, PASSWORD, '192.0.2.77'), 403);
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/admin/users/00000000-0000-4000-8000-000000000000/disable',
      headers: bearer(admin),
    });
    expectProblem(unknown, 404);
  });

  it('refuses weak passwords with a 400 problem naming the field, and creates no account', async () => {
    const email = `weak-${profile}@example.com`;
    for (const password of ['password12', '1234567890', email, 'qwertyuiop', 'aaaaaaaaaaaaaaaa']) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/auth/register',
        payload: { email, password },
        remoteAddress: `192.0.2.${40 + password.length}`,
      });
      expectProblem(response, 400);
      expect(response.json().errors).toEqual([{ field: 'body.password', problem: expect.any(String) }]);
      expect(response.body).not.toContain(password);
    }
    expect(await t.platform.db.query(`SELECT 1 FROM users WHERE email = $1`, [email])).toHaveLength(0);
  });

  it('challenges on every 401: which scheme, and whether the token given was the trouble', async () => {
    const none = await t.app.inject({ method: 'GET', url: '/cart' });
    expectProblem(none, 401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]+"$/);
    const forged = await getCart(t.app, 'not.a.token');
    expectProblem(forged, 401);
    expect(forged.headers['www-authenticate']).toMatch(/^Bearer .*error="invalid_token"/);
    const wrong = await login(t.app, 'nobody@example.com', 'wrong password!', '192.0.2.90');
    expectProblem(wrong, 401);
    expect(wrong.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('limits state-changing requests per account, not reads', async () => {
    const limited = await testApp(profile, {
      RATE_LIMITS: 'on',
      RATE_LIMIT_WRITES_PER_MINUTE: '5',
      ...redis?.env,
      ...(redis ? { REDIS_KEY_PREFIX: `${redis.prefix}writes:` } : {}),
    });
    try {
      await limited.platform.users.register(`writer-${profile}@example.com`, PASSWORD, 'customer');
      await limited.platform.users.register(`other-writer-${profile}@example.com`, PASSWORD, 'customer');
      const writer = expectTokenAnswer(await login(limited.app, `writer-${profile}@example.com`)).token;
      const other = expectTokenAnswer(await login(limited.app, `other-writer-${profile}@example.com`)).token;
      const merge = (token: string) =>
        limited.app.inject({
          method: 'POST',
          url: '/cart/merge',
          headers: bearer(token),
          payload: { items: [] },
        });
      const statuses = [];
      for (let i = 0; i < 7; i++) statuses.push((await merge(writer)).statusCode);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      const refused = await merge(writer);
      expectProblem(refused, 429);
      expectRetryAfter(refused);
      expect((await merge(other)).statusCode).toBe(200);
      expect((await getCart(limited.app, writer)).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('two API processes on one PostgreSQL', () => {
  const redis = testRedis('sessions-two');
  let t: TestApp;
  let second: { app: FastifyInstance; close(): Promise<void> };

  beforeAll(async () => {
    t = await testApp('postgres', { RATE_LIMITS: 'on', ...redis.env });
    // The same database, JWT secret and Redis: what a second API process of the services profile has.
    const platform = await openPlatform({ ...t.platform.config, ROLE: 'api' });
    const app = await buildServer(platform);
    await app.ready();
    second = {
      app,
      async close() {
        await app.close();
        await platform.close();
      },
    };
  });
  afterAll(async () => {
    await second.close();
    await t.close();
    await redis.close();
  });

  it('a revocation made by one process holds in the other at once', async () => {
    await t.platform.users.register('two-admin@example.com', PASSWORD, 'admin');
    const customer = await t.platform.users.register('two-customer@example.com', PASSWORD, 'customer');
    const admin = expectTokenAnswer(await login(t.app, 'two-admin@example.com')).token;
    const first = expectTokenAnswer(await login(t.app, 'two-customer@example.com'));
    expect((await getCart(second.app, first.token)).statusCode).toBe(200);

    // A refresh rotated by one process is used up for the other.
    const rotated = expectTokenAnswer(await refresh(second.app, first.refreshToken));
    expectProblem(await refresh(t.app, first.refreshToken), 401);
    expectProblem(await getCart(second.app, rotated.token), 401);

    const again = expectTokenAnswer(await login(second.app, 'two-customer@example.com'));
    expect((await getCart(t.app, again.token)).statusCode).toBe(200);
    const disabled = await t.app.inject({
      method: 'POST',
      url: `/admin/users/${customer.userId}/disable`,
      headers: bearer(admin),
    });
    expect(disabled.statusCode).toBe(200);
    expectProblem(await getCart(second.app, again.token), 401);
  });

  it('the lockout counts the attempts made through both processes', async () => {
    await t.platform.users.register('two-guessed@example.com', PASSWORD, 'customer');
    const statuses = [];
    for (let i = 0; i < 20; i++)
      statuses.push(
        (
          await login(
            i % 2 ? second.app : t.app,
            'two-guessed@example.com',
            `guess ${i} wrong!`,
            `203.0.113.${i}`,
          )
        ).statusCode,
      );
    // One address per guess: only the account's count can refuse them.
    expect(statuses.indexOf(429)).toBeGreaterThan(0);
    expect(statuses.indexOf(429)).toBeLessThanOrEqual(11);
    expectProblem(await login(second.app, 'two-guessed@example.com', PASSWORD, '203.0.113.200'), 429);
  });
});

describe('the bound on password hashing', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('refuses the excess of a sign-in flood at once, and other routes keep answering meanwhile', async () => {
    // A real cost (about 0.1 s a hash on the test machines) with limits off: the bound holds regardless.
    t = await testApp('embedded', { PASSWORD_HASH_COST: '14', RATE_LIMITS: 'off' });
    await stockProduct(t.platform, 'FLOOD-1', 5);
    await t.platform.users.register('flooded@example.com', PASSWORD, 'customer');

    let loginsDone = 0;
    const flood = Array.from({ length: 200 }, () =>
      login(t.app, 'flooded@example.com').then((response) => {
        loginsDone++;
        return response;
      }),
    );
    const products = await t.app.inject({ method: 'GET', url: '/products' });
    const doneWhenProductsAnswered = loginsDone;
    const answers = await Promise.all(flood);

    expect(products.statusCode).toBe(200);
    expect(doneWhenProductsAnswered).toBeLessThan(200);
    const succeeded = answers.filter((r) => r.statusCode === 200);
    const refused = answers.filter((r) => r.statusCode === 503 || r.statusCode === 429);
    expect(succeeded.length + refused.length).toBe(200);
    expect(succeeded.length).toBeGreaterThan(0);
    // Bounded: most of the flood is refused rather than queued behind the hashing.
    expect(refused.length).toBeGreaterThan(150);
    for (const response of refused) {
      expect(response.headers['content-type']).toContain('application/problem+json');
      expectRetryAfter(response);
    }
  });
});
