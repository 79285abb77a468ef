import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { GateStore, HotRule } from '../../src/gate/gate-store.ts';
import { InProcessGate } from '../../src/gate/in-process-gate.ts';
import { RedisGate } from '../../src/gate/redis-gate.ts';
import { testRedis } from '../cache/redis.ts';

// One contract for the two places the gate lives: every rule holds alike in this process and in the
// Redis script (the real Redis).

const redis = testRedis('gate-store');
afterAll(() => redis.close());

let n = 0;
const adapters: Record<string, () => GateStore> = {
  'in process': () => new InProcessGate(),
  // A prefix of its own per test: each starts from an empty gate.
  redis: () => new RedisGate({ redis: redis.redis, prefix: `${redis.prefix}${++n}:` }),
};

const T0 = Date.parse('2026-12-10T10:00:00.250Z');
const COLD: HotRule = { checkoutsPerSecond: 0, holdMs: 60_000 };
const HOT_AT_5: HotRule = { checkoutsPerSecond: 5, holdMs: 10_000 };
const LATER = T0 + 30_000;
const one = (sku = 'HOT-1') => [{ sku, quantity: 1 }];

describe.each(Object.keys(adapters))('the gate store (%s)', (name) => {
  let gate: GateStore;
  beforeEach(() => {
    gate = adapters[name]!();
  });

  const admit = (orderId: string, lines = one(), rule = COLD, now = T0) =>
    gate.admit(orderId, lines, rule, now, now + 30_000);
  const record = async (sku = 'HOT-1') => (await gate.records([sku]))[0]!;

  it('lets every checkout pass while its gate is off, holding nothing', async () => {
    await gate.count('HOT-1', { version: 1, onHand: 0, reserved: 0 }, []);
    expect(await admit('o1')).toEqual({ admitted: true, gated: 0 });
    expect(await record()).toMatchObject({
      mode: 'auto',
      pendingUnits: 0,
      admitted: 0,
      refused: 0,
      inSecond: 1,
    });
    expect(await gate.heldBy(['o1'])).toEqual([[]]);
  });

  it('switched on, admits what the count leaves and refuses the rest', async () => {
    await gate.setMode('HOT-1', 'on');
    await gate.count('HOT-1', { version: 3, onHand: 5, reserved: 2 }, []);
    for (const orderId of ['o1', 'o2', 'o3'])
      expect(await admit(orderId)).toEqual({ admitted: true, gated: 1 });
    expect(await admit('o4')).toEqual({ admitted: false, soldOut: ['HOT-1'] });
    expect(await record()).toMatchObject({ pendingUnits: 3, pendingOrders: 3, admitted: 3, refused: 1 });
    expect(await gate.heldBy(['o1', 'o4'])).toEqual([['HOT-1'], []]);
  });

  it('admits an order again without holding more (a retry with the same Idempotency-Key)', async () => {
    await gate.setMode('HOT-1', 'on');
    await gate.count('HOT-1', { version: 1, onHand: 1, reserved: 0 }, []);
    expect(await admit('o1')).toMatchObject({ admitted: true });
    expect(await admit('o1')).toMatchObject({ admitted: true });
    expect(await record()).toMatchObject({ pendingUnits: 1, admitted: 1 });
    expect(await admit('o2')).toMatchObject({ admitted: false });
  });

  it('counts quantities, not orders', async () => {
    await gate.setMode('HOT-1', 'on');
    await gate.count('HOT-1', { version: 1, onHand: 5, reserved: 0 }, []);
    expect(await admit('o1', [{ sku: 'HOT-1', quantity: 3 }])).toMatchObject({ admitted: true });
    expect(await admit('o2', [{ sku: 'HOT-1', quantity: 3 }])).toMatchObject({ admitted: false });
    expect(await admit('o3', [{ sku: 'HOT-1', quantity: 2 }])).toMatchObject({ admitted: true });
  });

  it('admits all lines of an order or none', async () => {
    await gate.setMode('A', 'on');
    await gate.setMode('B', 'on');
    await gate.count('A', { version: 1, onHand: 5, reserved: 0 }, []);
    await gate.count('B', { version: 1, onHand: 0, reserved: 0 }, []);
    const lines = [
      { sku: 'A', quantity: 1 },
      { sku: 'B', quantity: 1 },
      { sku: 'C', quantity: 1 },
    ];
    expect(await admit('o1', lines)).toEqual({ admitted: false, soldOut: ['B'] });
    expect(await record('A')).toMatchObject({ pendingUnits: 0, admitted: 0, refused: 0 });
    expect(await record('B')).toMatchObject({ refused: 1 });
    await gate.count('B', { version: 2, onHand: 1, reserved: 0 }, []);
    expect(await admit('o1', lines)).toEqual({ admitted: true, gated: 2 });
    expect(new Set(...(await gate.heldBy(['o1'])))).toEqual(new Set(['A', 'B']));
  });

  it('settles an admission once the count holds its reservation, however often that count comes', async () => {
    await gate.setMode('HOT-1', 'on');
    await gate.count('HOT-1', { version: 1, onHand: 2, reserved: 0 }, []);
    await admit('o1');
    await admit('o2');
    expect(await admit('o3')).toMatchObject({ admitted: false });
    // o1 reserved: the count holds it, the admission is settled: still nothing left.
    await gate.count('HOT-1', { version: 2, onHand: 2, reserved: 1 }, ['o1']);
    await gate.count('HOT-1', { version: 2, onHand: 2, reserved: 1 }, ['o1']); // re-delivered
    expect(await record()).toMatchObject({
      pendingUnits: 1,
      pendingOrders: 1,
      count: { version: 2, reserved: 1 },
    });
    expect(await admit('o3')).toMatchObject({ admitted: false });
    // An older count is not kept, and settles nothing twice.
    await gate.count('HOT-1', { version: 1, onHand: 2, reserved: 0 }, ['o1']);
    expect(await record()).toMatchObject({ pendingUnits: 1, count: { version: 2, onHand: 2, reserved: 1 } });
    // o1's card declined: its reservation released, the unit is back.
    await gate.count('HOT-1', { version: 3, onHand: 2, reserved: 0 }, []);
    expect(await admit('o3')).toMatchObject({ admitted: true });
    expect(await gate.heldBy(['o1', 'o2', 'o3'])).toEqual([[], ['HOT-1'], ['HOT-1']]);
  });

  it('gives back what an ended order held, once', async () => {
    await gate.setMode('HOT-1', 'on');
    await gate.setMode('B', 'on');
    await gate.count('HOT-1', { version: 1, onHand: 1, reserved: 0 }, []);
    await gate.count('B', { version: 1, onHand: 1, reserved: 0 }, []);
    await admit('o1', [
      { sku: 'B', quantity: 1 },
      { sku: 'HOT-1', quantity: 1 },
    ]);
    // B reserved, then the order was refused for HOT-1 elsewhere: what it held of HOT-1 goes back.
    await gate.count('B', { version: 2, onHand: 1, reserved: 1 }, ['o1']);
    expect(await gate.heldBy(['o1'])).toEqual([['HOT-1']]);
    await gate.release('o1', ['HOT-1']);
    await gate.release('o1', ['HOT-1']);
    expect(await record()).toMatchObject({ pendingUnits: 0, pendingOrders: 0 });
    expect(await gate.heldBy(['o1'])).toEqual([[]]);
    expect(await gate.due(LATER + 60_000, 10)).toEqual([]);
    expect(await admit('o2')).toMatchObject({ admitted: true });
  });

  it('admits while not counted yet, and holds what it admitted against the first count', async () => {
    await gate.setMode('HOT-1', 'on');
    expect(await admit('o1')).toEqual({ admitted: true, gated: 1 });
    await gate.count('HOT-1', { version: 1, onHand: 1, reserved: 0 }, []);
    expect(await admit('o2')).toMatchObject({ admitted: false });
  });

  it('turns on by itself when a SKU gets hot, and off after the hold', async () => {
    await gate.count('HOT-1', { version: 1, onHand: 2, reserved: 0 }, []);
    for (let i = 0; i < 4; i++)
      expect(await admit(`warm-${i}`, one(), HOT_AT_5, T0 + i)).toMatchObject({ gated: 0 });
    expect(await gate.known()).toEqual([]);
    // The fifth checkout within the second: hot, gated from this one on.
    expect(await admit('o1', one(), HOT_AT_5, T0 + 5)).toEqual({ admitted: true, gated: 1 });
    expect(await record()).toMatchObject({ hotSince: T0 + 5, hotRate: 5, hotUntil: T0 + 5 + 10_000 });
    expect(await gate.known()).toEqual(['HOT-1']);
    expect(await admit('o2', one(), HOT_AT_5, T0 + 900)).toMatchObject({ admitted: true, gated: 1 });
    expect(await admit('o3', one(), HOT_AT_5, T0 + 1_100)).toMatchObject({ admitted: false });
    // Checkouts of the second before count, in part, towards the rate: still hot at T0 + 1.1 s.
    expect((await record()).hotUntil).toBe(T0 + 1_100 + 10_000);
    // Cold for longer than the hold: off again, every checkout passes.
    expect(await admit('o4', one(), HOT_AT_5, T0 + 20_000)).toEqual({ admitted: true, gated: 0 });
  });

  it('an admin switch wins over the heat', async () => {
    await gate.count('HOT-1', { version: 1, onHand: 0, reserved: 0 }, []);
    await gate.setMode('HOT-1', 'off');
    for (let i = 0; i < 10; i++)
      expect(await admit(`o${i}`, one(), HOT_AT_5, T0 + i)).toMatchObject({ admitted: true });
    await gate.setMode('HOT-1', 'auto');
    expect(await admit('o10', one(), HOT_AT_5, T0 + 10)).toMatchObject({ admitted: false });
  });

  it('lists admissions whose time is up, oldest first; postponed ones later', async () => {
    await gate.setMode('HOT-1', 'on');
    await gate.count('HOT-1', { version: 1, onHand: 10, reserved: 0 }, []);
    await gate.admit('o1', one(), COLD, T0, T0 + 1_000);
    await gate.admit('o2', one(), COLD, T0, T0 + 500);
    await gate.admit('o3', one(), COLD, T0, T0 + 5_000);
    expect(await gate.due(T0 + 1_000, 10)).toEqual([
      { orderId: 'o2', skus: ['HOT-1'] },
      { orderId: 'o1', skus: ['HOT-1'] },
    ]);
    expect(await gate.due(T0 + 1_000, 1)).toEqual([{ orderId: 'o2', skus: ['HOT-1'] }]);
    await gate.postpone('o2', T0 + 9_000);
    await gate.postpone('nobody', T0);
    expect((await gate.due(T0 + 5_000, 10)).map((d) => d.orderId)).toEqual(['o1', 'o3']);
  });

  it('shows switched and hot SKUs until forgotten', async () => {
    await gate.setMode('B', 'off');
    await gate.setMode('A', 'on');
    expect((await gate.known()).sort()).toEqual(['A', 'B']);
    await gate.forget('A');
    expect(await gate.known()).toEqual(['B']);
    expect(await record('A')).toMatchObject({ mode: 'on' });
    expect(await record('NEVER')).toMatchObject({ sku: 'NEVER', mode: 'auto', pendingUnits: 0 });
    expect((await record('NEVER')).count).toBeUndefined();
  });
});
