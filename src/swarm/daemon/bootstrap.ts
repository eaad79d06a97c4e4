import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import {
  DEFAULT_NODE_VALIDITY_MS,
  RootCA,
  certificateDigest,
  certificateDigestBase36,
  createNodeKeyAndCsr,
  generateNodeId,
  isJoinTokenError,
  makeJoinTokens,
  parseJoinToken,
  verifyCAAgainstToken,
} from '../ca/index.js';
import { DEFAULT_CLUSTER_NETWORKING, type ClusterNetworking, type ObjectBody } from '../store/index.js';
import { apiRequest } from '../api/client.js';
import { ApiError } from '../api/errors.js';
import { joinResponseSchema, type JoinResponse } from '../api/schemas.js';
import type { Identity } from '../api/identity.js';
import { defaultIngressNetwork } from '../manager/networks-api.js';
import { randomTaskId } from '../manager/loop-runner.js';

/** What `init` creates before raft exists: the CA, the first manager's identity, the cluster object and its ingress network. */
export interface InitMaterial {
  identity: Identity;
  cluster: ObjectBody<'cluster'>;
  /** Written with the cluster object, in one transaction. */
  ingress: ObjectBody<'network'>;
}

export async function createCluster(opts: {
  hostname: string;
  advertiseAddr: string;
  listenAddr: string;
  heartbeatPeriodMs: number;
  certExpiryMs?: number;
  /** Address pools for overlay subnets; checked by the caller (validatePools). */
  networking?: ClusterNetworking;
}): Promise<InitMaterial> {
  const clusterId = generateNodeId();
  const nodeId = generateNodeId();
  const { ca, keyPem: caKeyPem } = await RootCA.create({ clusterId });
  const { keyPem, csrPem } = await createNodeKeyAndCsr();
  const certExpiryMs = opts.certExpiryMs ?? DEFAULT_NODE_VALIDITY_MS;
  const certPem = await ca.issue(csrPem, { nodeId, role: 'manager', validityMs: certExpiryMs, ...(isIP(opts.advertiseAddr) ? { ipAddresses: [opts.advertiseAddr] } : {}) });
  const joinTokens = makeJoinTokens(await certificateDigest(ca.certPem), { worker: new Uint8Array(randomBytes(16)), manager: new Uint8Array(randomBytes(16)) });
  const cluster: ObjectBody<'cluster'> = {
    id: clusterId,
    spec: {
      name: 'default',
      labels: {},
      raft: { snapshotInterval: 10_000, keepOldSnapshots: 0, logEntriesForSlowFollowers: 500, heartbeatTick: 1, electionTick: 10 },
      dispatcher: { heartbeatPeriodMs: opts.heartbeatPeriodMs },
      ca: { nodeCertExpiryMs: certExpiryMs },
      orchestration: { taskHistoryRetentionLimit: 5 },
      networking: opts.networking ?? DEFAULT_CLUSTER_NETWORKING,
    },
    // The CA key stays on the managers' disks (0600) and travels to a joining manager inside its
    // mutual-TLS join answer; it is not in the replicated log (see specs/security.md).
    rootCA: { certPem: ca.certPem, key: null, certDigest: await certificateDigestBase36(ca.certPem), joinTokens },
  };
  return {
    identity: {
      state: { nodeId, clusterId, role: 'manager', hostname: opts.hostname, advertiseAddr: opts.advertiseAddr, listenAddr: opts.listenAddr, managers: [] },
      keyPem,
      certPem,
      caPem: ca.certPem,
      caKeyPem,
    },
    cluster,
    ingress: defaultIngressNetwork(randomTaskId()),
  };
}

/**
 * The joiner's half of specs/api.md "Join": pin the manager's root against the token's digest
 * before the secret leaves this process, then trade a CSR for a certificate.
 */
export async function joinCluster(opts: { token: string; remote: string; hostname: string; advertiseAddr: string; raftAddr: string }): Promise<{ answer: JoinResponse; keyPem: string }> {
  try {
    parseJoinToken(opts.token);
  } catch (e) {
    if (isJoinTokenError(e)) throw new ApiError('invalid-token', e.message, { field: 'token' });
    throw e;
  }
  const { caPem } = await apiRequest<{ caPem: string }>({ kind: 'https', addr: opts.remote, tls: { insecure: true } }, '/v1/ca');
  try {
    verifyCAAgainstToken(opts.token, await certificateDigestBase36(caPem));
  } catch (e) {
    if (isJoinTokenError(e)) throw new ApiError('invalid-token', `${e.message} (nothing was sent to ${opts.remote})`, { field: 'token' });
    throw e;
  }
  const { keyPem, csrPem } = await createNodeKeyAndCsr();
  const raw = await apiRequest<unknown>({ kind: 'https', addr: opts.remote, tls: { ca: caPem } }, '/v1/join', {
    body: { token: opts.token, csr: csrPem, hostname: opts.hostname, advertiseAddr: opts.advertiseAddr, raftAddr: opts.raftAddr },
    timeoutMs: 20_000,
  });
  const answer = joinResponseSchema.parse(raw);
  if (answer.caPem !== caPem) throw new ApiError('invalid-token', 'the manager answered with another root CA than the one the token pins', { field: 'token' });
  return { answer, keyPem };
}
