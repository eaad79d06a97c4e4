/**
 * Property: whatever the input, the loader either returns a project or throws our typed
 * UserError; never a TypeError, never a hang. 10,000+ seeded mutations (deterministic PRNG) of
 * the valid self-golden fixtures, half on the text (characters, lines, indentation) and half on
 * the parsed tree (values swapped for other types, keys removed, unknown keys, compose keys
 * grafted in), loaded through an in-memory reader.
 */
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/compose/index.js';
import { isUserError } from '../../../src/util/errors.js';
import { MemoryReader } from './memory-reader.js';

const ITERATIONS = Number(process.env.COMPOSE_FUZZ_ITERATIONS ?? 10_000);
const SEED = Number(process.env.COMPOSE_FUZZ_SEED ?? 20261123);

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Seed {
  dir: string;
  files: Record<string, string>;
  main: string;
  env: Record<string, string>;
}

const root = path.resolve(import.meta.dirname, '../../fixtures/compose-self-golden');

function walk(dir: string, out: Record<string, string>, virt: string): void {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out, `${virt}/${name}`);
    else out[`${virt}/${name}`] = readFileSync(p, 'utf8');
  }
}

function seeds(): Seed[] {
  const out: Seed[] = [];
  for (const name of readdirSync(root).sort()) {
    const dir = path.join(root, name);
    if (!existsSync(path.join(dir, 'expected.yaml')) || !existsSync(path.join(dir, 'compose.yaml'))) continue;
    const files: Record<string, string> = {};
    walk(dir, files, `/fx/${name}`);
    const spec = existsSync(path.join(dir, 'case.json')) ? (JSON.parse(readFileSync(path.join(dir, 'case.json'), 'utf8')) as { env?: Record<string, string>; files?: unknown }) : {};
    if (spec.files) continue;
    out.push({ dir: `/fx/${name}`, files, main: `/fx/${name}/compose.yaml`, env: spec.env ?? {} });
  }
  return out;
}

const TOKENS = [':', '-', ' ', '  ', '\n', '{', '}', '[', ']', '"', "'", '#', '&a', '*a', '<<', '!reset', '!override', '$', '${', '${X:-', '}', '$$', '\t', '0', '99999', '-1', 'null', 'true', '~', '.', '/', '=', ',', '|', '>', '%', '@', '`', 'x-', '\u00e9', '\\'];
const KEYS = ['image', 'build', 'ports', 'volumes', 'environment', 'depends_on', 'networks', 'healthcheck', 'deploy', 'extends', 'secrets', 'configs', 'profiles', 'command', 'env_file', 'scale', 'container_name', 'include', 'name', 'x-ext', 'bogus', 'labels', 'ulimits', 'extra_hosts', 'tmpfs', 'mem_limit', 'stop_grace_period', 'restart', 'network_mode', 'links'];
const VALUES: unknown[] = [null, true, false, 0, -1, 1.5, 70000, '', 'x', '${UNSET:?boom}', '$', '80:80', './rel:/abs', '1m30s', '512m', 'nonsense', [], {}, ['a'], { a: 1 }, [{ target: 80 }], { service: 'x' }, { condition: 'service_healthy' }, ['db'], { file: 'nope.yaml', service: 'a' }, { path: 'x.env', required: false }, '__proto__'];

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)]!;
}

function mutateText(text: string, rnd: () => number): string {
  let s = text;
  const n = 1 + Math.floor(rnd() * 3);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(rnd() * (s.length + 1));
    const lines = s.split('\n');
    const li = Math.floor(rnd() * lines.length);
    switch (Math.floor(rnd() * 7)) {
      case 0:
        s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rnd() * 4));
        break;
      case 1:
        s = s.slice(0, at) + pick(rnd, TOKENS) + s.slice(at);
        break;
      case 2:
        lines.splice(li, 0, lines[li] ?? '');
        s = lines.join('\n');
        break;
      case 3:
        lines.splice(li, 1);
        s = lines.join('\n');
        break;
      case 4:
        lines[li] = (rnd() < 0.5 ? '  ' : '') + (lines[li] ?? '').replace(/^ {1,2}/, rnd() < 0.5 ? '' : ' ');
        s = lines.join('\n');
        break;
      case 5:
        s = s.slice(0, at);
        break;
      default:
        s = s.slice(0, at) + `${pick(rnd, KEYS)}: ${JSON.stringify(pick(rnd, VALUES))}\n` + s.slice(at);
    }
  }
  return s;
}

function mutateTree(doc: unknown, rnd: () => number): unknown {
  const containers: Array<Record<string, unknown> | unknown[]> = [];
  const collect = (v: unknown) => {
    if (v && typeof v === 'object') {
      containers.push(v as Record<string, unknown>);
      for (const x of Object.values(v)) collect(x);
    }
  };
  collect(doc);
  const n = 1 + Math.floor(rnd() * 3);
  for (let i = 0; i < n && containers.length > 0; i++) {
    const c = pick(rnd, containers);
    const keys = Object.keys(c);
    const k = keys.length > 0 ? pick(rnd, keys) : undefined;
    const r = rnd();
    if (Array.isArray(c)) {
      if (r < 0.4 && c.length > 0) c.splice(Math.floor(rnd() * c.length), 1);
      else c.push(structuredClone(pick(rnd, VALUES)));
    } else if (r < 0.35 && k !== undefined) c[k] = structuredClone(pick(rnd, VALUES));
    else if (r < 0.55 && k !== undefined) delete c[k];
    else c[pick(rnd, KEYS)] = structuredClone(pick(rnd, VALUES));
  }
  return doc;
}

describe('compose loader fuzz', () => {
  it(`never throws anything but a UserError over ${ITERATIONS} seeded mutations`, async () => {
    const all = seeds();
    expect(all.length).toBeGreaterThan(50);
    const rnd = mulberry32(SEED);
    let ok = 0;
    let rejected = 0;
    let slowest = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const s = pick(rnd, all);
      const original = s.files[s.main]!;
      let text: string;
      if (rnd() < 0.5) text = mutateText(original, rnd);
      else {
        let doc: unknown;
        try {
          doc = parse(original, { merge: true, logLevel: 'error' });
        } catch {
          doc = {};
        }
        text = stringify(mutateTree(doc ?? {}, rnd));
      }
      const reader = new MemoryReader({ ...s.files, [s.main]: text });
      const started = performance.now();
      try {
        await loadProject({ env: { HOME: '/home/user', ...s.env }, reader, cwd: s.dir });
        ok++;
      } catch (e) {
        if (!isUserError(e)) {
          throw new Error(`iteration ${i} (seed ${SEED}, case ${s.dir}) threw ${String(e)}\n--- input ---\n${text}`, { cause: e });
        }
        rejected++;
      }
      slowest = Math.max(slowest, performance.now() - started);
    }
    expect(ok + rejected).toBe(ITERATIONS);
    // A mutation that makes the loader crawl (exponential aliases, huge ranges) is a bug too; the
    // bound is loose because the suite shares a busy machine.
    expect(slowest).toBeLessThan(10_000);
  }, 120_000);
});
