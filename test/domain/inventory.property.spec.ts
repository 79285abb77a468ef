import fc from 'fast-check';
import { isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import {
  availableToSell,
  inventoryDecider,
  reservationOf,
  type InventoryCommand,
  type InventoryEvent,
  type InventoryState,
} from '../../src/domain/inventory/index.ts';

const sku = 'SKU-FLASH-SALE';
const start = Date.parse('2025-11-28T09:00:00.000Z');
type Step = { advanceSeconds: number; build: (now: string, state: InventoryState) => InventoryCommand };

/**
 * Commands mostly name reservations that exist (picked by index from the current state), so one
 * order reserves, commits, releases and expires in every order; sometimes an unknown id, including
 * one that names an Object property.
 */
const reservationIdFrom = (pick: number, state: InventoryState): string => {
  const known = [...state.reservations.keys()];
  return known.length === 0 || pick % 8 === 7
    ? ['order-unknown', 'constructor'][pick % 2]!
    : known[pick % known.length]!;
};

// Quantities reach below 1 now and then, so invalid commands are in the mix too.
const step: fc.Arbitrary<Step> = fc.record({
  advanceSeconds: fc.integer({ min: 0, max: 400 }),
  build: fc.oneof(
    fc.integer({ min: -1, max: 20 }).map((quantity) => (): InventoryCommand => ({
      type: 'ReceiveStock',
      data: { sku, quantity },
    })),
    fc.integer({ min: -20, max: 10 }).map((delta) => (): InventoryCommand => ({
      type: 'AdjustStock',
      data: { sku, delta, reason: 'stock count' },
    })),
    {
      weight: 3,
      arbitrary: fc
        .record({
          pick: fc.nat(),
          fresh: fc.boolean(),
          quantity: fc.integer({ min: 0, max: 8 }),
          ttlSeconds: fc.integer({ min: 1, max: 600 }),
        })
        .map(
          ({ pick, fresh, quantity, ttlSeconds }) =>
            (now: string, state: InventoryState): InventoryCommand => ({
              type: 'ReserveStock',
              data: {
                sku,
                reservationId: fresh
                  ? `order-${state.reservations.size + 1}`
                  : reservationIdFrom(pick, state),
                quantity,
                expiresAt: new Date(Date.parse(now) + ttlSeconds * 1000).toISOString(),
                now,
              },
            }),
        ),
    },
    {
      weight: 2,
      arbitrary: fc.nat().map((pick) => (now: string, state: InventoryState): InventoryCommand => ({
        type: 'CommitReservation',
        data: { reservationId: reservationIdFrom(pick, state), now },
      })),
    },
    {
      weight: 2,
      arbitrary: fc.nat().map((pick) => (now: string, state: InventoryState): InventoryCommand => ({
        type: 'ReleaseReservation',
        data: { reservationId: reservationIdFrom(pick, state), reason: 'order cancelled', now },
      })),
    },
    fc.constant((now: string): InventoryCommand => ({ type: 'ExpireReservations', data: { now } })),
    fc.nat().map((pick) => (now: string, state: InventoryState): InventoryCommand => ({
      type: 'ReturnReservation',
      data: { reservationId: reservationIdFrom(pick, state), reason: 'order cancelled after commit', now },
    })),
  ),
});

const ends = new Set(['ReservationCommitted', 'ReservationReleased', 'ReservationExpired']);

/** Replays commands as a command handler would: decide on the current state, then evolve event by event. */
const run = (
  steps: readonly Step[],
  afterEachEvent: (state: InventoryState, log: readonly InventoryEvent[]) => void,
) => {
  let state = inventoryDecider.initialState();
  let clock = start;
  const log: InventoryEvent[] = [];
  for (const { advanceSeconds, build } of steps) {
    clock += advanceSeconds * 1000;
    const command = build(new Date(clock).toISOString(), state);
    const result = inventoryDecider.decide(command, state);
    if (
      command.type === 'ReserveStock' &&
      command.data.quantity > 0 &&
      !reservationOf(state, command.data.reservationId)
    ) {
      // Model check: a fresh reservation is refused for stock exactly when it asks for more than is available.
      const expected = command.data.quantity > availableToSell(state) ? 'InsufficientStock' : 'reserved';
      expect(isRight(result) ? 'reserved' : result.left.code).toBe(expected);
    }
    if (!isRight(result)) continue;
    for (const event of result.right) {
      state = inventoryDecider.evolve(state, event);
      log.push(event);
      afterEachEvent(state, log);
    }
  }
  return { state, log };
};

const sum = (numbers: number[]) => numbers.reduce((a, b) => a + b, 0);

describe('inventory properties, for any sequence of commands', () => {
  it('never lets on hand drop below reserved, nor below zero, after any event', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80, size: 'max' }), (steps) => {
        run(steps, (state) => {
          expect(availableToSell(state)).toBeGreaterThanOrEqual(0);
          expect(state.onHand).toBeGreaterThanOrEqual(0);
          expect(state.reserved).toBeGreaterThanOrEqual(0);
        });
      }),
      { numRuns: 1000 },
    );
  });

  it('ends every reservation at most once, and only one that was made (checked on the event log)', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80, size: 'max' }), (steps) => {
        const { log } = run(steps, () => {});
        const made = new Map<string, number>();
        const ended = new Set<string>();
        const returned = new Set<string>();
        for (const event of log) {
          if (event.type === 'ReservationReturned') {
            // Units come back only from a committed reservation, and only once.
            expect(
              log.some(
                (e) => e.type === 'ReservationCommitted' && e.data.reservationId === event.data.reservationId,
              ),
            ).toBe(true);
            expect(returned.has(event.data.reservationId)).toBe(false);
            returned.add(event.data.reservationId);
            continue;
          }
          if (event.type === 'StockReserved') {
            expect(made.has(event.data.reservationId)).toBe(false);
            made.set(event.data.reservationId, event.data.quantity);
          } else if (ends.has(event.type) && 'reservationId' in event.data) {
            const { reservationId, quantity } = event.data;
            expect(made.get(reservationId)).toBe(quantity);
            expect(ended.has(reservationId)).toBe(false);
            ended.add(reservationId);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('conserves stock: on hand is received plus adjusted minus committed plus returned; reserved is what active reservations hold', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80, size: 'max' }), (steps) => {
        run(steps, (state, log) => {
          const quantities = (type: InventoryEvent['type']) =>
            log.filter((e) => e.type === type).map((e) => ('quantity' in e.data ? e.data.quantity : 0));
          const adjustments = log.map((e) => (e.type === 'StockAdjusted' ? e.data.delta : 0));
          expect(state.onHand).toBe(
            sum(quantities('StockReceived')) +
              sum(adjustments) -
              sum(quantities('ReservationCommitted')) +
              sum(quantities('ReservationReturned')),
          );

          const stillHeld =
            sum(quantities('StockReserved')) -
            sum(quantities('ReservationCommitted')) -
            sum(quantities('ReservationReleased')) -
            sum(quantities('ReservationExpired'));
          const active = [...state.reservations.values()].filter((r) => r.status === 'active');
          expect(state.reserved).toBe(stillHeld);
          expect(state.reserved).toBe(sum(active.map((r) => r.quantity)));
        });
      }),
      { numRuns: 1000 },
    );
  });

  it('leaves no reservation active past its expiry once reservations are expired', () => {
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 60, size: 'max' }),
        fc.integer({ min: 0, max: 3600 }),
        (steps, laterSeconds) => {
          const { state } = run(steps, () => {});
          const now = new Date(
            start + (sum(steps.map((s) => s.advanceSeconds)) + laterSeconds) * 1000,
          ).toISOString();
          const result = inventoryDecider.decide({ type: 'ExpireReservations', data: { now } }, state);
          if (!isRight(result)) throw new Error(result.left.code);
          const after = result.right.reduce(inventoryDecider.evolve, state);
          for (const reservation of [...after.reservations.values()])
            if (reservation.status === 'active')
              expect(Date.parse(reservation.expiresAt)).toBeGreaterThan(Date.parse(now));
          expect(JSON.parse(JSON.stringify(after))).toEqual({
            ...after,
            reservations: after.reservations.toJS(),
          });
        },
      ),
      { numRuns: 500 },
    );
  });
});
