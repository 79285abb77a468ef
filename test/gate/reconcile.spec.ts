import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { createCommandHandlers, streams, type CommandHandlers } from '../../src/commands/index.ts';
import { DOMAIN_EVENT_TYPES } from '../../src/domain/event-types.ts';
import { SqlEventStore } from '../../src/eventstore/sql-event-store.ts';
import type { HotRule } from '../../src/gate/gate-store.ts';
import { InProcessGate } from '../../src/gate/in-process-gate.ts';
import { reconcileGate } from '../../src/gate/reconcile.ts';
import { freshPGlite, type TestDatabase } from '../support/databases.ts';

// Admissions whose time is up, settled from their orders' streams (PGlite): never placed or cancelled
// gives back, reserved is settled against the stream's present counts, on its way waits longer.

const RULE: HotRule = { checkoutsPerSecond: 0, holdMs: 1_000 };
const T0 = Date.parse('2026-12-10T12:00:00Z');
const TIMEOUT = 2_000;
const context = () => ({ actor: { id: 'test', role: 'system' }, correlationId: uuidv7() });

describe("the gate's reconciliation", () => {
  let database: TestDatabase;
  let store: SqlEventStore;
  let commands: CommandHandlers;
  beforeAll(async () => {
    database = await freshPGlite();
    store = new SqlEventStore(database.db, { eventTypes: DOMAIN_EVENT_TYPES });
    commands = createCommandHandlers(store);
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  const expectDone = async (result: Promise<Either<unknown, unknown>>) => {
    const outcome = await result;
    if (isLeft(outcome)) throw new Error(`refused: ${JSON.stringify(outcome.left)}`);
  };
  const place = (orderId: string, sku: string) =>
    expectDone(
      commands.order.handle(
        streams.order(orderId),
        {
          type: 'PlaceOrder',
          data: {
            orderId,
            customerId: uuidv7(),
            lines: [{ sku, quantity: 1, unitPrice: { amount: 100, currency: 'USD' } }],
            paymentMethod: 'pm_card_visa',
            placedAt: new Date(T0).toISOString(),
          },
        },
        context(),
      ),
    );
  const reserve = async (orderId: string, sku: string) => {
    const at = new Date(T0).toISOString();
    await expectDone(
      commands.inventory.handle(
        streams.inventory(sku),
        {
          type: 'ReserveStock',
          data: {
            sku,
            reservationId: orderId,
            quantity: 1,
            expiresAt: new Date(T0 + 600_000).toISOString(),
            now: at,
          },
        },
        context(),
      ),
    );
    await expectDone(
      commands.order.handle(
        streams.order(orderId),
        { type: 'RecordLineReserved', data: { orderId, sku, quantity: 1, at } },
        context(),
      ),
    );
  };
  const cancel = (orderId: string) =>
    expectDone(
      commands.order.handle(
        streams.order(orderId),
        {
          type: 'CancelOrder',
          data: { orderId, reason: 'customer_request', at: new Date(T0).toISOString() },
        },
        context(),
      ),
    );

  it('gives back the never placed and the cancelled, settles the reserved, and waits for the rest', async () => {
    const sku = 'RECON-1';
    await expectDone(
      commands.inventory.handle(
        streams.inventory(sku),
        { type: 'ReceiveStock', data: { sku, quantity: 4 } },
        context(),
      ),
    );
    const gate = new InProcessGate();
    await gate.setMode(sku, 'on');
    await gate.count(sku, { version: 1, onHand: 4, reserved: 0 }, []);
    const [ghost, cancelled, reserved, waiting] = [uuidv7(), uuidv7(), uuidv7(), uuidv7()];
    for (const orderId of [ghost, cancelled, reserved, waiting])
      expect(await gate.admit(orderId, [{ sku, quantity: 1 }], RULE, T0, T0 + TIMEOUT)).toMatchObject({
        admitted: true,
      });
    await place(cancelled, sku);
    await cancel(cancelled);
    await place(reserved, sku);
    await reserve(reserved, sku);
    await place(waiting, sku);
    const deps = { gate, store, inventory: commands.inventory, placementTimeoutMs: TIMEOUT };

    // Not due yet: nothing changes.
    expect(await reconcileGate(deps, T0 + TIMEOUT - 1)).toMatchObject({
      released: 0,
      postponed: 0,
      settled: 0,
    });
    expect(await reconcileGate(deps, T0 + TIMEOUT)).toMatchObject({ released: 2, postponed: 1, settled: 1 });
    expect(await gate.heldBy([ghost, cancelled, reserved, waiting])).toEqual([[], [], [], [sku]]);
    const [record] = await gate.records([sku]);
    // The reserved order's unit is in the count now (read from the stream), not held twice.
    expect(record).toMatchObject({ count: { version: 2, onHand: 4, reserved: 1 }, pendingUnits: 1 });
    expect(await gate.due(T0 + TIMEOUT, 10)).toEqual([]);
    expect(await gate.due(T0 + 2 * TIMEOUT, 10)).toEqual([{ orderId: waiting, skus: [sku] }]);
    // Two units left for the gate to admit.
    expect(await gate.admit(uuidv7(), [{ sku, quantity: 2 }], RULE, T0, T0 + TIMEOUT)).toMatchObject({
      admitted: true,
    });
  });

  it('counts a listed SKU the gate has no count of (Redis emptied)', async () => {
    const sku = 'RECON-2';
    await expectDone(
      commands.inventory.handle(
        streams.inventory(sku),
        { type: 'ReceiveStock', data: { sku, quantity: 7 } },
        context(),
      ),
    );
    const gate = new InProcessGate();
    await gate.setMode(sku, 'on');
    expect(
      await reconcileGate({ gate, store, inventory: commands.inventory, placementTimeoutMs: TIMEOUT }, T0),
    ).toMatchObject({ recounted: 1 });
    expect((await gate.counts([sku]))[0]).toEqual({ version: 1, onHand: 7, reserved: 0 });
  });
});
