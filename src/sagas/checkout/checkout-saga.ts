import { streams, type CommandHandlers } from '../../commands/index.ts';
import type { FraudPolicy } from '../../domain/fraud/index.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { PaymentGateway } from '../../payments/payment-gateway.ts';
import { checkoutDecider } from './decide.ts';
import type { Decision, Milestone } from './decisions.ts';
import { foldAppended, unread, type KnownStreams } from './known-streams.ts';
import { OutsideWorld, SagaStepError, StepRefused } from './outside-world.ts';
import type { StreamReader } from './reservation-events.ts';
import type { CheckoutQueue } from './saga-queue.ts';
import type { CustomerFactsReader } from './screening.ts';
import type { CheckoutState } from './state.ts';

export type CheckoutSagaOptions = Readonly<{
  commands: CommandHandlers;
  /** Where the saga reads the order and payment streams, with the ids of their events. */
  store: StreamReader;
  gateway: PaymentGateway;
  /** The saga's work queue: its projection, its wake-up, its leases. */
  queue: CheckoutQueue;
  metrics?: Metrics;
  /** How long a reservation holds stock for an order that is not yet confirmed. */
  reservationTtlMs?: number;
  /** Tries of one authorization (same idempotency key) while the gateway times out. */
  gatewayAttempts?: number;
  /** See `CheckoutSettings.unknownAnswerGraceMs`. */
  unknownAnswerGraceMs?: number;
  /** The fraud rules in force and the read model they measure (absent: orders are not screened). */
  fraudPolicy?: FraudPolicy;
  customerFacts?: CustomerFactsReader;
  clock?: () => Date;
  /** Told each named point the saga reaches (the crash tests kill the process at one); none by default. */
  onStep?: (step: Milestone) => void;
}>;

/**
 * The checkout process manager's executor. `drive(orderId)` reads the order's streams, asks the
 * decider (`decide.ts`) what to do, sends the commands and asks the inventory or the gateway what it
 * decided, feeding each answer back, then decides again, until nothing is left to do. Between turns
 * it folds in the events its own commands appended rather than reading the streams again, as long as
 * the versions those appends returned show nothing else was appended between (docs/decisions/0021);
 * otherwise (a refusal, a failure, another writer, a command that appended nothing) it reads them.
 * Every step is idempotent (the deciders make repeats no-ops), so a step redone after a crash changes
 * nothing twice.
 */
export class CheckoutSaga {
  readonly queue: CheckoutQueue;
  private readonly decider: ReturnType<typeof checkoutDecider>;
  private readonly world: OutsideWorld;
  private readonly clock: () => Date;
  private readonly onStep: (step: Milestone) => void;
  /** The streams of the orders being driven, as far as known. */
  private readonly latest = new Map<string, KnownStreams>();

  constructor(private readonly options: CheckoutSagaOptions) {
    this.queue = options.queue;
    this.decider = checkoutDecider({
      reservationTtlMs: options.reservationTtlMs ?? 10 * 60_000,
      unknownAnswerGraceMs: options.unknownAnswerGraceMs ?? 60_000,
      ...(options.fraudPolicy ? { fraud: options.fraudPolicy } : {}),
    });
    this.clock = options.clock ?? (() => new Date());
    this.world = new OutsideWorld({
      ...options,
      gatewayAttempts: options.gatewayAttempts ?? 3,
      clock: this.clock,
    });
    this.onStep = options.onStep ?? (() => undefined);
  }

  /** Reads the streams of orders about to be driven, all in one read, so each drive starts from them. */
  async prepare(orderIds: readonly string[]): Promise<void> {
    if (orderIds.length === 0) return;
    for (const orderId of orderIds) this.latest.set(orderId, unread(this.decider.initialState()));
    await this.readOn(orderIds);
  }

  /**
   * Returns once the order needs nothing more; throws if a step failed (the caller retries later).
   * `onConfirmed` is told when the order stands confirmed and only its capture is left (the worker
   * then counts the order apart from those still on their way to confirmation).
   */
  async drive(orderId: string, onConfirmed?: () => void): Promise<void> {
    this.onStep('before-first-step');
    try {
      for (let turn = 0; turn < 50; turn++) {
        const state = await this.read(orderId);
        const decision = this.decider.decide({ type: 'Resume', at: this.now() }, state);
        if (decision.step === 'done') return;
        if (decision.step === 'capture') onConfirmed?.();
        let finished: boolean;
        try {
          finished = await this.carryOut(orderId, state, decision);
        } catch (error) {
          this.count(decision, error instanceof StepRefused ? 'refused' : 'failed');
          if (error instanceof StepRefused) continue; // read the streams again; pick the step that fits now
          throw error;
        }
        this.count(decision, 'ok');
        if (finished) return;
      }
      throw new SagaStepError(`order ${orderId} did not settle within 50 steps`);
    } finally {
      this.latest.delete(orderId);
    }
  }

  /**
   * Sends what was decided and asks what it asks, deciding on each answer; true once all is done.
   * The order's or payment's events its commands appended are folded into what the saga knows, so
   * that the next turn need not read them back (unless something else may have been appended).
   */
  private async carryOut(orderId: string, state: CheckoutState, decision: Decision): Promise<boolean> {
    const known = this.latest.get(orderId)!;
    // Until this turn's appends show what the streams hold, the next turn reads them.
    known.current = false;
    let folded: boolean | undefined;
    for (;;) {
      // Every command settles before the turn goes on: none is still on its way when the streams are read.
      const sent = await Promise.allSettled(decision.send.map((send) => this.world.send(orderId, send)));
      const refused = sent.find((s) => s.status === 'rejected');
      if (refused) throw refused.reason;
      const appended = sent.flatMap((s) => (s.status === 'fulfilled' && s.value ? [s.value] : []));
      if (appended.length > 0 && folded !== false)
        folded = foldAppended(known, appended, this.decider.evolve);
      if (decision.reached) this.onStep(decision.reached);
      const { then } = decision;
      if (then.kind === 'done' || then.kind === 'resume') {
        known.current = folded === true;
        return then.kind === 'done';
      }
      if (then.kind === 'retryLater') throw new SagaStepError(then.reason);
      const answer = await this.world.ask(orderId, then);
      if ('answered' in then && then.answered) this.onStep(then.answered);
      decision = this.decider.decide(answer, state);
    }
  }

  /** The order's streams as far as they go: read on from what is known, unless that is current. */
  private async read(orderId: string): Promise<CheckoutState> {
    if (!this.latest.has(orderId)) this.latest.set(orderId, unread(this.decider.initialState()));
    if (!this.latest.get(orderId)!.current) await this.readOn([orderId]);
    return this.latest.get(orderId)!.state;
  }

  /**
   * Reads what the order and payment streams of these orders hold beyond what is known, in one read.
   * The command handlers are told what was read too: the saga's first command to each stream then
   * needs no read of its own.
   */
  private async readOn(orderIds: readonly string[]): Promise<void> {
    const { commands, store } = this.options;
    const known = orderIds.map((orderId) => ({ orderId, known: this.latest.get(orderId)! }));
    const read = await store.readStreams(
      known.flatMap(({ orderId, known }) => [
        { streamId: streams.order(orderId), fromVersion: known.orderVersion + 1 },
        { streamId: streams.payment(orderId), fromVersion: known.paymentVersion + 1 },
      ]),
    );
    for (const { orderId, known: before } of known) {
      const orderEvents = read.get(streams.order(orderId)) ?? [];
      const paymentEvents = read.get(streams.payment(orderId)) ?? [];
      commands.order.observe(streams.order(orderId), before.orderVersion + 1, orderEvents);
      commands.payment.observe(streams.payment(orderId), before.paymentVersion + 1, paymentEvents);
      Object.assign(before, {
        state: [...orderEvents, ...paymentEvents].reduce(this.decider.evolve, before.state),
        orderVersion: orderEvents.at(-1)?.streamVersion ?? before.orderVersion,
        paymentVersion: paymentEvents.at(-1)?.streamVersion ?? before.paymentVersion,
        current: true,
      } satisfies KnownStreams);
    }
  }

  private now() {
    return this.clock().toISOString();
  }

  private count(decision: Decision, outcome: 'ok' | 'refused' | 'failed') {
    if (decision.step) this.options.metrics?.sagaSteps.labels(decision.step, outcome).inc();
  }
}
