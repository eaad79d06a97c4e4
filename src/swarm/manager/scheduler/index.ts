/** The scheduler's pure decision core; the store-driven loop is ../scheduler-loop.ts. */
export * from './constraints.js';
export * from './filters.js';
export * from './scheduler.js';
