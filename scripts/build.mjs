// Bundles the CLIs and the example servers into dist/ with esbuild.
// Each CLI is one CommonJS bundle (dist/<name>.cjs) started by a small ESM stub (dist/<name>.mjs)
// through cli/launcher.ts, which keeps V8's compiled code between runs: compiling the bundle was
// most of a short command's start-up (specs/benchmarks.md). Commands still load lazily: esbuild
// turns each `import()` into a function that evaluates that command's modules on first call.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { join } from 'node:path';

const TSCOMPOSE_VALUE_OPTIONS = ['-f', '--file', '-p', '--project-name', '--project-directory', '--env-file', '--profile', '--progress', '--ansi'];
const bundles = {
  tscompose: { entry: 'cli/tscompose.ts', valueOptions: TSCOMPOSE_VALUE_OPTIONS },
  // The no-op memo's check on its own: a repeated `up` that it answers loads nothing else.
  'tscompose-memo': { entry: 'cli/compose/fast-up.ts', valueOptions: TSCOMPOSE_VALUE_OPTIONS },
  tsswarm: { entry: 'cli/tsswarm.ts', valueOptions: ['-H', '--host', '--data-dir'] },
};

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

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // dockerode pulls in ssh2 (ssh:// engines) and gRPC (BuildKit sessions); we use neither (unix
  // socket or TCP, classic builder), and loading them cost ~90 ms of every command's start-up.
  // They are replaced by a module that fails loudly if ever called.
  plugins: [unusedModuleStub(['ssh2', '@grpc/grpc-js', '@grpc/proto-loader', 'cpu-features'])],
  logLevel: 'warning',
};

/** A digest of everything a bundle is built from: the no-op memo of `up` is valid for one build only. */
function sourceDigest() {
  const h = createHash('sha256');
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else h.update(`${p}\0`).update(readFileSync(p)).update('\0');
    }
  };
  walk('src');
  walk('cli');
  for (const f of ['package.json', 'package-lock.json', 'scripts/build.mjs']) if (existsSync(f)) h.update(readFileSync(f));
  return h.digest('hex').slice(0, 16);
}

/**
 * Every file of dist/ is written whole under a temporary name, then renamed into place: tests build
 * while other tests run the CLIs, and a bundle read half-written (or before its shebang was
 * stripped: a syntax error at line 1 inside the launcher's wrapper) crashed a command.
 */
function writeAtomic(file, contents, mode) {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, contents, mode === undefined ? undefined : { mode });
  renameSync(tmp, file);
}

/** esbuild's outputs (built with write: false), each through `transform`, written atomically. */
function emit(result, transform = (_path, text) => text) {
  const out = {};
  for (const f of result.outputFiles) {
    const text = transform(f.path, Buffer.from(f.contents).toString('latin1'));
    writeAtomic(f.path, Buffer.from(text, 'latin1'));
    out[f.path] = text;
  }
  return out;
}

// Chunks of the former split ESM build must not linger next to the new files. dist/ itself stays:
// a running tsswarm daemon starts itself again from it.
rmSync('dist/chunks', { recursive: true, force: true });

// The launcher wraps each bundle in a function: a shebang there would be a syntax error.
const bundleTexts = emit(await build({
  ...common,
  write: false,
  entryPoints: Object.fromEntries(Object.entries(bundles).map(([name, c]) => [name, c.entry])),
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  // `import()` of our own modules becomes a lazy init call; of node builtins, a require.
  supported: { 'dynamic-import': false },
  define: { __TSCOMPOSE_BUILD__: JSON.stringify(sourceDigest()) },
  // Less source to read and hash; names stay readable in stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
}), (path, text) => (path.endsWith('.cjs') ? text.replace(/^#![^\n]*\n/, '') : text));

// The launcher is CommonJS too: the ESM stub requires it, so node's builtins load as CommonJS and
// never build their ESM facades (node:fs's facade alone loads fs streams, ~2 ms).
emit(await build({ ...common, write: false, entryPoints: { launcher: 'cli/launcher.ts' }, outdir: 'dist', outExtension: { '.js': '.cjs' }, format: 'cjs' }));

emit(await build({
  ...common,
  write: false,
  entryPoints: existsSync('examples/raft-kv/server.ts') ? { 'raft-kv': 'examples/raft-kv/server.ts' } : {},
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  format: 'esm',
  banner: {
    js: "import { createRequire as __tsCreateRequire } from 'node:module'; const require = __tsCreateRequire(import.meta.url);",
  },
}));

const launchArgs = {};
for (const [name, c] of Object.entries(bundles)) {
  const source = Object.entries(bundleTexts).find(([path]) => path.endsWith(`/dist/${name}.cjs`))[1];
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  launchArgs[name] = `{ bundle: at('./${name}.cjs'), name: ${JSON.stringify(name.replace(/-.*/, ''))}, hash: ${JSON.stringify(hash)}, valueOptions: ${JSON.stringify(c.valueOptions)} }`;
}

const stub = (body) => `#!/usr/bin/env node
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const { launch } = require('./launcher.cjs');
const { fileURLToPath } = require('node:url');
const at = (f) => fileURLToPath(new URL(f, import.meta.url));
${body}
`;
writeAtomic(
  'dist/tscompose.mjs',
  // The memo bundle's code cache is written only after it answered: a cache written after a miss
  // would lack everything an answer runs.
  stub(`const memo = async () => {
  const m = launch({ ...${launchArgs['tscompose-memo']}, saveAtExit: false });
  const hit = await m.exports.fastNoopUp().catch(() => false);
  if (hit && !m.cacheUsed) m.saveCache();
  return hit;
};
if (!(process.argv.includes('up') && (await memo()))) launch(${launchArgs.tscompose});`),
  0o755,
);
writeAtomic('dist/tsswarm.mjs', stub(`launch(${launchArgs.tsswarm});`), 0o755);
