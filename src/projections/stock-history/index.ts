export { stockHistoryProjection } from './projection.ts';
export { stockAsOf, type StockAt } from './queries.ts';
