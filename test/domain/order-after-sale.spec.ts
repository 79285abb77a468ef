import { describe, expect, it } from 'vitest';
import { fold } from '../../src/domain/decider.ts';
import {
  orderDecider,
  returnedUnits,
  shippedUnits,
  type OrderCommand,
  type OrderEvent,
  type PlacedOrder,
} from '../../src/domain/order/index.ts';
import { paymentDecider, type PaymentCommand, type PaymentEvent } from '../../src/domain/payment/index.ts';
import { specification } from './specification.ts';

// The order after payment: every transition and every refusal, as given/when/then.

const given = specification(orderDecider);

const orderId = 'order-after-sale';
const day = (n: number, hour = 9) =>
  `2026-03-${String(n).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00.000Z`;
const at = day(2);
const eur = (amount: number) => ({ amount, currency: 'EUR' });

// Two mugs at 12.99 and one tea at 4.50: 30.48 in all.
const placed: OrderEvent = {
  type: 'OrderPlaced',
  data: {
    orderId,
    customerId: 'customer-7',
    lines: [
      { sku: 'MUG', quantity: 2, unitPrice: eur(1299), lineTotal: eur(2598) },
      { sku: 'TEA', quantity: 1, unitPrice: eur(450), lineTotal: eur(450) },
    ],
    total: eur(3048),
    paymentMethod: 'pm_card_visa',
    placedAt: day(1),
  },
};
const paid: OrderEvent[] = [
  placed,
  { type: 'OrderLineReserved', data: { orderId, sku: 'MUG', quantity: 2, at: day(1) } },
  { type: 'OrderLineReserved', data: { orderId, sku: 'TEA', quantity: 1, at: day(1) } },
  { type: 'OrderPaymentAuthorized', data: { orderId, paymentId: 'pi_1', amount: eur(3048), at: day(1) } },
];
const confirmed: OrderEvent[] = [...paid, { type: 'OrderConfirmed', data: { orderId, at: day(1) } }];

type Lines = { sku: string; quantity: number }[];

const ship = (shipmentId: string, lines: Lines, when = at): OrderCommand => ({
  type: 'ShipOrderLines',
  data: { orderId, shipmentId, lines, carrier: 'DHL', trackingNumber: `JD-${shipmentId}`, at: when },
});
const shipped = (shipmentId: string, lines: Lines, when = at): OrderEvent => ({
  type: 'OrderLinesShipped',
  data: { orderId, shipmentId, lines, carrier: 'DHL', trackingNumber: `JD-${shipmentId}`, at: when },
});
const deliver = (shipmentId: string, when = day(3)): OrderCommand => ({
  type: 'MarkShipmentDelivered',
  data: { orderId, shipmentId, at: when },
});
const delivered = (shipmentId: string, when = day(3)): OrderEvent => ({
  type: 'ShipmentDelivered',
  data: { orderId, shipmentId, at: when },
});
const askReturn = (returnId: string, lines: Lines, when = day(10), windowDays = 30): OrderCommand => ({
  type: 'RequestReturn',
  data: { orderId, returnId, lines, reason: 'too small', at: when, windowDays },
});
const returnAsked = (returnId: string, lines: Lines, when = day(10)): OrderEvent => ({
  type: 'ReturnRequested',
  data: { orderId, returnId, lines, reason: 'too small', at: when },
});
const receive = (
  returnId: string,
  lines: { sku: string; quantity: number; restock: boolean }[],
): OrderCommand => ({
  type: 'ReceiveReturn',
  data: { orderId, returnId, lines, refundId: `${returnId}-refund`, at: day(12) },
});
const received = (
  returnId: string,
  lines: { sku: string; quantity: number; restock: boolean }[],
): OrderEvent => ({
  type: 'ReturnReceived',
  data: { orderId, returnId, lines, at: day(12) },
});
const askRefund = (refundId: string, amount: number, reason = 'goodwill'): OrderCommand => ({
  type: 'RequestRefund',
  data: { orderId, refundId, amount: eur(amount), reason, at },
});
const refundAsked = (refundId: string, amount: number, reason = 'goodwill', when = at): OrderEvent => ({
  type: 'RefundRequested',
  data: { orderId, refundId, amount: eur(amount), reason, at: when },
});
const refundIssued = (refundId: string, amount: number): OrderEvent => ({
  type: 'RefundIssued',
  data: { orderId, refundId, amount: eur(amount), at },
});
const issue = (refundId: string): OrderCommand => ({
  type: 'RecordRefundIssued',
  data: { orderId, refundId, at },
});
const fail = (refundId: string, retryable: boolean, reason = 'gateway_timeout'): OrderCommand => ({
  type: 'RecordRefundFailed',
  data: { orderId, refundId, reason, retryable, at },
});
const cancelPaid = (reason = 'customer called'): OrderCommand => ({
  type: 'CancelConfirmedOrder',
  data: { orderId, reason, refundId: 'cancel-refund', at },
});

const allShipped = [
  ...confirmed,
  shipped('s1', [{ sku: 'MUG', quantity: 2 }]),
  shipped('s2', [{ sku: 'TEA', quantity: 1 }]),
];
const allDelivered = [...allShipped, delivered('s1'), delivered('s2')];

const stateOf = (history: OrderEvent[]) => fold(orderDecider, history) as PlacedOrder;

describe('after payment: shipping', () => {
  it('ships part of a confirmed order: partially shipped', () => {
    given(confirmed)
      .when(ship('s1', [{ sku: 'MUG', quantity: 1 }]))
      .then([shipped('s1', [{ sku: 'MUG', quantity: 1 }])]);
    expect(stateOf([...confirmed, shipped('s1', [{ sku: 'MUG', quantity: 1 }])]).status).toBe(
      'partially_shipped',
    );
  });

  it('ships lines sorted by SKU, whatever order they come in', () =>
    given(confirmed)
      .when(
        ship('s1', [
          { sku: 'TEA', quantity: 1 },
          { sku: 'MUG', quantity: 2 },
        ]),
      )
      .then([
        shipped('s1', [
          { sku: 'MUG', quantity: 2 },
          { sku: 'TEA', quantity: 1 },
        ]),
      ]));

  it('ships the rest of a partially shipped order: shipped once every unit has left', () => {
    const partly = [...confirmed, shipped('s1', [{ sku: 'MUG', quantity: 1 }])];
    given(partly)
      .when(
        ship('s2', [
          { sku: 'MUG', quantity: 1 },
          { sku: 'TEA', quantity: 1 },
        ]),
      )
      .then([
        shipped('s2', [
          { sku: 'MUG', quantity: 1 },
          { sku: 'TEA', quantity: 1 },
        ]),
      ]);
    expect(stateOf(allShipped).status).toBe('shipped');
  });

  it('is idempotent: the same shipment again changes nothing', () =>
    given([...confirmed, shipped('s1', [{ sku: 'MUG', quantity: 2 }])])
      .when(ship('s1', [{ sku: 'MUG', quantity: 2 }]))
      .thenNothingHappens());

  it('is idempotent even once the order has shipped in full', () =>
    given(allShipped)
      .when(ship('s2', [{ sku: 'TEA', quantity: 1 }]))
      .thenNothingHappens());

  it('refuses a shipment id reused for other lines', () =>
    given([...confirmed, shipped('s1', [{ sku: 'MUG', quantity: 1 }])])
      .when(ship('s1', [{ sku: 'MUG', quantity: 2 }]))
      .thenFails('ShipmentIdReused'));

  it('refuses more than was ordered', () =>
    given(confirmed)
      .when(ship('s1', [{ sku: 'MUG', quantity: 3 }]))
      .thenFails('ShipmentExceedsOrder'));

  it('refuses more than was ordered minus what already shipped', () =>
    given([...confirmed, shipped('s1', [{ sku: 'MUG', quantity: 2 }])])
      .when(ship('s2', [{ sku: 'MUG', quantity: 1 }]))
      .thenFails('ShipmentExceedsOrder'));

  it('refuses a SKU the order does not have, or the same SKU twice', () => {
    given(confirmed)
      .when(ship('s1', [{ sku: 'KETTLE', quantity: 1 }]))
      .thenFails('UnknownOrderLine');
    given(confirmed)
      .when(
        ship('s1', [
          { sku: 'MUG', quantity: 1 },
          { sku: 'MUG', quantity: 1 },
        ]),
      )
      .thenFails('InvalidCommandData');
  });

  it('refuses an order that is neither confirmed nor partially shipped', () => {
    given([placed])
      .when(ship('s1', [{ sku: 'MUG', quantity: 1 }]))
      .thenFails('OrderNotShippable');
    given([placed, { type: 'OrderCancelled', data: { orderId, reason: 'out_of_stock', at } }])
      .when(ship('s1', [{ sku: 'MUG', quantity: 1 }]))
      .thenFails('OrderNotShippable');
    given(allShipped)
      .when(ship('s3', [{ sku: 'MUG', quantity: 1 }]))
      .thenFails('OrderNotShippable');
    given(allDelivered)
      .when(ship('s3', [{ sku: 'MUG', quantity: 1 }]))
      .thenFails('OrderNotShippable');
    given([])
      .when(ship('s1', [{ sku: 'MUG', quantity: 1 }]))
      .thenFails('OrderNotFound');
  });

  it('refuses a shipment without lines, carrier or tracking number', () => {
    given(confirmed).when(ship('s1', [])).thenFails('InvalidCommandData');
    given(confirmed)
      .when({
        type: 'ShipOrderLines',
        data: {
          orderId,
          shipmentId: 's1',
          lines: [{ sku: 'MUG', quantity: 1 }],
          carrier: ' ',
          trackingNumber: 'T',
          at,
        },
      })
      .thenFails('InvalidCommandData');
    given(confirmed)
      .when(ship('s1', [{ sku: 'MUG', quantity: 0 }]))
      .thenFails('InvalidCommandData');
  });
});

describe('after payment: delivery', () => {
  it('marks a shipment delivered; the order stays shipped while another is on its way', () => {
    given(allShipped)
      .when(deliver('s1'))
      .then([delivered('s1')]);
    expect(stateOf([...allShipped, delivered('s1')]).status).toBe('shipped');
  });

  it('is delivered once every unit shipped and every shipment arrived', () =>
    expect(stateOf(allDelivered)).toMatchObject({
      status: 'delivered',
      shipments: [
        { shipmentId: 's1', deliveredAt: day(3), carrier: 'DHL', trackingNumber: 'JD-s1' },
        { shipmentId: 's2', deliveredAt: day(3) },
      ],
    }));

  it('stays partially shipped when the shipments so far arrived but units are still to ship', () =>
    expect(
      stateOf([...confirmed, shipped('s1', [{ sku: 'MUG', quantity: 2 }]), delivered('s1')]).status,
    ).toBe('partially_shipped'));

  it('is idempotent: a delivered shipment again changes nothing', () =>
    given(allDelivered)
      .when(deliver('s1', day(4)))
      .thenNothingHappens());

  it('refuses a shipment the order does not have', () =>
    given(allShipped).when(deliver('s9')).thenFails('ShipmentNotFound'));
});

describe('after payment: an admin cancels a confirmed order', () => {
  it('cancels it and asks for the whole payment back, in one decision', () =>
    given(confirmed)
      .when(cancelPaid())
      .then([
        { type: 'OrderCancelled', data: { orderId, reason: 'customer called', at, afterPayment: true } },
        refundAsked('cancel-refund', 3048, 'customer called'),
      ]));

  it('asks back only what was not refunded already', () =>
    given([...confirmed, refundAsked('r1', 1000)])
      .when(cancelPaid())
      .then([
        { type: 'OrderCancelled', data: { orderId, reason: 'customer called', at, afterPayment: true } },
        refundAsked('cancel-refund', 2048, 'customer called'),
      ]));

  it('leaves the order cancelled, its stock to be returned', () =>
    expect(
      stateOf([
        ...confirmed,
        { type: 'OrderCancelled', data: { orderId, reason: 'x', at, afterPayment: true } },
        refundAsked('cancel-refund', 3048, 'x'),
      ]),
    ).toMatchObject({ status: 'cancelled', cancelledAfterPayment: true, cancellationReason: 'x' }));

  it('stays cancelled when the refund is issued (its refunded amount shows what went back)', () =>
    expect(
      stateOf([
        ...confirmed,
        { type: 'OrderCancelled', data: { orderId, reason: 'x', at, afterPayment: true } },
        refundAsked('cancel-refund', 3048, 'x'),
        refundIssued('cancel-refund', 3048),
      ]),
    ).toMatchObject({ status: 'cancelled', refunded: 3048 }));

  it('is idempotent: cancelling a cancelled order changes nothing', () =>
    given([...confirmed, { type: 'OrderCancelled', data: { orderId, reason: 'x', at, afterPayment: true } }])
      .when(cancelPaid())
      .thenNothingHappens());

  it('refuses an order that shipped (even in part) or is still pending', () => {
    given([...confirmed, shipped('s1', [{ sku: 'MUG', quantity: 1 }])])
      .when(cancelPaid())
      .thenFails('OrderNotCancellable');
    given(allDelivered).when(cancelPaid()).thenFails('OrderNotCancellable');
    given(paid).when(cancelPaid()).thenFails('OrderNotCancellable');
  });

  it("keeps the customer's own cancel to pending orders", () =>
    given(confirmed)
      .when({ type: 'CancelOrder', data: { orderId, reason: 'cancelled_by_customer', at } })
      .thenFails('OrderNotPending'));
});

describe('after payment: returns', () => {
  it('takes a return of delivered units within the window', () =>
    given(allDelivered)
      .when(askReturn('ret-1', [{ sku: 'MUG', quantity: 1 }]))
      .then([returnAsked('ret-1', [{ sku: 'MUG', quantity: 1 }])]));

  it('takes delivered units of a partially shipped order', () =>
    given([...confirmed, shipped('s1', [{ sku: 'MUG', quantity: 2 }]), delivered('s1')])
      .when(askReturn('ret-1', [{ sku: 'MUG', quantity: 2 }]))
      .then([returnAsked('ret-1', [{ sku: 'MUG', quantity: 2 }])]));

  it('takes a return on the last day of the window', () =>
    given(allDelivered)
      .when(askReturn('ret-1', [{ sku: 'TEA', quantity: 1 }], '2026-04-02T09:00:00.000Z'))
      .then([returnAsked('ret-1', [{ sku: 'TEA', quantity: 1 }], '2026-04-02T09:00:00.000Z')]));

  it('is idempotent: the same return again changes nothing', () =>
    given([...allDelivered, returnAsked('ret-1', [{ sku: 'MUG', quantity: 1 }])])
      .when(askReturn('ret-1', [{ sku: 'MUG', quantity: 1 }]))
      .thenNothingHappens());

  it('refuses a return id reused for other lines', () =>
    given([...allDelivered, returnAsked('ret-1', [{ sku: 'MUG', quantity: 1 }])])
      .when(askReturn('ret-1', [{ sku: 'MUG', quantity: 2 }]))
      .thenFails('ReturnIdReused'));

  it('refuses units that were not delivered (shipped but on their way, or never shipped)', () => {
    given(allShipped)
      .when(askReturn('ret-1', [{ sku: 'MUG', quantity: 1 }]))
      .thenFails('ReturnExceedsDelivered');
    given([...confirmed, shipped('s1', [{ sku: 'MUG', quantity: 2 }]), delivered('s1')])
      .when(askReturn('ret-1', [{ sku: 'TEA', quantity: 1 }]))
      .thenFails('ReturnExceedsDelivered');
  });

  it('refuses more than was delivered and not asked back already', () => {
    given(allDelivered)
      .when(askReturn('ret-1', [{ sku: 'MUG', quantity: 3 }]))
      .thenFails('ReturnExceedsDelivered');
    given([...allDelivered, returnAsked('ret-1', [{ sku: 'MUG', quantity: 2 }])])
      .when(askReturn('ret-2', [{ sku: 'MUG', quantity: 1 }]))
      .thenFails('ReturnExceedsDelivered');
  });

  it('frees the units a received return did not bring back', () =>
    given([
      ...allDelivered,
      returnAsked('ret-1', [{ sku: 'MUG', quantity: 2 }]),
      received('ret-1', [{ sku: 'MUG', quantity: 1, restock: true }]),
    ])
      .when(askReturn('ret-2', [{ sku: 'MUG', quantity: 1 }], day(13)))
      .then([returnAsked('ret-2', [{ sku: 'MUG', quantity: 1 }], day(13))]));

  it('refuses a return after the window closed (422 over HTTP)', () =>
    given(allDelivered)
      .when(askReturn('ret-1', [{ sku: 'MUG', quantity: 1 }], '2026-04-02T09:00:01.000Z'))
      .thenFails('ReturnWindowClosed'));

  it('measures the window from the delivery of the shipment the units came in', () => {
    const late = [
      ...confirmed,
      shipped('s1', [{ sku: 'MUG', quantity: 1 }]),
      delivered('s1', day(3)),
      shipped('s2', [
        { sku: 'MUG', quantity: 1 },
        { sku: 'TEA', quantity: 1 },
      ]),
      delivered('s2', day(20)),
    ];
    const after = '2026-04-10T09:00:00.000Z'; // 38 days after s1, 21 after s2
    given(late)
      .when(askReturn('ret-1', [{ sku: 'MUG', quantity: 1 }], after))
      .then([returnAsked('ret-1', [{ sku: 'MUG', quantity: 1 }], after)]);
    given(late)
      .when(askReturn('ret-1', [{ sku: 'MUG', quantity: 2 }], after))
      .thenFails('ReturnWindowClosed');
  });

  it('takes the window length from the command (configuration), not from the domain', () =>
    given(allDelivered)
      .when(askReturn('ret-1', [{ sku: 'MUG', quantity: 1 }], day(10), 5))
      .thenFails('ReturnWindowClosed'));

  it('refuses an order that has not shipped, was cancelled, or was refunded in full', () => {
    given(confirmed)
      .when(askReturn('ret-1', [{ sku: 'MUG', quantity: 1 }]))
      .thenFails('OrderNotReturnable');
    given([placed, { type: 'OrderCancelled', data: { orderId, reason: 'out_of_stock', at } }])
      .when(askReturn('ret-1', [{ sku: 'MUG', quantity: 1 }]))
      .thenFails('OrderNotReturnable');
    given([...allDelivered, refundAsked('r1', 3048), refundIssued('r1', 3048)])
      .when(askReturn('ret-1', [{ sku: 'MUG', quantity: 1 }]))
      .thenFails('OrderNotReturnable');
  });

  it('refuses a SKU the order does not have, a SKU twice, and a blank reason', () => {
    given(allDelivered)
      .when(askReturn('ret-1', [{ sku: 'KETTLE', quantity: 1 }]))
      .thenFails('UnknownOrderLine');
    given(allDelivered)
      .when(
        askReturn('ret-1', [
          { sku: 'MUG', quantity: 1 },
          { sku: 'MUG', quantity: 1 },
        ]),
      )
      .thenFails('InvalidCommandData');
    given(allDelivered)
      .when({
        type: 'RequestReturn',
        data: {
          orderId,
          returnId: 'r',
          lines: [{ sku: 'MUG', quantity: 1 }],
          reason: '',
          at,
          windowDays: 30,
        },
      })
      .thenFails('InvalidCommandData');
  });
});

describe('after payment: receiving a return', () => {
  const asked = [
    ...allDelivered,
    returnAsked('ret-1', [
      { sku: 'MUG', quantity: 2 },
      { sku: 'TEA', quantity: 1 },
    ]),
  ];

  it('receives line by line and asks back the price paid for what arrived, in one decision', () =>
    given(asked)
      .when(
        receive('ret-1', [
          { sku: 'TEA', quantity: 1, restock: false },
          { sku: 'MUG', quantity: 2, restock: true },
        ]),
      )
      .then([
        received('ret-1', [
          { sku: 'MUG', quantity: 2, restock: true },
          { sku: 'TEA', quantity: 1, restock: false },
        ]),
        {
          type: 'RefundRequested',
          data: { orderId, refundId: 'ret-1-refund', amount: eur(3048), reason: 'return ret-1', at: day(12) },
        },
      ]));

  it('refunds only the units that arrived', () =>
    given(asked)
      .when(receive('ret-1', [{ sku: 'MUG', quantity: 1, restock: true }]))
      .then([
        received('ret-1', [{ sku: 'MUG', quantity: 1, restock: true }]),
        {
          type: 'RefundRequested',
          data: { orderId, refundId: 'ret-1-refund', amount: eur(1299), reason: 'return ret-1', at: day(12) },
        },
      ]));

  it('caps the refund at what is still refundable', () =>
    given([...asked, refundAsked('goodwill', 2000)])
      .when(receive('ret-1', [{ sku: 'MUG', quantity: 1, restock: true }]))
      .then([
        received('ret-1', [{ sku: 'MUG', quantity: 1, restock: true }]),
        {
          type: 'RefundRequested',
          data: { orderId, refundId: 'ret-1-refund', amount: eur(1048), reason: 'return ret-1', at: day(12) },
        },
      ]));

  it('shows the received units as returned', () => {
    const order = stateOf([...asked, received('ret-1', [{ sku: 'MUG', quantity: 1, restock: true }])]);
    expect(returnedUnits(order, 'MUG')).toBe(1);
    expect(returnedUnits(order, 'TEA')).toBe(0);
    expect(order.returns[0]).toMatchObject({ status: 'received', receivedAt: day(12) });
  });

  it('is idempotent: the same receipt again changes nothing', () =>
    given([...asked, received('ret-1', [{ sku: 'MUG', quantity: 2, restock: true }])])
      .when(receive('ret-1', [{ sku: 'MUG', quantity: 2, restock: true }]))
      .thenNothingHappens());

  it('refuses a second, different receipt', () =>
    given([...asked, received('ret-1', [{ sku: 'MUG', quantity: 2, restock: true }])])
      .when(receive('ret-1', [{ sku: 'MUG', quantity: 2, restock: false }]))
      .thenFails('ReturnAlreadyReceived'));

  it('refuses more than the return announced, and a SKU it did not announce', () => {
    given([...allDelivered, returnAsked('ret-1', [{ sku: 'MUG', quantity: 1 }])])
      .when(receive('ret-1', [{ sku: 'MUG', quantity: 2, restock: true }]))
      .thenFails('ReceiptExceedsReturn');
    given([...allDelivered, returnAsked('ret-1', [{ sku: 'MUG', quantity: 1 }])])
      .when(receive('ret-1', [{ sku: 'TEA', quantity: 1, restock: true }]))
      .thenFails('ReceiptExceedsReturn');
  });

  it('refuses a return the order does not have', () =>
    given(asked)
      .when(receive('ret-9', [{ sku: 'MUG', quantity: 1, restock: true }]))
      .thenFails('ReturnNotFound'));
});

describe('after payment: stock back on hand (records of the refund process)', () => {
  const cancelled: OrderEvent[] = [
    ...confirmed,
    { type: 'OrderCancelled', data: { orderId, reason: 'x', at, afterPayment: true } },
  ];
  const stockBack = (sku: string, quantity: number, returnId: string | null): OrderCommand => ({
    type: 'RecordStockReturned',
    data: { orderId, sku, quantity, returnId, at },
  });
  const stockReturned = (sku: string, quantity: number, returnId: string | null): OrderEvent => ({
    type: 'OrderStockReturned',
    data: { orderId, sku, quantity, returnId, at },
  });
  const receivedBack = [
    ...allDelivered,
    returnAsked('ret-1', [
      { sku: 'MUG', quantity: 2 },
      { sku: 'TEA', quantity: 1 },
    ]),
    received('ret-1', [
      { sku: 'MUG', quantity: 2, restock: true },
      { sku: 'TEA', quantity: 1, restock: false },
    ]),
  ];

  it("records a cancelled order's line back on hand, once", () => {
    given(cancelled)
      .when(stockBack('MUG', 2, null))
      .then([stockReturned('MUG', 2, null)]);
    given([...cancelled, stockReturned('MUG', 2, null)])
      .when(stockBack('MUG', 2, null))
      .thenNothingHappens();
  });

  it('records restocked units of a received return, once', () => {
    given(receivedBack)
      .when(stockBack('MUG', 2, 'ret-1'))
      .then([stockReturned('MUG', 2, 'ret-1')]);
    given([...receivedBack, stockReturned('MUG', 2, 'ret-1')])
      .when(stockBack('MUG', 2, 'ret-1'))
      .thenNothingHappens();
  });

  it('refuses units that were written off, an order not cancelled after payment, and other quantities', () => {
    given(receivedBack)
      .when(stockBack('TEA', 1, 'ret-1'))
      .thenFails('StockNotHeld');
    given(confirmed)
      .when(stockBack('MUG', 2, null))
      .thenFails('StockNotHeld');
    given(cancelled)
      .when(stockBack('MUG', 1, null))
      .thenFails('LineQuantityMismatch');
    given(receivedBack)
      .when(stockBack('MUG', 1, 'ret-1'))
      .thenFails('LineQuantityMismatch');
    given(receivedBack)
      .when(stockBack('MUG', 2, 'ret-9'))
      .thenFails('ReturnNotFound');
  });
});

describe('after payment: refunds', () => {
  it('asks for part of what was paid', () =>
    given(allDelivered)
      .when(askRefund('r1', 1000))
      .then([refundAsked('r1', 1000)]));

  it('asks for the rest, up to exactly what was paid', () =>
    given([...allDelivered, refundAsked('r1', 1000)])
      .when(askRefund('r2', 2048))
      .then([refundAsked('r2', 2048)]));

  it('refuses more than was paid minus what was asked back already (409 over HTTP)', () => {
    given(allDelivered).when(askRefund('r1', 3049)).thenFails('RefundExceedsPaid');
    given([...allDelivered, refundAsked('r1', 1000)])
      .when(askRefund('r2', 2049))
      .thenFails('RefundExceedsPaid');
    given([...allDelivered, refundAsked('r1', 1000), refundIssued('r1', 1000)])
      .when(askRefund('r2', 2049))
      .thenFails('RefundExceedsPaid');
  });

  it('frees the amount of a rejected refund', () =>
    given([
      ...allDelivered,
      refundAsked('r1', 3048),
      { type: 'RefundFailed', data: { orderId, refundId: 'r1', reason: 'refused', retryable: false, at } },
    ])
      .when(askRefund('r2', 3048))
      .then([refundAsked('r2', 3048)]));

  it('keeps counting the amount of a refund that failed but is retried', () =>
    given([
      ...allDelivered,
      refundAsked('r1', 3048),
      {
        type: 'RefundFailed',
        data: { orderId, refundId: 'r1', reason: 'gateway_timeout', retryable: true, at },
      },
    ])
      .when(askRefund('r2', 1))
      .thenFails('RefundExceedsPaid'));

  it('is idempotent: the same refund again changes nothing; its id with another amount is refused', () => {
    given([...allDelivered, refundAsked('r1', 1000)])
      .when(askRefund('r1', 1000))
      .thenNothingHappens();
    given([...allDelivered, refundAsked('r1', 1000)])
      .when(askRefund('r1', 1001))
      .thenFails('RefundIdReused');
  });

  it('refuses another currency, a zero amount, and an order not paid or cancelled', () => {
    given(allDelivered)
      .when({
        type: 'RequestRefund',
        data: { orderId, refundId: 'r1', amount: { amount: 100, currency: 'USD' }, reason: 'x', at },
      })
      .thenFails('CurrencyMismatch');
    given(allDelivered).when(askRefund('r1', 0)).thenFails('InvalidCommandData');
    given(paid).when(askRefund('r1', 100)).thenFails('OrderNotRefundable');
    given([...confirmed, { type: 'OrderCancelled', data: { orderId, reason: 'x', at, afterPayment: true } }])
      .when(askRefund('r1', 100))
      .thenFails('OrderNotRefundable');
  });

  it('records a refund issued: the order is refunded once all that was paid went back', () => {
    given([...allDelivered, refundAsked('r1', 3048)])
      .when(issue('r1'))
      .then([refundIssued('r1', 3048)]);
    expect(stateOf([...allDelivered, refundAsked('r1', 3048), refundIssued('r1', 3048)])).toMatchObject({
      status: 'refunded',
      refunded: 3048,
      refunds: [{ refundId: 'r1', status: 'issued', amount: eur(3048) }],
    });
  });

  it('keeps a shipped or delivered order as it is after a partial refund', () => {
    expect(stateOf([...allDelivered, refundAsked('r1', 1000), refundIssued('r1', 1000)])).toMatchObject({
      status: 'delivered',
      refunded: 1000,
    });
    expect(stateOf([...allShipped, refundAsked('r1', 1000), refundIssued('r1', 1000)]).status).toBe(
      'shipped',
    );
  });

  it('is refunded when the parts add up to all that was paid', () =>
    expect(
      stateOf([
        ...allShipped,
        refundAsked('r1', 1000),
        refundAsked('r2', 2048),
        refundIssued('r2', 2048),
        refundIssued('r1', 1000),
      ]).status,
    ).toBe('refunded'));

  it('is idempotent: an issued refund issued again changes nothing', () =>
    given([...allDelivered, refundAsked('r1', 3048), refundIssued('r1', 3048)])
      .when(issue('r1'))
      .thenNothingHappens());

  it('records a failure to retry, and a rejection; both are visible on the order', () => {
    given([...allDelivered, refundAsked('r1', 1000)])
      .when(fail('r1', true))
      .then([
        {
          type: 'RefundFailed',
          data: { orderId, refundId: 'r1', reason: 'gateway_timeout', retryable: true, at },
        },
      ]);
    const failing = stateOf([
      ...allDelivered,
      refundAsked('r1', 1000),
      {
        type: 'RefundFailed',
        data: { orderId, refundId: 'r1', reason: 'gateway_timeout', retryable: true, at },
      },
    ]);
    expect(failing.refunds[0]).toMatchObject({ status: 'failed', failureReason: 'gateway_timeout' });
    const rejected = stateOf([
      ...allDelivered,
      refundAsked('r1', 1000),
      { type: 'RefundFailed', data: { orderId, refundId: 'r1', reason: 'refused', retryable: false, at } },
    ]);
    expect(rejected.refunds[0]).toMatchObject({ status: 'rejected', failureReason: 'refused' });
  });

  it('issues a refund that failed before (the retry went through)', () =>
    given([
      ...allDelivered,
      refundAsked('r1', 1000),
      {
        type: 'RefundFailed',
        data: { orderId, refundId: 'r1', reason: 'gateway_timeout', retryable: true, at },
      },
    ])
      .when(issue('r1'))
      .then([refundIssued('r1', 1000)]));

  it('records the same failure once', () =>
    given([
      ...allDelivered,
      refundAsked('r1', 1000),
      {
        type: 'RefundFailed',
        data: { orderId, refundId: 'r1', reason: 'gateway_timeout', retryable: true, at },
      },
    ])
      .when(fail('r1', true))
      .thenNothingHappens());

  it('refuses to record on a refund it does not have, or one already settled', () => {
    given(allDelivered).when(issue('r9')).thenFails('RefundNotFound');
    given(allDelivered).when(fail('r9', true)).thenFails('RefundNotFound');
    given([...allDelivered, refundAsked('r1', 1000), refundIssued('r1', 1000)])
      .when(fail('r1', true))
      .thenFails('RefundAlreadySettled');
    given([
      ...allDelivered,
      refundAsked('r1', 1000),
      { type: 'RefundFailed', data: { orderId, refundId: 'r1', reason: 'refused', retryable: false, at } },
    ])
      .when(issue('r1'))
      .thenFails('RefundAlreadySettled');
  });
});

describe('after payment: what the order shows', () => {
  it('counts shipped and returned units per line', () => {
    const order = stateOf([
      ...allDelivered,
      returnAsked('ret-1', [{ sku: 'MUG', quantity: 1 }]),
      received('ret-1', [{ sku: 'MUG', quantity: 1, restock: true }]),
    ]);
    expect(order.lines.map((l) => [l.sku, shippedUnits(order, l.sku), returnedUnits(order, l.sku)])).toEqual([
      ['MUG', 2, 1],
      ['TEA', 1, 0],
    ]);
  });
});

describe('the payment stream records each refund of an order once', () => {
  const payment = specification(paymentDecider);
  const captured: PaymentEvent[] = [
    {
      type: 'PaymentRequested',
      data: {
        orderId,
        amount: eur(3048),
        paymentMethod: 'pm_card_visa',
        idempotencyKey: 'k1',
        attempt: 1,
        at,
      },
    },
    { type: 'PaymentAuthorized', data: { orderId, gatewayRef: 'pi_1', amount: eur(3048), at } },
    { type: 'PaymentCaptured', data: { orderId, gatewayRef: 'pi_1', amount: eur(3048), at } },
  ];
  const record = (refundId: string, amount: number): PaymentCommand => ({
    type: 'RecordRefund',
    data: { orderId, amount: eur(amount), refundId, at },
  });

  it('records a refund with its id', () =>
    payment(captured)
      .when(record('r1', 1000))
      .then([{ type: 'PaymentRefunded', data: { orderId, amount: eur(1000), at, refundId: 'r1' } }]));

  it('records it once, however often the process retries', () =>
    payment([
      ...captured,
      { type: 'PaymentRefunded', data: { orderId, amount: eur(1000), at, refundId: 'r1' } },
    ])
      .when(record('r1', 1000))
      .thenNothingHappens());

  it('never records more than was captured', () =>
    payment([
      ...captured,
      { type: 'PaymentRefunded', data: { orderId, amount: eur(3000), at, refundId: 'r1' } },
    ])
      .when(record('r2', 49))
      .thenFails('RefundExceedsCapture'));

  it('still reads a refund recorded without an id', () =>
    expect(
      fold(paymentDecider, [
        ...captured,
        { type: 'PaymentRefunded', data: { orderId, amount: eur(3048), at } },
      ]),
    ).toMatchObject({ status: 'refunded', refundedAmount: 3048, refundIds: [] }));
});
