/** The rolling-update core; the store-driven loop is ../updater-loop.ts. */
export * from './updater.js';
