// A crowd of shoppers for the HTTP benchmarks that need thousands of them (flash sale, spike): their
// accounts written straight into the store before the platform starts, their tokens signed here, and
// the kept-alive HTTP calls they make.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import { loadConfig } from '../../src/config.ts';
import { openPlatform } from '../../src/platform.ts';
import { sampleRss } from './metrics.ts';

/** The secret the platform's processes sign tokens with, and this process signs the crowd's with. */
export const JWT_SECRET = 'bench-secret-bench-secret-bench-secret!!';

export const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

export { call, inParallel } from '../../test/support/kept-alive.ts';

export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The highest RSS any of the processes reported while `during` ran (sampled every 250 ms), in MiB. */
export async function peakRss<T>(bases: readonly string[], during: Promise<T>): Promise<[T, number]> {
  const sampling = sampleRss(bases, 250);
  const result = await during.catch(async (error: unknown) => {
    await sampling.stop();
    throw error;
  });
  return [result, await sampling.stop()];
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
