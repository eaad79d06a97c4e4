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

function unusedModuleStub(names) {
  const filter = new RegExp(`^(${names.map((n) => n.replace(/[/.]/g, '\\$&')).join('|')})$`);
  return {
    name: 'unused-module-stub',
    setup(b) {
      b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'unused-stub' }));
      b.onLoad({ filter: /.*/, namespace: 'unused-stub' }, (args) => ({
        contents: `const fail = () => { throw new Error(${JSON.stringify(`${args.path} is not bundled: engines are reached over unix sockets or TCP`)}); };
module.exports = new Proxy({}, { get: (_t, k) => (k === '__esModule' ? false : fail) });`,
        loader: 'js',
      }));
    },
  };
}

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
  // dockerode pulls in ssh2 (ssh:// engines) and gRPC (BuildKit sessions); we use neither (unix
  // socket or TCP, classic builder), and loading them cost ~90 ms of every command's start-up.
  // They are replaced by a module that fails loudly if ever called.
  plugins: [unusedModuleStub(['ssh2', '@grpc/grpc-js', '@grpc/proto-loader', 'cpu-features'])],
  banner: {
    js: "import { createRequire as __tsCreateRequire } from 'node:module'; const require = __tsCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
