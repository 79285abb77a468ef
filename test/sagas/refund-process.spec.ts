import { isLeft } from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelPaidOrder, markShipmentDelivered, shipOrderLines } from '../../src/commands/fulfilment.ts';
import { streams } from '../../src/commands/index.ts';
import { requestRefund } from '../../src/commands/refunds.ts';
import { receiveReturn, requestReturn } from '../../src/commands/returns.ts';
import { loadConfig } from '../../src/config.ts';
import type { Money } from '../../src/domain/money.ts';
import type { OrderEvent, PlacedOrder } from '../../src/domain/order/index.ts';
import type { PaymentEvent } from '../../src/domain/payment/index.ts';
import { GatewayTimeoutError, type PaymentGateway } from '../../src/payments/payment-gateway.ts';
import type { SimulatedGateway } from '../../src/payments/simulated-gateway.ts';
import { openPlatform, type Platform } from '../../src/platform.ts';
import { decide, refundDecider, type RefundState } from '../../src/sagas/refund/decide.ts';
import { refundKey, restockReason, voidKey, type RefundInput } from '../../src/sagas/refund/decisions.ts';
import { RefundProcess, RefundStepError } from '../../src/sagas/refund/refund-process.ts';
import { adminContext, checkout, inventoryOf, orderState, paymentOf, stockProduct } from '../support/shop.ts';

// The refund process as a decider: given the order's and the payment's streams and an input, what it
// sends and what it asks next. (The executor and its crashes: refund-crash.spec.ts, api/after-sale.spec.ts.)

const orderId = 'order-r';
const at = '2026-03-02T10:00:00.000Z';
const usd = (amount: number) => ({ amount, currency: 'USD' });

let ids = 0;
const recorded = (event: OrderEvent | PaymentEvent) => ({ eventId: `ev-${++ids}`, ...event });
const given = (...events: (OrderEvent | PaymentEvent)[]): RefundState =>
  events.map(recorded).reduce(refundDecider.evolve, refundDecider.initialState());
const idOf = (state: RefundState, type: string) => state.eventIds[type as keyof RefundState['eventIds']];
const resume: RefundInput = { type: 'Resume', at };

const placed: OrderEvent = {
  type: 'OrderPlaced',
  data: {
    orderId,
    customerId: 'c1',
    lines: [
      { sku: 'A', quantity: 2, unitPrice: usd(500), lineTotal: usd(1000) },
      { sku: 'B', quantity: 1, unitPrice: usd(300), lineTotal: usd(300) },
    ],
    total: usd(1300),
    paymentMethod: 'pm_card_visa',
    placedAt: at,
  },
};
const confirmed: OrderEvent = { type: 'OrderConfirmed', data: { orderId, at } };
const requested: PaymentEvent = {
  type: 'PaymentRequested',
  data: { orderId, amount: usd(1300), paymentMethod: 'pm_card_visa', idempotencyKey: 'k', attempt: 1, at },
};
const authorized: PaymentEvent = {
  type: 'PaymentAuthorized',
  data: { orderId, gatewayRef: 'pi_9', amount: usd(1300), at },
};
const captured: PaymentEvent = {
  type: 'PaymentCaptured',
  data: { orderId, gatewayRef: 'pi_9', amount: usd(1300), at },
};
const refundAsked = (refundId: string, amount: number): OrderEvent => ({
  type: 'RefundRequested',
  data: { orderId, refundId, amount: usd(amount), reason: 'goodwill', at },
});
const paymentRefunded = (refundId: string, amount: number): PaymentEvent => ({
  type: 'PaymentRefunded',
  data: { orderId, amount: usd(amount), at, refundId },
});
const cancelledAfterPayment: OrderEvent = {
  type: 'OrderCancelled',
  data: { orderId, reason: 'warehouse fire', at, afterPayment: true },
};
const paid = [placed, confirmed, requested, authorized, captured];

describe('refund process: refunds', () => {
  it('asks the gateway to refund a promised refund, under a key of its own', () => {
    const state = given(...paid, refundAsked('r1', 400));
    expect(decide(resume, state)).toEqual({
      send: [],
      then: {
        kind: 'refund',
        refundId: 'r1',
        gatewayRef: 'pi_9',
        amount: usd(400),
        idempotencyKey: refundKey(orderId, 'r1'),
      },
      step: 'refund',
    });
  });

  it('records what the gateway refunded on the payment stream first', () => {
    const state = given(...paid, refundAsked('r1', 400));
    const decision = decide(
      { type: 'RefundAnswered', at, refundId: 'r1', answer: { outcome: 'done' } },
      state,
    );
    expect(decision).toEqual({
      send: [
        {
          to: 'payment',
          command: { type: 'RecordRefund', data: { orderId, amount: usd(400), refundId: 'r1', at } },
          causationId: idOf(state, 'RefundRequested'),
        },
      ],
      reached: 'refund-after-payment-record',
      then: { kind: 'resume' },
    });
  });

  it('then tells the order, without asking the gateway again (a crash in between resumes here)', () => {
    const state = given(...paid, refundAsked('r1', 400), paymentRefunded('r1', 400));
    expect(decide(resume, state)).toEqual({
      send: [
        {
          to: 'order',
          command: { type: 'RecordRefundIssued', data: { orderId, refundId: 'r1', at } },
          causationId: idOf(state, 'PaymentRefunded'),
        },
      ],
      reached: 'refund-after-issued',
      then: { kind: 'resume' },
      step: 'recordIssued',
    });
  });

  it('asks again with the same key when the gateway refunded but nothing was recorded (a crash)', () => {
    const state = given(...paid, refundAsked('r1', 400));
    const first = decide(resume, state).then;
    const again = decide(resume, state).then;
    expect(again).toEqual(first);
  });

  it('is done once every refund is issued', () => {
    const state = given(...paid, refundAsked('r1', 400), paymentRefunded('r1', 400), {
      type: 'RefundIssued',
      data: { orderId, refundId: 'r1', amount: usd(400), at },
    });
    expect(decide(resume, state)).toEqual({ send: [], then: { kind: 'done' }, step: 'done' });
  });

  it('records a timeout as a failure to retry later, visible on the order', () => {
    const state = given(...paid, refundAsked('r1', 400));
    const decision = decide(
      {
        type: 'RefundAnswered',
        at,
        refundId: 'r1',
        answer: { outcome: 'failed', reason: 'gateway_timeout', retryable: true },
      },
      state,
    );
    expect(decision.send).toEqual([
      {
        to: 'order',
        command: {
          type: 'RecordRefundFailed',
          data: { orderId, refundId: 'r1', reason: 'gateway_timeout', retryable: true, at },
        },
        causationId: idOf(state, 'RefundRequested'),
      },
    ]);
    expect(decision.then).toMatchObject({ kind: 'retryLater' });
  });

  it('retries a failed refund with the same key', () => {
    const state = given(...paid, refundAsked('r1', 400), {
      type: 'RefundFailed',
      data: { orderId, refundId: 'r1', reason: 'gateway_timeout', retryable: true, at },
    });
    expect(decide(resume, state).then).toMatchObject({
      kind: 'refund',
      idempotencyKey: refundKey(orderId, 'r1'),
    });
  });

  it('records a refusal as a rejection and goes on with the other refunds', () => {
    const state = given(...paid, refundAsked('r1', 400));
    const decision = decide(
      {
        type: 'RefundAnswered',
        at,
        refundId: 'r1',
        answer: { outcome: 'failed', reason: 'invalid_request', retryable: false },
      },
      state,
    );
    expect(decision.send[0]!.command).toMatchObject({
      type: 'RecordRefundFailed',
      data: { retryable: false },
    });
    expect(decision.then).toEqual({ kind: 'resume' });
    const after = given(
      ...paid,
      refundAsked('r1', 400),
      {
        type: 'RefundFailed',
        data: { orderId, refundId: 'r1', reason: 'invalid_request', retryable: false, at },
      },
      refundAsked('r2', 100),
    );
    expect(decide(resume, after).then).toMatchObject({ kind: 'refund', refundId: 'r2' });
  });

  it('waits while a confirmed order is not captured yet', () =>
    expect(
      decide(resume, given(placed, confirmed, requested, authorized, refundAsked('r1', 400))).then,
    ).toMatchObject({
      kind: 'retryLater',
    }));

  it('rejects a refund when everything captured already went back', () => {
    const state = given(...paid, refundAsked('r1', 400), {
      type: 'PaymentRefunded',
      data: { orderId, amount: usd(1300), at },
    });
    expect(decide(resume, state).send[0]!.command).toMatchObject({
      type: 'RecordRefundFailed',
      data: { refundId: 'r1', reason: 'nothing_left_to_refund', retryable: false },
    });
  });
});

describe('refund process: an order cancelled after payment', () => {
  it('puts each line back on hand first, then records it on the order', () => {
    const state = given(...paid, cancelledAfterPayment, refundAsked('cancel', 1300));
    expect(decide(resume, state)).toEqual({
      send: [],
      then: {
        kind: 'returnReservation',
        sku: 'A',
        quantity: 2,
        reason: 'warehouse fire',
        causationId: idOf(state, 'OrderCancelled'),
      },
      step: 'returnStock',
    });
    expect(decide({ type: 'StockReturned', at, sku: 'A', quantity: 2, returnId: null }, state).send).toEqual([
      {
        to: 'order',
        command: {
          type: 'RecordStockReturned',
          data: { orderId, sku: 'A', quantity: 2, returnId: null, at },
        },
        causationId: idOf(state, 'OrderCancelled'),
      },
    ]);
  });

  it('refunds once the stock is back', () => {
    const state = given(
      ...paid,
      cancelledAfterPayment,
      refundAsked('cancel', 1300),
      { type: 'OrderStockReturned', data: { orderId, sku: 'A', quantity: 2, returnId: null, at } },
      { type: 'OrderStockReturned', data: { orderId, sku: 'B', quantity: 1, returnId: null, at } },
    );
    expect(decide(resume, state).then).toMatchObject({ kind: 'refund', amount: usd(1300) });
  });

  it('voids a hold that was never captured, then settles the refund', () => {
    const stockBack: OrderEvent[] = [
      { type: 'OrderStockReturned', data: { orderId, sku: 'A', quantity: 2, returnId: null, at } },
      { type: 'OrderStockReturned', data: { orderId, sku: 'B', quantity: 1, returnId: null, at } },
    ];
    const held = given(
      placed,
      confirmed,
      requested,
      authorized,
      cancelledAfterPayment,
      refundAsked('cancel', 1300),
      ...stockBack,
    );
    expect(decide(resume, held).then).toEqual({
      kind: 'void',
      refundId: 'cancel',
      gatewayRef: 'pi_9',
      idempotencyKey: voidKey(orderId),
    });
    expect(
      decide({ type: 'VoidAnswered', at, refundId: 'cancel', answer: { outcome: 'done' } }, held).send,
    ).toEqual([
      {
        to: 'payment',
        command: { type: 'RecordVoid', data: { orderId, reason: 'refunded before capture', at } },
        causationId: idOf(held, 'RefundRequested'),
      },
    ]);
    const voided = given(
      placed,
      confirmed,
      requested,
      authorized,
      cancelledAfterPayment,
      refundAsked('cancel', 1300),
      ...stockBack,
      { type: 'PaymentVoided', data: { orderId, gatewayRef: 'pi_9', reason: 'refunded before capture', at } },
    );
    expect(decide(resume, voided).send[0]!.command).toEqual({
      type: 'RecordRefundIssued',
      data: { orderId, refundId: 'cancel', at },
    });
  });

  it('tries again later when the void is refused (the hold was captured meanwhile)', () => {
    const held = given(
      placed,
      confirmed,
      requested,
      authorized,
      cancelledAfterPayment,
      refundAsked('cancel', 1300),
    );
    const decision = decide(
      {
        type: 'VoidAnswered',
        at,
        refundId: 'cancel',
        answer: { outcome: 'failed', reason: 'invalid_state', retryable: false },
      },
      held,
    );
    expect(decision.send[0]!.command).toMatchObject({
      type: 'RecordRefundFailed',
      data: { retryable: true },
    });
    expect(decision.then).toMatchObject({ kind: 'retryLater' });
  });
});

describe('refund process: received returns', () => {
  const delivered: OrderEvent[] = [
    {
      type: 'OrderLinesShipped',
      data: {
        orderId,
        shipmentId: 's1',
        lines: [
          { sku: 'A', quantity: 2 },
          { sku: 'B', quantity: 1 },
        ],
        carrier: 'UPS',
        trackingNumber: '1Z',
        at,
      },
    },
    { type: 'ShipmentDelivered', data: { orderId, shipmentId: 's1', at } },
    {
      type: 'ReturnRequested',
      data: {
        orderId,
        returnId: 'ret',
        lines: [
          { sku: 'A', quantity: 2 },
          { sku: 'B', quantity: 1 },
        ],
        reason: 'x',
        at,
      },
    },
    {
      type: 'ReturnReceived',
      data: {
        orderId,
        returnId: 'ret',
        lines: [
          { sku: 'A', quantity: 2, restock: true },
          { sku: 'B', quantity: 1, restock: false },
        ],
        at,
      },
    },
  ];

  it('restocks the units to restock (only those), naming the return, then refunds', () => {
    const state = given(...paid, ...delivered, refundAsked('ret-refund', 1300));
    expect(decide(resume, state)).toEqual({
      send: [],
      then: {
        kind: 'restock',
        returnId: 'ret',
        sku: 'A',
        quantity: 2,
        reason: 'return ret',
        since: at,
        causationId: idOf(state, 'ReturnReceived'),
      },
      step: 'restock',
    });
    const restocked = given(...paid, ...delivered, refundAsked('ret-refund', 1300), {
      type: 'OrderStockReturned',
      data: { orderId, sku: 'A', quantity: 2, returnId: 'ret', at },
    });
    expect(decide(resume, restocked).then).toMatchObject({
      kind: 'refund',
      refundId: 'ret-refund',
      amount: usd(1300),
    });
  });
});

describe('refund process: nothing to do', () => {
  it('is done with an order never placed, or one with nothing promised', () => {
    expect(decide(resume, refundDecider.initialState()).then).toEqual({ kind: 'done' });
    expect(decide(resume, given(...paid)).then).toEqual({ kind: 'done' });
  });
});

// The executor against a real platform (embedded, PGlite) and its simulated gateway, whose ledger is
// the gateway's own memory. No background workers: the test drives checkout and the refund process.
describe('refund process executor (embedded platform, simulated gateway)', () => {
  let platform: Platform;
  let gateway: SimulatedGateway;
  let stopAtConfirmation: string | undefined;
  beforeAll(async () => {
    platform = await openPlatform(
      loadConfig({
        DATA_DIR: 'memory://',
        JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256!',
        LOG_LEVEL: 'silent',
        PAYMENT_TIMEOUT_MS: '2000',
      }),
      {
        // Stops the checkout of one order once it is confirmed, before its capture.
        sagaStepHook: (step) => {
          if (step === 'after-confirmation' && stopAtConfirmation) throw new Error('stopped before capture');
        },
      },
    );
    gateway = platform.gateway as SimulatedGateway;
  });
  afterAll(() => platform.close());

  const admin = () => ({ ...adminContext(), now: new Date() });
  const paidOrder = async (sku: string, lines = [{ sku, quantity: 2 }]) => {
    await stockProduct(platform, sku, 10, 500);
    const orderId = await checkout(platform, `customer-${sku}`, lines);
    await platform.saga.drive(orderId);
    return orderId;
  };
  const placedOrder = async (orderId: string) => (await orderState(platform, orderId)) as PlacedOrder;
  const ledgerOf = async (orderId: string) =>
    (await gateway.ledger()).authorizations.find((a) => a.orderId === orderId)!;
  const refundProcess = (refundGateway: PaymentGateway) =>
    new RefundProcess({
      ...platform,
      gateway: refundGateway,
      queue: platform.refunds.queue,
      gatewayAttempts: 3,
    });
  const refundKeysAsked = (orderId: string) =>
    platform.db
      .query<{ idempotency_key: string }>(
        `SELECT idempotency_key FROM simulated_gateway_requests WHERE idempotency_key LIKE $1`,
        [`${orderId}:refund:%`],
      )
      .then((rows) => rows.map((r) => r.idempotency_key));

  it('refunds a promised refund once, recorded on the payment stream and then on the order', async () => {
    const orderId = await paidOrder('RP-1');
    const asked = await requestRefund(
      { orders: platform.commands.order },
      { orderId, idempotencyKey: 'refund-key-1', amount: usd(400), reason: 'scratched', context: admin() },
    );
    if (isLeft(asked)) throw new Error(asked.left.code);
    await platform.refunds.drive(orderId);
    expect(await placedOrder(orderId)).toMatchObject({
      status: 'confirmed',
      refunded: 400,
      refunds: [{ refundId: asked.right.refundId, status: 'issued', amount: usd(400) }],
    });
    expect(await paymentOf(platform, orderId)).toMatchObject({
      refundedAmount: 400,
      refundIds: [asked.right.refundId],
    });
    expect(await ledgerOf(orderId)).toMatchObject({ refunded: 400, captures: 1 });
    // Driving again changes nothing.
    await platform.refunds.drive(orderId);
    expect(await ledgerOf(orderId)).toMatchObject({ refunded: 400 });
  });

  it('retries a timed-out refund with the same key: the gateway refunds it once', async () => {
    const orderId = await paidOrder('RP-2');
    const asked = await requestRefund(
      { orders: platform.commands.order },
      { orderId, idempotencyKey: 'refund-key-2', amount: usd(700), reason: 'late', context: admin() },
    );
    if (isLeft(asked)) throw new Error(asked.left.code);
    // The first two answers are lost on the way back (the refund itself lands): the caller sees timeouts.
    const keys: string[] = [];
    let lost = 2;
    const losingAnswers: PaymentGateway = Object.assign(Object.create(gateway) as SimulatedGateway, {
      async refund(gatewayRef: string, amount: Money, idempotencyKey: string) {
        keys.push(idempotencyKey);
        await gateway.refund(gatewayRef, amount, idempotencyKey);
        if (lost-- > 0) throw new GatewayTimeoutError();
      },
    });
    await refundProcess(losingAnswers).drive(orderId);
    expect(keys).toEqual([keys[0], keys[0], keys[0]]);
    expect(await ledgerOf(orderId)).toMatchObject({ refunded: 700 });
    expect((await placedOrder(orderId)).refunds[0]).toMatchObject({ status: 'issued' });
  });

  it('records a refund the gateway keeps timing out on as failed (visible), and issues it on a later try', async () => {
    const orderId = await paidOrder('RP-3');
    const asked = await requestRefund(
      { orders: platform.commands.order },
      { orderId, idempotencyKey: 'refund-key-3', amount: usd(1000), reason: 'broken', context: admin() },
    );
    if (isLeft(asked)) throw new Error(asked.left.code);
    const down: PaymentGateway = Object.assign(Object.create(gateway) as SimulatedGateway, {
      refund: () => Promise.reject(new GatewayTimeoutError()),
    });
    await expect(refundProcess(down).drive(orderId)).rejects.toThrow(RefundStepError);
    expect((await placedOrder(orderId)).refunds).toEqual([
      expect.objectContaining({ status: 'failed', failureReason: 'gateway_timeout' }),
    ]);
    expect(await ledgerOf(orderId)).toMatchObject({ refunded: 0 });
    await platform.refunds.drive(orderId);
    expect(await placedOrder(orderId)).toMatchObject({
      refunded: 1000,
      refunds: [expect.objectContaining({ status: 'issued' })],
    });
    expect(await ledgerOf(orderId)).toMatchObject({ refunded: 1000, status: 'refunded' });
    expect(await refundKeysAsked(orderId)).toEqual([`${orderId}:refund:${asked.right.refundId}`]);
  });

  it('cancels a paid order: its committed stock back on hand, its capture refunded in full', async () => {
    const orderId = await paidOrder('RP-4');
    expect(await inventoryOf(platform, 'RP-4')).toMatchObject({ onHand: 8, reserved: 0 });
    const cancelled = await cancelPaidOrder(
      { orders: platform.commands.order },
      { orderId, reason: 'customer called', context: admin() },
    );
    if (isLeft(cancelled)) throw new Error(cancelled.left.code);
    await platform.refunds.drive(orderId);
    expect(await inventoryOf(platform, 'RP-4')).toMatchObject({ onHand: 10, reserved: 0 });
    expect(await placedOrder(orderId)).toMatchObject({
      status: 'cancelled',
      refunded: 1000,
      stockReturnedSkus: ['RP-4'],
    });
    expect(await ledgerOf(orderId)).toMatchObject({ status: 'refunded', refunded: 1000 });
  });

  it('cancels a paid order never captured: the hold is voided, nothing refunded', async () => {
    await stockProduct(platform, 'RP-5', 10, 500);
    const orderId = await checkout(platform, 'customer-RP-5', [{ sku: 'RP-5', quantity: 1 }]);
    stopAtConfirmation = orderId;
    await expect(platform.saga.drive(orderId)).rejects.toThrow('stopped before capture');
    stopAtConfirmation = undefined;
    expect(await paymentOf(platform, orderId)).toMatchObject({ status: 'authorized' });
    const cancelled = await cancelPaidOrder(
      { orders: platform.commands.order },
      { orderId, reason: 'fraud', context: admin() },
    );
    if (isLeft(cancelled)) throw new Error(cancelled.left.code);
    await platform.refunds.drive(orderId);
    // The checkout saga leaves an order cancelled after payment to the refund process.
    await platform.saga.drive(orderId);
    expect(await ledgerOf(orderId)).toMatchObject({ status: 'voided', captures: 0, refunded: 0 });
    expect(await paymentOf(platform, orderId)).toMatchObject({ status: 'voided' });
    expect(await placedOrder(orderId)).toMatchObject({ status: 'cancelled', refunded: 500 });
    expect(await inventoryOf(platform, 'RP-5')).toMatchObject({ onHand: 10, reserved: 0 });
  });

  it('restocks received units once, even when the adjustment landed before a crash kept it from being recorded', async () => {
    await stockProduct(platform, 'RP-6B', 10, 200);
    const orderId = await paidOrder('RP-6', [
      { sku: 'RP-6', quantity: 3 },
      { sku: 'RP-6B', quantity: 1 },
    ]);
    const orders = { orders: platform.commands.order };
    const shipped = await shipOrderLines(orders, {
      orderId,
      idempotencyKey: 'ship-1',
      lines: [
        { sku: 'RP-6', quantity: 3 },
        { sku: 'RP-6B', quantity: 1 },
      ],
      carrier: 'UPS',
      trackingNumber: '1Z999',
      context: admin(),
    });
    if (isLeft(shipped)) throw new Error(shipped.left.code);
    await markShipmentDelivered(orders, { orderId, shipmentId: shipped.right.shipmentId, context: admin() });
    const returns = {
      orders: platform.commands.order,
      returnWindowDays: 30,
      orderOfReturn: async () => orderId,
    };
    const customer = (await placedOrder(orderId)).customerId;
    const asked = await requestReturn(returns, {
      orderId,
      by: { userId: customer, role: 'customer' },
      idempotencyKey: 'return-1',
      lines: [
        { sku: 'RP-6', quantity: 2 },
        { sku: 'RP-6B', quantity: 1 },
      ],
      reason: 'wrong size',
      context: { ...admin(), actor: { id: customer, role: 'customer' } },
    });
    if (isLeft(asked)) throw new Error(asked.left.code);
    const received = await receiveReturn(returns, {
      returnId: asked.right.returnId,
      lines: [
        { sku: 'RP-6', quantity: 2, restock: true },
        { sku: 'RP-6B', quantity: 1, restock: false },
      ],
      context: admin(),
    });
    if (isLeft(received)) throw new Error(received.left.code);
    const before = (await inventoryOf(platform, 'RP-6')).onHand;
    // A worker adjusted the stock and died before recording it on the order.
    await platform.commands.inventory.handle(
      streams.inventory('RP-6'),
      { type: 'AdjustStock', data: { sku: 'RP-6', delta: 2, reason: restockReason(asked.right.returnId) } },
      admin(),
    );
    await platform.refunds.drive(orderId);
    expect((await inventoryOf(platform, 'RP-6')).onHand).toBe(before + 2);
    const order = await placedOrder(orderId);
    expect(order).toMatchObject({
      status: 'delivered',
      refunded: 1200,
      returns: [{ status: 'received', restockedSkus: ['RP-6'] }],
    });
    expect(await ledgerOf(orderId)).toMatchObject({ refunded: 1200 });
  });
});
