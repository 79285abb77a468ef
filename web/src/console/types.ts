/** The shapes of the admin and auditor answers the console reads (../shared/API.md), beside shared/types.ts. */
import type { Money } from '../shared/types.ts';

export type StockLevel = Readonly<{ sku: string; onHand: number; reserved: number; available: number }>;

export type AdminOrderLine = Readonly<{
  sku: string;
  quantity: number;
  unitPrice: Money;
  lineTotal: Money;
  shipped: number;
  returned: number;
}>;

export type AdminShipment = Readonly<{
  shipmentId: string;
  lines: readonly Readonly<{ sku: string; quantity: number }>[];
  carrier: string | null;
  trackingNumber: string | null;
  shippedAt: string;
  deliveredAt?: string;
}>;

export type ReceivedLine = Readonly<{ sku: string; quantity: number; restock: boolean }>;

export type AdminReturn = Readonly<{
  returnId: string;
  status: string;
  lines: readonly Readonly<{ sku: string; quantity: number }>[];
  reason: string;
  requestedAt: string;
  received?: readonly ReceivedLine[];
  receivedAt?: string;
}>;

export type AdminRefund = Readonly<{
  refundId: string;
  amount: Money;
  status: string;
  reason: string;
  failureReason?: string;
  requestedAt: string;
  issuedAt?: string;
}>;

export type TimelineItem = Readonly<{ event: string; status: string; at: string } & Record<string, unknown>>;

/** `GET /orders/:id` and each item of `GET /admin/orders`. */
export type AdminOrder = Readonly<{
  orderId: string;
  customerId: string;
  status: string;
  lines: readonly AdminOrderLine[];
  total: Money;
  refunded: Money;
  shipments: readonly AdminShipment[];
  returns: readonly AdminReturn[];
  refunds: readonly AdminRefund[];
  createdAt: string;
  updatedAt: string;
  reason?: string;
  timeline?: readonly TimelineItem[];
}>;

export type Paged<T> = Readonly<{ items: readonly T[]; total: number; page: number; pageSize: number }>;

/** An item of `GET /admin/returns`. */
export type ReturnRecord = Readonly<{
  returnId: string;
  orderId: string;
  customerId: string;
  status: string;
  lines: readonly Readonly<{ sku: string; quantity: number }>[];
  reason: string;
  received: readonly ReceivedLine[];
  requestedAt: string;
  receivedAt?: string;
}>;

export type RebuildStatus = Readonly<{
  state: 'running' | 'succeeded' | 'failed';
  startedAt: string;
  finishedAt?: string;
  events: number;
  total: number;
  position: number;
  error?: string;
}>;

export type ProjectionRow = Readonly<{
  name: string;
  rebuildable: boolean;
  refusal?: string;
  live: boolean;
  checkpoint: Readonly<{ transactionId: string; globalPosition: number }> | null;
  lagSeconds: number;
  behind: boolean;
  rebuild?: RebuildStatus;
}>;

export type ProjectionsAnswer = Readonly<{ lagBoundMs: number; projections: readonly ProjectionRow[] }>;

export type BusinessPoint = Readonly<{
  at: string;
  placed: number;
  confirmed: number;
  cancelled: number;
  successRatio: number | null;
  cartsStarted: number;
  cartAbandonment: number | null;
  shipments: number;
  returns: number;
  refunds: number;
  refunded: number;
}>;

export type BusinessSeries = Readonly<{
  from: string;
  to: string;
  stepSeconds: number;
  series: readonly BusinessPoint[];
}>;

/** An event as `GET /streams/:streamId` and `GET /orders/:id/events` give it. */
export type RecordedEvent = Readonly<{
  eventId: string;
  streamId: string;
  type: string;
  schemaVersion: number;
  data: Readonly<Record<string, unknown>>;
  metadata: Readonly<{
    correlationId: string;
    causationId: string | null;
    actor: Readonly<{ id: string; role: string }>;
    occurredAt: string;
    traceId?: string;
  }>;
  version: number;
  position: number;
  recordedAt: string;
  prevHash: string;
  hash: string;
}>;

export type StreamPage = Readonly<{
  streamId: string;
  version: number;
  events: readonly RecordedEvent[];
  nextVersion: number | null;
}>;

export type ChainVerdict = Readonly<{ valid: boolean; events: number; brokenAt?: number; problem?: string }>;
