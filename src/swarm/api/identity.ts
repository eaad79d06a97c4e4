import { z } from 'zod';
import { managerAddrSchema } from './schemas.js';

/**
 * Who this node is: what the daemon keeps on disk (src/swarm/daemon/identity.ts loads and saves
 * it) and what the agent and the manager need to talk as this node. Here so that neither of them
 * imports the daemon.
 */

/** `node.json`: ids, role, addresses, known managers. */
export const nodeStateSchema = z.strictObject({
  nodeId: z.string(),
  clusterId: z.string(),
  role: z.enum(['manager', 'worker']),
  hostname: z.string(),
  advertiseAddr: z.string(),
  /** Manager API listen address host:port (raft on port + 1). Managers only. */
  listenAddr: z.string().nullable(),
  managers: z.array(managerAddrSchema),
});
export type NodeState = z.infer<typeof nodeStateSchema>;

export interface Identity {
  state: NodeState;
  keyPem: string;
  certPem: string;
  caPem: string;
  caKeyPem: string | null;
}
