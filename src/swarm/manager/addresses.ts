/**
 * A manager's API listens on its `--listen-addr` port and raft on the next port; both are
 * advertised with the same host. One rule, so an address book of raft addresses is also one of
 * API addresses.
 */
export function splitHostPort(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  if (i <= 0) throw new Error(`address ${JSON.stringify(addr)}: expected HOST:PORT`);
  const port = Number(addr.slice(i + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`address ${JSON.stringify(addr)}: port must be 1-65535`);
  return { host: addr.slice(0, i), port };
}

export function raftAddrOf(apiAddr: string): string {
  const { host, port } = splitHostPort(apiAddr);
  return `${host}:${port + 1}`;
}

export function apiAddrOf(raftAddr: string): string {
  const { host, port } = splitHostPort(raftAddr);
  return `${host}:${port - 1}`;
}
