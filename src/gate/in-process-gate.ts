import {
  checkoutRate,
  emptyRecord,
  gateIsOn,
  type Admission,
  type DueAdmission,
  type GateLine,
  type GateMode,
  type GateStore,
  type HotRule,
  type SkuGateRecord,
  type StockCount,
} from './gate-store.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type SkuGate = Mutable<SkuGateRecord> & { pending: Map<string, number> };

/**
 * The gate in this process's memory (the embedded profile, whose one process serves every checkout).
 * Each call runs to its end before another starts, as the Redis script does: the same rules, in
 * the same order (src/gate/redis-gate.ts).
 */
export class InProcessGate implements GateStore {
  private readonly skus = new Map<string, SkuGate>();
  /** The SKUs each order holds admissions for, and when to look at them again. */
  private readonly orders = new Map<string, Set<string>>();
  private readonly deadlines = new Map<string, number>();
  private readonly shown = new Set<string>();

  async admit(
    orderId: string,
    lines: readonly GateLine[],
    rule: HotRule,
    now: number,
    deadline: number,
  ): Promise<Admission> {
    const second = Math.floor(now / 1000);
    const admit: [SkuGate, GateLine][] = [];
    const refused: SkuGate[] = [];
    for (const line of lines) {
      const gate = this.gate(line.sku);
      if (gate.second === second) gate.inSecond++;
      else {
        gate.inPreviousSecond = gate.second === second - 1 ? gate.inSecond : 0;
        gate.inSecond = 1;
        gate.second = second;
      }
      const rate = checkoutRate(gate, now);
      if (rule.checkoutsPerSecond > 0 && rate >= rule.checkoutsPerSecond) {
        if (gate.hotUntil <= now) {
          gate.hotSince = now;
          gate.hotRate = Math.floor(rate);
          this.shown.add(line.sku);
        }
        gate.hotUntil = now + rule.holdMs;
      }
      if (!gateIsOn(gate, now) || gate.pending.has(orderId)) continue;
      if (gate.count && line.quantity > gate.count.onHand - gate.count.reserved - gate.pendingUnits)
        refused.push(gate);
      else admit.push([gate, line]);
    }
    if (refused.length > 0) {
      for (const gate of refused) gate.refused++;
      return { admitted: false, soldOut: refused.map((gate) => gate.sku) };
    }
    if (admit.length > 0) {
      const held = this.orders.get(orderId) ?? new Set<string>();
      for (const [gate, line] of admit) {
        gate.pending.set(orderId, line.quantity);
        gate.pendingUnits += line.quantity;
        gate.admitted++;
        held.add(line.sku);
      }
      this.orders.set(orderId, held);
      this.deadlines.set(orderId, deadline);
    }
    return { admitted: true, gated: admit.length };
  }

  async count(sku: string, count: StockCount, reservedBy: readonly string[]): Promise<void> {
    const gate = this.gate(sku);
    if (count.version > (gate.count?.version ?? -1)) gate.count = { ...count };
    for (const orderId of reservedBy) this.settle(gate, orderId);
  }

  async counts(skus: readonly string[]): Promise<(StockCount | undefined)[]> {
    return skus.map((sku) => this.skus.get(sku)?.count);
  }

  async release(orderId: string, skus: readonly string[]): Promise<void> {
    for (const sku of skus) {
      const gate = this.skus.get(sku);
      if (gate) this.settle(gate, orderId);
    }
  }

  async heldBy(orderIds: readonly string[]): Promise<(readonly string[])[]> {
    return orderIds.map((orderId) => [...(this.orders.get(orderId) ?? [])]);
  }

  async due(now: number, limit: number): Promise<DueAdmission[]> {
    return [...this.deadlines]
      .filter(([, deadline]) => deadline <= now)
      .sort(([a, x], [b, y]) => x - y || (a < b ? -1 : 1))
      .slice(0, limit)
      .map(([orderId]) => ({ orderId, skus: [...(this.orders.get(orderId) ?? [])] }));
  }

  async postpone(orderId: string, deadline: number): Promise<void> {
    if (this.deadlines.has(orderId)) this.deadlines.set(orderId, deadline);
  }

  async setMode(sku: string, mode: GateMode): Promise<void> {
    this.gate(sku).mode = mode;
    this.shown.add(sku);
  }

  async known(): Promise<string[]> {
    return [...this.shown];
  }

  async records(skus: readonly string[]): Promise<SkuGateRecord[]> {
    return skus.map((sku) => {
      const gate = this.skus.get(sku);
      if (!gate) return emptyRecord(sku);
      const { pending, ...record } = gate;
      return { ...record, pendingOrders: pending.size };
    });
  }

  async forget(sku: string): Promise<void> {
    this.shown.delete(sku);
  }

  async close(): Promise<void> {}

  /** The order's admission for this SKU is over: its units go back to what the gate may admit. */
  private settle(gate: SkuGate, orderId: string) {
    const quantity = gate.pending.get(orderId);
    if (quantity === undefined) return;
    gate.pending.delete(orderId);
    gate.pendingUnits -= quantity;
    const held = this.orders.get(orderId);
    held?.delete(gate.sku);
    if (held?.size === 0) {
      this.orders.delete(orderId);
      this.deadlines.delete(orderId);
    }
  }

  private gate(sku: string): SkuGate {
    let gate = this.skus.get(sku);
    if (!gate) this.skus.set(sku, (gate = { ...emptyRecord(sku), pending: new Map() }));
    return gate;
  }
}
