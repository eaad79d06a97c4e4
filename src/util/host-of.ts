/**
 * The host part of `HOST`, `HOST:PORT` or `[V6]:PORT` (a node's advertise address may carry the
 * API port or not). A bare IPv6 address, with several colons, is returned as is.
 */
export function hostOf(addr: string): string {
  if (addr.startsWith('[')) return addr.slice(1, addr.indexOf(']'));
  const i = addr.lastIndexOf(':');
  return i > 0 && addr.indexOf(':') === i ? addr.slice(0, i) : addr;
}
