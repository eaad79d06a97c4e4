/** The allocator's pure core (IPAM, VNIs, VIPs, task addresses, attachment ranges); the store-driven loop is ../allocator-loop.ts. */
export * from './allocator.js';
export * from './attach-range.js';
export * from '../../../net/ipam.js';
