// Runs test/lab/cli.ts (the lab harness's command line). Node 20 cannot run TypeScript, so the
// harness is bundled with esbuild (a devDependency) into node_modules/.cache on first use and
// whenever a lab source file is newer than the bundle.
import { build } from 'esbuild';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'test/lab');
const out = join(root, 'node_modules/.cache/tslab/lab-cli.mjs');

function mtime(p) {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}
const newest = Math.max(...readdirSync(src).filter((f) => f.endsWith('.ts')).map((f) => mtime(join(src, f))));
if (mtime(out) < newest) {
  mkdirSync(dirname(out), { recursive: true });
  await build({
    entryPoints: [join(src, 'cli.ts')],
    outfile: out,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
}
await import(pathToFileURL(out).href);
