/** depends_on gating core; the scheduler loop applies it before placing tasks. */
export * from './gating.js';
