import { setTimeout as sleep } from 'node:timers/promises';
import { orderState } from '../../support/shop.ts';
import type { Platform } from '../../../src/platform.ts';

/** Polls `check` until it returns true; fails with `what` (and the last value seen) after `timeoutMs`. */
export async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
  intervalMs = 50,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Waits (outside a test as well: in hooks) until every order is confirmed or cancelled. */
export async function allSettled(platform: Platform, orderIds: readonly string[], timeoutMs = 30_000) {
  await until(
    `${orderIds.length} orders to settle`,
    async () => {
      for (const orderId of orderIds) {
        const { status } = await orderState(platform, orderId);
        if (status !== 'confirmed' && status !== 'cancelled') return false;
      }
      return true;
    },
    timeoutMs,
  );
}
