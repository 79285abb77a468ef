import type { Appended } from './outside-world.ts';
import type { CheckoutEvent, CheckoutState } from './state.ts';

/**
 * What the checkout saga knows of an order's two streams, and from which versions to read on.
 * `current`: the state is the streams as they stood at the saga's last read, or after its own last
 * appends when their versions show that nothing else came between; the next turn then decides
 * without reading them again (docs/decisions/0021).
 */
export type KnownStreams = {
  state: CheckoutState;
  orderVersion: number;
  paymentVersion: number;
  current: boolean;
};

export const unread = (state: CheckoutState): KnownStreams => ({
  state,
  orderVersion: 0,
  paymentVersion: 0,
  current: false,
});

/**
 * Folds what one batch of the saga's commands appended into `known`, if their versions prove the
 * events are every event appended to their streams since `known`: per stream, its version after the
 * last of them is the known version plus their number. Commands to one stream are appended in the
 * order they were sent (`CommandHandler`), so that is their order in the stream. A command that
 * appended nothing, or a gap (another writer, or another command of this process in the same append),
 * proves nothing: `known` is left as it was and false returned.
 */
export function foldAppended(
  known: KnownStreams,
  appended: readonly Appended[],
  evolve: (state: CheckoutState, event: CheckoutEvent) => CheckoutState,
): boolean {
  const order = appended.filter((a) => a.to === 'order');
  const payment = appended.filter((a) => a.to === 'payment');
  const follows = (mine: readonly Appended[], from: number) =>
    mine.length === 0 ||
    (mine.every((a) => a.events.length > 0) &&
      Math.max(...mine.map((a) => a.version)) === from + mine.reduce((n, a) => n + a.events.length, 0));
  if (!follows(order, known.orderVersion) || !follows(payment, known.paymentVersion)) return false;
  // The two streams' events are independent of each other: the saga's state folds each into its part.
  known.state = appended.flatMap((a) => a.events).reduce(evolve, known.state);
  if (order.length > 0) known.orderVersion = Math.max(...order.map((a) => a.version));
  if (payment.length > 0) known.paymentVersion = Math.max(...payment.map((a) => a.version));
  return true;
}
