import { readFile } from 'node:fs/promises';
import type { ContainerRuntime } from '../../runtime/index.js';
import { DnsResolver, hostResolvers } from '../../net/dns/index.js';
import { detectLbBackend, IpvsLbBackend, NftLbProgrammer, type LbBackend, type LbBackendKind } from '../../net/lb/index.js';
import { macForIp, OverlayDataplane, overlayDeviceNames } from '../../net/overlay/index.js';
import { NetworkAgent } from './network-agent.js';
import { readUnderlay } from './underlay.js';

export interface NetworkAgentContext {
  runtime: ContainerRuntime;
  nodeId: string;
  advertiseAddr: string;
  log: (msg: string) => void;
}

/** A node's networking as the daemon runs it, and which load-balancing backend the kernel gave. */
export interface NodeNetworking {
  agent: NetworkAgent;
  lb: LbBackendKind;
}

/**
 * The real dataplane of this host (src/net): VXLAN devices, the VIP programmer the kernel
 * supports (IPVS where it exists, nftables otherwise: detected once at start and shown by
 * `tsswarm info`), and the resolver, forwarding what is not ours to the host's nameservers.
 */
export async function realNodeNetworking(c: NetworkAgentContext): Promise<NodeNetworking> {
  const kind = await detectLbBackend();
  const lb: LbBackend = kind === 'ipvs' ? new IpvsLbBackend() : new NftLbProgrammer();
  const resolvConf = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  const dns = new DnsResolver({ upstreams: hostResolvers(resolvConf), log: c.log });
  const agent = new NetworkAgent({
    runtime: c.runtime,
    nodeId: c.nodeId,
    log: c.log,
    overlay: new OverlayDataplane(),
    lb,
    dns,
    underlay: () => readUnderlay(c.advertiseAddr),
    deviceNames: overlayDeviceNames,
    macForIp,
  });
  return { agent, lb: kind };
}
