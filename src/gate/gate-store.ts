/**
 * The flash-sale gate's state, per SKU, and the port of the two places it can live: Redis on the
 * services profile (every API process shares one gate), this process on the embedded one. Both
 * adapters keep the same rules, checked by one contract suite (test/gate/gate-store.spec.ts).
 *
 * What the gate knows of a SKU: its inventory stream's on-hand and reserved counts at a stream
 * version (fed by the gate's projection from the inventory events), and the admissions it gave to
 * orders whose reservation is not in those counts yet (`pending`). It admits an order while
 * `onHand - reserved - pending` covers it, so it never lets more orders through than the stream can
 * still reserve; the stream itself still decides every reservation.
 */

/** `auto`: on while the SKU is hot; `on` / `off`: an admin's switch. */
export type GateMode = 'auto' | 'on' | 'off';
export const GATE_MODES = ['auto', 'on', 'off'] as const;

export type GateLine = Readonly<{ sku: string; quantity: number }>;

/**
 * The gate's answer to one checkout. Admitted also when no line's gate is on (`gated` 0): the order
 * goes on as any other. Refused: the SKUs nothing is left of; nothing is held for the order.
 */
export type Admission =
  Readonly<{ admitted: true; gated: number }> | Readonly<{ admitted: false; soldOut: readonly string[] }>;

/** The inventory stream's counts at a version, as the gate's projection folded them. */
export type StockCount = Readonly<{ version: number; onHand: number; reserved: number }>;

export type HotRule = Readonly<{
  /** Checkouts per second of one SKU (counted over the last second) that turn its gate on; 0: never. */
  checkoutsPerSecond: number;
  /** How long the gate stays on after the rate was last over the threshold. */
  holdMs: number;
}>;

/** An admission whose time to be settled is up: its order, and the SKUs it holds units of. */
export type DueAdmission = Readonly<{ orderId: string; skus: readonly string[] }>;

/** One SKU's gate as stored (times in ms since the epoch). */
export type SkuGateRecord = Readonly<{
  sku: string;
  mode: GateMode;
  count?: StockCount;
  /** Units admitted whose reservation the count does not hold yet, and the orders holding them. */
  pendingUnits: number;
  pendingOrders: number;
  /** Admissions given and checkouts refused. */
  admitted: number;
  refused: number;
  /** Checkouts in the current second (`second`) and in the one before it. */
  second: number;
  inSecond: number;
  inPreviousSecond: number;
  hotUntil: number;
  hotSince?: number;
  hotRate?: number;
}>;

export interface GateStore {
  /**
   * Counts the checkout towards each line's rate and, for the lines whose gate is on, admits the
   * order (all lines or none) if what is left covers it. Idempotent by order: an order admitted
   * already is admitted again without holding more.
   */
  admit(
    orderId: string,
    lines: readonly GateLine[],
    rule: HotRule,
    now: number,
    deadline: number,
  ): Promise<Admission>;
  /**
   * The inventory stream of `sku` at `count.version` (kept only if newer than what is stored), and
   * the orders whose reservations are in it: their admissions are settled (given back to the count).
   */
  count(sku: string, count: StockCount, reservedBy: readonly string[]): Promise<void>;
  /** The stored counts of these SKUs (absent: never counted). */
  counts(skus: readonly string[]): Promise<(StockCount | undefined)[]>;
  /** Gives back what an order holds at the gate for these SKUs (it ended, or was never placed). */
  release(orderId: string, skus: readonly string[]): Promise<void>;
  /** The SKUs an order holds admissions for (none: it holds nothing). */
  heldBy(orderIds: readonly string[]): Promise<(readonly string[])[]>;
  /** Admissions whose deadline has passed, oldest first. */
  due(now: number, limit: number): Promise<DueAdmission[]>;
  /** Looks at an admission again at `deadline` (its order is placed and still on its way). */
  postpone(orderId: string, deadline: number): Promise<void>;
  setMode(sku: string, mode: GateMode): Promise<void>;
  /** The SKUs worth showing: switched by an admin, hot lately, or holding admissions. */
  known(): Promise<string[]>;
  records(skus: readonly string[]): Promise<SkuGateRecord[]>;
  /** Stops showing a SKU (it is back to auto, cold and holds nothing). */
  forget(sku: string): Promise<void>;
  close(): Promise<void>;
}

/** Checkouts per second now: this second's, plus the part of the previous second still within the last 1,000 ms. */
export function checkoutRate(
  record: Pick<SkuGateRecord, 'second' | 'inSecond' | 'inPreviousSecond'>,
  now: number,
) {
  const second = Math.floor(now / 1000);
  const rest = (1000 - (now % 1000)) / 1000;
  if (record.second === second) return record.inSecond + record.inPreviousSecond * rest;
  if (record.second === second - 1) return record.inSecond * rest;
  return 0;
}

/** Whether the gate of this SKU refuses what is not left (an admin's switch first, then the heat). */
export const gateIsOn = (record: Pick<SkuGateRecord, 'mode' | 'hotUntil'>, now: number): boolean =>
  record.mode === 'on' || (record.mode === 'auto' && record.hotUntil > now);

export const emptyRecord = (sku: string): SkuGateRecord => ({
  sku,
  mode: 'auto',
  pendingUnits: 0,
  pendingOrders: 0,
  admitted: 0,
  refused: 0,
  second: 0,
  inSecond: 0,
  inPreviousSecond: 0,
  hotUntil: 0,
});
