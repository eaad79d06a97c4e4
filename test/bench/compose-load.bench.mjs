#!/usr/bin/env node
/**
 * Compose loader benchmark (see specs/benchmarks.md):
 *  1. in-process: loadProject() on a generated 300-service file (target <= 50 ms median);
 *  2. whole processes: `tscompose --version` and `tscompose config` beside Debian's
 *     docker-compose 1.29 (`docker-compose version`, `docker-compose config`) on the same file.
 * Prints medians and ratios; not part of the test suite. Installs docker-compose if missing.
 * Usage: npm run bench:compose [-- --runs N] [--in-process]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 15;
const WARMUP = 3;
const SERVICES = 300;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (x) => `${x.toFixed(1)} ms`;

/** A lighter file: image, one port, two variables, a dependency (6 lines per service). */
function generateLight(n) {
  const lines = ['services:'];
  for (let i = 0; i < n; i++) {
    lines.push(`  svc${i}:`, `    image: app${i % 17}:\${TAG:-1}`, `    ports: ["${10000 + i}:80"]`, `    environment: {ID: "${i}", MODE: prod}`);
    if (i > 0) lines.push(`    depends_on: [svc${i - 1}]`);
  }
  return lines.join('\n') + '\n';
}

/** A heavy file: every service has ports, volumes, env, labels, healthcheck, networks, depends_on. */
function generate(n) {
  const lines = ['services:'];
  for (let i = 0; i < n; i++) {
    lines.push(
      `  svc${i}:`,
      `    image: "registry.local/app${i % 17}:\${TAG:-1.${i % 9}}"`,
      `    command: ["/bin/app", "--id", "${i}", "--verbose"]`,
      `    ports: ["${10000 + i}:80", "127.0.0.1:${20000 + i}:443/tcp"]`,
      `    volumes: ["data${i % 10}:/var/lib/data", "./conf/${i}:/etc/app:ro"]`,
      `    environment:`,
      `      - SERVICE_ID=${i}`,
      `      - MODE=\${MODE:-production}`,
      `    labels: {tier: "t${i % 3}", idx: "${i}"}`,
      `    healthcheck:`,
      `      test: ["CMD", "true"]`,
      `      interval: 30s`,
      `      timeout: 5s`,
      `      retries: 3`,
      `    restart: unless-stopped`,
      `    networks: [front, back]`,
      `    mem_limit: 256m`,
    );
    if (i > 0) lines.push(`    depends_on: [svc${i - 1}${i > 5 ? `, svc${i - 5}` : ''}]`);
  }
  lines.push('networks:', '  front: {}', '  back: {}', 'volumes:');
  for (let v = 0; v < 10; v++) lines.push(`  data${v}: {}`);
  return lines.join('\n') + '\n';
}

/** Wall and CPU time (this process, user+system) of each run, after warm-up. */
async function samples(f) {
  for (let i = 0; i < 5; i++) await f();
  const wall = [];
  const cpu = [];
  for (let i = 0; i < Math.max(RUNS, 30); i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await f();
    wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall, cpu };
}

function time(cmd, args, cwd) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, COMPOSE_PROJECT_NAME: 'bench' } });
  const dt = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return dt;
}

function measure(cmd, args, cwd) {
  for (let i = 0; i < WARMUP; i++) time(cmd, args, cwd);
  const xs = [];
  for (let i = 0; i < RUNS; i++) xs.push(time(cmd, args, cwd));
  return median(xs);
}

function ensureDockerCompose() {
  if (spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0) return true;
  console.log('docker-compose not found; installing the Debian package ...');
  const r = spawnSync('apt-get', ['install', '-y', 'docker-compose'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return r.status === 0 && spawnSync('docker-compose', ['version']).status === 0;
}

const work = mkdtempSync(path.join(tmpdir(), 'compose-bench-'));
try {
  const file = path.join(work, 'compose.yaml');
  writeFileSync(file, generate(SERVICES));

  // 1. in-process: bundle the loader (the sources are TypeScript) and call it directly.
  const bundle = path.join(work, 'loader.mjs');
  await build({ entryPoints: [path.join(repo, 'src/compose/index.ts')], bundle: true, format: 'esm', platform: 'node', outfile: bundle, logLevel: 'error',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });
  const { loadProject, NodeFileReader } = await import(pathToFileURL(bundle).href);
  const load = () => loadProject({ env: { ...process.env, COMPOSE_PROJECT_NAME: 'bench' }, reader: new NodeFileReader(), cwd: work });
  const check = await load();
  if (Object.keys(check.services).length !== SERVICES) throw new Error('generated file did not load fully');
  for (let i = 0; i < 5; i++) await load();
  const inproc = await samples(load);
  const inMedian = median(inproc.wall);
  const inCpu = median(inproc.cpu);
  // The `yaml` library alone (parse to AST with positions): the precise path, which loadProject
  // uses only when the load reports errors or warnings (successful loads parse with js-yaml).
  const { parseAllDocuments, LineCounter } = createRequire(path.join(repo, 'package.json'))('yaml');
  const text = readFileSync(file, 'utf8');
  const parse = await samples(() => parseAllDocuments(text, { lineCounter: new LineCounter(), merge: true, uniqueKeys: true }));
  console.log(`\nload average now: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} CPUs (wall time suffers when it is high; CPU time much less)`);
  console.log(`in-process loadProject, ${SERVICES} services, heavy file ${(text.length / 1024).toFixed(0)} KiB (${inproc.wall.length} runs, median): wall ${ms(inMedian)}, CPU ${ms(inCpu)}  target <= 50 ms: ${inMedian <= 50 ? 'met' : 'MISSED'}`);
  console.log(`  YAML parsing by the yaml library (precise path, errors/warnings only): wall ${ms(median(parse.wall))}, CPU ${ms(median(parse.cpu))}`);

  const lightDir = path.join(work, 'light');
  mkdirSync(lightDir);
  const lightText = generateLight(SERVICES);
  writeFileSync(path.join(lightDir, 'compose.yaml'), lightText);
  const light = await samples(() => loadProject({ env: { COMPOSE_PROJECT_NAME: 'bench' }, reader: new NodeFileReader(), cwd: lightDir }));
  const lightParse = await samples(() => parseAllDocuments(lightText, { lineCounter: new LineCounter(), merge: true, uniqueKeys: true }));
  const lightMedian = median(light.wall);
  console.log(`in-process loadProject, ${SERVICES} services, light file ${(lightText.length / 1024).toFixed(0)} KiB: wall ${ms(lightMedian)}, CPU ${ms(median(light.cpu))}  target <= 50 ms: ${lightMedian <= 50 ? 'met' : 'MISSED'}`);
  console.log(`  YAML parsing by the yaml library (precise path, errors/warnings only): wall ${ms(median(lightParse.wall))}, CPU ${ms(median(lightParse.cpu))}`);

  // 2. whole processes.
  if (!process.argv.includes('--in-process')) await wholeProcesses(work);
} finally {
  rmSync(work, { recursive: true, force: true });
}

async function wholeProcesses(work) {
  execFileSync(process.execPath, ['scripts/ensure-built.mjs'], { cwd: repo, stdio: 'inherit' });
  const ts = path.join(repo, 'bin/tscompose.mjs');
  const rows = [
    ['--version', measure(process.execPath, [ts, '--version'], work)],
    ['config', measure(process.execPath, [ts, 'config'], work)],
  ];
  const haveDc = ensureDockerCompose();
  const dc = haveDc ? [measure('docker-compose', ['version'], work), measure('docker-compose', ['config'], work)] : [NaN, NaN];
  console.log(`\nwhole process, ${SERVICES}-service file (${RUNS} runs after ${WARMUP} warm-up, median)`);
  console.log('| command | tscompose | docker-compose 1.29 | tscompose/docker-compose |');
  console.log('| --- | --- | --- | --- |');
  rows.forEach(([name, ours], i) => {
    const theirs = dc[i];
    const label = name === '--version' ? '`--version` / `version`' : '`config`';
    console.log(`| ${label} | ${ms(ours)} | ${haveDc ? ms(theirs) : 'n/a'} | ${haveDc ? (ours / theirs).toFixed(2) : 'n/a'} |`);
  });
}
