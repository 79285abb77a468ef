import { describe, expect, it } from 'vitest';
import { ordersToLoad, toIntegrationEvent, type MappingState } from '../../src/integration/mapping.ts';
import { RECORDED_AT, recordedEvent } from '../support/recorded.ts';

// The fraud rules' events are internal: the Kafka relay publishes nothing for them (and needs no
// order facts to pass them over), and a refusal is published as any cancellation, with its reason.

const AT = RECORDED_AT;
let version = 0;
const recorded = (type: string, data: Record<string, unknown>) =>
  recordedEvent('order-o-1', ++version, type, { orderId: 'o-1', ...data });

const usd = (amount: number) => ({ amount, currency: 'USD' });

describe('the fraud rules’ events on Kafka', () => {
  const placed = recorded('OrderPlaced', {
    customerId: 'c-1',
    lines: [{ sku: 'A', quantity: 1, unitPrice: usd(500), lineTotal: usd(500) }],
    total: usd(500),
    paymentMethod: 'pm_card_visa',
    placedAt: AT,
    clientKey: 'k3yed-hash-of-an-address',
  });
  const screened = recorded('OrderScreened', {
    decision: 'block',
    rule: 'declines_per_customer',
    enforced: true,
    measures: { declinesLast10Minutes: 3 },
    at: AT,
  });
  const reviewed = recorded('OrderReviewed', { decision: 'reject', at: AT });
  const cancelled = recorded('OrderCancelled', { reason: 'fraud_suspected', at: AT });

  it('publish nothing for a decision or a review, and need no facts to pass them over', () => {
    const state: MappingState = { orders: new Map(), levels: new Map(), stockLowThreshold: 5 };
    expect(ordersToLoad([screened, reviewed], state.orders)).toEqual([]);
    expect(toIntegrationEvent(screened, state)).toBeUndefined();
    expect(toIntegrationEvent(reviewed, state)).toBeUndefined();
  });

  it('publish a refusal as a cancellation with its reason, and the placement without its client key', () => {
    const state: MappingState = { orders: new Map(), levels: new Map(), stockLowThreshold: 5 };
    const published = toIntegrationEvent(placed, state);
    expect(JSON.stringify(published)).not.toContain('k3yed');
    expect(toIntegrationEvent(cancelled, state)).toMatchObject({
      type: 'OrderCancelled',
      data: { orderId: 'o-1', customerId: 'c-1', reason: 'fraud_suspected' },
    });
    expect(JSON.stringify(toIntegrationEvent(cancelled, state))).not.toContain('declines_per_customer');
  });
});
