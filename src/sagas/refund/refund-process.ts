import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import type { CommandContext } from '../../commands/command-handler.ts';
import { streams, type CommandHandlers } from '../../commands/index.ts';
import type { DomainError } from '../../domain/decider.ts';
import type { EventStore } from '../../eventstore/event-store.ts';
import type { Metrics } from '../../observability/metrics.ts';
import { GatewayError, GatewayTimeoutError, type PaymentGateway } from '../../payments/payment-gateway.ts';
import { refundDecider, type RefundState } from './decide.ts';
import type { Ask, Decision, GatewayAnswer, RefundInput, RefundMilestone, Send } from './decisions.ts';
import type { RefundQueue } from './refund-queue.ts';

export class RefundStepError extends Error {
  override name = 'RefundStepError';
}

export type RefundProcessOptions = Readonly<{
  commands: CommandHandlers;
  /** Where the process reads the order, payment and inventory streams. */
  store: Pick<EventStore, 'readStream' | 'readStreams'>;
  gateway: PaymentGateway;
  queue: RefundQueue;
  metrics?: Metrics;
  /** Tries of one refund (same idempotency key) while the gateway times out, within one drive. */
  gatewayAttempts?: number;
  clock?: () => Date;
  /** Told each named point the process reaches (the crash tests kill the process at one); none by default. */
  onStep?: (step: RefundMilestone) => void;
}>;

const actor = { id: 'refund-process', role: 'system' };

/** An adjustment's own clock and the receipt's may differ a little: look this much further back. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * The refund process's executor. `drive(orderId)` reads the order's and payment's streams, asks the
 * decider (`decide.ts`) what to do, sends the commands and asks the inventory or the gateway, feeding
 * each answer back, then reads again, until nothing is left to do. Every step is idempotent (the
 * deciders make repeats no-ops, the gateway answers a key once), so a step redone after a crash
 * changes nothing twice.
 */
export class RefundProcess {
  readonly queue: RefundQueue;
  private readonly clock: () => Date;
  private readonly onStep: (step: RefundMilestone) => void;
  private readonly gatewayAttempts: number;

  constructor(private readonly options: RefundProcessOptions) {
    this.queue = options.queue;
    this.clock = options.clock ?? (() => new Date());
    this.onStep = options.onStep ?? (() => undefined);
    this.gatewayAttempts = options.gatewayAttempts ?? 3;
  }

  /** Returns once the order needs nothing more; throws if a step failed or must wait (the caller retries later). */
  async drive(orderId: string): Promise<void> {
    this.onStep('refund-before-first-step');
    for (let turn = 0; turn < 50; turn++) {
      const state = await this.read(orderId);
      let decision = refundDecider.decide({ type: 'Resume', at: this.now() }, state);
      if (decision.then.kind === 'done' && decision.send.length === 0) return;
      const step = decision.step;
      try {
        for (;;) {
          await Promise.all(decision.send.map((send) => this.send(orderId, send)));
          if (decision.reached) this.onStep(decision.reached);
          const { then } = decision;
          if (then.kind === 'done') return this.count(step, 'ok');
          if (then.kind === 'resume') break;
          if (then.kind === 'retryLater') throw new RefundStepError(then.reason);
          decision = refundDecider.decide(await this.ask(orderId, then), state);
        }
        this.count(step, 'ok');
      } catch (error) {
        this.count(step, 'failed');
        throw error;
      }
    }
    throw new RefundStepError(`order ${orderId} did not settle within 50 steps`);
  }

  private async read(orderId: string): Promise<RefundState> {
    const read = await this.options.store.readStreams([
      { streamId: streams.order(orderId), fromVersion: 1 },
      { streamId: streams.payment(orderId), fromVersion: 1 },
    ]);
    const events = [
      ...(read.get(streams.order(orderId)) ?? []),
      ...(read.get(streams.payment(orderId)) ?? []),
    ];
    return events.reduce(refundDecider.evolve, refundDecider.initialState());
  }

  private async send(orderId: string, send: Send): Promise<void> {
    const { commands } = this.options;
    const context = this.context(orderId, send.causationId);
    const result: Either<DomainError, unknown> =
      send.to === 'order'
        ? await commands.order.handle(streams.order(orderId), send.command, context)
        : await commands.payment.handle(streams.payment(orderId), send.command, context);
    if (isLeft(result))
      throw new RefundStepError(`${send.command.type} refused: ${result.left.code} (${result.left.message})`);
  }

  private async ask(orderId: string, ask: Ask): Promise<RefundInput> {
    const { gateway } = this.options;
    switch (ask.kind) {
      case 'returnReservation': {
        const returned = await this.options.commands.inventory.handle(
          streams.inventory(ask.sku),
          {
            type: 'ReturnReservation',
            data: { reservationId: orderId, reason: ask.reason, now: this.now() },
          },
          this.context(orderId, ask.causationId),
        );
        if (isLeft(returned))
          throw new RefundStepError(`returning ${ask.sku} of ${orderId}: ${returned.left.code}`);
        this.onStep('refund-after-stock');
        return {
          type: 'StockReturned',
          at: this.now(),
          sku: ask.sku,
          quantity: ask.quantity,
          returnId: null,
        };
      }
      case 'restock': {
        if (!(await this.restockedAlready(ask.sku, ask.reason, ask.since))) {
          const adjusted = await this.options.commands.inventory.handle(
            streams.inventory(ask.sku),
            { type: 'AdjustStock', data: { sku: ask.sku, delta: ask.quantity, reason: ask.reason } },
            this.context(orderId, ask.causationId),
          );
          if (isLeft(adjusted))
            throw new RefundStepError(`restocking ${ask.sku} of ${ask.returnId}: ${adjusted.left.code}`);
        }
        this.onStep('refund-after-stock');
        return {
          type: 'StockReturned',
          at: this.now(),
          sku: ask.sku,
          quantity: ask.quantity,
          returnId: ask.returnId,
        };
      }
      case 'refund': {
        const answer = await this.withGateway('refund', () =>
          gateway.refund(ask.gatewayRef, ask.amount, ask.idempotencyKey),
        );
        return { type: 'RefundAnswered', at: this.now(), refundId: ask.refundId, answer };
      }
      case 'void': {
        const answer = await this.withGateway('void', () =>
          gateway.voidAuthorization(ask.gatewayRef, ask.idempotencyKey),
        );
        return { type: 'VoidAnswered', at: this.now(), refundId: ask.refundId, answer };
      }
    }
  }

  /** Whether the SKU's stream already holds the adjustment named `reason`, recorded since `since`. */
  private async restockedAlready(sku: string, reason: string, since: string): Promise<boolean> {
    const oldest = Date.parse(since) - CLOCK_SKEW_MS;
    let from: number | undefined;
    for (;;) {
      const page = await this.options.store.readStream(streams.inventory(sku), {
        direction: 'backward',
        ...(from === undefined ? {} : { fromVersion: from }),
        maxCount: 100,
      });
      for (const event of page) {
        if (Date.parse(event.recordedAt) < oldest) return false;
        if (event.type === 'StockAdjusted' && (event.data as { reason?: string }).reason === reason)
          return true;
      }
      if (page.length < 100) return false;
      from = page.at(-1)!.streamVersion - 1;
    }
  }

  /**
   * One gateway call under one idempotency key, retried with that key while it times out; what the
   * gateway says is an answer (done, or a failure it may or will not turn around).
   */
  private async withGateway(operation: string, call: () => Promise<void>): Promise<GatewayAnswer> {
    for (let attempt = 1; ; attempt++) {
      const stop = this.options.metrics?.paymentGatewayDuration.startTimer({ operation });
      try {
        await call();
        stop?.({ outcome: 'ok' });
        this.onStep('refund-after-gateway');
        return { outcome: 'done' };
      } catch (error) {
        stop?.({ outcome: error instanceof GatewayTimeoutError ? 'timeout' : 'error' });
        if (error instanceof GatewayTimeoutError && attempt < this.gatewayAttempts) continue;
        if (error instanceof GatewayError)
          return {
            outcome: 'failed',
            reason: error.code === 'timeout' ? 'gateway_timeout' : error.code,
            retryable: error.retryable,
          };
        throw error;
      }
    }
  }

  private context(orderId: string, causationId: string): CommandContext {
    return { actor, correlationId: orderId, causationId, now: this.clock(), background: true };
  }

  private now() {
    return this.clock().toISOString();
  }

  private count(step: Decision['step'], outcome: 'ok' | 'failed') {
    if (step) this.options.metrics?.sagaSteps.labels(`refund:${step}`, outcome).inc();
  }
}
