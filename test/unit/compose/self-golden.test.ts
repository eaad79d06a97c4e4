/**
 * Self-golden suite: pins of our own output, NOT statements of what Compose does (those are the
 * reference-*.test.ts files, written from compose-go and the compose-spec). The expectations
 * here were written by tscompose itself (UPDATE_GOLDEN=1) and reviewed, so they catch
 * regressions, not disagreements with Compose.
 *
 * One directory per case under test/fixtures/compose-self-golden/<case>/ holding compose
 * files (and .env, env files...), an optional case.json with load options, and either
 * expected.yaml (the `config` rendering) or expected-error.txt (every diagnostic, one per line,
 * `file:line:col: path: message`). `${PROJECT_DIR}` stands for the case directory.
 * Run with UPDATE_GOLDEN=1 to write missing expectations (then review them!).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadProject, NodeFileReader, type LoadOptions } from '../../../src/compose/index.js';
import { renderYaml } from '../../../src/compose/render.js';
import { DiagnosticError, formatDiagnostic, UserError } from '../../../src/util/errors.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/compose-self-golden');
const cases = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

interface CaseSpec {
  files?: string[];
  projectName?: string;
  projectDirectory?: string;
  envFiles?: string[];
  profiles?: string[];
  services?: string[];
  interpolate?: boolean;
  normalize?: boolean;
  env?: Record<string, string>;
  /** Working directory relative to the case directory. */
  cwd?: string;
}

async function run(dir: string): Promise<{ out?: string; err?: string }> {
  const specFile = path.join(dir, 'case.json');
  const spec: CaseSpec = existsSync(specFile) ? (JSON.parse(readFileSync(specFile, 'utf8')) as CaseSpec) : {};
  const opts: LoadOptions = {
    env: { HOME: '/home/user', ...(spec.env ?? {}) },
    reader: new NodeFileReader(),
    cwd: path.join(dir, spec.cwd ?? '.'),
  };
  for (const k of ['files', 'projectName', 'projectDirectory', 'envFiles', 'profiles', 'services', 'interpolate', 'normalize'] as const) {
    if (spec[k] !== undefined) (opts as unknown as Record<string, unknown>)[k] = spec[k];
  }
  const placeholder = (s: string) => s.split(dir).join('${PROJECT_DIR}').split(path.dirname(dir)).join('${PROJECT_DIR}/..');
  try {
    const project = await loadProject(opts);
    return { out: placeholder(renderYaml(project)) };
  } catch (e) {
    if (e instanceof DiagnosticError) return { err: placeholder(e.diagnostics.map((d) => formatDiagnostic(d)).join('\n') + '\n') };
    if (e instanceof UserError) return { err: placeholder(e.message + '\n') };
    throw e;
  }
}

describe('compose self-golden (regressions of our own output)', () => {
  expect(cases.length).toBeGreaterThanOrEqual(100);
  for (const name of cases) {
    it(name, async () => {
      const dir = path.join(root, name);
      const okFile = path.join(dir, 'expected.yaml');
      const errFile = path.join(dir, 'expected-error.txt');
      const got = await run(dir);
      if (!existsSync(okFile) && !existsSync(errFile) && process.env.UPDATE_GOLDEN) {
        if (got.out !== undefined) writeFileSync(okFile, got.out);
        else writeFileSync(errFile, got.err ?? '');
        return;
      }
      if (existsSync(errFile)) {
        expect(got.out, 'expected an error, got a project').toBeUndefined();
        expect(got.err).toBe(readFileSync(errFile, 'utf8'));
      } else {
        expect(got.err, 'expected a project, got an error').toBeUndefined();
        expect(got.out).toBe(readFileSync(okFile, 'utf8'));
      }
    });
  }
});
