// Bundles the CLIs and the example servers into dist/ with esbuild.
// Bundling keeps `tscompose --version` fast: one file to load, and commands are split into
// chunks that load only when that command runs.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const entryPoints = {
  tscompose: 'cli/tscompose.ts',
  tsswarm: 'cli/tsswarm.ts',
};
if (existsSync('examples/raft-kv/server.ts')) entryPoints['raft-kv'] = 'examples/raft-kv/server.ts';

await build({
  entryPoints,
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  // Native optional addons of ssh2 (pulled in by dockerode) are never used: we talk to the engine
  // over a unix socket or TCP.
  external: ['cpu-features', 'ssh2'],
  banner: {
    js: "import { createRequire as __tsCreateRequire } from 'node:module'; const require = __tsCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
