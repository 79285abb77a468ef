import { expect, vi } from 'vitest';
import { streams } from '../../src/commands/index.ts';
import type { OrderState, PlacedOrder } from '../../src/domain/order/index.ts';
import type { RecordedEvent } from '../../src/eventstore/event-store.ts';
import type { Platform } from '../../src/platform.ts';
import { orderState } from '../support/shop.ts';

/** Cards a card tester tries one after another: each declined by the simulated gateway. */
export const DECLINING_CARDS = [
  'pm_card_chargeDeclined',
  'pm_card_chargeDeclinedInsufficientFunds',
  'pm_card_chargeDeclinedLostCard',
  'pm_card_chargeDeclinedStolenCard',
  'pm_card_chargeDeclinedExpiredCard',
  'pm_card_chargeDeclinedIncorrectCvc',
  'pm_card_visa_chargeDeclined',
  'pm_card_chargeDeclinedFraudulent',
] as const;

/** Every authorization the saga asks the gateway for, by order id (the platform's gateway, spied on). */
export function gatewayCalls(platform: Platform) {
  const authorize = vi.spyOn(platform.gateway, 'authorize');
  return (orderIds: readonly string[]) =>
    authorize.mock.calls.filter(([request]) => orderIds.includes(request.orderId)).length;
}

/** Waits until the order is confirmed, cancelled or held for review: where the saga leaves it. */
export async function decided(platform: Platform, orderId: string, timeout = 30_000): Promise<PlacedOrder> {
  await expect
    .poll(async () => (await orderState(platform, orderId)).status, { timeout, interval: 50 })
    .toMatch(/^(confirmed|cancelled|review)$/);
  return (await orderState(platform, orderId)) as PlacedOrder;
}

export const outcome = (order: OrderState) =>
  order.status === 'cancelled' ? `cancelled:${order.cancellationReason}` : order.status;

export const orderEvents = (platform: Platform, orderId: string): Promise<RecordedEvent[]> =>
  platform.store.readStream(streams.order(orderId));

/** The order's OrderScreened, if it has one. */
export async function screening(platform: Platform, orderId: string) {
  return (await orderEvents(platform, orderId)).find((e) => e.type === 'OrderScreened');
}
