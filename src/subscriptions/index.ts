// Following the global log from a checkpoint: what read models (projections/) and process managers
// (sagas/) are built on. Gathering, fencing against rebuilds, lag and rebuilds live here, once.
export * from './checkpoints.ts';
export * from './follow.ts';
export * from './operations.ts';
export * from './rebuild.ts';
