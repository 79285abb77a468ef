import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cartDecider } from '../../src/domain/cart/index.ts';
import type { Decider, DomainCommand, DomainEvent } from '../../src/domain/decider.ts';
import { inventoryDecider } from '../../src/domain/inventory/index.ts';
import { orderDecider } from '../../src/domain/order/index.ts';
import { paymentDecider } from '../../src/domain/payment/index.ts';
import { productDecider } from '../../src/domain/product/index.ts';

/** Command data arrives from JSON: whatever it holds, a decider answers with a domain error or events, never a throw. */
const deciders = {
  inventory: [
    inventoryDecider,
    [
      'ReceiveStock',
      'AdjustStock',
      'ReserveStock',
      'CommitReservation',
      'ReleaseReservation',
      'ExpireReservations',
    ],
  ],
  order: [
    orderDecider,
    [
      'PlaceOrder',
      'RecordLineReserved',
      'RejectForStock',
      'RecordPaymentAuthorized',
      'RecordPaymentFailed',
      'ConfirmOrder',
      'CancelOrder',
      'ShipOrderLines',
      'MarkShipmentDelivered',
      'CancelConfirmedOrder',
      'RequestReturn',
      'ReceiveReturn',
      'RecordStockReturned',
      'RequestRefund',
      'RecordRefundIssued',
      'RecordRefundFailed',
    ],
  ],
  cart: [cartDecider, ['AddItem', 'ChangeItemQuantity', 'RemoveItem', 'MergeCart', 'CheckOutCart']],
  payment: [
    paymentDecider,
    [
      'RequestPayment',
      'RecordAuthorization',
      'RecordPaymentFailure',
      'RecordCapture',
      'RecordVoid',
      'RecordRefund',
    ],
  ],
  product: [productDecider, ['ListProduct', 'ChangeProductDetails', 'ChangePrice', 'DelistProduct']],
} as const;

const almostValid = fc.dictionary(
  fc.constantFrom(
    'sku',
    'orderId',
    'cartId',
    'quantity',
    'amount',
    'price',
    'lines',
    'items',
    'sellable',
    'at',
    'now',
  ),
  fc.oneof(fc.anything(), fc.integer(), fc.string(), fc.constant('2025-11-28T09:00:00Z')),
);

describe('every decider, for any command data', () => {
  for (const [name, [decider, types]] of Object.entries(deciders)) {
    it(`${name} answers instead of throwing`, () => {
      const anyDecider = decider as unknown as Decider<DomainCommand, DomainEvent, unknown>;
      fc.assert(
        fc.property(fc.constantFrom(...types), fc.oneof(fc.anything(), almostValid), (type, data) => {
          const result = anyDecider.decide({ type, data }, anyDecider.initialState());
          expect(['Left', 'Right']).toContain(result._tag);
        }),
        { numRuns: 500 },
      );
    });
  }
});
