// A crowd of shoppers for the HTTP benchmarks that need thousands of them (flash sale, spike): their
// accounts written straight into the store before the platform starts, their tokens signed here, and
// the kept-alive HTTP calls they make.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { loadavg } from 'node:os';
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import { loadConfig } from '../../src/config.ts';
import { openPlatform } from '../../src/platform.ts';
import { scrapeMetrics } from './metrics.ts';

/** The secret the platform's processes sign tokens with, and this process signs the crowd's with. */
export const JWT_SECRET = 'bench-secret-bench-secret-bench-secret!!';

export const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

/** One HTTP call over the kept-alive agent: its status and parsed body. */
export function call(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method,
        agent,
        headers: {
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
          ...headers,
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/** `task(i)` for i = 0 … count-1, `parallel` at a time; the results in order. */
export async function inParallel<T>(count: number, parallel: number, task: (i: number) => Promise<T>) {
  const results = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(count, parallel) }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}

export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The highest RSS any of the processes reported while `during` ran (sampled every 250 ms). */
export async function peakRss<T>(bases: readonly string[], during: Promise<T>): Promise<[T, number]> {
  let peak = 0;
  let running = true;
  const sampling = (async () => {
    while (running) {
      for (const base of bases) {
        const text = await scrapeMetrics(base).catch(() => '');
        peak = Math.max(peak, Number(/process_resident_memory_bytes (\d+)/.exec(text)?.[1] ?? 0));
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  const result = await during.finally(() => (running = false));
  await sampling;
  return [result, Math.round(peak / 2 ** 20)];
}

/** The JWT an API process accepts for this user (HS256 with the shared JWT_SECRET, as it signs them). */
function bearer(user: { userId: string; email: string; role: string }): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({
    sub: user.userId,
    email: user.email,
    role: user.role,
    jti: randomBytes(12).toString('base64url'),
    iat: now,
    exp: now + 900,
  })}`;
  return `Bearer ${body}.${createHmac('sha256', JWT_SECRET).update(body).digest('base64url')}`;
}

export type Listing = Readonly<{ sku: string; title: string; units: number }>;

/**
 * Before the platform's processes start: the products with their units, an admin and `customers`
 * accounts (written in one statement: a password hash each over HTTP took minutes on this machine),
 * through the platform's own commands on the store the processes will open. Resolves with the admin's
 * and the customers' bearer headers.
 */
export async function prepareShop(
  env: Record<string, string>,
  listings: readonly Listing[],
  customers: number,
): Promise<{ admin: string; customers: string[] }> {
  const platform = await openPlatform(loadConfig({ ...env, JWT_SECRET, LOG_LEVEL: 'error' }));
  const context = { actor: { id: 'bench', role: 'admin' }, correlationId: randomUUID() };
  const must = async (result: Promise<Either<{ code: string }, unknown>>) => {
    const outcome = await result;
    if (isLeft(outcome)) throw new Error(`set-up refused: ${outcome.left.code}`);
  };
  for (const { sku, title, units } of listings) {
    await must(
      platform.commands.product.handle(
        `product-${sku}`,
        {
          type: 'ListProduct',
          data: {
            sku,
            title,
            description: 'the one everybody wants today',
            brand: 'Acme',
            category: 'Consoles',
            attributes: {},
            price: { amount: 49_900, currency: 'USD' },
            at: new Date().toISOString(),
          },
        },
        context,
      ),
    );
    await must(
      platform.commands.inventory.handle(
        `inventory-${sku}`,
        { type: 'ReceiveStock', data: { sku, quantity: units } },
        context,
      ),
    );
  }
  const users = Array.from({ length: customers + 1 }, (_, i) => ({
    userId: randomUUID(),
    email: `crowd-${i}-${randomBytes(4).toString('hex')}@example.com`,
    role: i === 0 ? 'admin' : 'customer',
  }));
  await platform.db.query(
    `INSERT INTO users (user_id, email, password_hash, role)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[])`,
    [
      users.map((u) => u.userId),
      users.map((u) => u.email),
      users.map(() => 'no password'),
      users.map((u) => u.role),
    ],
  );
  await platform.close();
  return { admin: bearer(users[0]!), customers: users.slice(1).map(bearer) };
}

/** A random SKU with `prefix`. */
export const sku = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex').toUpperCase()}`;
