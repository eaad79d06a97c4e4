/**
 * Compose's log prefixes: `name | ` padded to the longest name so the bars line up, each container
 * in its own colour from a fixed rainbow (cyan, yellow, green, magenta, blue, then the bold
 * variants), handed out in order. Pure, so alignment and colours are unit-tested.
 */
const RAINBOW = ['36', '33', '32', '35', '34', '36;1', '33;1', '32;1', '35;1', '34;1'];

export function colourCode(i: number): string {
  return RAINBOW[i % RAINBOW.length]!;
}

export function paint(code: string, s: string): string {
  return `\u001b[${code}m${s}\u001b[0m`;
}

/** Prefixes for each name, in the given order (which decides the colours). */
export function logPrefixes(names: readonly string[], opts: { colour: boolean }): Map<string, string> {
  const width = Math.max(0, ...names.map((n) => n.length)) + 1;
  const out = new Map<string, string>();
  names.forEach((n, i) => {
    const p = `${n.padEnd(width)} | `;
    out.set(n, opts.colour ? paint(colourCode(i), p) : p);
  });
  return out;
}
