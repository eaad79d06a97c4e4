#!/usr/bin/env -S node --
// `node --` before the script: Node 20 reads a `--env-file FILE` anywhere in its argv (ours too) and
// dies with "node: FILE: not found" before any of our code runs (nodejs/node#54232).
// `tscompose --version` is answered before the bundle loads: it is the start-up users time first.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  const { readFileSync } = await import('node:fs');
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pkg.version}\n`);
} else {
  await import('../dist/tscompose.mjs');
}
