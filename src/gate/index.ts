import { Counter } from 'prom-client';
import { connectRedis, redisAnswers } from '../cache/redis.ts';
import type { CommandHandlers } from '../commands/index.ts';
import type { Config } from '../config.ts';
import type { SqlClient } from '../db/sql-client.ts';
import { LOG_START, type EventStore, type Subscription } from '../eventstore/event-store.ts';
import { observeProjectionLag, type Metrics } from '../observability/metrics.ts';
import { runExternalProjection } from '../subscriptions/index.ts';
import {
  checkoutRate,
  gateIsOn,
  type Admission,
  type GateLine,
  type GateMode,
  type GateStore,
  type HotRule,
  type SkuGateRecord,
} from './gate-store.ts';
import { InProcessGate } from './in-process-gate.ts';
import { GATE_PROJECTION, gateProjection } from './projection.ts';
import { keepSwitches, reconcileGate, type Reconciled } from './reconcile.ts';
import { RedisGate } from './redis-gate.ts';
import { GateSwitches, type GateSwitch } from './switches.ts';

export type { Admission, GateLine, GateMode } from './gate-store.ts';

/** Why a SKU's gate is on or off now. */
export type GateReason = 'switched-on' | 'switched-off' | 'hot' | 'not-hot' | 'never-by-itself';

/** One SKU's gate as admins and auditors read it. */
export type GateView = Readonly<{
  sku: string;
  mode: GateMode;
  on: boolean;
  reason: GateReason;
  checkoutsPerSecond: number;
  /** Since when the SKU is hot, and until when the gate stays on if it cools (auto only). */
  hotSince: string | null;
  hotUntil: string | null;
  switchedBy: string | null;
  switchedAt: string | null;
  /** The inventory stream's counts as the gate holds them (null: not counted yet). */
  streamVersion: number | null;
  onHand: number | null;
  reserved: number | null;
  available: number | null;
  /** Units admitted whose reservation is not in the counts yet, and the orders holding them. */
  admittedUnreserved: number;
  ordersWaiting: number;
  /** What the gate may still admit: available minus admitted-unreserved (null: not counted yet). */
  remaining: number | null;
  admitted: number;
  refused: number;
}>;

export type FlashSaleGateOptions = Readonly<{
  config: Pick<
    Config,
    | 'REDIS_URL'
    | 'REDIS_KEY_PREFIX'
    | 'LOG_LEVEL'
    | 'GATE_HOT_CHECKOUTS_PER_SECOND'
    | 'GATE_HOT_HOLD_SECONDS'
    | 'GATE_PLACEMENT_TIMEOUT_SECONDS'
  >;
  db: SqlClient;
  store: EventStore;
  inventory: Pick<CommandHandlers['inventory'], 'load'>;
  metrics?: Metrics;
  /** Milliseconds since the epoch (tests move it). */
  clock?: () => number;
  /** How often the worker settles due admissions. */
  reconcileEveryMs?: number;
}>;

/**
 * The flash-sale gate: refuses a checkout at once when the gate of one of its SKUs is on and nothing
 * is left of it, before anything is appended. In Redis when REDIS_URL is set (one gate for every API
 * process), else in this process. Its projection and its reconciliation run where the workers run.
 * docs/decisions/0025-flash-sale-gate.md.
 */
export class FlashSaleGate {
  readonly where: 'redis' | 'in-process';
  readonly rule: HotRule;
  /** The projection that keeps a checkpoint in the database (services profile). */
  readonly checkpointed: readonly string[];
  readonly gate: GateStore;
  private readonly switches: GateSwitches;
  private readonly answers: () => boolean;
  private readonly decisions?: Counter<'outcome'>;
  private readonly clock: () => number;
  private readonly placementTimeoutMs: number;
  private timer: NodeJS.Timeout | undefined;
  private reconciling: Promise<unknown> = Promise.resolve();
  private ticks = 0;

  constructor(private readonly options: FlashSaleGateOptions) {
    const { config, db, metrics } = options;
    this.rule = {
      checkoutsPerSecond: config.GATE_HOT_CHECKOUTS_PER_SECOND,
      holdMs: config.GATE_HOT_HOLD_SECONDS * 1000,
    };
    this.placementTimeoutMs = config.GATE_PLACEMENT_TIMEOUT_SECONDS * 1000;
    this.clock = options.clock ?? Date.now;
    this.switches = new GateSwitches(db);
    if (config.REDIS_URL) {
      const redis = connectRedis(config.REDIS_URL);
      this.where = 'redis';
      this.gate = new RedisGate({ redis, prefix: config.REDIS_KEY_PREFIX });
      this.answers = () => redisAnswers(redis);
      this.checkpointed = [GATE_PROJECTION];
    } else {
      this.where = 'in-process';
      this.gate = new InProcessGate();
      this.answers = () => true;
      this.checkpointed = [];
    }
    if (metrics)
      this.decisions = new Counter({
        name: 'flash_sale_gate_decisions_total',
        help: 'Checkouts the flash-sale gate admitted, refused (sold out), let pass (its gate off), or could not ask',
        labelNames: ['outcome'] as const,
        registers: [metrics.registry],
      });
  }

  /**
   * Asks the gate for a checkout's lines. If the gate cannot answer (Redis away), the checkout goes on
   * as if every gate were off: the gate only refuses early, the inventory streams decide.
   */
  async admit(orderId: string, lines: readonly GateLine[]): Promise<Admission> {
    if (lines.length === 0) return { admitted: true, gated: 0 };
    if (!this.answers()) return this.unavailable();
    const now = this.clock();
    let admission: Admission;
    try {
      admission = await this.gate.admit(orderId, lines, this.rule, now, now + this.placementTimeoutMs);
    } catch {
      return this.unavailable();
    }
    this.decisions?.inc({
      outcome: !admission.admitted ? 'refused' : admission.gated > 0 ? 'admitted' : 'passed',
    });
    return admission;
  }

  /** Every SKU the gate shows (switched, hot lately, holding admissions), with why it is on or off. */
  async list(): Promise<GateView[]> {
    const [shown, switches] = await Promise.all([this.gate.known(), this.switches.all()]);
    const records = await this.gate.records(shown.sort());
    const bySku = new Map(switches.map((s) => [s.sku, s]));
    return records.map((record) => this.view(record, bySku.get(record.sku)));
  }

  async of(sku: string): Promise<GateView> {
    const [[record], switches] = await Promise.all([this.gate.records([sku]), this.switches.all()]);
    return this.view(
      record!,
      switches.find((s) => s.sku === sku),
    );
  }

  /** An admin's switch: kept in the database, and in the gate at once. */
  async switch(sku: string, mode: GateMode, changedBy: string): Promise<GateView> {
    const saved = await this.switches.save(sku, mode, changedBy);
    await this.gate.setMode(sku, mode);
    const [record] = await this.gate.records([sku]);
    return this.view(record!, saved);
  }

  /** One round of reconciliation (the worker runs it every second; tests call it). */
  async reconcile(): Promise<Reconciled> {
    const now = this.clock();
    const done = await reconcileGate(
      {
        gate: this.gate,
        store: this.options.store,
        inventory: this.options.inventory,
        placementTimeoutMs: this.placementTimeoutMs,
      },
      now,
    );
    if (this.ticks++ % 10 === 0) await keepSwitches(this.gate, await this.switches.all(), now);
    return done;
  }

  /** The worker's part (ROLE all or worker): the projection that feeds the gate, and its reconciliation. */
  async start(): Promise<Subscription[]> {
    const { store, db, config, metrics } = this.options;
    const onError = (error: unknown) => {
      if (config.LOG_LEVEL !== 'silent') console.error(`flash-sale gate: ${(error as Error).message}`);
    };
    // Before any checkout may be gated: the switches admins made, even if the gate forgot them.
    await keepSwitches(this.gate, await this.switches.all(), this.clock()).catch(onError);
    const projection = gateProjection(this.gate, store);
    const following =
      this.where === 'redis'
        ? await runExternalProjection(store, db, projection, {
            onError,
            onApplied: (events) => metrics && observeProjectionLag(metrics, GATE_PROJECTION, events),
          })
        : // In process, the gate starts empty with the process: it follows the log from its start.
          store.subscribe(
            async (events) => {
              if (events.length > 0) await projection.apply(events);
            },
            { after: LOG_START, batchSize: 500, types: [...projection.eventTypes], onError },
          );
    const every = this.options.reconcileEveryMs ?? 1000;
    const round = () => {
      this.reconciling = this.reconcile()
        .catch(onError)
        .finally(() => {
          if (this.timer) this.timer = setTimeout(round, every).unref();
        });
    };
    this.timer = setTimeout(round, every).unref();
    return [following];
  }

  /** Stops the reconciliation (after the round under way) and lets go of Redis. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.reconciling;
    await this.gate.close();
  }

  private unavailable(): Admission {
    this.decisions?.inc({ outcome: 'unavailable' });
    return { admitted: true, gated: 0 };
  }

  private view(record: SkuGateRecord, switched: GateSwitch | undefined): GateView {
    const now = this.clock();
    const on = gateIsOn(record, now);
    const hot = record.hotUntil > now;
    const available = record.count ? record.count.onHand - record.count.reserved : null;
    return {
      sku: record.sku,
      mode: record.mode,
      on,
      reason:
        record.mode === 'on'
          ? 'switched-on'
          : record.mode === 'off'
            ? 'switched-off'
            : hot
              ? 'hot'
              : this.rule.checkoutsPerSecond > 0
                ? 'not-hot'
                : 'never-by-itself',
      checkoutsPerSecond: Math.round(checkoutRate(record, now) * 10) / 10,
      hotSince: hot && record.hotSince ? new Date(record.hotSince).toISOString() : null,
      hotUntil: hot ? new Date(record.hotUntil).toISOString() : null,
      switchedBy: switched?.changedBy ?? null,
      switchedAt: switched?.changedAt ?? null,
      streamVersion: record.count?.version ?? null,
      onHand: record.count?.onHand ?? null,
      reserved: record.count?.reserved ?? null,
      available,
      admittedUnreserved: record.pendingUnits,
      ordersWaiting: record.pendingOrders,
      remaining: available === null ? null : Math.max(0, available - record.pendingUnits),
      admitted: record.admitted,
      refused: record.refused,
    };
  }
}
