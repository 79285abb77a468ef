// Fraud velocity checks: the rules (pure) and what customers may read of their outcome. The facts the
// rules measure come from a read model (src/projections/fraud/); the decisions are order events.
export * from './disclosure.ts';
export * from './rules.ts';
