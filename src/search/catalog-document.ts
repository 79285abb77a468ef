import { INVENTORY_EVENT_TYPES, PRODUCT_EVENT_TYPES } from '../domain/event-types.ts';
import {
  availableToSell,
  inventoryDecider,
  noReservations,
  type InventoryEvent,
} from '../domain/inventory/index.ts';
import { productDecider, type ProductEvent, type ProductState } from '../domain/product/index.ts';
import type { RecordedEvent } from '../eventstore/event-store.ts';
import type { ProductAttributes } from '../domain/product/index.ts';
import type { ProductSummary } from '../projections/catalog/types.ts';

/**
 * What a search engine keeps of one SKU: its product and its stock, folded from the SKU's product and
 * inventory streams (Elasticsearch's documents, the embedded profile's in-process index).
 */
export type CatalogDocument = {
  sku: string;
  /** False until listed, and once delisted: such documents are kept (for their revisions), never found. */
  listed: boolean;
  title?: string;
  description?: string;
  brand?: string;
  category?: string;
  attributes?: ProductAttributes;
  /** Minor units of `currency`. */
  price?: number;
  currency?: string;
  /** The first listing: a product listed again keeps its place among the newest. */
  listedAt?: string;
  updatedAt?: string;
  onHand: number;
  reserved: number;
  available: number;
  /** How many events of `product-<sku>` and of `inventory-<sku>` this document holds. */
  productRevision: number;
  stockRevision: number;
};

export const PRODUCT_TYPES: ReadonlySet<string> = new Set(PRODUCT_EVENT_TYPES);
/** The event types a catalog document is folded from. */
export const CATALOG_EVENT_TYPES: ReadonlySet<string> = new Set([
  ...PRODUCT_EVENT_TYPES,
  ...INVENTORY_EVENT_TYPES,
]);

/** Only the deciders write these event types, so each one's data has the shape its type declares. */
export type CatalogEvent = RecordedEvent & (ProductEvent | InventoryEvent);

export const emptyDocument = (sku: string): CatalogDocument => ({
  sku,
  listed: false,
  onHand: 0,
  reserved: 0,
  available: 0,
  productRevision: 0,
  stockRevision: 0,
});

const productStateOf = (doc: CatalogDocument): ProductState =>
  doc.listedAt === undefined
    ? { status: 'unlisted' }
    : {
        status: doc.listed ? 'listed' : 'delisted',
        sku: doc.sku,
        title: doc.title!,
        description: doc.description!,
        brand: doc.brand!,
        category: doc.category!,
        attributes: doc.attributes ?? {},
        price: { amount: doc.price!, currency: doc.currency! },
        listedAt: doc.listedAt,
        updatedAt: doc.updatedAt!,
      };

/** Folds one event of either stream into the document, with the domain's own `evolve`. */
export function evolveDocument(doc: CatalogDocument, event: CatalogEvent): CatalogDocument {
  if (PRODUCT_TYPES.has(event.type)) {
    const product = productDecider.evolve(productStateOf(doc), event as ProductEvent);
    const revision = { productRevision: event.streamVersion };
    if (product.status === 'unlisted') return { ...doc, ...revision };
    const { status, price, listedAt, ...details } = product;
    return {
      ...doc,
      ...details,
      ...revision,
      listed: status === 'listed',
      price: price.amount,
      currency: price.currency,
      // As the SQL catalog: a product listed again keeps its first listing time.
      listedAt: doc.listedAt ?? listedAt,
    };
  }
  // Only on hand and reserved matter here: ended reservations are not kept.
  const stock = inventoryDecider.evolve(
    { sku: doc.sku, onHand: doc.onHand, reserved: doc.reserved, reservations: noReservations },
    event as InventoryEvent,
  );
  return {
    ...doc,
    onHand: stock.onHand,
    reserved: stock.reserved,
    available: availableToSell(stock),
    stockRevision: event.streamVersion,
  };
}

/** How a listed document shows in a listing page. */
export const summaryOf = (doc: CatalogDocument): ProductSummary => ({
  sku: doc.sku,
  title: doc.title!,
  price: { amount: doc.price!, currency: doc.currency! },
  brand: doc.brand!,
  category: doc.category!,
  attributes: doc.attributes ?? {},
  available: doc.available,
});
