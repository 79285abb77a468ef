import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CardNumberRejectedError,
  GatewayError,
  GatewayTimeoutError,
  IdempotencyKeyReuseError,
  PaymentStateError,
} from '../../src/payments/payment-gateway.ts';
import { StripeGateway, type StripeGatewayOptions } from '../../src/payments/stripe-gateway.ts';
import { authorized, authorizeRequest, paymentGatewayContract, unique, usd } from './contract.ts';
import { assertStripeMockAnswers, sdkTarget, stripeMockUrl } from './support/stripe-mock.ts';
import { startStripeProxy, type ProxyHooks, type StripeProxy } from './support/stripe-proxy.ts';
import { stripeTestModeOutcomes } from './support/stripe-test-mode.ts';

const secretKey = 'sk_test_paymentsSuite'; // stripe-mock wants exactly sk_test_<something without underscores>
const mock = stripeMockUrl();
beforeAll(() => assertStripeMockAnswers(mock));

const gatewayAt = (url: URL, options: Partial<StripeGatewayOptions> = {}) =>
  new StripeGateway({ secretKey, ...sdkTarget(url), timeoutMs: 5_000, maxNetworkRetries: 0, ...options });

paymentGatewayContract('stripe (stripe-mock with test-mode card outcomes)', async () => {
  const proxy = await startStripeProxy(mock, { rewrite: stripeTestModeOutcomes });
  return { gateway: gatewayAt(proxy.url, { maxNetworkRetries: 2 }), dispose: proxy.close };
});

/** A proxy in front of stripe-mock for one test, closed afterwards. */
async function withProxy<T>(hooks: ProxyHooks, test: (proxy: StripeProxy) => Promise<T>): Promise<T> {
  const proxy = await startStripeProxy(mock, hooks);
  try {
    return await test(proxy);
  } finally {
    await proxy.close();
  }
}

describe('stripe gateway: what it sends', () => {
  it('creates a confirmed, manually captured intent with our key, order and customer', async () => {
    await withProxy({ rewrite: stripeTestModeOutcomes }, async (proxy) => {
      const request = authorizeRequest({
        amount: { amount: 4250, currency: 'EUR' },
        customerId: 'customer-7',
      });
      const result = await gatewayAt(proxy.url).authorize(request);
      expect(result.status).toBe('authorized');
      expect(proxy.requests).toHaveLength(1);
      const [sent] = proxy.requests;
      expect(sent?.method).toBe('POST');
      expect(sent?.path).toBe('/v1/payment_intents');
      expect(sent?.headers['idempotency-key']).toBe(request.idempotencyKey);
      expect(Object.fromEntries(sent?.form ?? [])).toEqual({
        amount: '4250',
        currency: 'eur',
        payment_method: 'pm_card_visa',
        capture_method: 'manual',
        confirm: 'true',
        'automatic_payment_methods[enabled]': 'true',
        'automatic_payment_methods[allow_redirects]': 'never',
        'metadata[orderId]': request.orderId,
        'metadata[customerId]': 'customer-7',
      });
    });
  });

  it('sends capture, cancel and refund with the caller’s idempotency keys', async () => {
    await withProxy({ rewrite: stripeTestModeOutcomes }, async (proxy) => {
      const gateway = gatewayAt(proxy.url);
      const ref = await authorized(gateway);
      const keys = { capture: unique('capture'), void: unique('void'), refund: unique('refund') };
      await gateway.capture(ref, keys.capture);
      await gateway.voidAuthorization(ref, keys.void);
      await gateway.refund(ref, usd(700), keys.refund);
      const sent = proxy.requests.slice(1).map((r) => ({
        call: `${r.method} ${r.path}`,
        key: r.headers['idempotency-key'],
        form: Object.fromEntries(r.form),
      }));
      expect(sent).toEqual([
        { call: `POST /v1/payment_intents/${ref}/capture`, key: keys.capture, form: {} },
        { call: `POST /v1/payment_intents/${ref}/cancel`, key: keys.void, form: {} },
        { call: 'POST /v1/refunds', key: keys.refund, form: { payment_intent: ref, amount: '700' } },
      ]);
    });
  });

  it('lets the SDK retry a 500 with the same idempotency key', async () => {
    const hooks: ProxyHooks = {
      intercept: (_request, index) =>
        index === 0 ? { status: 500, body: { error: { type: 'api_error', message: 'boom' } } } : undefined,
      rewrite: stripeTestModeOutcomes,
    };
    await withProxy(hooks, async (proxy) => {
      const request = authorizeRequest();
      const result = await gatewayAt(proxy.url, { maxNetworkRetries: 1 }).authorize(request);
      expect(result.status).toBe('authorized');
      expect(proxy.requests.map((r) => r.headers['idempotency-key'])).toEqual([
        request.idempotencyKey,
        request.idempotencyKey,
      ]);
    });
  });

  it('sends nothing at all for a card number', async () => {
    await withProxy({}, async (proxy) => {
      const error = await gatewayAt(proxy.url)
        .authorize(authorizeRequest({ paymentMethod: '4000002760003184' }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CardNumberRejectedError);
      expect(proxy.requests).toHaveLength(0);
    });
  });
});

describe('stripe gateway: how it reads Stripe’s answers', () => {
  const stripeError = (status: number, error: Record<string, unknown>) => () => ({ status, body: { error } });

  it('reads a missing payment method as a decline', async () => {
    const intercept = stripeError(400, {
      type: 'invalid_request_error',
      code: 'resource_missing',
      param: 'payment_method',
      message: 'No such PaymentMethod',
    });
    await withProxy({ intercept }, async (proxy) => {
      const result = await gatewayAt(proxy.url).authorize(
        authorizeRequest({ paymentMethod: 'pm_sim_timeout' }),
      );
      expect(result).toEqual({ status: 'declined', reason: 'unknown_payment_method' });
    });
  });

  it.each([
    ['requires_action', { status: 'declined', reason: 'authentication_required' }],
    ['canceled', { status: 'declined', reason: 'canceled' }],
  ])('reads an intent left in %s as a decline', async (status, expected) => {
    await withProxy(
      { rewrite: (_r, answer) => ({ ...answer, body: { ...answer.body, status } }) },
      async (proxy) => {
        expect(await gatewayAt(proxy.url).authorize(authorizeRequest())).toEqual(expected);
      },
    );
  });

  it('reads a still processing intent as a retryable failure, not an answer', async () => {
    await withProxy(
      { rewrite: (_r, answer) => ({ ...answer, body: { ...answer.body, status: 'processing' } }) },
      async (proxy) => {
        await expect(gatewayAt(proxy.url).authorize(authorizeRequest())).rejects.toMatchObject({
          code: 'unavailable',
          retryable: true,
        });
      },
    );
  });

  it('maps an unexpected intent state on capture to PaymentStateError', async () => {
    const intercept = stripeError(400, {
      type: 'invalid_request_error',
      code: 'payment_intent_unexpected_state',
      message: 'This PaymentIntent could not be captured because it has a status of succeeded.',
    });
    await withProxy({ intercept }, async (proxy) => {
      await expect(gatewayAt(proxy.url).capture('pi_123', unique('capture'))).rejects.toBeInstanceOf(
        PaymentStateError,
      );
    });
  });

  it('maps a reused idempotency key to IdempotencyKeyReuseError', async () => {
    const intercept = stripeError(400, {
      type: 'idempotency_error',
      message: 'Keys for idempotent requests can only be used with the same parameters',
    });
    await withProxy({ intercept }, async (proxy) => {
      await expect(gatewayAt(proxy.url).refund('pi_123', usd(100), unique('refund'))).rejects.toBeInstanceOf(
        IdempotencyKeyReuseError,
      );
    });
  });

  it.each([
    [500, { type: 'api_error', message: 'boom' }, { code: 'unavailable', retryable: true }],
    [429, { type: 'rate_limit_error', message: 'slow down' }, { code: 'unavailable', retryable: true }],
    [
      404,
      { type: 'invalid_request_error', code: 'resource_missing', message: 'No such payment_intent' },
      { code: 'not_found', retryable: false },
    ],
  ])('maps HTTP %i to a GatewayError', async (status, error, expected) => {
    await withProxy({ intercept: stripeError(status, error) }, async (proxy) => {
      const thrown = await gatewayAt(proxy.url)
        .voidAuthorization('pi_123', unique('void'))
        .catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(GatewayError);
      expect(thrown).toMatchObject(expected);
    });
  });
});

describe('stripe gateway: no answer', () => {
  let blackHole: Server;
  const heads: string[] = [];
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    // Accepts connections, reads the request, never answers.
    blackHole = createServer((socket) => {
      sockets.add(socket);
      socket.on('data', (data) => heads.push(data.toString('latin1')));
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => blackHole.close(resolve));
  });
  const blackHoleUrl = () => new URL(`http://127.0.0.1:${(blackHole.address() as AddressInfo).port}`);

  it('throws a retryable GatewayTimeoutError when the gateway does not answer in time', async () => {
    const gateway = gatewayAt(blackHoleUrl(), { timeoutMs: 200 });
    // It gives up (the black hole never answers); how soon is not asserted.
    const error = await gateway.authorize(authorizeRequest()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayTimeoutError);
    expect(error).toMatchObject({ code: 'timeout', retryable: true });
  });

  it('retries inside the SDK with the same idempotency key before giving up', async () => {
    heads.length = 0;
    const request = authorizeRequest();
    const gateway = gatewayAt(blackHoleUrl(), { timeoutMs: 200, maxNetworkRetries: 1 });
    await expect(gateway.capture('pi_123', request.idempotencyKey)).rejects.toBeInstanceOf(
      GatewayTimeoutError,
    );
    const keys = heads.map((head) => /^idempotency-key: (.*)$/im.exec(head)?.[1]?.trim());
    expect(keys).toEqual([request.idempotencyKey, request.idempotencyKey]);
  });

  it('throws GatewayTimeoutError when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const gateway = gatewayAt(new URL(`http://127.0.0.1:${port}`));
    await expect(gateway.voidAuthorization('pi_123', unique('void'))).rejects.toBeInstanceOf(
      GatewayTimeoutError,
    );
  });
});

// Facts about the server these tests run against, checked so the suite notices if they change.
describe('stripe-mock itself', () => {
  const sdk = new Stripe(secretKey, { ...sdkTarget(mock), maxNetworkRetries: 0 });
  const create = (idempotencyKey: string) =>
    sdk.paymentIntents.create(
      {
        amount: 1999,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        capture_method: 'manual',
        confirm: true,
      },
      { idempotencyKey },
    );

  it('answers every intent with its canned requires_payment_method, which the adapter does not take for a hold', async () => {
    const intent = await create(unique('authorize'));
    expect(intent.status).toBe('requires_payment_method');
    const result = await gatewayAt(mock).authorize(authorizeRequest());
    expect(result).toEqual({ status: 'declined', reason: 'requires_payment_method' });
  });

  it('ignores idempotency keys: the same key makes a new intent id', async () => {
    const key = unique('authorize');
    const [first, second] = [await create(key), await create(key)];
    expect(first.id).not.toBe(second.id);
  });

  it('validates requests against Stripe’s API spec', async () => {
    const bogus = {
      amount: 1999,
      currency: 'usd',
      capture_method: 'sometimes',
    } as unknown as Stripe.PaymentIntentCreateParams;
    await expect(sdk.paymentIntents.create(bogus)).rejects.toBeInstanceOf(
      Stripe.errors.StripeInvalidRequestError,
    );
  });

  it('refuses a key that is not a test-mode secret key, which the adapter reports as not retryable', async () => {
    const error = await gatewayAt(mock, { secretKey: 'sk_live_nope' })
      .authorize(authorizeRequest())
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'refused', retryable: false });
  });
});
