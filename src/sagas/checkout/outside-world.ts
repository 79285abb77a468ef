import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import type { CommandContext, Handled } from '../../commands/command-handler.ts';
import { streams, type CommandHandlers } from '../../commands/index.ts';
import type { DomainError, DomainEvent } from '../../domain/decider.ts';
import type { ScreenOrder } from '../../domain/order/index.ts';
import type { Metrics } from '../../observability/metrics.ts';
import {
  GatewayError,
  GatewayTimeoutError,
  type Authorization,
  type AuthorizeRequest,
  type PaymentGateway,
} from '../../payments/payment-gateway.ts';
import type { Ask, CheckoutInput, InventorySend, Send } from './decisions.ts';
import { reservationEventIds, type StreamReader } from './reservation-events.ts';
import type { CustomerFactsReader } from './screening.ts';
import type { CheckoutEvent } from './state.ts';

export class SagaStepError extends Error {
  override name = 'SagaStepError';
}

/** A saga command the deciders refused: the streams moved under us (e.g. the customer cancelled). */
export class StepRefused extends SagaStepError {
  override name = 'StepRefused';
}

/**
 * What one command appended to the order's or the payment's stream: its events with their ids, and
 * the stream's version after the append that held them (others' events may be in the same append).
 */
export type Appended = Readonly<{
  to: 'order' | 'payment';
  events: readonly CheckoutEvent[];
  version: number;
}>;

type Options = Readonly<{
  commands: CommandHandlers;
  store: StreamReader;
  gateway: PaymentGateway;
  /** The fraud rules' read model, when they are on. */
  customerFacts?: CustomerFactsReader;
  metrics?: Metrics;
  gatewayAttempts: number;
  clock: () => Date;
}>;

const sagaActor = { id: 'checkout-saga', role: 'system' };

/**
 * What the checkout saga's decisions do to the world: commands sent to the command handlers, and the
 * questions whose answers the decider needs next (will the inventory reserve, commit, release; what
 * does the gateway say), each answer turned into the decider's next input.
 */
export class OutsideWorld {
  constructor(private readonly options: Options) {}

  /**
   * Sends one command; a refusal means the streams moved under the saga (`StepRefused`). Resolves
   * with what it appended to the order's or the payment's stream (nothing for an inventory command).
   */
  async send(orderId: string, send: Send): Promise<Appended | undefined> {
    const { commands } = this.options;
    const ctx = this.context(orderId, send.causationId);
    const result: Either<DomainError, Handled<DomainEvent, unknown>> = send.to === 'order'
      ? await commands.order.handle(streams.order(orderId), send.command, ctx)
      : send.to === 'payment'
        ? await commands.payment.handle(streams.payment(orderId), send.command, ctx)
        : await commands.inventory.handle(streams.inventory(send.sku), send.command, ctx);
    if (isLeft(result))
      throw new StepRefused(`${send.command.type} refused: ${result.left.code} (${result.left.message})`);
    if (send.to === 'inventory') return undefined;
    const { events, eventIds, version } = result.right;
    if (send.command.type === 'ScreenOrder' && events.length > 0) this.countDecision(send.command.data);
    return {
      to: send.to,
      events: events.map((event, i) => ({ eventId: eventIds[i]!, type: event.type, data: event.data })),
      version,
    };
  }

  async ask(orderId: string, ask: Ask): Promise<CheckoutInput> {
    const { gateway } = this.options;
    const now = () => this.options.clock().toISOString();
    switch (ask.kind) {
      case 'screen': {
        const { customerFacts } = this.options;
        if (!customerFacts)
          throw new SagaStepError('the fraud rules are on, but the saga has no facts to give them');
        const facts = await customerFacts.factsUpTo(ask.request);
        return { type: 'ScreeningAnswered', at: now(), facts };
      }
      case 'reserve':
        return this.reserve(orderId, ask.send, now);
      case 'commit': {
        const results = await Promise.all(ask.sends.map((send) => this.inventory(orderId, send)));
        const ended = await this.endedReservation(orderId, ask.sends, results, 'committing');
        return {
          type: 'CommitAnswered',
          at: now(),
          answer: ended ? { outcome: 'ended', eventId: ended } : { outcome: 'committed' },
        };
      }
      case 'release': {
        const results = await Promise.all(ask.sends.map((send) => this.inventory(orderId, send)));
        const committedSkus: string[] = [];
        for (const [i, released] of results.entries()) {
          if (!isLeft(released)) continue;
          if (released.left.code !== 'ReservationAlreadyCommitted')
            throw new SagaStepError(`releasing ${ask.sends[i]!.sku}: ${released.left.code}`);
          committedSkus.push(ask.sends[i]!.sku);
        }
        return { type: 'ReleaseAnswered', at: now(), committedSkus };
      }
      case 'authorize': {
        const answer = await this.authorize(ask.request, ask.retry ? this.options.gatewayAttempts : 1);
        return { type: 'AuthorizationAnswered', at: now(), answer };
      }
      case 'capture':
        await this.timed('capture', () => gateway.capture(ask.gatewayRef, ask.idempotencyKey));
        return { type: 'CaptureAnswered', at: now() };
      case 'void':
        await this.timed('void', () => gateway.voidAuthorization(ask.gatewayRef, ask.idempotencyKey));
        return { type: 'VoidAnswered', at: now() };
      case 'refund':
        await this.timed('refund', () => gateway.refund(ask.gatewayRef, ask.amount, ask.idempotencyKey));
        return { type: 'RefundAnswered', at: now() };
    }
  }

  private async reserve(orderId: string, send: InventorySend, now: () => string): Promise<CheckoutInput> {
    const reserved = await this.inventory(orderId, send);
    const { sku } = send;
    if (!isLeft(reserved)) {
      // The reservation's StockReserved is what the order's record of it names as its cause: the id
      // it was appended with, or (a repeated reservation appends nothing) read back from the stream.
      const eventId =
        reserved.right.eventIds[0] ??
        (await this.reservationEvent(orderId, sku, ['StockReserved'], reserved.right.version));
      return { type: 'ReservationAnswered', sku, at: now(), answer: { outcome: 'reserved', eventId } };
    }
    const { code, details } = reserved.left;
    if (code === 'InsufficientStock')
      return {
        type: 'ReservationAnswered',
        sku,
        at: now(),
        answer: { outcome: 'short', available: Number(details?.available ?? 0) },
      };
    const ended = await this.endedReservation(orderId, [send], [reserved], 'reserving');
    return { type: 'ReservationAnswered', sku, at: now(), answer: { outcome: 'ended', eventId: ended! } };
  }

  /** The event that ended the first reservation refused as ended; other refusals are errors. */
  private async endedReservation(
    orderId: string,
    sends: readonly InventorySend[],
    results: readonly Either<DomainError, unknown>[],
    doing: string,
  ): Promise<string | undefined> {
    for (const [i, result] of results.entries()) {
      if (!isLeft(result)) continue;
      const { sku } = sends[i]!;
      if (result.left.code !== 'ReservationEnded')
        throw new SagaStepError(`${doing} ${sku} for ${orderId}: ${result.left.code}`);
      return this.reservationEvent(orderId, sku);
    }
    return undefined;
  }

  private async reservationEvent(
    orderId: string,
    sku: string,
    types?: readonly string[],
    atOrBefore?: number,
  ) {
    const ids = await reservationEventIds(this.options.store, sku, [orderId], { types, atOrBefore });
    const eventId = ids.get(orderId);
    if (!eventId) throw new SagaStepError(`no event of reservation ${orderId} in ${sku}'s stream`);
    return eventId;
  }

  /** A fraud decision recorded (once: a repeat appends nothing), by the rule that decided. */
  private countDecision({ rule, decision, enforced }: ScreenOrder['data']) {
    this.options.metrics?.fraudDecisions
      .labels(rule ?? 'none', decision, enforced ? 'enforce' : 'shadow')
      .inc();
  }

  private inventory(orderId: string, send: InventorySend) {
    return this.options.commands.inventory.handle(
      streams.inventory(send.sku),
      send.command,
      this.context(orderId, send.causationId),
    );
  }

  /** Every event the saga writes is correlated with its order and names the event that caused it. */
  private context(orderId: string, causationId: string): CommandContext {
    return {
      actor: sagaActor,
      correlationId: orderId,
      causationId,
      now: this.options.clock(),
      background: true,
    };
  }

  /** Authorizes with one idempotency key, retrying timeouts with the same key; a decline is an answer. */
  private async authorize(request: AuthorizeRequest, attempts: number): Promise<Authorization> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.timed('authorize', () => this.options.gateway.authorize(request));
      } catch (error) {
        if (error instanceof GatewayTimeoutError && attempt < attempts) continue;
        if (error instanceof GatewayTimeoutError) return { status: 'declined', reason: 'gateway_timeout' };
        if (error instanceof GatewayError && !error.retryable)
          return { status: 'declined', reason: error.code };
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
}
