// Folding a hot SKU's inventory stream:   npm run bench:fold
// A SKU that has sold many units has a long inventory stream, every reservation of which its state
// keeps (ended ones too: they make a repeated commit or release a no-op). Measured, for streams of
// BENCH_FOLD_SIZES (10,000, 100,000, 400,000) events (reservations, each committed): folding the whole
// stream (what a process does the first time it handles a command for the SKU), and the cost of one
// more event at the end of it (p50 / p99 of 10,000 single evolves), beside the ceiling: the same events
// folded into the two counts alone (`stockChange`, no reservations kept). Pure CPU, no database.
import { evolve, initialState, stockChange, type InventoryEvent } from '../src/domain/inventory/index.ts';
import { fixed, printTable, rssMiB, summarise } from './lib/measure.ts';

const SIZES = (process.env.BENCH_FOLD_SIZES ?? '10000,100000,400000').split(',').map(Number);
const sku = 'HOT-1';
const expiresAt = '2026-12-05T00:10:00.000Z';

function* events(count: number): Generator<InventoryEvent> {
  yield { type: 'StockReceived', data: { sku, quantity: 1_000_000_000 } };
  for (let i = 0; i < count / 2; i++) {
    const reservationId = `order-${i}`;
    yield {
      type: 'StockReserved',
      data: { sku, reservationId, quantity: 1, expiresAt, reservedAt: expiresAt },
    };
    yield { type: 'ReservationCommitted', data: { sku, reservationId, quantity: 1, committedAt: expiresAt } };
  }
}

const rows: Record<string, string | number>[] = [];
for (const size of SIZES) {
  let t0 = performance.now();
  let state = initialState();
  for (const event of events(size)) state = evolve(state, event);
  const foldMs = performance.now() - t0;

  t0 = performance.now();
  let counts = { onHand: 0, reserved: 0 };
  for (const event of events(size)) {
    const change = stockChange(event);
    counts = { onHand: counts.onHand + change.onHand, reserved: counts.reserved + change.reserved };
  }
  const ceilingMs = performance.now() - t0;

  const latencies: number[] = [];
  for (let i = 0; i < 10_000; i++) {
    const reservationId = `next-${i}`;
    const at = performance.now();
    state = evolve(state, {
      type: 'StockReserved',
      data: { sku, reservationId, quantity: 1, expiresAt, reservedAt: expiresAt },
    });
    latencies.push(performance.now() - at);
  }
  const next = summarise(latencies, 1);
  rows.push({
    'stream events': size,
    'fold events/s': fixed(size / (foldMs / 1000)),
    'fold ms': fixed(foldMs, 1),
    'ceiling: counts only, events/s': fixed(size / (ceilingMs / 1000)),
    'one more event p50 / p99 µs': `${fixed(next.p50 * 1000, 1)} / ${fixed(next.p99 * 1000, 1)}`,
    'RSS MiB': rssMiB(),
    'on hand': counts.onHand,
  });
}
printTable('Folding one inventory stream (a hot SKU): the whole stream, then one more event', rows);
