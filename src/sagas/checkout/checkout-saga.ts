import { isLeft, type Either, type Right } from 'fp-ts/lib/Either.js';
import type { CommandContext } from '../../commands/command-handler.ts';
import { streams, type CommandHandlers } from '../../commands/index.ts';
import type { DomainError } from '../../domain/decider.ts';
import type { OrderState, PlacedOrder } from '../../domain/order/index.ts';
import type { PaymentState } from '../../domain/payment/index.ts';
import type { Metrics } from '../../observability/metrics.ts';
import { GatewayError, GatewayTimeoutError, type PaymentGateway } from '../../payments/payment-gateway.ts';
import { isFinalStep, nextStep, paymentKey, type SagaStep } from './next-step.ts';

export type CheckoutSagaOptions = Readonly<{
  commands: CommandHandlers;
  gateway: PaymentGateway;
  metrics?: Metrics;
  /** How long a reservation holds stock for an order that is not yet confirmed. */
  reservationTtlMs?: number;
  /** Tries of one authorization (same idempotency key) while the gateway times out. */
  gatewayAttempts?: number;
  /**
   * How long after cancelling an order the saga keeps asking the gateway whether a timed-out
   * authorization went through after all (to void it). Past that, a webhook has to tell us.
   */
  unknownAnswerGraceMs?: number;
  clock?: () => Date;
  /**
   * Failpoint for the crash tests: the process kills itself (SIGKILL) on reaching this point.
   * Unset in normal operation.
   */
  crashAt?: string;
}>;

export class SagaStepError extends Error {
  override name = 'SagaStepError';
}

/** A saga command the deciders refused: the streams moved under us (e.g. the customer cancelled). */
class StepRefused extends SagaStepError {
  override name = 'StepRefused';
}

const sagaActor = { id: 'checkout-saga', role: 'system' };

/**
 * The checkout process manager. `drive(orderId)` works an order forward step by step, re-reading the
 * order and payment streams before each step, until nothing is left to do. Every step is idempotent
 * (the deciders make repeats no-ops), so a step redone after a crash changes nothing twice.
 */
export class CheckoutSaga {
  private readonly ttlMs: number;
  private readonly gatewayAttempts: number;
  private readonly clock: () => Date;
  /** The order and payment states each drive in progress last saw (saves re-reading both per step). */
  private readonly latest = new Map<string, { order?: OrderState; payment?: PaymentState }>();

  constructor(private readonly options: CheckoutSagaOptions) {
    this.ttlMs = options.reservationTtlMs ?? 10 * 60_000;
    this.gatewayAttempts = options.gatewayAttempts ?? 3;
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * Reads the order and payment streams of orders about to be driven, all in two reads, so that each
   * drive starts from them instead of reading its two streams itself.
   */
  async prepare(orderIds: readonly string[]): Promise<void> {
    if (orderIds.length === 0) return;
    const [orders, payments] = await Promise.all([
      this.options.commands.order.loadMany(orderIds.map(streams.order)),
      this.options.commands.payment.loadMany(orderIds.map(streams.payment)),
    ]);
    for (const orderId of orderIds)
      this.latest.set(orderId, {
        order: orders.get(streams.order(orderId))?.state,
        payment: payments.get(streams.payment(orderId))?.state,
      });
  }

  /**
   * Returns once the order needs nothing more; throws if a step failed (the caller retries later).
   * `onConfirmed` is told when the order stands confirmed and only its capture is left (the worker
   * then counts the order apart from those still on their way to confirmation).
   */
  async drive(orderId: string, onConfirmed?: () => void): Promise<void> {
    this.crashPoint('before-first-step');
    try {
      for (let steps = 0; steps < 50; steps++) {
        // Read the streams once; after that, each command's answer carries the state it left behind.
        const known = this.latest.get(orderId);
        const [order, payment] = await Promise.all([
          known?.order ?? this.loadOrder(orderId),
          known?.payment ?? this.loadPayment(orderId),
        ]);
        this.latest.set(orderId, { order, payment });
        const step = nextStep(order, payment);
        if (step.kind === 'done') return;
        if (step.kind === 'capture') onConfirmed?.();
        try {
          await this.perform(step);
        } catch (error) {
          this.options.metrics?.sagaSteps
            .labels(step.kind, error instanceof StepRefused ? 'refused' : 'failed')
            .inc();
          this.latest.delete(orderId);
          if (error instanceof StepRefused) continue; // re-read the streams and pick the step that fits now
          throw error;
        }
        this.options.metrics?.sagaSteps.labels(step.kind, 'ok').inc();
        if (isFinalStep(step)) return;
      }
      throw new SagaStepError(`order ${orderId} did not settle within 50 steps`);
    } finally {
      this.latest.delete(orderId);
    }
  }

  private async perform(step: Exclude<SagaStep, { kind: 'done' }>): Promise<void> {
    const { order } = step;
    const at = this.clock().toISOString();
    switch (step.kind) {
      case 'reserve': {
        const { sku, quantity } = step.line;
        const reserved = await this.options.commands.inventory.handle(
          streams.inventory(sku),
          {
            type: 'ReserveStock',
            data: {
              sku,
              reservationId: order.orderId,
              quantity,
              now: at,
              expiresAt: new Date(Date.parse(at) + this.ttlMs).toISOString(),
            },
          },
          this.context(order),
        );
        if (isLeft(reserved)) {
          const { code, details } = reserved.left;
          if (code === 'InsufficientStock')
            return this.onOrder(order, {
              type: 'RejectForStock',
              data: {
                orderId: order.orderId,
                sku,
                requested: quantity,
                available: Number(details?.available ?? 0),
                at,
              },
            });
          if (code === 'ReservationEnded') return this.cancel(order, 'reservation_expired', at);
          throw new SagaStepError(`reserving ${sku} for ${order.orderId}: ${code}`);
        }
        // The last line's record and the payment request concern two streams: sent together, they go
        // to the store together. A crash between the two leaves one out, and it is the next step then.
        await Promise.all([
          this.onOrder(order, {
            type: 'RecordLineReserved',
            data: { orderId: order.orderId, sku, quantity, at },
          }),
          step.requestPayment && this.requestPayment(order, 1, at),
        ]);
        const reservedLines = order.reservedSkus.length + 1;
        return this.crashPoint(reservedLines < order.lines.length ? 'mid-reservation' : 'after-reservation');
      }
      case 'requestPayment':
        return this.requestPayment(order, step.attempt, at);
      case 'authorize': {
        const outcome = await this.authorize(order, step.idempotencyKey);
        this.crashPoint('after-authorization');
        if (outcome.status === 'authorized') {
          // Commit the stock while the payment stream records the authorization (two streams, one
          // trip to the store), then confirm. A crash before the authorization is recorded asks the
          // gateway again with the same key (the same answer) and finds the commits already made.
          const recorded = this.onPayment(order, {
            type: 'RecordAuthorization',
            data: { orderId: order.orderId, gatewayRef: outcome.gatewayRef, amount: order.total, at },
          });
          return this.commitAndConfirm(order, at, outcome.gatewayRef, recorded);
        }
        return this.onPayment(order, {
          type: 'RecordPaymentFailure',
          data: { orderId: order.orderId, reason: outcome.reason, at },
        });
      }
      case 'recordPaymentFailure':
        return this.onOrder(order, {
          type: 'RecordPaymentFailed',
          data: { orderId: order.orderId, reason: step.reason, at },
        });
      case 'commitAndConfirm':
        return this.commitAndConfirm(order, at, step.gatewayRef);
      case 'cancel':
        return this.cancel(order, step.reason, at);
      case 'capture': {
        await this.timed('capture', () =>
          this.options.gateway.capture(step.gatewayRef, `${order.orderId}:capture`),
        );
        this.crashPoint('after-capture');
        return this.onPayment(order, { type: 'RecordCapture', data: { orderId: order.orderId, at } });
      }
      case 'compensate':
        return this.compensate(order, step.payment, at);
    }
  }

  /**
   * Commits every line, then records the authorization (if the order does not know it yet) and
   * confirms, both in one append. A reservation that ended meanwhile cancels the order instead.
   * `alongside`: a record made at the same time as the commits, awaited before the order is told.
   */
  private async commitAndConfirm(
    order: PlacedOrder,
    at: string,
    gatewayRef?: string,
    alongside?: Promise<void>,
  ) {
    const [commits] = await Promise.all([
      Promise.all(
        order.lines.map((line) =>
          this.options.commands.inventory.handle(
            streams.inventory(line.sku),
            { type: 'CommitReservation', data: { reservationId: order.orderId, now: at } },
            this.context(order),
          ),
        ),
      ),
      alongside,
    ]);
    for (const [i, committed] of commits.entries()) {
      if (!isLeft(committed)) continue;
      if (committed.left.code === 'ReservationEnded') return this.cancel(order, 'reservation_expired', at);
      throw new SagaStepError(
        `committing ${order.lines[i]!.sku} for ${order.orderId}: ${committed.left.code}`,
      );
    }
    // Sent in one tick, the two records are decided together and appended as one batch.
    await Promise.all([
      gatewayRef &&
        this.onOrder(order, {
          type: 'RecordPaymentAuthorized',
          data: { orderId: order.orderId, paymentId: gatewayRef, amount: order.total, at },
        }),
      this.onOrder(order, { type: 'ConfirmOrder', data: { orderId: order.orderId, at } }),
    ]);
    this.crashPoint('after-confirmation');
  }

  /** Gives back what a cancelled order held: its stock and its money. */
  private async compensate(order: PlacedOrder, payment: PaymentState, at: string) {
    for (const line of order.lines) {
      const released = await this.options.commands.inventory.handle(
        streams.inventory(line.sku),
        {
          type: 'ReleaseReservation',
          data: { reservationId: order.orderId, reason: order.cancellationReason ?? 'cancelled', now: at },
        },
        this.context(order),
      );
      if (isLeft(released) && released.left.code === 'ReservationAlreadyCommitted') {
        await this.options.commands.inventory.handle(
          streams.inventory(line.sku),
          {
            type: 'ReturnReservation',
            data: { reservationId: order.orderId, reason: 'order cancelled after commit', now: at },
          },
          this.context(order),
        );
      } else if (isLeft(released)) throw new SagaStepError(`releasing ${line.sku}: ${released.left.code}`);
    }
    if (payment.status === 'not_requested') return;
    const answerUnknown =
      payment.status === 'requested' ||
      (payment.status === 'failed' && payment.failureReason === 'gateway_timeout');
    if (answerUnknown) {
      // The gateway's answer to our last request is unknown (never heard, or it timed out and may have
      // gone through late): ask once more with the same key, and undo an authorization if there is one.
      const outcome = await this.authorize(order, payment.idempotencyKey, 1);
      if (outcome.status === 'declined' && outcome.reason === 'gateway_timeout') {
        const cancelledFor = Date.parse(at) - Date.parse(order.updatedAt);
        if (cancelledFor < (this.options.unknownAnswerGraceMs ?? 60_000))
          throw new SagaStepError(`the gateway still has no answer for ${order.orderId}; asking again later`);
      }
      if (outcome.status === 'declined') {
        if (payment.status === 'failed') return;
        return this.onPayment(order, {
          type: 'RecordPaymentFailure',
          data: { orderId: order.orderId, reason: outcome.reason, at },
        });
      }
      await this.onPayment(order, {
        type: 'RecordAuthorization',
        data: { orderId: order.orderId, gatewayRef: outcome.gatewayRef, amount: order.total, at },
      });
      return this.voidPayment(order, outcome.gatewayRef, at);
    }
    if (payment.status === 'authorized') return this.voidPayment(order, payment.gatewayRef!, at);
    if (payment.status === 'captured') {
      await this.timed('refund', () =>
        this.options.gateway.refund(payment.gatewayRef!, order.total, `${order.orderId}:refund`),
      );
      await this.onPayment(order, {
        type: 'RecordRefund',
        data: { orderId: order.orderId, amount: order.total, at },
      });
    }
  }

  private async voidPayment(order: PlacedOrder, gatewayRef: string, at: string) {
    await this.timed('void', () =>
      this.options.gateway.voidAuthorization(gatewayRef, `${order.orderId}:void`),
    );
    await this.onPayment(order, {
      type: 'RecordVoid',
      data: { orderId: order.orderId, reason: 'order cancelled', at },
    });
  }

  /** Authorizes with one idempotency key, retrying timeouts with the same key; a decline is an answer. */
  private async authorize(order: PlacedOrder, idempotencyKey: string, attempts = this.gatewayAttempts) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.timed('authorize', () =>
          this.options.gateway.authorize({
            orderId: order.orderId,
            amount: order.total,
            paymentMethod: order.paymentMethod,
            idempotencyKey,
            customerId: order.customerId,
          }),
        );
      } catch (error) {
        if (error instanceof GatewayTimeoutError && attempt < attempts) continue;
        if (error instanceof GatewayTimeoutError)
          return { status: 'declined' as const, reason: 'gateway_timeout' };
        if (error instanceof GatewayError && !error.retryable)
          return { status: 'declined' as const, reason: error.code };
        throw error;
      }
    }
  }

  private async timed<T>(operation: string, call: () => Promise<T>): Promise<T> {
    const stop = this.options.metrics?.paymentGatewayDuration.startTimer({ operation });
    try {
      const result = await call();
      stop?.({ outcome: 'ok' });
      return result;
    } catch (error) {
      stop?.({ outcome: error instanceof GatewayTimeoutError ? 'timeout' : 'error' });
      throw error;
    }
  }

  private requestPayment(order: PlacedOrder, attempt: number, at: string) {
    return this.onPayment(order, {
      type: 'RequestPayment',
      data: {
        orderId: order.orderId,
        amount: order.total,
        paymentMethod: order.paymentMethod,
        idempotencyKey: paymentKey(order.orderId, attempt),
        attempt,
        at,
      },
    });
  }

  private cancel(order: PlacedOrder, reason: string, at: string) {
    return this.onOrder(order, { type: 'CancelOrder', data: { orderId: order.orderId, reason, at } });
  }

  private async onOrder(order: PlacedOrder, command: Parameters<CommandHandlers['order']['handle']>[1]) {
    const result = await this.options.commands.order.handle(
      streams.order(order.orderId),
      command,
      this.context(order),
    );
    expectRight(result, command.type);
    this.remember(order.orderId, { order: result.right.state });
  }

  private async onPayment(order: PlacedOrder, command: Parameters<CommandHandlers['payment']['handle']>[1]) {
    const result = await this.options.commands.payment.handle(
      streams.payment(order.orderId),
      command,
      this.context(order),
    );
    expectRight(result, command.type);
    this.remember(order.orderId, { payment: result.right.state });
  }

  private remember(orderId: string, update: { order?: OrderState; payment?: PaymentState }) {
    const known = this.latest.get(orderId);
    if (known) this.latest.set(orderId, { ...known, ...update });
  }

  private async loadOrder(orderId: string): Promise<OrderState> {
    return (await this.options.commands.order.load(streams.order(orderId))).state;
  }

  private async loadPayment(orderId: string): Promise<PaymentState> {
    return (await this.options.commands.payment.load(streams.payment(orderId))).state;
  }

  private context(order: PlacedOrder): CommandContext {
    return {
      actor: sagaActor,
      correlationId: order.orderId,
      causationId: order.orderId,
      now: this.clock(),
      background: true,
    };
  }

  private crashPoint(name: string) {
    if (this.options.crashAt === name) process.kill(process.pid, 'SIGKILL');
  }
}

/**
 * A refused saga command means the streams moved under us (e.g. the customer cancelled meanwhile):
 * the next turn of `drive` re-reads them and picks the step that fits.
 */
function expectRight<A>(result: Either<DomainError, A>, command: string): asserts result is Right<A> {
  if (isLeft(result))
    throw new StepRefused(`${command} refused: ${result.left.code} (${result.left.message})`);
}
