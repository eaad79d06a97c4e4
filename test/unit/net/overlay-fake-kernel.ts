/**
 * A toy kernel for planner tests: applies the planner's own commands to an observed state, the way
 * iproute2 and nft would, so a test can check that plan → apply → plan again gives nothing. It
 * understands exactly the command forms the planner emits and throws on anything else.
 */
import { FIREWALL } from '../../../src/net/overlay/firewall.js';
import type { ObservedFdbEntry, ObservedLink, ObservedNeighbour, OverlayCommand, OverlayObserved } from '../../../src/net/overlay/types.js';

function opt(argv: readonly string[], key: string): string | undefined {
  const i = argv.indexOf(key);
  return i >= 0 ? argv[i + 1] : undefined;
}

function setElems(text: string, set: string): string[] {
  const m = new RegExp(`set ${set} \\{[^}]*elements = \\{ ([^}]*) \\}`).exec(text);
  return m?.[1] === undefined ? [] : m[1].split(', ');
}

// eslint-disable-next-line complexity -- one branch per `ip`/`bridge`/`nft` verb it fakes
export function applyFake(state: OverlayObserved, commands: readonly OverlayCommand[]): OverlayObserved {
  let links: ObservedLink[] = [...state.links];
  const fdb: Record<string, ObservedFdbEntry[]> = Object.fromEntries(Object.entries(state.fdb).map(([k, v]) => [k, [...v]]));
  const neighbours: Record<string, ObservedNeighbour[]> = Object.fromEntries(Object.entries(state.neighbours).map(([k, v]) => [k, [...v]]));
  let firewall = state.firewall;
  const link = (name: string): ObservedLink => {
    const l = links.find((x) => x.name === name);
    if (l === undefined) throw new Error(`fake: Cannot find device "${name}"`);
    return l;
  };
  const update = (l: ObservedLink, f: (x: ObservedLink) => ObservedLink): void => {
    links = links.map((x) => (x === l ? f(x) : x));
  };
  for (const c of commands) {
    const a = c.argv;
    const verb = `${a[0]} ${a[1]} ${a[2]}`;
    if (verb === 'ip link add' && a.includes('macvlan')) {
      const name = a[3]!;
      if (links.some((l) => l.name === name)) throw new Error(`fake: ${name} exists`);
      const parent = opt(a.slice(4), 'link')!;
      link(parent);
      links.push({ name, kind: 'macvlan', mtu: Number(opt(a, 'mtu')), mac: opt(a.slice(4), 'address') ?? 'aa:bb:cc:00:00:01', up: false, master: undefined, vxlan: undefined, parent, macvlanMode: opt(a, 'mode'), addresses: [] });
    } else if (verb === 'ip link add') {
      const name = a[3]!;
      if (links.some((l) => l.name === name)) throw new Error(`fake: ${name} exists`);
      const vni = Number(opt(a, 'id'));
      const port = Number(opt(a, 'dstport'));
      if (links.some((l) => l.vxlan?.vni === vni && l.vxlan.port === port)) throw new Error('fake: A VXLAN device with the specified VNI already exists.');
      links.push({ name, kind: 'vxlan', mtu: Number(opt(a, 'mtu')), up: a.includes('up'), master: undefined, vxlan: { vni, port, local: opt(a, 'local'), learning: !a.includes('nolearning') }, addresses: [] });
      fdb[name] = [];
    } else if (verb === 'ip link set') {
      const l = link(a[4]!);
      const mtu = opt(a, 'mtu');
      const mac = opt(a.slice(5), 'address');
      update(l, (x) => ({ ...x, ...(mac === undefined ? {} : { mac }), mtu: mtu === undefined ? x.mtu : Number(mtu), master: a.includes('nomaster') ? undefined : x.master, up: x.up || a.includes('up') }));
    } else if (verb === 'ip link del') {
      const l = link(a[4]!);
      // Deleting a lower device deletes its macvlans, as the kernel does.
      const dead = new Set([l.name, ...links.filter((x) => x.parent === l.name).map((x) => x.name)]);
      links = links.filter((x) => !dead.has(x.name));
      for (const d of dead) {
        delete fdb[d];
        delete neighbours[d];
      }
    } else if (verb === 'ip addr replace' || verb === 'ip addr del') {
      const l = link(opt(a, 'dev')!);
      const addr = a[3]!;
      const have = l.addresses ?? [];
      if (a[2] === 'del' && !have.includes(addr)) throw new Error(`fake: no address ${addr}`);
      update(l, (x) => ({ ...x, addresses: a[2] === 'del' ? have.filter((y) => y !== addr) : [...have.filter((y) => y !== addr), addr] }));
    } else if (a[0] === 'bridge' && a[1] === 'fdb') {
      const [, , op, mac, , dev] = a as [string, string, string, string, string, string];
      link(dev);
      const dst = opt(a, 'dst');
      const list = fdb[dev] ?? [];
      if (op === 'append') {
        if (!list.some((e) => e.mac === mac && e.dst === dst)) list.push({ mac, dst: dst! });
      } else if (op === 'replace') {
        const i = list.findIndex((e) => e.mac === mac);
        if (i >= 0) list[i] = { mac, dst: dst! };
        else list.push({ mac, dst: dst! });
      } else if (op === 'del') {
        const keep = list.filter((e) => !(e.mac === mac && (dst === undefined || e.dst === dst)));
        if (keep.length === list.length) throw new Error(`fake: no fdb ${mac} ${dst ?? ''}`);
        list.splice(0, list.length, ...keep);
      } else throw new Error(`fake: bridge fdb ${op}`);
      fdb[dev] = list;
    } else if (verb.startsWith('ip neigh')) {
      const op = a[2]!;
      const ip = a[3]!;
      const dev = opt(a, 'dev')!;
      link(dev);
      const list = (neighbours[dev] ?? []).filter((n) => n.ip !== ip);
      if (op === 'replace') list.push({ ip, mac: opt(a, 'lladdr'), permanent: opt(a, 'nud') === 'permanent' });
      else if (op === 'del') {
        if (list.length === (neighbours[dev] ?? []).length) throw new Error(`fake: no neigh ${ip}`);
      } else throw new Error(`fake: ip neigh ${op}`);
      neighbours[dev] = list;
    } else if (a[0] === 'nft' && a[1] === '-f') {
      const text = c.input ?? '';
      if (text.includes(`delete table inet ${FIREWALL.table}`)) {
        firewall = { intact: true, vteps: setElems(text, FIREWALL.vtepSet), ports: setElems(text, FIREWALL.portSet).map(Number), dropped: 0 };
      } else {
        if (firewall === undefined) throw new Error('fake: no table');
        let { vteps, ports } = firewall;
        for (const line of text.trim().split('\n')) {
          const m = /^(add|delete) element inet \S+ (\S+) \{ (.*) \}$/.exec(line);
          if (m === null) throw new Error(`fake nft: ${line}`);
          const vals = m[3]!.split(', ');
          if (m[2] === FIREWALL.vtepSet) vteps = m[1] === 'add' ? [...vteps, ...vals] : vteps.filter((v) => !vals.includes(v));
          else ports = m[1] === 'add' ? [...ports, ...vals.map(Number)] : ports.filter((p) => !vals.includes(String(p)));
        }
        firewall = { ...firewall, vteps, ports };
      }
    } else if (a[0] === 'nft' && a[1] === 'delete' && a[2] === 'table') {
      firewall = undefined;
    } else throw new Error(`fake: unknown command ${a.join(' ')}`);
  }
  // What `observe` would read: fdb of existing vxlan devices, neighbours of existing shims.
  const names = new Set(links.map((l) => l.name));
  return {
    links,
    fdb: Object.fromEntries(Object.entries(fdb).filter(([k]) => names.has(k))),
    neighbours: Object.fromEntries(Object.entries(neighbours).filter(([k]) => names.has(k))),
    firewall,
  };
}
