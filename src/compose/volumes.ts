/**
 * Short volume syntax `[SOURCE:]TARGET[:MODE]` -> long form. A source that looks like a path
 * (`/`, `.`, `~`) is a bind mount (created on the host when missing, as Compose does for the short
 * form); anything else names a volume; no source means an anonymous volume.
 */

export function parseVolumeSpec(spec: string): Record<string, unknown> {
  const parts = spec.split(':');
  if (spec === '' || parts.length > 3 || parts.some((p) => p === '')) throw new Error(`invalid volume "${spec}"`);
  if (parts.length === 1) return { type: 'volume', target: parts[0] };
  const [source, target, mode] = parts as [string, string, string | undefined];
  const isPath = source.startsWith('/') || source.startsWith('.') || source.startsWith('~');
  const out: Record<string, unknown> = { type: isPath ? 'bind' : 'volume', source, target };
  const bind: Record<string, unknown> = {};
  const volume: Record<string, unknown> = {};
  if (isPath) bind.create_host_path = true;
  for (const opt of mode ? mode.split(',') : []) {
    if (opt === 'ro') out.read_only = true;
    else if (opt === 'rw') out.read_only = false;
    else if (opt === 'z' || opt === 'Z') bind.selinux = opt;
    else if (['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate'].includes(opt)) bind.propagation = opt;
    else if (opt === 'nocopy') volume.nocopy = true;
    else if (['cached', 'delegated', 'consistent'].includes(opt)) out.consistency = opt;
    else throw new Error(`invalid volume mode "${opt}" in "${spec}"`);
  }
  if (Object.keys(bind).length > 0) {
    if (!isPath) throw new Error(`bind options on a named volume in "${spec}"`);
    out.bind = bind;
  }
  if (Object.keys(volume).length > 0) out.volume = volume;
  return out;
}
