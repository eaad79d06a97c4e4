/**
 * The one place that loads @peculiar/x509. It resolves its ASN.1 providers through tsyringe, which
 * needs a Reflect metadata polyfill loaded *before* it (ESM evaluates imports in order), and it
 * must use Node's own WebCrypto so keys never pass through anything else.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
/** Node's WebCrypto, typed as the DOM `Crypto` the library expects. */
export const crypto = webcrypto as unknown as Crypto;
export const EC_ALGORITHM: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
export const SIGNING_ALGORITHM: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
