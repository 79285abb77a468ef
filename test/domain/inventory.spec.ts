import { describe, expect, it } from 'vitest';
import { fold } from '../../src/domain/decider.ts';
import {
  availableToSell,
  reservationOf,
  inventoryDecider,
  type InventoryCommand,
  type InventoryEvent,
} from '../../src/domain/inventory/index.ts';
import { specification } from './specification.ts';

const given = specification(inventoryDecider);

const sku = 'SKU-RED-MUG';
const now = '2025-11-28T09:00:00.000Z';
const inTenMinutes = '2025-11-28T09:10:00.000Z';
const inElevenMinutes = '2025-11-28T09:11:00.000Z';

const received = (quantity: number): InventoryEvent => ({ type: 'StockReceived', data: { sku, quantity } });
const reserved = (reservationId: string, quantity: number, expiresAt = inTenMinutes): InventoryEvent => ({
  type: 'StockReserved',
  data: { sku, reservationId, quantity, expiresAt, reservedAt: now },
});
const committed = (reservationId: string, quantity: number): InventoryEvent => ({
  type: 'ReservationCommitted',
  data: { sku, reservationId, quantity, committedAt: now },
});
const released = (reservationId: string, quantity: number): InventoryEvent => ({
  type: 'ReservationReleased',
  data: { sku, reservationId, quantity, reason: 'payment_failed', releasedAt: now },
});
const expired = (reservationId: string, quantity: number, at = inElevenMinutes): InventoryEvent => ({
  type: 'ReservationExpired',
  data: { sku, reservationId, quantity, expiredAt: at },
});

const reserve = (reservationId: string, quantity: number, expiresAt = inTenMinutes): InventoryCommand => ({
  type: 'ReserveStock',
  data: { sku, reservationId, quantity, expiresAt, now },
});
const commit = (reservationId: string): InventoryCommand => ({
  type: 'CommitReservation',
  data: { reservationId, now },
});
const release = (reservationId: string): InventoryCommand => ({
  type: 'ReleaseReservation',
  data: { reservationId, reason: 'payment_failed', now },
});
const expire = (at: string): InventoryCommand => ({ type: 'ExpireReservations', data: { now: at } });

describe('inventory: receiving and adjusting stock', () => {
  it('records received stock', () =>
    given([])
      .when({ type: 'ReceiveStock', data: { sku, quantity: 5 } })
      .then([received(5)]));

  it('refuses to receive zero, negative or fractional quantities', () => {
    for (const quantity of [0, -1, 1.5, Number.NaN])
      given([]).when({ type: 'ReceiveStock', data: { sku, quantity } }).thenFails('InvalidCommandData');
  });

  it('refuses a blank SKU', () =>
    given([])
      .when({ type: 'ReceiveStock', data: { sku: '  ', quantity: 1 } })
      .thenFails('InvalidCommandData'));

  it('refuses stock for another SKU than the stream holds', () =>
    given([received(1)])
      .when({ type: 'ReceiveStock', data: { sku: 'SKU-BLUE-MUG', quantity: 1 } })
      .thenFails('SkuMismatch'));

  it('refuses stock too large to count exactly', () =>
    given([received(Number.MAX_SAFE_INTEGER)])
      .when({ type: 'ReceiveStock', data: { sku, quantity: 1 } })
      .thenFails('StockTooLarge'));

  it('records an adjustment down after a stock count', () =>
    given([received(5)])
      .when({ type: 'AdjustStock', data: { sku, delta: -2, reason: 'damaged' } })
      .then([{ type: 'StockAdjusted', data: { sku, delta: -2, reason: 'damaged' } }]));

  it('records an adjustment up', () =>
    given([received(5)])
      .when({ type: 'AdjustStock', data: { sku, delta: 3, reason: 'found in aisle 4' } })
      .then([{ type: 'StockAdjusted', data: { sku, delta: 3, reason: 'found in aisle 4' } }]));

  it('refuses a zero adjustment', () =>
    given([received(5)])
      .when({ type: 'AdjustStock', data: { sku, delta: 0, reason: 'count' } })
      .thenFails('InvalidCommandData'));

  it('refuses an adjustment without a reason', () =>
    given([received(5)])
      .when({ type: 'AdjustStock', data: { sku, delta: -1, reason: '' } })
      .thenFails('InvalidCommandData'));

  it('refuses to take on-hand stock below what is reserved', () =>
    given([received(5), reserved('order-1', 4)])
      .when({ type: 'AdjustStock', data: { sku, delta: -2, reason: 'damaged' } })
      .thenFails('AdjustmentBelowReserved'));

  it('allows taking on-hand stock down to exactly what is reserved', () =>
    given([received(5), reserved('order-1', 4)])
      .when({ type: 'AdjustStock', data: { sku, delta: -1, reason: 'damaged' } })
      .then([{ type: 'StockAdjusted', data: { sku, delta: -1, reason: 'damaged' } }]));

  it('refuses to take on-hand stock below zero', () =>
    given([received(1)])
      .when({ type: 'AdjustStock', data: { sku, delta: -2, reason: 'count' } })
      .thenFails('AdjustmentBelowReserved'));
});

describe('inventory: reserving stock for an order', () => {
  it('reserves available stock', () =>
    given([received(5)])
      .when(reserve('order-1', 2))
      .then([reserved('order-1', 2)]));

  it('reserves the last unit', () =>
    given([received(1)])
      .when(reserve('order-1', 1))
      .then([reserved('order-1', 1)]));

  it('refuses more than is available, saying how much is', () => {
    const history = [received(5), reserved('order-1', 4)];
    given(history).when(reserve('order-2', 2)).thenFails('InsufficientStock');
    const result = inventoryDecider.decide(reserve('order-2', 2), fold(inventoryDecider, history));
    expect(result).toEqual({
      _tag: 'Left',
      left: expect.objectContaining({ code: 'InsufficientStock', details: { requested: 2, available: 1 } }),
    });
  });

  it('refuses to reserve a SKU never received', () =>
    given([]).when(reserve('order-1', 1)).thenFails('InsufficientStock'));

  it('counts released and expired reservations as available again', () =>
    given([
      received(2),
      reserved('order-1', 1),
      released('order-1', 1),
      reserved('order-2', 1),
      expired('order-2', 1),
    ])
      .when(reserve('order-3', 2))
      .then([reserved('order-3', 2)]));

  it('does not count committed units as available', () =>
    given([received(2), reserved('order-1', 1), committed('order-1', 1)])
      .when(reserve('order-2', 2))
      .thenFails('InsufficientStock'));

  it('is idempotent: the same order reserving the same quantity again changes nothing', () =>
    given([received(5), reserved('order-1', 2)])
      .when(reserve('order-1', 2))
      .thenNothingHappens());

  it('refuses the same order reserving another quantity', () =>
    given([received(5), reserved('order-1', 2)])
      .when(reserve('order-1', 3))
      .thenFails('ReservationQuantityMismatch'));

  it('refuses to reserve again for an order whose reservation ended', () => {
    given([received(5), reserved('order-1', 2), committed('order-1', 2)])
      .when(reserve('order-1', 2))
      .thenFails('ReservationEnded');
    given([received(5), reserved('order-1', 2), released('order-1', 2)])
      .when(reserve('order-1', 2))
      .thenFails('ReservationEnded');
    given([received(5), reserved('order-1', 2), expired('order-1', 2)])
      .when(reserve('order-1', 2))
      .thenFails('ReservationEnded');
  });

  it('refuses a reservation that expires before it is made', () =>
    given([received(5)])
      .when(reserve('order-1', 1, now))
      .thenFails('InvalidCommandData'));

  it('refuses a malformed expiry time', () =>
    given([received(5)])
      .when(reserve('order-1', 1, 'next tuesday'))
      .thenFails('InvalidCommandData'));

  it('refuses a zero quantity', () =>
    given([received(5)])
      .when(reserve('order-1', 0))
      .thenFails('InvalidCommandData'));

  it('refuses an empty order id', () =>
    given([received(5)])
      .when(reserve('', 1))
      .thenFails('InvalidCommandData'));

  it('treats an order id that names an Object property as any other id', () =>
    given([received(5)])
      .when(reserve('constructor', 1))
      .then([reserved('constructor', 1)]));

  it('refuses a reservation for another SKU than the stream holds', () =>
    given([received(5)])
      .when({
        type: 'ReserveStock',
        data: { sku: 'SKU-BLUE-MUG', reservationId: 'order-1', quantity: 1, expiresAt: inTenMinutes, now },
      })
      .thenFails('SkuMismatch'));
});

describe('inventory: committing a reservation', () => {
  it('commits an active reservation', () =>
    given([received(5), reserved('order-1', 2)])
      .when(commit('order-1'))
      .then([committed('order-1', 2)]));

  it('commits an active reservation past its expiry time: the units are still held for the order', () =>
    given([received(5), reserved('order-1', 2)])
      .when({ type: 'CommitReservation', data: { reservationId: 'order-1', now: inElevenMinutes } })
      .then([
        {
          type: 'ReservationCommitted',
          data: { sku, reservationId: 'order-1', quantity: 2, committedAt: inElevenMinutes },
        },
      ]));

  it('is idempotent: committing twice changes nothing', () =>
    given([received(5), reserved('order-1', 2), committed('order-1', 2)])
      .when(commit('order-1'))
      .thenNothingHappens());

  it('refuses to commit a released reservation', () =>
    given([received(5), reserved('order-1', 2), released('order-1', 2)])
      .when(commit('order-1'))
      .thenFails('ReservationEnded'));

  it('refuses to commit an expired reservation', () =>
    given([received(5), reserved('order-1', 2), expired('order-1', 2)])
      .when(commit('order-1'))
      .thenFails('ReservationEnded'));

  it('refuses to commit an unknown reservation', () =>
    given([received(5)])
      .when(commit('order-1'))
      .thenFails('ReservationNotFound'));

  it('refuses to commit an unknown reservation named like an Object property', () =>
    given([received(5)])
      .when(commit('toString'))
      .thenFails('ReservationNotFound'));
});

describe('inventory: returning committed units of a cancelled order', () => {
  const returnUnits = (reservationId: string): InventoryCommand => ({
    type: 'ReturnReservation',
    data: { reservationId, reason: 'order cancelled after commit', now },
  });
  const returned = (reservationId: string, quantity: number): InventoryEvent => ({
    type: 'ReservationReturned',
    data: { sku, reservationId, quantity, reason: 'order cancelled after commit', returnedAt: now },
  });

  it('puts committed units back on hand', () => {
    given([received(5), reserved('order-1', 2), committed('order-1', 2)])
      .when(returnUnits('order-1'))
      .then([returned('order-1', 2)]);
    const state = fold(inventoryDecider, [
      received(5),
      reserved('order-1', 2),
      committed('order-1', 2),
      returned('order-1', 2),
    ]);
    expect(state).toMatchObject({ onHand: 5, reserved: 0 });
  });

  it('is idempotent: returning twice changes nothing, and a later release is a no-op', () => {
    const history = [received(5), reserved('order-1', 2), committed('order-1', 2), returned('order-1', 2)];
    given(history).when(returnUnits('order-1')).thenNothingHappens();
    given(history).when(release('order-1')).thenNothingHappens();
    given(history).when(commit('order-1')).thenFails('ReservationEnded');
  });

  it('refuses to return units that were never committed', () => {
    given([received(5), reserved('order-1', 2)])
      .when(returnUnits('order-1'))
      .thenFails('ReservationNotCommitted');
    given([received(5)])
      .when(returnUnits('order-1'))
      .thenFails('ReservationNotFound');
  });
});

describe('inventory: releasing a reservation (compensation)', () => {
  it('releases an active reservation', () =>
    given([received(5), reserved('order-1', 2)])
      .when(release('order-1'))
      .then([released('order-1', 2)]));

  it('is idempotent: releasing twice changes nothing', () =>
    given([received(5), reserved('order-1', 2), released('order-1', 2)])
      .when(release('order-1'))
      .thenNothingHappens());

  it('changes nothing for an expired reservation', () =>
    given([received(5), reserved('order-1', 2), expired('order-1', 2)])
      .when(release('order-1'))
      .thenNothingHappens());

  it('changes nothing for an unknown reservation, so compensation can always run', () =>
    given([received(5)])
      .when(release('order-1'))
      .thenNothingHappens());

  it('refuses to release a committed reservation', () =>
    given([received(5), reserved('order-1', 2), committed('order-1', 2)])
      .when(release('order-1'))
      .thenFails('ReservationAlreadyCommitted'));

  it('refuses a release without a reason', () =>
    given([received(5), reserved('order-1', 2)])
      .when({ type: 'ReleaseReservation', data: { reservationId: 'order-1', reason: ' ', now } })
      .thenFails('InvalidCommandData'));
});

describe('inventory: expiring reservations', () => {
  it('expires every active reservation whose time is up, oldest first', () =>
    given([
      received(10),
      reserved('order-late', 1, inElevenMinutes),
      reserved('order-1', 2, inTenMinutes),
      reserved('order-2', 3, '2025-11-28T09:30:00.000Z'),
    ])
      .when(expire(inElevenMinutes))
      .then([expired('order-1', 2), expired('order-late', 1)]));

  it('expires a reservation at exactly its expiry time', () =>
    given([received(5), reserved('order-1', 2)])
      .when(expire(inTenMinutes))
      .then([expired('order-1', 2, inTenMinutes)]));

  it('changes nothing before any reservation is due', () =>
    given([received(5), reserved('order-1', 2)])
      .when(expire('2025-11-28T09:09:59.999Z'))
      .thenNothingHappens());

  it('compares instants, not strings, across time zone offsets', () =>
    given([received(5), reserved('order-1', 2)])
      .when(expire('2025-11-28T10:10:00+01:00'))
      .then([expired('order-1', 2, '2025-11-28T10:10:00+01:00')]));

  it('does not expire committed, released or already expired reservations', () =>
    given([
      received(5),
      reserved('order-1', 1),
      committed('order-1', 1),
      reserved('order-2', 1),
      released('order-2', 1),
      reserved('order-3', 1),
      expired('order-3', 1),
    ])
      .when(expire(inElevenMinutes))
      .thenNothingHappens());

  it('changes nothing on an empty stream', () => given([]).when(expire(now)).thenNothingHappens());

  it('refuses a malformed time', () => given([]).when(expire('yesterday')).thenFails('InvalidCommandData'));
});

describe('inventory: state and available to sell', () => {
  it('folds into the counts and every reservation by id, ended ones kept; as JSON, the reservations are an object', () => {
    const state = fold(inventoryDecider, [
      received(10),
      reserved('order-1', 2),
      reserved('order-2', 3),
      committed('order-1', 2),
    ]);
    const reservations = {
      'order-1': { quantity: 2, expiresAt: inTenMinutes, status: 'committed' },
      'order-2': { quantity: 3, expiresAt: inTenMinutes, status: 'active' },
    };
    expect({ ...state, reservations: state.reservations.toJS() }).toEqual({
      sku,
      onHand: 8,
      reserved: 3,
      reservations,
    });
    expect(JSON.parse(JSON.stringify(state))).toEqual({ sku, onHand: 8, reserved: 3, reservations });
    expect(availableToSell(state)).toBe(5);
  });

  it('leaves the state it evolved from as it was', () => {
    const before = fold(inventoryDecider, [received(10), reserved('order-1', 2)]);
    const after = inventoryDecider.evolve(before, {
      type: 'ReservationCommitted',
      data: { sku, reservationId: 'order-1', quantity: 2, committedAt: inTenMinutes },
    });
    expect(before.reservations.get('order-1')?.status).toBe('active');
    expect(after.reservations.get('order-1')?.status).toBe('committed');
    expect(reservationOf(before, 'constructor')).toBeUndefined();
  });

  it('refuses an unknown command type instead of throwing', () => {
    const result = inventoryDecider.decide(
      { type: 'SellEverything', data: {} } as unknown as InventoryCommand,
      inventoryDecider.initialState(),
    );
    expect(result).toMatchObject({ _tag: 'Left', left: { code: 'InvalidCommandData' } });
  });
});
