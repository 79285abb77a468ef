import { z } from 'zod';
import { FRAUD_RULES, type FraudPolicy, type FraudRule } from './domain/fraud/index.ts';

const port = z.coerce.number().int().min(0).max(65535);
/** A fraud rule's limit: the count at which it fires (0: the rule is off). */
const fraudLimit = z.coerce.number().int().min(0).max(1_000_000);

/** Every setting the platform reads from its environment, validated once at start-up. */
const configSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** How long a client may take to send a whole request, headers and body; then 408 and the connection closes. */
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** How long a client may take to send a request's headers (a connection that sends nothing included). */
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** How long an idle keep-alive connection stays open (above a load balancer's idle timeout). */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(72_000),
  /** Connections open at once; more are closed as they arrive. */
  HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  /** Set: GET /metrics needs `Authorization: Bearer <token>`. Unset: it answers the loopback address only. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Where the embedded profile (PGlite) keeps its database; `memory://` keeps it in memory only. */
  DATA_DIR: z.string().min(1).default('./data'),
  /** Set: the server profile's PostgreSQL. Unset: embedded PGlite under DATA_DIR. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(20),
  /** Signs bearer tokens. Unset: a random secret kept in DATA_DIR/jwt-secret (shared by processes on one disk). */
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** log2 of scrypt's N for new password hashes. */
  PASSWORD_HASH_COST: z.coerce.number().int().min(10).max(20).default(15),
  /** Password hashes computed at once (scrypt runs on libuv's pool of 4 threads: leave some to the rest). */
  PASSWORD_HASH_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /** Sign-ins and registrations waiting for a hash; more are refused at once with 503 and Retry-After. */
  PASSWORD_HASH_QUEUE: z.coerce.number().int().min(0).max(10_000).default(16),
  /** How long an access token lives (at most 15 minutes); a refresh token gets the next one. */
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(10).max(900).default(900),
  /** How long an unused refresh token lives; each refresh hands out a new one. */
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().min(0.01).max(365).default(14),
  /** `off`: no request-rate limits and no login lockout (benchmarks, load tests). The hashing bound stays. */
  RATE_LIMITS: z.enum(['on', 'off']).default('on'),
  /** Sign-in attempts per client address and minute. */
  RATE_LIMIT_LOGIN_PER_MINUTE: z.coerce.number().int().min(1).default(20),
  /** Registrations per client address and hour. */
  RATE_LIMIT_REGISTER_PER_HOUR: z.coerce.number().int().min(1).default(10),
  /** Token refreshes per client address and minute. */
  RATE_LIMIT_REFRESH_PER_MINUTE: z.coerce.number().int().min(1).default(60),
  /** State-changing requests per signed-in account and minute. */
  RATE_LIMIT_WRITES_PER_MINUTE: z.coerce.number().int().min(1).default(120),
  /** Sign-in attempts an account is allowed in LOGIN_LOCKOUT_SECONDS before it is locked (a success starts over). */
  LOGIN_LOCKOUT_THRESHOLD: z.coerce.number().int().min(1).default(10),
  /** How long failed attempts are remembered, and how long a locked account stays locked. */
  LOGIN_LOCKOUT_SECONDS: z.coerce.number().int().min(1).default(900),
  /** `all` runs the API and the background workers in one process; `api` and `worker` split them. */
  ROLE: z.enum(['all', 'api', 'worker']).default('all'),
  /** How long a reservation holds stock for an order that is not confirmed yet. */
  RESERVATION_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(600),
  /** How many days after a shipment's delivery a customer may ask to return its units. */
  RETURN_WINDOW_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** How long a payment gateway call may take before it counts as timed out (and is retried with its key). */
  PAYMENT_TIMEOUT_MS: z.coerce.number().int().min(50).max(120_000).default(5_000),
  /** Set: payments go to Stripe (PaymentIntents, manual capture). Unset: the simulated gateway. */
  STRIPE_SECRET_KEY: z.string().min(1).optional(),
  STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
  /**
   * Stripe's publishable key, handed to the storefront's pages (`GET /storefront/config`): public, not a
   * secret. Checked to be one, so that a secret key put here by mistake is never published.
   */
  STRIPE_PUBLISHABLE_KEY: z
    .string()
    .regex(/^pk_(test|live)_\w+$/, 'must be a Stripe publishable key (pk_test_… or pk_live_…)')
    .optional(),
  /** Another Stripe API endpoint, e.g. stripe-mock: http://127.0.0.1:12111 */
  STRIPE_API_URL: z.url().optional(),
  /** How long a worker holds an order it drives; a crashed worker's orders are resumed after this. */
  SAGA_LEASE_SECONDS: z.coerce.number().min(0.5).max(3_600).default(30),
  /** Orders one worker drives at once. */
  SAGA_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(64),
  /** A surge: more orders placed a second than this (counted over the last 250 ms). The saga then drives fewer at once. */
  SAGA_SURGE_ORDERS_PER_SECOND: z.coerce.number().int().min(1).default(250),
  /** Orders one worker drives at once during a surge, so that the requests placing them answer first. */
  SAGA_SURGE_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(2),
  /** Orders that waited this long end the saga's yield in a surge: it drives all its slots until it has caught up. */
  SAGA_SURGE_MAX_SECONDS: z.coerce.number().positive().max(3_600).default(10),
  /** Services profile: seed the demo catalog and users as the embedded profile always does. */
  SEED_DEMO: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** Password of the demo users; unset: generated once and kept in DATA_DIR/demo-password. */
  DEMO_PASSWORD: z.string().min(10, 'must be at least 10 characters').optional(),
  /** Creates this admin once, in any profile (with ADMIN_PASSWORD). */
  ADMIN_EMAIL: z.email().optional(),
  ADMIN_PASSWORD: z.string().min(10, 'must be at least 10 characters').optional(),
  /** Set (host:port,...): integration events are published to Kafka and consumed there. Unset: no Kafka at all. */
  KAFKA_BROKERS: z
    .string()
    .regex(/^[^\s,]+:\d+(,[^\s,]+:\d+)*$/, 'must be host:port[,host:port...]')
    .optional(),
  KAFKA_CLIENT_ID: z.string().min(1).default('eventful-commerce'),
  /** Prepended to the Kafka topic and consumer group names, to keep environments on one cluster apart. */
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[\w.-]*$/)
    .optional(),
  /** How long the Kafka relay's lease lasts; a standby relay takes over this long after the holder dies. */
  KAFKA_RELAY_LEASE_SECONDS: z.coerce.number().min(0.5).max(600).default(10),
  /** Set: product cache, cart view and availability counters in Redis. Unset: in-process. */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional(),
  /** Prepended to every Redis key, to keep environments (and test files) sharing one Redis apart. */
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[\w.:-]*$/, 'must be letters, digits or _.:-')
    .default(''),
  /** Set: catalog search in Elasticsearch. Unset: PostgreSQL full-text search. */
  ELASTICSEARCH_URL: z.url().optional(),
  /** Prepended to Elasticsearch index and alias names, to keep environments on one cluster apart. */
  ELASTICSEARCH_INDEX_PREFIX: z
    .string()
    .regex(/^[a-z0-9_-]*$/, 'must be lowercase letters, digits, _ or -')
    .default(''),
  /** /ready reports a projection whose lag (append to visible) exceeds this. */
  PROJECTION_LAG_BOUND_MS: z.coerce.number().int().min(1).default(5_000),
  /** `enforce`: fraud rules hold or refuse orders before any stock is reserved; `shadow`: their decisions are recorded and orders go on; `off`: no check. */
  FRAUD_RULES: z.enum(['enforce', 'shadow', 'off']).default('enforce'),
  /** A customer's failed authorizations in 10 minutes at which their next orders are stopped (card testing). */
  FRAUD_DECLINES_PER_10_MINUTES: fraudLimit.default(3),
  /** A customer's orders in the hour before an order at which it is stopped. */
  FRAUD_ORDERS_PER_CUSTOMER_PER_HOUR: fraudLimit.default(20),
  /** Orders from one client address in the hour before an order at which it is stopped (loopback is not counted). */
  FRAUD_ORDERS_PER_ADDRESS_PER_HOUR: fraudLimit.default(50),
  /** Distinct payment methods of a customer's orders in a day (the order's own included) at which it is stopped. */
  FRAUD_PAYMENT_METHODS_PER_DAY: fraudLimit.default(5),
  /** A first order (no confirmed order before it) of this amount or more, in minor units, is stopped. */
  FRAUD_NEW_ACCOUNT_AMOUNT: fraudLimit.max(Number.MAX_SAFE_INTEGER).default(100_000),
  /** Rules whose orders are refused (cancelled, `fraud_suspected`); the others hold theirs for review (`none`: all). */
  FRAUD_BLOCK_RULES: z
    .string()
    .default('declines_per_customer')
    .transform((list) =>
      list === 'none'
        ? []
        : list
            .split(',')
            .map((rule) => rule.trim())
            .filter(Boolean),
    )
    .pipe(z.array(z.enum(FRAUD_RULES, `must name rules among ${FRAUD_RULES.join(', ')}`))),
  /** A StockLow integration event is published when the units available to sell drop under this. */
  STOCK_LOW_THRESHOLD: z.coerce.number().int().min(0).default(5),
  /** Checkouts per second of one SKU that turn its flash-sale gate on by itself; 0: only an admin's switch does. */
  GATE_HOT_CHECKOUTS_PER_SECOND: z.coerce.number().min(0).max(1_000_000).default(20),
  /** How long a SKU's gate stays on after its checkouts were last over that rate. */
  GATE_HOT_HOLD_SECONDS: z.coerce.number().min(1).max(86_400).default(120),
  /** An admission whose order is not placed by then is given back (and an unreserved one looked at again). */
  GATE_PLACEMENT_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(3_600).default(30),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = z.infer<typeof configSchema>;

/** Settings that must agree with one another. */
const consistentConfig = configSchema.refine((c) => c.HTTP_HEADERS_TIMEOUT_MS <= c.HTTP_REQUEST_TIMEOUT_MS, {
  // Node's HTTP server refuses a headers timeout longer than the whole request's.
  message: 'must not exceed HTTP_REQUEST_TIMEOUT_MS',
  path: ['HTTP_HEADERS_TIMEOUT_MS'],
});

/** The fraud rules in force, as configured; undefined when FRAUD_RULES is off. */
export function fraudPolicy(config: Config): FraudPolicy | undefined {
  if (config.FRAUD_RULES === 'off') return undefined;
  const limits: Record<FraudRule, number> = {
    declines_per_customer: config.FRAUD_DECLINES_PER_10_MINUTES,
    orders_per_customer: config.FRAUD_ORDERS_PER_CUSTOMER_PER_HOUR,
    orders_per_address: config.FRAUD_ORDERS_PER_ADDRESS_PER_HOUR,
    payment_methods_per_customer: config.FRAUD_PAYMENT_METHODS_PER_DAY,
    new_account_amount: config.FRAUD_NEW_ACCOUNT_AMOUNT,
  };
  const rules = Object.fromEntries(
    FRAUD_RULES.filter((rule) => limits[rule] > 0).map((rule) => [
      rule,
      { limit: limits[rule], action: config.FRAUD_BLOCK_RULES.includes(rule) ? 'block' : 'review' },
    ]),
  );
  return { mode: config.FRAUD_RULES, rules };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads the configuration, or explains every setting at fault in one readable message. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = consistentConfig.safeParse(
    Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')),
  );
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
}
