import type { DnsClient, DnsNetwork, DnsRecordSet } from '../../net/dns/index.js';
import type { NodeNetworkState } from '../api/network-state.js';

/**
 * The names this node's resolver answers, derived from the node's network state (pure). Per
 * overlay: each service's name and aliases -> its VIP (`vip` mode) or its backends' addresses
 * (`dnsrr`); `tasks.<service>` -> the backends' addresses; each task's name -> its address (with
 * PTR), and each standalone container's name -> its address (with PTR). Only backends (running,
 * healthy, still wanted) appear among tasks, so a task's records are gone from every node's
 * answers as soon as it is asked to stop, before its container gets SIGTERM.
 * The three lists are src/net/dns's buildTable arguments.
 */
export interface DnsView {
  networks: DnsNetwork[];
  records: DnsRecordSet[];
  /** Every task address on this node's overlays with all the networks its task is on. */
  clients: DnsClient[];
}

export function dnsRecordsFor(state: NodeNetworkState): DnsView {
  const records: DnsView['records'] = [];
  for (const s of state.services) {
    for (const att of s.networks) {
      const backends = state.endpoints.filter((e) => e.serviceId === s.id && e.networkId === att.networkId && e.backend).map((e) => e.address);
      const vip = s.vips.find((v) => v.networkId === att.networkId)?.address;
      const target = s.mode === 'vip' && vip ? [vip] : backends;
      records.push({ name: s.name, networkId: att.networkId, addresses: target, ptr: s.mode === 'vip' });
      for (const alias of att.aliases) if (alias !== s.name) records.push({ name: alias, networkId: att.networkId, addresses: target });
      records.push({ name: `tasks.${s.name}`, networkId: att.networkId, addresses: backends });
      for (const alias of att.aliases) if (alias !== s.name) records.push({ name: `tasks.${alias}`, networkId: att.networkId, addresses: backends });
    }
  }
  // A standalone container answers by its name for as long as its node reports it.
  for (const e of state.endpoints) if (e.backend || e.kind === 'container') records.push({ name: e.taskName, networkId: e.networkId, addresses: [e.address], ptr: true });
  const byTask = new Map<string, string[]>();
  for (const e of state.endpoints) byTask.set(e.taskId, [...(byTask.get(e.taskId) ?? []), e.networkId]);
  return {
    networks: state.networks.map((n) => ({ id: n.id, subnet: n.subnet })),
    records,
    clients: state.endpoints.map((e) => ({ address: e.address, networkIds: byTask.get(e.taskId)! })),
  };
}
