import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { ContainerRuntime } from '../../runtime/index.js';
import { DnsRedirector, DnsResolver, hostResolvers } from '../../net/dns/index.js';
import { detectLbBackend, IpvsLbBackend, NftLbProgrammer, type LbBackend, type LbBackendKind } from '../../net/lb/index.js';
import { IngressHostProgrammer, IngressReplyProgrammer } from '../../net/ingress/index.js';
import { macForIp, OverlayDataplane, overlayDeviceNames } from '../../net/overlay/index.js';
import { NetworkAgent } from './network-agent.js';
import { readUnderlay } from './underlay.js';

export interface NetworkAgentContext {
  runtime: ContainerRuntime;
  nodeId: string;
  advertiseAddr: string;
  /** Where other names are forwarded; default the nameservers of /etc/resolv.conf. */
  dnsUpstreams?: string[];
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
  // Conntrack cleanup runs after sync() has returned, so its failures come back here; the table
  // itself is programmed, only stale UDP flows to removed backends may linger until they time out.
  const onWarning = (e: Error) => c.log(`${e.message} (table programmed; stale UDP flows may linger until they time out)`);
  const lb: LbBackend = kind === 'ipvs' ? new IpvsLbBackend() : new NftLbProgrammer({ onWarning });
  const upstreams = c.dnsUpstreams ?? hostResolvers(await readFile('/etc/resolv.conf', 'utf8').catch(() => ''));
  const dns = new DnsResolver({ upstreams, log: c.log });
  const agent = new NetworkAgent({
    runtime: c.runtime,
    nodeId: c.nodeId,
    log: c.log,
    overlay: new OverlayDataplane(),
    lb,
    dns,
    dnsRedirect: new DnsRedirector(),
    ingress: new IngressHostProgrammer({ onWarning: c.log }),
    ingressReply: new IngressReplyProgrammer({ macForIp }),
    underlay: () => readUnderlay(c.advertiseAddr),
    deviceNames: overlayDeviceNames,
    macForIp,
    flushFlows,
  });
  return { agent, lb: kind };
}

const run = promisify(execFile);

/**
 * `conntrack -D` for the VXLAN port and each overlay subnet (source and destination). Exit 1
 * with "0 flow entries" means nothing matched: fine. "such conntrack doesn't exist" means an
 * entry listed for deletion expired (or was deleted) before its turn, and conntrack gives up on
 * the rest: the job is run again (seen in the network lab test: a leaving node kept three
 * VXLAN flows). Every job is tried; the failures are reported together.
 */
async function flushFlows(port: number | null, subnets: string[]): Promise<void> {
  const jobs: string[][] = port === null ? [] : [['-p', 'udp', '--dport', String(port)], ['-p', 'udp', '--sport', String(port)]];
  for (const s of subnets) {
    const [addr, bits] = s.split('/');
    const mask = maskOf(Number(bits));
    jobs.push(['-s', addr!, '--mask-src', mask], ['-d', addr!, '--mask-dst', mask]);
  }
  const failed: string[] = [];
  for (const j of jobs) {
    for (let attempt = 1; ; attempt++) {
      const err = await run('conntrack', ['-D', ...j], { timeout: 5000 }).then(
        () => null,
        (e: Error & { code?: number; stderr?: string }) => (e.code === 1 && /0 flow entries/.test(e.stderr ?? '') ? null : (e.stderr ?? e.message).trim()),
      );
      if (err === null) break;
      if (attempt < 3 && /such conntrack doesn't exist/.test(err)) continue;
      failed.push(`conntrack -D ${j.join(' ')}: ${err}`);
      break;
    }
  }
  if (failed.length > 0) throw new Error(failed.join('; '));
}

function maskOf(bits: number): string {
  const m = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return [24, 16, 8, 0].map((s) => (m >>> s) & 255).join('.');
}
