import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderWatch } from '../../src/api/order-watch.ts';
import { streams } from '../../src/commands/index.ts';
import type { RecordedEvent } from '../../src/eventstore/event-store.ts';
import { signIn } from '../support/http.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { paymentOf, stockProduct } from '../support/shop.ts';

// GET /orders/:orderId/live on a listening server, read with Node's fetch as a browser reads it: the
// order at once, then each change of its stream, for whom GET /orders/:orderId is; the one watch of
// the process reads only while someone follows; the stream ends with the token it was opened with.

type Headers = Record<string, string>;
type Message = Readonly<{ event: string; id: string | undefined; data: string }>;
type OrderPage = { orderId: string; status: string; timeline: { event: string }[] };
const poll = { timeout: 30_000, interval: 20 };

/** A client of an event stream: what it has received so far, parsed as the WHATWG rules say. */
type Live = {
  response: Response;
  messages: Message[];
  comments: string[];
  ended: boolean;
  orders(): OrderPage[];
  close(): void;
};

async function openLive(url: string, headers: Headers): Promise<Live> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  const live: Live = {
    response,
    messages: [],
    comments: [],
    ended: false,
    orders: () =>
      live.messages.filter((m) => m.event === 'order').map((m) => JSON.parse(m.data) as OrderPage),
    close: () => controller.abort(),
  };
  if (!response.ok || !response.body) return live;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let buffer = '';
    let message = { event: 'message', id: undefined as string | undefined, data: [] as string[] };
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline).replace(/\r$/, '');
          buffer = buffer.slice(newline + 1);
          if (line === '') {
            if (message.data.length > 0)
              live.messages.push({ event: message.event, id: message.id, data: message.data.join('\n') });
            message = { event: 'message', id: message.id, data: [] };
          } else if (line.startsWith(':')) live.comments.push(line.slice(1).trim());
          else {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') message.event = text;
            else if (field === 'id') message.id = text;
            else if (field === 'data') message.data.push(text);
          }
        }
      }
    } catch {
      // aborted by the test
    }
    live.ended = true;
  })();
  return live;
}

describe.each(['embedded', 'postgres'] as const)('live orders over HTTP (%s)', (profile) => {
  let t: TestApp;
  let base: string;
  let admin: { userId: string; headers: Headers };
  let ada: { userId: string; headers: Headers };
  let keys = 0;
  /** While set, the checkout saga fails its first step (and tries again later): orders stay pending. */
  let holdCheckouts = false;
  const SKU = `LIVE-${profile}`;
  const opened: Live[] = [];

  beforeAll(async () => {
    t = await testApp(
      profile,
      {
        PAYMENT_TIMEOUT_MS: '2000',
        // Far shorter than a stream lasts here: none of them may cut it.
        HTTP_REQUEST_TIMEOUT_MS: '1000',
        HTTP_HEADERS_TIMEOUT_MS: '500',
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '500',
      },
      {
        sagaStepHook: (step) => {
          if (holdCheckouts && step === 'before-first-step') throw new Error('checkout held by the test');
        },
      },
    );
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    await stockProduct(t.platform, SKU, 100, 1_000);
    admin = await signIn(t.app, t.platform, `admin-live-${profile}@example.com`, 'admin');
    ada = await signIn(t.app, t.platform, `ada-live-${profile}@example.com`);
  });
  afterAll(async () => {
    for (const live of opened) live.close();
    await t?.close();
  });

  const live = async (orderId: string, headers: Headers) => {
    const opening = await openLive(`${base}/orders/${orderId}/live`, headers);
    opened.push(opening);
    return opening;
  };
  const getOrder = async (orderId: string, headers: Headers = ada.headers) =>
    (await t.app.inject({ method: 'GET', url: `/orders/${orderId}`, headers })).json<OrderPage>();
  const version = (orderId: string) => t.platform.store.streamVersion(streams.order(orderId));

  /** An order of `customer`'s placed over HTTP with pm_card_visa (confirmed by the saga unless held). */
  const placeOrder = async (customer: Headers = ada.headers) => {
    const added = await t.app.inject({
      method: 'POST',
      url: '/cart/items',
      headers: customer,
      payload: { sku: SKU, quantity: 1 },
    });
    expect(added.statusCode).toBe(200);
    const placed = await t.app.inject({
      method: 'POST',
      url: '/checkout',
      headers: { ...customer, 'idempotency-key': `live-${profile}-${++keys}` },
      payload: { paymentMethod: 'pm_card_visa' },
    });
    expect(placed.statusCode).toBe(202);
    return placed.json<{ orderId: string }>().orderId;
  };
  const confirmedOrder = async () => {
    const orderId = await placeOrder();
    await expect.poll(async () => (await getOrder(orderId)).status, poll).toBe('confirmed');
    await expect.poll(async () => (await paymentOf(t.platform, orderId)).status, poll).toBe('captured');
    return orderId;
  };
  const ship = async (orderId: string) => {
    const shipped = await t.app.inject({
      method: 'POST',
      url: `/admin/orders/${orderId}/shipments`,
      headers: { ...admin.headers, 'idempotency-key': `live-ship-${profile}-${++keys}` },
      payload: { lines: [{ sku: SKU, quantity: 1 }], carrier: 'DHL', trackingNumber: `JD${keys}` },
    });
    expect(shipped.statusCode).toBe(201);
  };

  it('sends the owner the order at once, then its confirmation, then its shipment', async () => {
    holdCheckouts = true;
    let orderId: string;
    let stream: Live;
    try {
      orderId = await placeOrder();
      stream = await live(orderId, ada.headers);
      expect(stream.response.status).toBe(200);
      expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(stream.response.headers.get('cache-control')).toBe('no-cache');
      expect(stream.response.headers.get('x-accel-buffering')).toBe('no');
      expect(stream.response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(stream.response.headers.get('content-security-policy')).toContain("default-src 'self'");
      await expect.poll(() => stream.messages.length, poll).toBeGreaterThan(0);
      const [first] = stream.messages;
      expect(first).toMatchObject({ event: 'order', id: String(await version(orderId)) });
      expect(JSON.parse(first!.data)).toEqual(await getOrder(orderId));
      expect(JSON.parse(first!.data)).toMatchObject({ orderId, status: 'pending' });
    } finally {
      holdCheckouts = false;
    }

    await expect.poll(() => stream.orders().at(-1)?.status, poll).toBe('confirmed');
    await expect.poll(async () => (await paymentOf(t.platform, orderId)).status, poll).toBe('captured');
    await ship(orderId);
    await expect.poll(() => stream.orders().at(-1)?.status, poll).toBe('shipped');

    const statuses = stream.orders().map((o) => o.status);
    expect(statuses.indexOf('confirmed')).toBeGreaterThan(statuses.lastIndexOf('pending'));
    expect(statuses.indexOf('shipped')).toBeGreaterThan(statuses.lastIndexOf('confirmed'));
    const ids = stream.messages.map((m) => Number(m.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    await expect.poll(async () => Number(stream.messages.at(-1)!.id), poll).toBe(await version(orderId));
    expect(JSON.parse(stream.messages.at(-1)!.data)).toEqual(await getOrder(orderId));
    expect(stream.ended).toBe(false);
    stream.close();
  });

  it('keeps a stream open past the connection time limits: keep-alive comments, then a change', async () => {
    const orderId = await confirmedOrder();
    const stream = await live(orderId, ada.headers);
    await expect.poll(() => stream.messages.length, poll).toBe(1);
    // The first comment comes 15 s in: fifteen times the request timeout, thirty times the others.
    await expect.poll(() => stream.comments, poll).toContain('keep-alive');
    expect(stream.ended).toBe(false);
    await ship(orderId);
    await expect.poll(() => stream.orders().at(-1)?.status, poll).toBe('shipped');
    stream.close();
  });

  it('shows any order to admins and auditors; another customer and an unknown order get 404, no token 401', async () => {
    const orderId = await confirmedOrder();
    const auditor = await signIn(t.app, t.platform, `auditor-live-${profile}@example.com`, 'auditor');
    for (const headers of [admin.headers, auditor.headers]) {
      const stream = await live(orderId, headers);
      expect(stream.response.status).toBe(200);
      await expect.poll(() => stream.orders()[0]?.orderId, poll).toBe(orderId);
      stream.close();
    }

    const bob = await signIn(t.app, t.platform, `bob-live-${profile}@example.com`);
    const refusals = [
      { headers: bob.headers, url: orderId, status: 404 },
      { headers: ada.headers, url: '00000000-0000-4000-8000-000000000000', status: 404 },
      { headers: {}, url: orderId, status: 401 },
      { headers: { authorization: 'Bearer not-a-token' }, url: orderId, status: 401 },
    ];
    for (const { headers, url, status } of refusals) {
      const response = await fetch(`${base}/orders/${url}/live`, { headers });
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(await response.json()).toMatchObject({ status });
    }
  });

  it('tells every client of an order of its change, folded once for them all', async () => {
    const orderId = await confirmedOrder();
    const first = await live(orderId, ada.headers);
    const second = await live(orderId, admin.headers);
    for (const stream of [first, second]) await expect.poll(() => stream.messages.length, poll).toBe(1);
    const folded = t.app.orderWatch.presentations;
    await ship(orderId);
    for (const stream of [first, second])
      await expect.poll(() => stream.orders().at(-1)?.status, poll).toBe('shipped');
    expect(second.messages).toEqual(first.messages);
    // One presentation per change the clients were told of, not one per client.
    expect(first.messages.length).toBeGreaterThan(1);
    expect(t.app.orderWatch.presentations - folded).toBe(first.messages.length - 1);
    first.close();
    second.close();
  });

  it('leaves out the first message when Last-Event-ID is the current version', async () => {
    const orderId = await confirmedOrder();
    const current = await version(orderId);
    const resumed = await live(orderId, { ...ada.headers, 'last-event-id': String(current) });
    const behind = await live(orderId, { ...ada.headers, 'last-event-id': String(current - 1) });
    await expect.poll(() => behind.messages.length, poll).toBe(1);
    expect(behind.messages[0]!.id).toBe(String(current));
    await ship(orderId);
    await expect.poll(() => resumed.messages.length, poll).toBe(1);
    expect(Number(resumed.messages[0]!.id)).toBeGreaterThan(current);
    expect(JSON.parse(resumed.messages[0]!.data)).toMatchObject({ status: 'shipped' });
    resumed.close();
    behind.close();
  });

  it('ends the stream when the token it was opened with expires', async () => {
    const orderId = await confirmedOrder();
    const claims = { sub: ada.userId, email: `ada-live-${profile}@example.com`, role: 'customer' as const };
    const shortLived = await live(orderId, {
      authorization: `Bearer ${t.app.jwt.sign(claims, { expiresIn: 3 })}`,
    });
    const longLived = await live(orderId, ada.headers);
    expect(shortLived.response.status).toBe(200);
    await expect.poll(() => shortLived.messages.length, poll).toBe(1);
    await expect.poll(() => shortLived.ended, poll).toBe(true);
    // The other client, whose token still stands, is still followed and still told.
    expect(longLived.ended).toBe(false);
    await ship(orderId);
    await expect.poll(() => longLived.orders().at(-1)?.status, poll).toBe('shipped');
    expect(shortLived.orders().map((o) => o.status)).toEqual(['confirmed']);
    longLived.close();
  });

  it('ends the stream when its session signs out, and sends nothing after', async () => {
    const orderId = await confirmedOrder();
    const login = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email: `ada-live-${profile}@example.com`, password: 'a long test password' },
    });
    expect(login.statusCode).toBe(200);
    const { token, refreshToken } = login.json<{ token: string; refreshToken: string }>();
    const device = { authorization: `Bearer ${token}` };
    const signedOut = await live(orderId, device);
    const stillSignedIn = await live(orderId, ada.headers);
    await expect.poll(() => signedOut.messages.length, poll).toBe(1);
    const logout = await t.app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: device,
      payload: { refreshToken },
    });
    expect(logout.statusCode).toBe(204);
    await ship(orderId);
    await expect.poll(() => stillSignedIn.orders().at(-1)?.status, poll).toBe('shipped');
    await expect.poll(() => signedOut.ended, poll).toBe(true);
    // The shipment came after the sign-out: the signed-out device never heard of it.
    expect(signedOut.orders().map((o) => o.status)).toEqual(['confirmed']);
    stillSignedIn.close();
  });

  it('forgets a client that disconnects; with nobody watching, the watch reads nothing', async () => {
    const watch = t.app.orderWatch;
    await expect.poll(() => watch.listeners, poll).toBe(0);
    await expect.poll(() => watch.active, poll).toBe(false);
    const idleReads = watch.reads;

    const orderId = await confirmedOrder();
    // Nobody watched while the order was placed, paid and confirmed.
    expect(watch.reads).toBe(idleReads);
    const stream = await live(orderId, ada.headers);
    await expect.poll(() => stream.messages.length, poll).toBe(1);
    expect(watch.listeners).toBe(1);
    expect(watch.active).toBe(true);
    await expect.poll(() => watch.reads, poll).toBeGreaterThan(idleReads);

    stream.close();
    await expect.poll(() => watch.listeners, poll).toBe(0);
    await expect.poll(() => watch.active, poll).toBe(false);
    const reads = watch.reads;
    await ship(orderId);
    expect(watch.active).toBe(false);
    expect(watch.reads).toBe(reads);
    // A stream's lifetime is no request latency: the route is left out of the latency histogram.
    const latency = await t.platform.metrics.registry.getSingleMetricAsString(
      'http_request_duration_seconds',
    );
    expect(latency).toContain('route="/orders/:orderId"');
    expect(latency).not.toContain('/live"');
  });

  it('answers HEAD with the stream headers and no body', async () => {
    const orderId = await confirmedOrder();
    const response = await fetch(`${base}/orders/${orderId}/live`, { method: 'HEAD', headers: ada.headers });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(await response.text()).toBe('');
    expect(t.app.orderWatch.listeners).toBe(0);
  });
});

describe('closing the app', () => {
  it('ends the open streams, so that the server can close, and stops the watch', async () => {
    const t = await testApp('embedded', { PAYMENT_TIMEOUT_MS: '2000' });
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    await stockProduct(t.platform, 'LIVE-CLOSE', 10, 1_000);
    const ada = await signIn(t.app, t.platform, 'ada-live-close@example.com');
    await t.app.inject({
      method: 'POST',
      url: '/cart/items',
      headers: ada.headers,
      payload: { sku: 'LIVE-CLOSE', quantity: 1 },
    });
    const placed = await t.app.inject({
      method: 'POST',
      url: '/checkout',
      headers: { ...ada.headers, 'idempotency-key': 'live-close-order' },
      payload: { paymentMethod: 'pm_card_visa' },
    });
    const { orderId } = placed.json<{ orderId: string }>();
    const stream = await openLive(`${base}/orders/${orderId}/live`, ada.headers);
    await expect.poll(() => stream.messages.length, poll).toBeGreaterThan(0);
    const watch = t.app.orderWatch;
    expect(watch.listeners).toBe(1);
    await t.close();
    await expect.poll(() => stream.ended, poll).toBe(true);
    expect(watch.listeners).toBe(0);
    expect(watch.active).toBe(false);
  });
});

describe('the order watch', () => {
  const A = '00000000-0000-4000-8000-00000000000a';
  const B = '00000000-0000-4000-8000-00000000000b';
  const quiet = { update: () => undefined, closed: () => undefined };

  it('reads every watched order in one read, and reads no more once the last client leaves mid-read', async () => {
    const reads: { streamId: string; fromVersion: number }[][] = [];
    let answer = (_read: Map<string, RecordedEvent[]>) => {};
    const watch = new OrderWatch({
      store: {
        readStreams: (wanted) => {
          reads.push([...wanted]);
          return new Promise((resolve) => (answer = resolve));
        },
      },
      present: () => 'the order',
      intervalMs: 5,
    });
    expect(watch.active).toBe(false);
    const leaveA = watch.follow(A, { version: 3, events: [] }, quiet);
    const leaveB = watch.follow(B, { version: 1, events: [] }, quiet);
    await expect.poll(() => reads.length, poll).toBe(1);
    expect(reads[0]).toEqual([
      { streamId: streams.order(A), fromVersion: 4 },
      { streamId: streams.order(B), fromVersion: 2 },
    ]);
    leaveA();
    leaveB();
    expect(watch.listeners).toBe(0);
    expect(watch.active).toBe(true); // the read is still out
    answer(new Map());
    await expect.poll(() => watch.active, poll).toBe(false);
    expect(watch.reads).toBe(1);
    expect(reads).toHaveLength(1);
    await watch.close();
  });
});
