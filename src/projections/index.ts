import type { SqlClient } from '../db/sql-client.ts';
import type { SqlProjection } from '../subscriptions/index.ts';
import { businessMetricsProjection } from './business/index.ts';
import { createCatalogReadModel, type CatalogReadModel } from './catalog/index.ts';
import { orderHistoryProjection } from './orders/order-history.ts';
import { stockHistoryProjection } from './stock-history/index.ts';

/** The read models kept in PostgreSQL/PGlite, each in a folder of its own. */
export type SqlReadModels = Readonly<{
  catalog: CatalogReadModel;
  /** Every one's projection, for the subscriptions layer to run. */
  projections: readonly SqlProjection[];
}>;

export function createSqlReadModels(db: SqlClient): SqlReadModels {
  const catalog = createCatalogReadModel(db);
  return {
    catalog,
    projections: [
      orderHistoryProjection,
      catalog.projection,
      businessMetricsProjection,
      stockHistoryProjection,
    ],
  };
}
