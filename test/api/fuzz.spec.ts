import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as schemathesis from '../../scripts/services/schemathesis.mjs';
import { signIn } from '../support/http.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { checkout, orderState, stockProduct } from '../support/shop.ts';

/**
 * Schema-driven fuzzing: schemathesis (from PyPI, the version pinned in scripts/services/schemathesis.mjs)
 * reads `/openapi.json` from the platform listening on 127.0.0.1 and sends what it generates from it,
 * valid and invalid, with every check it has (`--checks all`): no 5xx, every status code, content type,
 * header and body as documented, invalid input refused, valid input accepted, 405 with `Allow` for a
 * method a path does not take, no route answering without its credentials. Once per role, on each
 * profile, with a fixed seed and a bounded number of examples per operation.
 *
 * What the document cannot say, and is therefore told to schemathesis here (see `config`):
 * - 422 is how this API refuses a request that matches its schema but breaks a rule of the moment (an
 *   empty cart at checkout, a date range backwards): valid data may get it, as it may get 404 or 409.
 * - A few routes refuse valid-looking input with 400 by a rule no JSON Schema can state; for those
 *   operations alone, 400 counts as an acceptable answer to valid data:
 *   - POST /auth/register: a password the strength estimator (zxcvbn) finds guessable;
 *   - GET /inventory/{sku} and GET /orders/{orderId}: an `asOf` in the future;
 *   - GET /streams: a plain global position (`from`) that no event has, or past the largest there can be;
 *   - GET /admin/metrics/business: `to` not after `from`, a step under a minute, more than 1,000 buckets;
 *   - POST /webhooks/stripe: without a valid Stripe signature, which no generator can make, every
 *     webhook is refused (400): the route is fuzzed for everything else.
 * - GET /orders/{orderId}/live is not fuzzed: a well-formed request to it is answered with an event
 *   stream that lasts as long as the token, and schemathesis reads an event stream until its request
 *   timeout (20 s here): that one operation took four minutes on its own, past the run limit. Its
 *   refusals (400, 401, 404) are checked in bad-input.spec.ts and openapi.spec.ts, its events in
 *   live.spec.ts.
 * - Destructive admin routes run last, in a run of their own: signing out (POST /auth/logout ends the
 *   session of the token it is called with), disabling accounts and rebuilding read models.
 */

const PROFILES = ['embedded', 'postgres'] as const;
/** Examples per operation and phase: enough to reach every parameter's edges, few enough for 2 cores. */
const MAX_EXAMPLES = 15;
const SEED = 20261204;
/** A run longer than this is stopped, and fails: the whole file stays within a few minutes. */
const RUN_LIMIT_MS = 150_000;
const METRICS_TOKEN = 'fuzz-metrics-token-that-is-long-enough';
const SKUS = ['FUZZ-1', 'FUZZ-2', 'FUZZ-3'];

/** Valid data may be refused with these (the schemathesis default, and 422: see above). */
const ACCEPTED = ['2xx', '3xx', 401, 403, 404, 409, 422, 429, '5xx'];
const ACCEPTED_OR_400 = [...ACCEPTED, 400];
/** The operations that refuse some valid-looking input with 400 by a rule no schema can state (see above). */
const REFUSE_VALID_WITH_400 = [
  '/auth/register',
  '/inventory/{sku}',
  '/orders/{orderId}',
  '/streams',
  '/webhooks/stripe',
  '/admin/metrics/business',
];

type Seeds = { orderIds: string[]; streamIds: string[]; projections: string[] };

/** schemathesis.toml for one run: `bearer` authenticates as one user (none: anonymous). */
function config({ orderIds, streamIds, projections }: Seeds, bearer?: string): string {
  const list = (values: readonly string[]) => `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;
  return `
[checks.positive_data_acceptance]
expected-statuses = ${list(ACCEPTED.map(String))}

${bearer ? `[auth.openapi.bearer]\nbearer = ${JSON.stringify(bearer)}\n` : ''}
[auth.openapi.metricsToken]
bearer = ${JSON.stringify(METRICS_TOKEN)}

# Half of the ids drawn are ones that exist, so that requests reach past "not found".
[dictionaries.skus]
values = ${list(SKUS)}
[dictionaries.orders]
values = ${list(orderIds)}
[dictionaries.streams]
values = ${list(streamIds)}
[dictionaries.projections]
values = ${list(projections)}

[parameters]
"path.sku" = { dictionary = "skus", probability = 0.5 }
"body.sku" = { dictionary = "skus", probability = 0.5 }
"path.orderId" = { dictionary = "orders", probability = 0.5 }
"path.streamId" = { dictionary = "streams", probability = 0.5 }
"path.name" = { dictionary = "projections", probability = 0.5 }

[[operations]]
include-path = ${list(REFUSE_VALID_WITH_400)}
checks.positive_data_acceptance.expected-statuses = ${list(ACCEPTED_OR_400.map(String))}
`;
}

type Run = { code: number | null; output: string; ms: number };

/** Runs `st` to the end (or kills it at RUN_LIMIT_MS); its report is the output. */
function st(cwd: string, args: string[]): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(schemathesis.schemathesisBin, args, {
      cwd,
      env: {
        ...process.env,
        NO_COLOR: '1',
        NO_PROXY: '127.0.0.1,localhost',
        no_proxy: '127.0.0.1,localhost',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      output += `\n[fuzz.spec] stopped after ${RUN_LIMIT_MS / 1000} s\n`;
      child.kill('SIGKILL');
    }, RUN_LIMIT_MS);
    child.once('error', (error) => (clearTimeout(timer), reject(error)));
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    });
  });
}

describe.each(PROFILES)('schemathesis against the %s profile', (profile) => {
  let t: TestApp;
  let url: string;
  let dir: string;
  let seeds: Seeds;
  const tokens: Record<'customer' | 'auditor' | 'admin' | 'leaving', string> = {
    customer: '',
    auditor: '',
    admin: '',
    leaving: '',
  };

  beforeAll(async () => {
    await schemathesis.up();
    dir = mkdtempSync(join(tmpdir(), 'fuzz-'));
    t = await testApp(profile, { RATE_LIMITS: 'off', METRICS_TOKEN });
    for (const sku of SKUS) await stockProduct(t.platform, sku, 1_000);
    const bearer = async (email: string, role?: 'admin' | 'auditor') =>
      (await signIn(t.app, t.platform, email, role)).headers.authorization.slice('Bearer '.length);
    const customer = await signIn(t.app, t.platform, `fuzz-customer-${profile}@example.com`);
    tokens.customer = customer.headers.authorization.slice('Bearer '.length);
    tokens.auditor = await bearer(`fuzz-auditor-${profile}@example.com`, 'auditor');
    tokens.admin = await bearer(`fuzz-admin-${profile}@example.com`, 'admin');
    tokens.leaving = await bearer(`fuzz-leaving-${profile}@example.com`);
    const orderIds = [
      await checkout(t.platform, customer.userId, [{ sku: 'FUZZ-1', quantity: 2 }]),
      await checkout(t.platform, customer.userId, [{ sku: 'FUZZ-2', quantity: 1 }], 'pm_card_chargeDeclined'),
    ];
    for (const orderId of orderIds)
      await vi.waitFor(
        async () => expect((await orderState(t.platform, orderId)).status).toMatch(/^(confirmed|cancelled)$/),
        { timeout: 30_000, interval: 50 },
      );
    seeds = {
      orderIds,
      streamIds: [...SKUS.map((sku) => `inventory-${sku}`), `product-${SKUS[0]}`, `order-${orderIds[0]}`],
      projections: t.platform.projections.rebuildable.map((p) => p.name),
    };
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  }, 180_000);

  afterAll(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** One schemathesis run as `role` over the operations `filters` select; it must find nothing. */
  async function fuzz(name: string, bearer: string | undefined, filters: string[]) {
    const file = join(dir, `${name}.toml`);
    writeFileSync(file, config(seeds, bearer));
    const run = await st(dir, [
      '--config-file',
      file,
      'run',
      `${url}/openapi.json`,
      '--checks',
      'all',
      '--max-examples',
      String(MAX_EXAMPLES),
      '--seed',
      String(SEED),
      // One worker: with two, Hypothesis (parsing lambdas' source for their descriptions) trips over
      // CPython 3.11's ast.parse not being thread-safe ("AST constructor recursion depth mismatch").
      '--workers',
      '1',
      '--request-timeout',
      '20',
      '--generation-database',
      'none',
      '--no-color',
      ...filters,
    ]);
    const cases = /(\d+) generated/.exec(run.output)?.[1] ?? '?';
    const operations = /Tested: (\d+)/.exec(run.output)?.[1] ?? '?';
    const warnings = run.output.split('\n').filter((line) => line.startsWith('  ⚠️'));
    console.info(
      `[fuzz] ${profile} ${name}: exit ${run.code}, ${operations} operations, ${cases} test cases, ` +
        `${(run.ms / 1000).toFixed(1)} s${warnings.map((w) => `\n[fuzz]  ${w.trim()}`).join('')}`,
    );
    expect(run.code, `schemathesis as ${name} on ${profile}:\n${run.output}`).toBe(0);
  }

  // Each role over what it may do (anything else is a 403 before the schema is even read).
  const destructive = '/auth/logout|/admin/users/|/rebuild$';
  /** A stream that does not end while its token stands (see above). */
  const endless = '/live$';

  it('finds nothing as a customer', async () => {
    await fuzz('customer', tokens.customer, [
      '--exclude-path-regex',
      `^/(admin|streams|audit|metrics)|${destructive}|${endless}`,
    ]);
  }, 200_000);

  // Auditors read: every GET.
  it('finds nothing as an auditor', async () => {
    await fuzz('auditor', tokens.auditor, ['--include-method', 'GET', '--exclude-path-regex', endless]);
  }, 200_000);

  it('finds nothing as an admin', async () => {
    await fuzz('admin', tokens.admin, [
      '--include-path-regex',
      '^/(admin|metrics|inventory|webhooks)',
      '--exclude-path-regex',
      destructive,
    ]);
  }, 200_000);

  it('finds nothing signing out, then disabling accounts and rebuilding read models as an admin', async () => {
    await fuzz('leaving', tokens.leaving, ['--include-path', '/auth/logout']);
    await fuzz('admin-last', tokens.admin, ['--include-path-regex', '^/admin/(users/|projections/)']);
  }, 400_000);
});
