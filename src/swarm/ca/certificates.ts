/**
 * The cluster's certificate authority and node identities (swarmkit's habits):
 *
 * - one self-signed root per cluster (ECDSA P-256), subject `CN=swarm-ca, O=<cluster id>`;
 * - a node makes its own key pair and sends only a CSR (its private key never leaves it);
 * - the CA ignores the CSR's subject and writes its own: `CN=<node id>, OU=swarm-manager|swarm-worker,
 *   O=<cluster id>`, with DNS SANs `<node id>` and the OU (so a client can pin the server name
 *   `swarm-manager` to reach only managers), EKU serverAuth + clientAuth (mutual TLS both ways);
 * - node certificates are short-lived (90 days by default) and renewed at a random moment between
 *   50% and 80% of their life, so a cluster's nodes do not all renew at once.
 *
 * Clocks are parameters (`now`), so expiry and renewal are testable without waiting.
 */
import { CertError } from './errors.js';
import { crypto, EC_ALGORITHM, SIGNING_ALGORITHM, x509 } from './x509.js';
import { toBase36 } from './base36.js';

export type NodeRole = 'manager' | 'worker';

/** The OU that carries a role, as swarmkit writes it. */
export const ROLE_OU: Readonly<Record<NodeRole, string>> = { manager: 'swarm-manager', worker: 'swarm-worker' };
export const CA_COMMON_NAME = 'swarm-ca';
export const DEFAULT_NODE_VALIDITY_MS = 90 * 24 * 3600 * 1000;
export const DEFAULT_ROOT_VALIDITY_MS = 20 * 365 * 24 * 3600 * 1000;
/** notBefore is backdated this much, so a peer whose clock is slightly behind accepts a fresh cert. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

/** Node and cluster IDs go into distinguished names: keep them to characters that need no escaping. */
const ID_RE = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** What a verified certificate says about its holder. */
export interface NodeIdentity {
  nodeId: string;
  role: NodeRole;
  clusterId: string;
  notBefore: Date;
  notAfter: Date;
  serialNumber: string;
}

function checkId(kind: string, id: string): void {
  if (!ID_RE.test(id)) throw new CertError('malformed', `${kind} ${JSON.stringify(id)}: expected 1-64 characters of a-z, 0-9 and '-'`);
}

function roleOfOu(ou: string | undefined): NodeRole | undefined {
  if (ou === ROLE_OU.manager) return 'manager';
  if (ou === ROLE_OU.worker) return 'worker';
  return undefined;
}

async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** Imports a PKCS#8 PEM ECDSA P-256 private key (for signing). */
export async function importPrivateKeyPem(pem: string): Promise<CryptoKey> {
  let der: ArrayBuffer;
  try {
    const first = x509.PemConverter.decode(pem)[0];
    if (first === undefined) throw new Error('no PEM block');
    der = first;
  } catch (e) {
    throw new CertError('malformed', `private key: not a PEM PKCS#8 key (${(e as Error).message})`);
  }
  try {
    return await crypto.subtle.importKey('pkcs8', der, EC_ALGORITHM, false, ['sign']);
  } catch (e) {
    throw new CertError('bad-key', `private key: not an ECDSA P-256 key (${(e as Error).message})`);
  }
}

function parseCertificates(pem: string | readonly string[], what: string): x509.X509Certificate[] {
  const text = typeof pem === 'string' ? pem : pem.join('\n');
  try {
    // One X509Certificate per PEM block (a chain is several blocks, leaf first).
    const blocks = x509.PemConverter.decode(text);
    if (blocks.length === 0) throw new Error('no certificate in the PEM text');
    return blocks.map((der) => new x509.X509Certificate(der));
  } catch (e) {
    throw new CertError('malformed', `${what}: not a PEM certificate (${(e as Error).message})`);
  }
}

/** SHA-256 of a certificate's DER. Join tokens pin the root CA by this digest. */
export async function certificateDigest(certPem: string): Promise<Uint8Array> {
  const [cert] = parseCertificates(certPem, 'CA certificate');
  return new Uint8Array(await crypto.subtle.digest('SHA-256', cert!.rawData));
}

/** A random node ID: 25 base36 characters from 128 random bits (swarmkit's shape). */
export function generateNodeId(random: Uint8Array = crypto.getRandomValues(new Uint8Array(16))): string {
  if (random.length !== 16) throw new Error('generateNodeId needs 16 random bytes');
  return toBase36(random, 25);
}

/** A node's key pair and the CSR it sends to a manager. Keep `keyPem` on the node (mode 0600). */
export interface NodeKeyAndCsr {
  keyPem: string;
  csrPem: string;
}

/**
 * Makes a fresh P-256 key pair and a CSR signed with it (proof of possession). The subject is a
 * placeholder: the CA decides the node's identity, never the requester.
 */
export async function createNodeKeyAndCsr(): Promise<NodeKeyAndCsr> {
  const keys = await crypto.subtle.generateKey(EC_ALGORITHM, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=swarm-node-request', keys, signingAlgorithm: SIGNING_ALGORITHM });
  return { keyPem: await exportPrivateKeyPem(keys.privateKey), csrPem: csr.toString('pem') };
}

export interface CreateRootOptions {
  clusterId: string;
  now?: Date;
  validityMs?: number;
}

export interface IssueOptions {
  nodeId: string;
  role: NodeRole;
  now?: Date;
  /** Default {@link DEFAULT_NODE_VALIDITY_MS}; never beyond the root's own expiry. */
  validityMs?: number;
  /**
   * IP subjectAltNames (the node's advertised addresses). Why: raft's transport dials peers by IP
   * and Node's TLS checks the server's IP against the certificate's IP SANs.
   */
  ipAddresses?: readonly string[];
}

/**
 * The cluster root CA. Managers hold one with its signing key; everyone else holds only `certPem`
 * (see {@link verifyNodeCertificate}).
 */
export class RootCA {
  readonly clusterId: string;
  readonly certPem: string;
  readonly #cert: x509.X509Certificate;
  readonly #key: CryptoKey;

  private constructor(clusterId: string, cert: x509.X509Certificate, key: CryptoKey) {
    this.clusterId = clusterId;
    this.#cert = cert;
    this.#key = key;
    this.certPem = cert.toString('pem');
  }

  /** Makes a new root for a new cluster. Returns the CA and its key PEM (write it with mode 0600). */
  static async create(opts: CreateRootOptions): Promise<{ ca: RootCA; keyPem: string }> {
    checkId('cluster id', opts.clusterId);
    const now = opts.now ?? new Date();
    const keys = await crypto.subtle.generateKey(EC_ALGORITHM, true, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: `CN=${CA_COMMON_NAME}, O=${opts.clusterId}`,
      notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
      notAfter: new Date(now.getTime() + (opts.validityMs ?? DEFAULT_ROOT_VALIDITY_MS)),
      keys,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const keyPem = await exportPrivateKeyPem(keys.privateKey);
    // Re-import as non-extractable: from here on the key can sign but not be read back.
    return { ca: new RootCA(opts.clusterId, cert, await importPrivateKeyPem(keyPem)), keyPem };
  }

  /** Loads a root from its certificate and key (a manager restarting, or a new manager joining). */
  static async load(certPem: string, keyPem: string): Promise<RootCA> {
    const [cert] = parseCertificates(certPem, 'CA certificate');
    const clusterId = cert!.subjectName.getField('O')[0];
    if (clusterId === undefined || cert!.subjectName.getField('CN')[0] !== CA_COMMON_NAME) {
      throw new CertError('malformed', `CA certificate: subject ${cert!.subject} is not a cluster root (CN=${CA_COMMON_NAME}, O=<cluster id>)`);
    }
    const key = await importPrivateKeyPem(keyPem);
    // Prove the key belongs to the certificate before trusting ourselves with it.
    const probe = new Uint8Array(32);
    const sig = await crypto.subtle.sign(SIGNING_ALGORITHM, key, probe);
    const pub = await cert!.publicKey.export(crypto);
    if (!(await crypto.subtle.verify(SIGNING_ALGORITHM, pub, sig, probe))) {
      throw new CertError('bad-key', 'CA key does not match the CA certificate', { hint: 'load the key written together with this certificate' });
    }
    return new RootCA(clusterId, cert!, key);
  }

  get notAfter(): Date {
    return this.#cert.notAfter;
  }

  /**
   * Issues a node certificate from a CSR. Checks the CSR's signature (the requester holds the key)
   * and key type; the subject comes from `opts`, not from the CSR.
   */
  async issue(csrPem: string, opts: IssueOptions): Promise<string> {
    checkId('node id', opts.nodeId);
    const now = opts.now ?? new Date();
    if (now.getTime() > this.#cert.notAfter.getTime()) throw new CertError('expired', `CA certificate expired at ${this.#cert.notAfter.toISOString()}`, { hint: 'rotate the cluster root CA' });
    let csr: x509.Pkcs10CertificateRequest;
    try {
      csr = new x509.Pkcs10CertificateRequest(csrPem);
    } catch (e) {
      throw new CertError('malformed', `CSR: not a PEM PKCS#10 request (${(e as Error).message})`);
    }
    const alg = csr.publicKey.algorithm as EcKeyAlgorithm;
    if (alg.name !== 'ECDSA' || alg.namedCurve !== 'P-256') throw new CertError('bad-key', `CSR: key is ${alg.name}${alg.namedCurve ? ' ' + alg.namedCurve : ''}, expected ECDSA P-256`);
    if (!(await csr.verify(crypto))) throw new CertError('malformed', 'CSR: signature does not match its public key (the requester does not hold the key)');
    const notAfter = Math.min(now.getTime() + (opts.validityMs ?? DEFAULT_NODE_VALIDITY_MS), this.#cert.notAfter.getTime());
    const ou = ROLE_OU[opts.role];
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: `CN=${opts.nodeId}, OU=${ou}, O=${this.clusterId}`,
      issuer: this.#cert.subjectName,
      notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
      notAfter: new Date(notAfter),
      publicKey: csr.publicKey,
      signingKey: this.#key,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension([
          { type: 'dns', value: opts.nodeId },
          { type: 'dns', value: ou },
          ...(opts.ipAddresses ?? []).map((ip) => ({ type: 'ip' as const, value: ip })),
        ]),
        await x509.SubjectKeyIdentifierExtension.create(csr.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(this.#cert),
      ],
    });
    return cert.toString('pem');
  }
}

function randomSerial(): string {
  // 127 random bits: positive as a DER INTEGER (top bit clear), unique without a counter.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[0] = b[0]! & 0x7f;
  return Buffer.from(b).toString('hex');
}

export interface VerifyOptions {
  now?: Date;
  /** Refuse a certificate of another cluster. */
  clusterId?: string;
  /** Refuse a certificate of another role (e.g. only managers may join raft). */
  role?: NodeRole;
}

/**
 * Verifies a peer's certificate chain (leaf first, optional intermediates) against trusted roots
 * and returns who it is. Checks, in order: parse, path to a trusted root by subject and signature,
 * validity at `now` of every certificate on the path, leaf is not a CA and allows TLS client and
 * server use, subject carries a node id, a role OU and the root's cluster id, then the caller's
 * expectations. TLS itself (Node's `ca` option) checks the handshake; this is the application's
 * view of the identity, and is run again on every certificate a manager hands out or receives.
 */
export async function verifyNodeCertificate(chainPem: string | readonly string[], rootsPem: string | readonly string[], opts: VerifyOptions = {}): Promise<NodeIdentity> {
  const now = opts.now ?? new Date();
  const chain = parseCertificates(chainPem, 'peer certificate');
  const roots = parseCertificates(rootsPem, 'trusted root');
  const leaf = chain[0]!;
  const who = `certificate ${leaf.subject}`;

  // Path building: at most a few links (root -> optional intermediate -> leaf).
  const path: x509.X509Certificate[] = [leaf];
  let current = leaf;
  let root: x509.X509Certificate | undefined;
  for (let depth = 0; depth < 4 && root === undefined; depth++) {
    const issuerName = current.issuer;
    let next: x509.X509Certificate | undefined;
    for (const cand of [...roots, ...chain.slice(1)]) {
      if (cand.subject !== issuerName) continue;
      if (await current.verify({ publicKey: cand.publicKey, signatureOnly: true }, crypto)) {
        next = cand;
        break;
      }
    }
    if (next === undefined) break;
    if (roots.some((r) => r.equal(next!))) root = next;
    else {
      const bc = next.getExtension(x509.BasicConstraintsExtension);
      if (bc === null || !bc.ca) throw new CertError('untrusted', `${who}: issued by ${next.subject}, which is not a CA`);
      path.push(next);
      current = next;
    }
  }
  if (root === undefined) {
    throw new CertError('untrusted', `${who}: not issued by this cluster's root CA (issuer ${current.issuer})`, {
      hint: 'the peer belongs to another cluster, or this node holds an old root; rejoin with a current join token',
    });
  }
  path.push(root);

  for (const c of path) {
    if (now.getTime() < c.notBefore.getTime()) throw new CertError('not-yet-valid', `certificate ${c.subject}: not valid before ${c.notBefore.toISOString()} (now ${now.toISOString()})`, { hint: 'check the clocks of both nodes' });
    if (now.getTime() > c.notAfter.getTime()) throw new CertError('expired', `certificate ${c.subject}: expired at ${c.notAfter.toISOString()} (now ${now.toISOString()})`, { hint: 'the node must renew its certificate; a node offline past expiry rejoins with a join token' });
  }

  const bc = leaf.getExtension(x509.BasicConstraintsExtension);
  if (bc?.ca === true) throw new CertError('bad-usage', `${who}: is a CA certificate, not a node certificate`);
  const eku = leaf.getExtension(x509.ExtendedKeyUsageExtension);
  const usages = new Set((eku?.usages ?? []).map(String));
  if (!usages.has(x509.ExtendedKeyUsage.serverAuth) || !usages.has(x509.ExtendedKeyUsage.clientAuth)) {
    throw new CertError('bad-usage', `${who}: lacks TLS server and client usage`);
  }

  const name = leaf.subjectName;
  const nodeId = name.getField('CN')[0];
  const role = roleOfOu(name.getField('OU')[0]);
  const clusterId = name.getField('O')[0];
  if (nodeId === undefined || role === undefined || clusterId === undefined) {
    throw new CertError('malformed', `${who}: expected CN=<node id>, OU=${ROLE_OU.manager}|${ROLE_OU.worker}, O=<cluster id>`);
  }
  const rootCluster = root.subjectName.getField('O')[0];
  if (rootCluster !== undefined && rootCluster !== clusterId) throw new CertError('wrong-cluster', `${who}: names cluster ${clusterId} but its root is cluster ${rootCluster}`);
  if (opts.clusterId !== undefined && clusterId !== opts.clusterId) throw new CertError('wrong-cluster', `${who}: belongs to cluster ${clusterId}, expected ${opts.clusterId}`);
  if (opts.role !== undefined && role !== opts.role) throw new CertError('wrong-role', `${who}: node ${nodeId} is a ${role}, expected a ${opts.role}`);
  return { nodeId, role, clusterId, notBefore: leaf.notBefore, notAfter: leaf.notAfter, serialNumber: leaf.serialNumber };
}

/** Reads validity dates from a certificate without verifying it (for renewal scheduling of our own cert). */
export function certificateValidity(certPem: string): { notBefore: Date; notAfter: Date } {
  const [cert] = parseCertificates(certPem, 'certificate');
  return { notBefore: cert!.notBefore, notAfter: cert!.notAfter };
}

/** Renewal happens inside [50%, 80%] of a certificate's life (swarmkit's window). */
export interface RenewalWindow {
  start: Date;
  end: Date;
}

export function renewalWindow(validity: { notBefore: Date; notAfter: Date }, from = 0.5, to = 0.8): RenewalWindow {
  // Life counts from issuance, not from notBefore, which `issue` backdates by the clock-skew
  // allowance: otherwise a short-lived certificate (30 s) would look half-used at birth.
  const issued = Math.min(validity.notBefore.getTime() + CLOCK_SKEW_MS, validity.notAfter.getTime());
  const life = validity.notAfter.getTime() - issued;
  return { start: new Date(issued + life * from), end: new Date(issued + life * to) };
}

/**
 * When this node should renew: a point in the window chosen by `random01` (in [0, 1)), so nodes
 * spread out. Pure: the caller passes the random number and compares with its clock.
 */
export function renewalTime(validity: { notBefore: Date; notAfter: Date }, random01: number): Date {
  const w = renewalWindow(validity);
  const r = Math.min(Math.max(random01, 0), 1);
  return new Date(w.start.getTime() + (w.end.getTime() - w.start.getTime()) * r);
}

/** True once `now` is past the renewal time (or the certificate is already expired). */
export function needsRenewal(validity: { notBefore: Date; notAfter: Date }, now: Date, random01: number): boolean {
  return now.getTime() >= renewalTime(validity, random01).getTime();
}

/** Base36 form of a certificate digest, as join tokens carry it. */
export async function certificateDigestBase36(certPem: string): Promise<string> {
  return toBase36(await certificateDigest(certPem), 50);
}
