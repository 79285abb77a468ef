import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const envFile = fileURLToPath(new URL('../../../.services/env.json', import.meta.url));

/**
 * Where the real stripe-mock listens: STRIPE_MOCK_URL, else what `scripts/services.mjs up stripe`
 * recorded. Missing, the suite fails (it never skips).
 */
export function stripeMockUrl(): URL {
  const started = existsSync(envFile)
    ? (JSON.parse(readFileSync(envFile, 'utf8')) as Record<string, string>)
    : {};
  const url = process.env['STRIPE_MOCK_URL'] || started['STRIPE_MOCK_URL'];
  if (!url) {
    throw new Error(
      'STRIPE_MOCK_URL is not set and no stripe-mock was started: run "node scripts/services.mjs up stripe"',
    );
  }
  return new URL(url);
}

/** The StripeGateway options that point the SDK at `url`. */
export function sdkTarget(url: URL): { host: string; port: number; protocol: 'http' | 'https' } {
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  return { host: url.hostname, port: Number(url.port || (protocol === 'https' ? 443 : 80)), protocol };
}

/** Fails with a clear message when nothing answers at `url`, instead of a timeout per test. */
export async function assertStripeMockAnswers(url: URL): Promise<void> {
  const answered = await fetch(new URL('/v1/customers?limit=1', url), {
    headers: { authorization: 'Bearer sk_test_ping' },
    signal: AbortSignal.timeout(3_000),
  }).then(
    (res) => res.ok,
    () => false,
  );
  if (!answered) {
    throw new Error(
      `stripe-mock does not answer at ${url.origin}: run "node scripts/services.mjs up stripe"`,
    );
  }
}
