/**
 * Cluster PKI: the root CA, node certificates issued from CSRs, peer verification, renewal timing,
 * private key files, and join tokens. See specs/security.md.
 */
export * from './certificates.js';
export * from './join-token.js';
export * from './key-file.js';
export * from './errors.js';
