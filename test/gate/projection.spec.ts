import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { DOMAIN_EVENT_TYPES } from '../../src/domain/event-types.ts';
import { SqlEventStore } from '../../src/eventstore/sql-event-store.ts';
import type { RecordedEvent } from '../../src/eventstore/event-store.ts';
import type { HotRule } from '../../src/gate/gate-store.ts';
import { InProcessGate } from '../../src/gate/in-process-gate.ts';
import { gateProjection } from '../../src/gate/projection.ts';
import { freshPGlite, type TestDatabase } from '../support/databases.ts';
import { testMetadata } from '../support/events.ts';
import { inventoryCommands, inventoryStream, type InventoryCommands } from '../support/inventory-commands.ts';
import { receive, reserve } from '../support/inventory.ts';

// The gate's projection over real inventory streams (PGlite): counts per stream version, admissions
// settled by their reservations, given back by their orders' ends; re-delivered batches and a count
// that starts late in a stream's life.

const RULE: HotRule = { checkoutsPerSecond: 0, holdMs: 1_000 };
const NOW = Date.parse('2026-12-10T12:00:00Z');

describe("the gate's projection", () => {
  let database: TestDatabase;
  let store: SqlEventStore;
  let inventory: InventoryCommands;
  beforeAll(async () => {
    database = await freshPGlite();
    store = new SqlEventStore(database.db, { eventTypes: DOMAIN_EVENT_TYPES });
    inventory = inventoryCommands(store);
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  const gateOn = async (sku: string) => {
    const gate = new InProcessGate();
    await gate.setMode(sku, 'on');
    return gate;
  };
  const admit = (gate: InProcessGate, sku: string, orderId: string) =>
    gate.admit(orderId, [{ sku, quantity: 1 }], RULE, NOW, NOW + 60_000);
  const stream = (sku: string) => store.readStream(inventoryStream(sku));

  it('counts each stream, settles the admissions its reservations hold, and changes nothing when a batch comes again', async () => {
    const sku = 'PROJ-1';
    const gate = await gateOn(sku);
    const projection = gateProjection(gate, store);
    await receive(inventory, sku, 3);
    await projection.apply(await stream(sku));
    const [o1, o2, o3] = [uuidv7(), uuidv7(), uuidv7()];
    for (const orderId of [o1, o2, o3])
      expect(await admit(gate, sku, orderId)).toMatchObject({ admitted: true });
    expect(await admit(gate, sku, uuidv7())).toMatchObject({ admitted: false });

    await reserve(inventory, sku, o1);
    await reserve(inventory, sku, o2);
    const batch = await stream(sku);
    await projection.apply(batch);
    await projection.apply(batch);
    const [record] = await gate.records([sku]);
    expect(record).toMatchObject({
      count: { version: 3, onHand: 3, reserved: 2 },
      pendingUnits: 1,
      pendingOrders: 1,
    });
    expect(await gate.heldBy([o1, o2, o3])).toEqual([[], [], [sku]]);
    expect(await admit(gate, sku, uuidv7())).toMatchObject({ admitted: false });
  });

  it('gives back what an order refused for stock or cancelled held, and opens again on a release or a receipt', async () => {
    const sku = 'PROJ-2';
    const gate = await gateOn(sku);
    const projection = gateProjection(gate, store);
    await receive(inventory, sku, 1);
    await projection.apply(await stream(sku));
    const [held, late] = [uuidv7(), uuidv7()];
    await admit(gate, sku, held);
    expect(await admit(gate, sku, late)).toMatchObject({ admitted: false });
    const cancelled = {
      type: 'OrderCancelled',
      streamId: `order-${held}`,
      streamVersion: 2,
      data: { orderId: held, reason: 'fraud_suspected', at: new Date(NOW).toISOString() },
      metadata: testMetadata(),
    } as unknown as RecordedEvent;
    await projection.apply([cancelled]);
    await projection.apply([cancelled]);
    expect(await gate.records([sku])).toMatchObject([{ pendingUnits: 0 }]);
    expect(await admit(gate, sku, late)).toMatchObject({ admitted: true });

    // `late` reserves the unit, then its reservation is released: the unit is back.
    await reserve(inventory, sku, late);
    await projection.apply(await stream(sku));
    const other = uuidv7();
    expect(await admit(gate, sku, other)).toMatchObject({ admitted: false });
    await inventory.handle(
      inventoryStream(sku),
      {
        type: 'ReleaseReservation',
        data: { reservationId: late, reason: 'payment_failed', now: new Date().toISOString() },
      },
      { actor: { id: 'saga', role: 'system' }, correlationId: uuidv7() },
    );
    await projection.apply((await stream(sku)).slice(-1));
    expect(await admit(gate, sku, other)).toMatchObject({ admitted: true });
    await receive(inventory, sku, 2);
    await projection.apply((await stream(sku)).slice(-1));
    expect(await gate.records([sku])).toMatchObject([{ count: { onHand: 3, reserved: 0 }, pendingUnits: 1 }]);
  });

  it('opens again on stock that expired, was counted back in, or was returned after a cancellation', async () => {
    const sku = 'PROJ-4';
    const gate = await gateOn(sku);
    const projection = gateProjection(gate, store);
    const system = { actor: { id: 'timer', role: 'system' }, correlationId: uuidv7() };
    const opensFor = async (orderId: string) => {
      await projection.apply(await stream(sku));
      return (await admit(gate, sku, orderId)).admitted;
    };
    await receive(inventory, sku, 1);
    const [expired, committed, next, last, after] = [uuidv7(), uuidv7(), uuidv7(), uuidv7(), uuidv7()];
    expect(await opensFor(expired)).toBe(true);
    await reserve(inventory, sku, expired);
    expect(await opensFor(uuidv7())).toBe(false);
    // Its order never confirmed: the reservation expires, the unit is back.
    await inventory.handle(
      inventoryStream(sku),
      { type: 'ExpireReservations', data: { now: new Date(Date.now() + 3_600_000).toISOString() } },
      system,
    );
    expect(await opensFor(committed)).toBe(true);
    await reserve(inventory, sku, committed);
    await inventory.handle(
      inventoryStream(sku),
      { type: 'CommitReservation', data: { reservationId: committed, now: new Date().toISOString() } },
      system,
    );
    expect(await opensFor(uuidv7())).toBe(false);
    // A count finds one more unit on the shelf.
    await inventory.handle(
      inventoryStream(sku),
      { type: 'AdjustStock', data: { sku, delta: 1, reason: 'counted' } },
      system,
    );
    expect(await opensFor(next)).toBe(true);
    await reserve(inventory, sku, next);
    expect(await opensFor(last)).toBe(false);
    // The committed order was cancelled before shipping: its unit goes back on hand.
    await inventory.handle(
      inventoryStream(sku),
      {
        type: 'ReturnReservation',
        data: { reservationId: committed, reason: 'cancelled', now: new Date().toISOString() },
      },
      system,
    );
    expect(await opensFor(last)).toBe(true);
    await reserve(inventory, sku, last);
    expect(await opensFor(after)).toBe(false);
  });

  it('a count that starts late in the stream (Redis emptied) reads the stream from its start', async () => {
    const sku = 'PROJ-3';
    await receive(inventory, sku, 5);
    const [early, admitted] = [uuidv7(), uuidv7()];
    await reserve(inventory, sku, early);
    const gate = await gateOn(sku);
    // Admitted before the gate counted anything: held against the first count.
    await admit(gate, sku, admitted);
    await reserve(inventory, sku, admitted);
    const projection = gateProjection(gate, store);
    await projection.apply((await stream(sku)).slice(-1));
    expect(await gate.records([sku])).toMatchObject([
      { count: { version: 3, onHand: 5, reserved: 2 }, pendingUnits: 0, pendingOrders: 0 },
    ]);
  });
});
