/**
 * The js-yaml fast path (parse-fast.ts) against the precise `yaml` parser (parse.ts): every
 * self-golden fixture, and seeded text mutations of them, loaded with each parser forced. When
 * the precise path returns a project, the fast path returns the deeply equal project or declines
 * (FastPathUnsupported); when the precise path fails, the fast path fails too (loadProject then
 * reports the precise error, which self-golden.test.ts checks with positions).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LoadOptions, Project } from '../../../src/compose/index.js';
import { loadProject, loadProjectWith } from '../../../src/compose/load.js';
import { parseYamlLayers } from '../../../src/compose/parse.js';
import { FastPathUnsupported, parseYamlLayersFast } from '../../../src/compose/parse-fast.js';
import { NodeFileReader } from '../../../src/compose/node-reader.js';
import { MemoryReader } from './memory-reader.js';

const root = path.resolve(import.meta.dirname, '../../fixtures/compose-self-golden');
const cases = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

type Outcome = { project: Project } | { error: unknown };

async function both(opts: LoadOptions): Promise<{ fast: Outcome; precise: Outcome }> {
  const run = async (parser: typeof parseYamlLayers): Promise<Outcome> => {
    try {
      return { project: await loadProjectWith(opts, parser) };
    } catch (error) {
      return { error };
    }
  };
  return { fast: await run(parseYamlLayersFast), precise: await run(parseYamlLayers) };
}

/** The property; returns whether the fast path produced the project. */
function check(fast: Outcome, precise: Outcome, label: string): boolean {
  if ('error' in precise) {
    expect('project' in fast, `${label}: precise path fails (${String(precise.error)}), fast path returned a project`).toBe(false);
    return false;
  }
  if ('error' in fast) {
    if (!(fast.error instanceof FastPathUnsupported)) throw new Error(`${label}: fast path failed where the precise one succeeded: ${String(fast.error)}`, { cause: fast.error });
    return false;
  }
  expect(fast.project, label).toStrictEqual(precise.project);
  return true;
}

function caseOptions(dir: string): LoadOptions {
  const specFile = path.join(dir, 'case.json');
  const spec = existsSync(specFile) ? (JSON.parse(readFileSync(specFile, 'utf8')) as Record<string, unknown> & { env?: Record<string, string>; cwd?: string }) : {};
  const opts: LoadOptions = { env: { HOME: '/home/user', ...(spec.env ?? {}) }, reader: new NodeFileReader(), cwd: path.join(dir, spec.cwd ?? '.') };
  for (const k of ['files', 'projectName', 'projectDirectory', 'envFiles', 'profiles', 'services', 'interpolate', 'normalize'] as const) {
    if (spec[k] !== undefined) (opts as unknown as Record<string, unknown>)[k] = spec[k];
  }
  return opts;
}

describe('fast YAML path = precise YAML path', () => {
  it('on every self-golden fixture', async () => {
    let fastOk = 0;
    let successes = 0;
    const declined: string[] = [];
    for (const name of cases) {
      const dir = path.join(root, name);
      const { fast, precise } = await both(caseOptions(dir));
      if ('project' in precise) successes++;
      if (check(fast, precise, name)) fastOk++;
      else if ('project' in precise) declined.push(name);
      // The public loader: a project equal to the precise one, or the precise error itself.
      let pub: Outcome;
      try {
        pub = { project: await loadProject(caseOptions(dir)) };
      } catch (error) {
        pub = { error };
      }
      if ('project' in precise) expect(pub, name).toStrictEqual(precise);
      else expect((pub as { error: unknown }).error, name).toStrictEqual(precise.error);
    }
    expect(cases.length).toBeGreaterThanOrEqual(100);
    // Declining is allowed (anchors near limits, quoted "<<", ...) but must stay the exception.
    expect(declined.length, `declined: ${declined.join(', ')}`).toBeLessThanOrEqual(Math.ceil(successes * 0.1));
    expect(fastOk).toBeGreaterThan(0);
  }, 60_000);

  it('on seeded text mutations of the fixtures', async () => {
    const TOKENS = [':', '-', ' ', '  ', '\n', '{', '}', '[', ']', '"', "'", '#', '&a ', '*a', '<<: *a', '<<', '!reset', '!override', '!!str', '? ', '---\n', '~', '0o17', '0x1F', '0755', '1_000', '.inf', '1e3', 'yes', 'on', 'null', 'true', '\t', '%', '|', '>', ',', '2001-12-14'];
    let a = Number(process.env.COMPOSE_FAST_FUZZ_SEED ?? 20261123);
    const rnd = () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const seeds = cases.filter((n) => existsSync(path.join(root, n, 'expected.yaml')) && existsSync(path.join(root, n, 'compose.yaml')) && !existsSync(path.join(root, n, 'case.json')));
    expect(seeds.length).toBeGreaterThan(50);
    const ITER = Number(process.env.COMPOSE_FAST_FUZZ_ITERATIONS ?? 3000);
    let fastOk = 0;
    for (let i = 0; i < ITER; i++) {
      const name = seeds[Math.floor(rnd() * seeds.length)]!;
      const dir = path.join(root, name);
      const files: Record<string, string> = {};
      const walk = (d: string, virt: string) => {
        for (const f of readdirSync(d)) {
          const p = path.join(d, f);
          if (statSync(p).isDirectory()) walk(p, `${virt}/${f}`);
          else files[`${virt}/${f}`] = readFileSync(p, 'utf8');
        }
      };
      walk(dir, `/fx/${name}`);
      let s = files[`/fx/${name}/compose.yaml`]!;
      for (let n = 1 + Math.floor(rnd() * 3); n > 0; n--) {
        const at = Math.floor(rnd() * (s.length + 1));
        s = rnd() < 0.25 ? s.slice(0, at) + s.slice(at + 1 + Math.floor(rnd() * 3)) : s.slice(0, at) + TOKENS[Math.floor(rnd() * TOKENS.length)]! + s.slice(at);
      }
      files[`/fx/${name}/compose.yaml`] = s;
      const { fast, precise } = await both({ env: { HOME: '/home/user' }, reader: new MemoryReader(files), cwd: `/fx/${name}` });
      if (check(fast, precise, `mutation ${i} of ${name}:\n${s}`)) fastOk++;
    }
    expect(fastOk).toBeGreaterThan(ITER / 20);
  }, 300_000);
});
