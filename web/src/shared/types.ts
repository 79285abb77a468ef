/** The shapes of the HTTP API's answers (../shared/API.md), as the pages use them. */

export type Money = Readonly<{ amount: number; currency: string }>;
export type Attributes = Readonly<Record<string, string | number | boolean>>;

export type ProductSummary = Readonly<{
  sku: string;
  title: string;
  price: Money;
  brand: string;
  category: string;
  attributes: Attributes;
  available: number;
}>;
export type Product = ProductSummary & Readonly<{ description: string; updatedAt: string }>;

export type FacetCount = Readonly<{ value: string; count: number }>;
export type CatalogPage = Readonly<{
  items: readonly ProductSummary[];
  total: number;
  page: number;
  pageSize: number;
  facets: Readonly<{
    category: readonly FacetCount[];
    brand: readonly FacetCount[];
    price: readonly Readonly<{ from: number; to: number | null; count: number }>[];
  }>;
}>;

export type Role = 'customer' | 'admin' | 'auditor';
export type User = Readonly<{ userId: string; email: string; role: Role }>;
export type LoginAnswer = Readonly<{ token: string; refreshToken: string; expiresIn: number; user: User }>;

export type CartLine = Readonly<{ sku: string; quantity: number; unitPrice: Money; lineTotal: Money }>;
export type Cart = Readonly<{ cartId: string | null; items: readonly CartLine[]; total: Money }>;

export type OrderStatus =
  | 'pending'
  | 'review'
  | 'confirmed'
  | 'partially_shipped'
  | 'shipped'
  | 'delivered'
  | 'cancelled'
  | 'refunded';

export type OrderLine = Readonly<{
  sku: string;
  quantity: number;
  unitPrice: Money;
  shipped?: number;
  returned?: number;
}>;
export type Shipment = Readonly<{
  shipmentId: string;
  lines: readonly Readonly<{ sku: string; quantity: number }>[];
  carrier: string;
  trackingNumber: string;
  shippedAt: string;
  deliveredAt?: string;
}>;
export type ReturnSummary = Readonly<{
  returnId: string;
  status: string;
  lines: readonly Readonly<{ sku: string; quantity: number }>[];
  reason: string;
}>;
export type RefundSummary = Readonly<{ refundId: string; amount: Money; status: string; reason: string }>;
export type TimelineEntry = Readonly<{ event: string; status: string; at: string } & Record<string, unknown>>;

export type Order = Readonly<{
  orderId: string;
  customerId?: string;
  status: OrderStatus;
  lines: readonly OrderLine[];
  total: Money;
  createdAt: string;
  updatedAt: string;
  reason?: string;
  shipments?: readonly Shipment[];
  returns?: readonly ReturnSummary[];
  refunds?: readonly RefundSummary[];
  refunded?: Money;
  timeline?: readonly TimelineEntry[];
}>;

export type Page<T> = Readonly<{ items: readonly T[]; total: number; page?: number; pageSize?: number }>;

export type StorefrontConfig = Readonly<{
  gateway: 'simulated' | 'stripe';
  stripePublishableKey?: string;
  paymentMethods: readonly Readonly<{ id: string; label: string; outcome?: string }>[];
  currency: string;
  returnWindowDays: number;
}>;

/** An RFC 9457 problem document, as every error of the API is. */
export type Problem = Readonly<{
  type?: string;
  title: string;
  status: number;
  detail?: string;
  /** A validation error's fields at fault: `{field: "body.password", problem: "must be at least 10 characters"}`. */
  errors?: readonly Readonly<{ field?: string; problem?: string; message?: string }>[];
  /** A domain rule's name (`QuantityUnavailable`, `CartEmpty`…) and its facts, when a rule refused. */
  code?: string;
  details?: Readonly<Record<string, unknown>>;
}>;

/** `POST /checkout`'s answer (202): the order is placed, the checkout saga takes it from there. */
export type OrderAccepted = Readonly<{ orderId: string; status: OrderStatus; statusUrl: string }>;

/** What `GET /orders/:id` adds to a return once received: the units that arrived, each restocked or not. */
export type ReturnReceipt = Readonly<{
  received?: readonly Readonly<{ sku: string; quantity: number; restock?: boolean }>[];
  requestedAt?: string;
  receivedAt?: string;
}>;
