/**
 * A network namespace of the test's own, joined to the root namespace by a veth pair on a /30,
 * for servers that must sit on a non-loopback address (the engine treats 127.0.0.0/8 specially).
 * `remove()` deletes the namespace (which takes the veth pair with it) and is idempotent; a
 * namespace or host-side link of the same name left by a crashed run is removed first.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface VethNamespaceOptions {
  /** Namespace name (/var/run/netns/NAME). */
  name: string;
  /** The veth end in the root namespace (at most 15 characters). */
  hostIf: string;
  /** `10.199.250.1/30`: the root side's address. */
  hostCidr: string;
  /** `10.199.250.2/30`: the namespace side's address (its interface is `eth0`). */
  nsCidr: string;
}

export interface VethNamespace {
  name: string;
  /** The namespace's address, without the prefix length. */
  address: string;
  remove(): void;
}

const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

function removeQuietly(name: string, hostIf: string): void {
  if (existsSync(`/var/run/netns/${name}`)) ip('netns', 'del', name);
  // Deleting the namespace destroys the pair, but the host end can linger for a moment.
  try {
    if (existsSync(`/sys/class/net/${hostIf}`)) ip('link', 'del', hostIf);
  } catch (e) {
    if (existsSync(`/sys/class/net/${hostIf}`)) throw e;
  }
}

export function createVethNamespace(o: VethNamespaceOptions): VethNamespace {
  removeQuietly(o.name, o.hostIf);
  const peer = `${o.hostIf.slice(0, 13)}p`;
  try {
    ip('netns', 'add', o.name);
    ip('link', 'add', o.hostIf, 'type', 'veth', 'peer', 'name', peer);
    ip('link', 'set', peer, 'netns', o.name);
    ip('-n', o.name, 'link', 'set', peer, 'name', 'eth0');
    ip('addr', 'add', o.hostCidr, 'dev', o.hostIf);
    ip('link', 'set', o.hostIf, 'up');
    ip('-n', o.name, 'addr', 'add', o.nsCidr, 'dev', 'eth0');
    ip('-n', o.name, 'link', 'set', 'eth0', 'up');
    ip('-n', o.name, 'link', 'set', 'lo', 'up');
  } catch (e) {
    removeQuietly(o.name, o.hostIf);
    throw e;
  }
  let removed = false;
  return {
    name: o.name,
    address: o.nsCidr.split('/')[0]!,
    remove: () => {
      if (removed) return;
      removed = true;
      removeQuietly(o.name, o.hostIf);
    },
  };
}
