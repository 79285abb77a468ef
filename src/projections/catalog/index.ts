export { catalogProjection } from './projection.ts';
export * from './queries.ts';
