import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { v5 as uuidv5 } from 'uuid';
import type { DomainError } from '../domain/decider.ts';
import type { OrderCommand, PlacedOrder } from '../domain/order/index.ts';
import type { FlashSaleGate } from '../gate/index.ts';
import type { CommandContext } from './command-handler.ts';
import { streams, type CommandHandlers } from './index.ts';
import type { PriceLookup } from './listed-products.ts';

// test/support/shop.ts takes the price lookup from here.

/** The namespace of order ids derived from (customer, Idempotency-Key). */
const ORDER_ID_NAMESPACE = '3f0c8f5e-4a3b-4d6e-9b0a-6c1f2e7d8a90';

/** A client's retry with the same Idempotency-Key lands on the same order, whatever process serves it. */
export const orderIdFor = (customerId: string, idempotencyKey: string) =>
  uuidv5(`${customerId}\n${idempotencyKey}`, ORDER_ID_NAMESPACE);

export type CheckoutCart = Readonly<{ cartId: string; items: readonly { sku: string; quantity: number }[] }>;

export type CheckoutDependencies = Readonly<{
  commands: CommandHandlers;
  currentCart(customerId: string): Promise<CheckoutCart>;
  /** Today's price of each SKU that is for sale (absent: not listed): the cart's lookup too. */
  prices: PriceLookup;
  /** The flash-sale gate: refuses an order at once when one of its SKUs is sold out (src/gate/). */
  gate?: Pick<FlashSaleGate, 'admit'>;
  /** The keyed hash an order keeps of its client's address (`client-address.ts`); none: not kept. */
  clientKey?(address: string): string | undefined;
}>;

export type CheckoutRequest = Readonly<{
  customerId: string;
  idempotencyKey: string;
  paymentMethod: string;
  /** The client's address: kept on the order only as `clientKey`'s keyed hash (the fraud rules count it). */
  clientAddress?: string;
  context: CommandContext;
}>;

export type CheckoutError = DomainError<
  | 'IdempotencyKeyReused'
  | 'CartEmpty'
  | 'ProductUnavailable'
  | 'InvalidCommandData'
  | 'CardDataNotAllowed'
  | 'SoldOut'
  | string
>;

/**
 * Places the customer's cart as an order (prices fixed now) and checks the cart out. The order id
 * comes from the Idempotency-Key, so a retry finds the order already placed and answers the same;
 * a retry with another payment method is refused. What happens next is the saga's business: this
 * append is the queue that levels a Black-Friday spike.
 */
export async function placeOrder(
  deps: CheckoutDependencies,
  request: CheckoutRequest,
): Promise<Either<CheckoutError, PlacedOrder>> {
  const orderId = orderIdFor(request.customerId, request.idempotencyKey);
  const stream = streams.order(orderId);
  const cart = await deps.currentCart(request.customerId);
  const placement = await placementOf(deps, request, orderId, cart);
  // Nearly every request is the first with its key: its order is appended as a new stream, without
  // reading the stream first, and the cart's checkout after it in the same round trip, made only if
  // the order was (docs/decisions/0038). A retry finds the stream there (or its cart closed by the
  // first try).
  const closing = isLeft(placement)
    ? undefined
    : deps.commands.cart.following(
        streams.cart(cart.cartId),
        checkOutCart(cart.cartId, placement.right.data),
        request.context,
      );
  let placed = isLeft(placement)
    ? undefined
    : await deps.commands.order.handleNew(stream, placement.right, request.context, closing);
  if (placed === undefined) {
    const { state: existing } = await deps.commands.order.load(stream);
    if (existing.status !== 'not_placed') return placedBefore(deps, existing, request);
    if (isLeft(placement)) return placement;
    placed = await deps.commands.order.handle(stream, placement.right, request.context);
  }
  if (isLeft(placed)) return placed;
  const order = placed.right.state as PlacedOrder;
  return closing?.appended ? right(order) : checkOut(deps, cart, order, request);
}

const checkOutCart = (cartId: string, order: Readonly<{ orderId: string; placedAt: string }>) =>
  ({ type: 'CheckOutCart', data: { cartId, orderId: order.orderId, at: order.placedAt } }) as const;

/** The order the cart makes now, or why it makes none: an empty cart, a SKU no longer for sale, sold out. */
async function placementOf(
  deps: CheckoutDependencies,
  request: CheckoutRequest,
  orderId: string,
  cart: CheckoutCart,
): Promise<Either<CheckoutError, Extract<OrderCommand, { type: 'PlaceOrder' }>>> {
  if (cart.items.length === 0) return left({ code: 'CartEmpty', message: 'the cart is empty' });
  const prices = await deps.prices(cart.items.map((i) => i.sku));
  const unavailable = cart.items.filter((i) => !prices.has(i.sku)).map((i) => i.sku);
  if (unavailable.length > 0)
    return left({
      code: 'ProductUnavailable',
      message: `no longer for sale: ${unavailable.join(', ')}`,
      details: { skus: unavailable },
    });
  // Before anything is appended. An admission not followed by the order (a crash, a refused append)
  // is given back by the gate's reconciliation once its order stream shows nothing placed; one made
  // again for an order placed already (a retry) is settled by it like the first.
  const admission = deps.gate ? await deps.gate.admit(orderId, cart.items) : undefined;
  if (admission && !admission.admitted)
    return left({
      code: 'SoldOut',
      message: `sold out: ${admission.soldOut.join(', ')}`,
      details: { skus: admission.soldOut },
    });
  return right({
    type: 'PlaceOrder',
    data: {
      orderId,
      customerId: request.customerId,
      lines: cart.items.map((i) => ({ sku: i.sku, quantity: i.quantity, unitPrice: prices.get(i.sku)! })),
      paymentMethod: request.paymentMethod,
      placedAt: (request.context.now ?? new Date()).toISOString(),
      ...clientKeyOf(deps, request),
    },
  });
}

/** Closes the cart the order was placed from, when it was not closed with the order's placement. */
async function checkOut(
  deps: CheckoutDependencies,
  cart: CheckoutCart,
  order: PlacedOrder,
  request: CheckoutRequest,
): Promise<Either<CheckoutError, PlacedOrder>> {
  // Crash before this and the order stands but the cart stays open: the customer sees the items still there.
  const checkedOut = await deps.commands.cart.handle(
    streams.cart(cart.cartId),
    checkOutCart(cart.cartId, order),
    request.context,
  );
  if (isLeft(checkedOut) && checkedOut.left.code !== 'CartCheckedOut') return checkedOut;
  return right(order);
}

/**
 * A request whose order is placed already: the order decider tells a retry (the same placement: no
 * change) from the key reused for another one. The cart is not read again: checkout closed it.
 */
async function placedBefore(
  deps: CheckoutDependencies,
  order: PlacedOrder,
  request: CheckoutRequest,
): Promise<Either<CheckoutError, PlacedOrder>> {
  const again = await deps.commands.order.handle(
    streams.order(order.orderId),
    {
      type: 'PlaceOrder',
      data: {
        orderId: order.orderId,
        customerId: request.customerId,
        lines: order.lines.map(({ sku, quantity, unitPrice }) => ({ sku, quantity, unitPrice })),
        paymentMethod: request.paymentMethod,
        placedAt: order.placedAt,
      },
    },
    request.context,
  );
  if (isLeft(again))
    return again.left.code === 'OrderAlreadyPlaced'
      ? left({
          code: 'IdempotencyKeyReused',
          message: 'this Idempotency-Key was used for a checkout with another body',
        })
      : again;
  return right(again.right.state as PlacedOrder);
}

const clientKeyOf = (deps: CheckoutDependencies, request: CheckoutRequest) => {
  const clientKey = request.clientAddress ? deps.clientKey?.(request.clientAddress) : undefined;
  return clientKey === undefined ? {} : { clientKey };
};
