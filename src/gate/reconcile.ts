import { streams, type CommandHandlers } from '../commands/index.ts';
import { orderDecider, type OrderEvent, type OrderState } from '../domain/order/index.ts';
import type { EventStore } from '../eventstore/event-store.ts';
import { gateIsOn, type GateStore } from './gate-store.ts';
import type { GateSwitch } from './switches.ts';

export type ReconcileDependencies = Readonly<{
  gate: GateStore;
  store: Pick<EventStore, 'readStreams'>;
  inventory: Pick<CommandHandlers['inventory'], 'load'>;
  /** How long an admission may wait for its order to be placed, and then for each further look. */
  placementTimeoutMs: number;
}>;

export type Reconciled = { released: number; settled: number; postponed: number; recounted: number };

/** Admissions looked at per round: a backlog is worked off a round at a time. */
const DUE_PER_ROUND = 500;

/**
 * Settles the admissions whose time is up, from their orders' streams: an order never placed (its
 * process died between admitting and appending) or cancelled gives back what it held; an order that
 * reserved a SKU has its admission settled against that inventory stream's present counts (read from
 * the stream, so the count is at least as new as the reservation); an order still on its way (waiting
 * for the saga, or held for review) is looked at again later. Then counts the SKUs the gate shows but
 * has no count of (Redis lost them). So no admission holds stock for ever, whatever crashed.
 */
export async function reconcileGate(deps: ReconcileDependencies, now: number): Promise<Reconciled> {
  const { gate, store, inventory, placementTimeoutMs } = deps;
  const done: Reconciled = { released: 0, settled: 0, postponed: 0, recounted: 0 };
  const due = await gate.due(now, DUE_PER_ROUND);
  const recount = new Map<string, string[]>();
  if (due.length > 0) {
    const read = await store.readStreams(
      due.map(({ orderId }) => ({ streamId: streams.order(orderId), fromVersion: 1 })),
    );
    for (const { orderId, skus } of due) {
      const order = (read.get(streams.order(orderId)) ?? []).reduce(
        (state: OrderState, e) => orderDecider.evolve(state, { type: e.type, data: e.data } as OrderEvent),
        orderDecider.initialState(),
      );
      if (order.status === 'not_placed' || order.status === 'cancelled') {
        await gate.release(orderId, skus);
        done.released++;
        continue;
      }
      const reserved = skus.filter((sku) => order.reservedSkus.includes(sku));
      for (const sku of reserved) recount.set(sku, [...(recount.get(sku) ?? []), orderId]);
      if (reserved.length < skus.length) {
        await gate.postpone(orderId, now + placementTimeoutMs);
        done.postponed++;
      }
    }
  }
  const shown = await gate.known();
  const counts = await gate.counts(shown);
  shown.forEach((sku, i) => {
    if (!counts[i] && !recount.has(sku)) recount.set(sku, []);
  });
  for (const [sku, orderIds] of recount) {
    const { state, version } = await inventory.load(streams.inventory(sku));
    await gate.count(sku, { version, onHand: state.onHand, reserved: state.reserved }, orderIds);
    done.recounted++;
    done.settled += orderIds.length;
  }
  return done;
}

/** How long a SKU stays listed after it was last hot, switched or holding admissions. */
const SHOWN_AFTER_MS = 60 * 60_000;

/**
 * The admins' switches written back to the gate where it lost them (Redis emptied, the embedded
 * process restarted), and SKUs that are cold, on auto and hold nothing for an hour no longer listed.
 */
export async function keepSwitches(gate: GateStore, switches: readonly GateSwitch[], now: number) {
  const shown = await gate.known();
  const switched = new Map(switches.map((s) => [s.sku, s]));
  const skus = [...new Set([...shown, ...switched.keys()])];
  const records = await gate.records(skus);
  for (const record of records) {
    const wanted = switched.get(record.sku);
    if (wanted && wanted.mode !== record.mode) await gate.setMode(record.sku, wanted.mode);
    const lastSwitched = wanted ? Date.parse(wanted.changedAt) : 0;
    if (
      record.mode === 'auto' &&
      !gateIsOn(record, now) &&
      record.pendingOrders === 0 &&
      Math.max(record.hotUntil, lastSwitched) + SHOWN_AFTER_MS < now &&
      shown.includes(record.sku)
    )
      await gate.forget(record.sku);
  }
}
