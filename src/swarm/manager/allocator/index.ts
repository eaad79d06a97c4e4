/** The allocator's pure core (IPAM, VNIs, VIPs, task addresses); the store-driven loop is ../allocator-loop.ts. */
export * from './allocator.js';
export * from '../../../net/ipam.js';
