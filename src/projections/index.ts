import type { SqlProjection } from './runtime.ts';

/** Every PostgreSQL/PGlite read model the platform keeps up to date (each in a folder of its own). */
export const sqlProjections: readonly SqlProjection[] = [];
