// Builds dist/ when it is missing or older than the sources, so `npm run raft-kv` works from a
// fresh clone after `npm ci`.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

function newest(dir) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}
const marker = 'dist/tscompose.mjs';
const built = existsSync(marker) ? statSync(marker).mtimeMs : 0;
if (built < Math.max(newest('src'), newest('cli'), newest('examples'))) {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
