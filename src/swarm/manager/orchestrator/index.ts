/** The orchestrator's pure decision core; the store-driven loop is ../orchestrator-loop.ts. */
export * from './orchestrator.js';
export * from './restart.js';
export * from './slot.js';
