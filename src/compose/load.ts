/**
 * The loader pipeline (see specs/compose-support.md for the semantics):
 *   1. files and project directory (-f, COMPOSE_FILE, discovery; --project-directory)
 *   2. environment (.env / --env-file under the shell)
 *   3. each file: parse -> interpolate -> validate -> long syntax -> layers merged -> extends
 *   4. include: sub-projects with their own directory and env, paths made absolute
 *   5. files merged in order (override rules)
 *   6. project name; whole-project checks (references, cycles, ...)
 *   7. profiles / named services -> active set
 *   8. normalization to the typed Project
 * Each phase reports all its problems at once, as one DiagnosticError.
 */
import * as path from 'node:path';
import { CarriedDiagnostics, Diagnostics, fail } from './diagnostics.js';
import { checkProject } from './checks.js';
import { cleanEnv, readEnvFiles, resolveFilesAndEnv, type FilesAndEnv } from './env.js';
import { loadComposeFile, type FileContext } from './file-loader.js';
import { mergeTrees } from './merge.js';
import { extensionsOf, normalizeNetwork, normalizeSecret, normalizeService, normalizeVolumeTop, type NormalizeContext } from './normalize.js';
import { parseYamlLayersFast, type YamlParser } from './parse-fast.js';
import { activeServices } from './profiles.js';
import { isValidProjectName, normalizeProjectName } from './project-name.js';
import { rebaseResource, rebaseService } from './rebase.js';
import { isTree, keyPos, newTree, type Tree } from './tree.js';
import type { LoadOptions, Project, ServiceConfig } from './types.js';

const RESOURCE_KINDS = ['services', 'networks', 'volumes', 'secrets', 'configs'] as const;

/**
 * Loads, interpolates, merges, validates and normalizes a compose project. Fast path first
 * (js-yaml, no positions); any error, warning or unsupported construct -> loaded again with the
 * precise parser, so every diagnostic and warning comes from it with file:line:col.
 */
export async function loadProject(options: LoadOptions): Promise<Project> {
  try {
    const project = await loadProjectWith(options, parseYamlLayersFast);
    if (project.warnings === undefined || project.warnings.length === 0) return project;
  } catch {
    // fall through to the precise path
  }
  // The precise parser (the `yaml` library) loads only when the fast path could not finish.
  return loadProjectWith(options, (await import('./parse.js')).parseYamlLayers);
}

/** loadProject with a given YAML parser (tests force one or the other). */
export async function loadProjectWith(options: LoadOptions, parser: YamlParser): Promise<Project> {
  const shell = cleanEnv(options.env);
  const { files, workingDir, env } = await resolveFilesAndEnv(options.reader, options, shell);
  // Compose defines COMPOSE_PROJECT_NAME for interpolation. When the name comes from `name:` or
  // the directory, it is known only after the files are read: guess the directory's, and read
  // them again in the rare case a file asked for it and the guess was wrong.
  const known = options.projectName || env.COMPOSE_PROJECT_NAME;
  const guess = known || normalizeProjectName(path.basename(workingDir));
  const first = await loadFiles(options, parser, { files, workingDir, env }, guess);
  if (known || !first.askedName || first.project.name === guess) return first.project;
  return (await loadFiles(options, parser, { files, workingDir, env }, first.project.name)).project;
}

/** Steps 3 to 5: every file read (includes applied) and merged in order. */
async function mergedFiles(
  ctx: FileContext & { carried: CarriedDiagnostics },
  files: string[],
  workingDir: string,
  shell: Record<string, string>,
  env: Record<string, string>,
): Promise<Tree> {
  const { carried } = ctx;
  const trees: Tree[] = [];
  for (const file of files) {
    const tree = await loadComposeFile(ctx, file);
    await carried.phase(() => applyIncludes(ctx, tree, file === '-' ? workingDir : path.dirname(file), shell, env, [file]));
    trees.push(tree);
  }
  let root = trees[0] ?? newTree();
  for (const t of trees.slice(1)) root = mergeTrees(root, t);
  // As docker compose: files that together hold nothing (no bytes, only comments, `{}`) are a
  // mistake, not an empty project that `up` would converge to. An empty base beside a full
  // override is fine.
  if (Object.keys(root).length === 0 && carried.empty) {
    fail(undefined, undefined, `empty compose file${files.length > 1 ? 's' : ''}: ${files.join(', ')}`, 'a compose file needs at least a services: mapping');
  }
  for (const k of RESOURCE_KINDS) if (!isTree(root[k])) root[k] = newTree();
  return root;
}

/**
 * The merged model without interpolation, as `docker compose config --no-interpolate` prints it
 * (compose-go's ToModel): files read, validated, put in long syntax where that parses (a port or
 * volume holding a `${VAR}` stays as written), includes and extends applied, merged; no typed
 * normalization, so values keep their variables and relative paths stay as written.
 */
export async function loadModel(options: LoadOptions): Promise<Tree> {
  const shell = cleanEnv(options.env);
  const { files, workingDir, env } = await resolveFilesAndEnv(options.reader, options, shell);
  const carried = new CarriedDiagnostics();
  const lookup = (n: string): string | undefined => (Object.prototype.hasOwnProperty.call(env, n) ? env[n] : undefined);
  const ctx = { reader: options.reader, lookup, interpolate: false, cache: new Map(), cwd: options.cwd, warnings: new Set<string>(), parser: (await import('./parse.js')).parseYamlLayers, carried };
  const root = await mergedFiles(ctx, files, workingDir, shell, env);
  carried.throwIfAny();
  const name = projectName(options.projectName, env.COMPOSE_PROJECT_NAME, root, workingDir);
  const model = newTree();
  model.name = name;
  for (const k of Object.keys(root).sort()) if (k !== 'name' && k !== 'version') model[k] = root[k];
  return model;
}

async function loadFiles(
  options: LoadOptions,
  parser: YamlParser,
  { files, workingDir, env: baseEnv }: FilesAndEnv,
  nameForInterpolation: string,
): Promise<{ project: Project; askedName: boolean }> {
  const { reader, cwd } = options;
  const shell = cleanEnv(options.env);
  const interpolate = options.interpolate !== false;
  const normalize = options.normalize !== false;
  const env = { ...baseEnv };
  if (!Object.prototype.hasOwnProperty.call(env, 'COMPOSE_PROJECT_NAME') && nameForInterpolation) env.COMPOSE_PROJECT_NAME = nameForInterpolation;
  let askedName = false;
  const lookup = (n: string) => {
    if (n === 'COMPOSE_PROJECT_NAME') askedName = true;
    return Object.prototype.hasOwnProperty.call(env, n) ? env[n] : undefined;
  };

  // Every phase reports into one collector and the load goes on after problems, so a single run
  // shows all of them; the load throws them together at the end (see CarriedDiagnostics).
  const carried = new CarriedDiagnostics();
  const ctx: FileContext & { carried: CarriedDiagnostics } = { reader, lookup, interpolate, cache: new Map(), cwd, warnings: new Set(), parser, carried };
  const root = await mergedFiles(ctx, files, workingDir, shell, env);

  const name = projectName(options.projectName, baseEnv.COMPOSE_PROJECT_NAME, root, workingDir);

  const diags = new Diagnostics();
  if (!(await carried.phase(() => checkProject(root, diags), diags))) carried.throwIfAny();
  carried.absorb(diags);
  diags.list.length = 0;

  // Like Compose: COMPOSE_PROFILES is the default of --profile, used only when no flag is given.
  const requested = options.profiles && options.profiles.length > 0 ? options.profiles : (env.COMPOSE_PROFILES ?? '').split(',');
  const profiles = [...new Set(requested.map((p) => p.trim()))].filter(Boolean);
  const services = root.services as Tree;
  let active = new Set<string>();
  if (!(await carried.phase(() => void (active = activeServices(services, profiles, options.services, diags)), diags))) carried.throwIfAny();
  carried.absorb(diags);
  diags.list.length = 0;
  // Normalization reads what the checks above vouched for; after problems, it runs only as far as
  // it can (a crash on a broken subtree ends the load with what was found).

  const nctx: NormalizeContext = { projectName: name, workingDir, lookup, reader, resolvePaths: normalize, interpolate, diags };
  const project: Project = {
    name,
    workingDir,
    configFiles: files,
    services: {},
    networks: {},
    volumes: {},
    secrets: {},
    configs: {},
    profiles,
    disabledServices: {},
    environment: { ...env, COMPOSE_PROJECT_NAME: baseEnv.COMPOSE_PROJECT_NAME ?? name },
    extensions: extensionsOf(root) ?? {},
    warnings: [],
  };
  for (const s of Object.keys(services).sort()) {
    const svc = services[s];
    if (!isTree(svc)) continue;
    const ok = await carried.phase(async () => {
      const normalized: ServiceConfig = await normalizeService(s, svc, nctx);
      if (active.has(s)) project.services[s] = normalized;
      else project.disabledServices[s] = normalized;
    }, diags);
    if (!ok) carried.throwIfAny();
  }
  const resourcesOk = await carried.phase(() => {
    for (const [k, v] of Object.entries(root.networks as Tree)) project.networks[k] = normalizeNetwork(k, isTree(v) ? v : newTree(), nctx);
    const usesDefault = Object.values(project.services).some((s) => 'default' in s.networks);
    if (usesDefault && !project.networks.default) project.networks.default = { name: `${name}_default` };
    for (const [k, v] of Object.entries(root.volumes as Tree)) project.volumes[k] = normalizeVolumeTop(k, isTree(v) ? v : newTree(), nctx);
    for (const [k, v] of Object.entries(root.secrets as Tree)) project.secrets[k] = normalizeSecret('secrets', k, isTree(v) ? v : newTree(), nctx);
    for (const [k, v] of Object.entries(root.configs as Tree)) project.configs[k] = normalizeSecret('configs', k, isTree(v) ? v : newTree(), nctx);
    if (isTree(root.models)) project.models = JSON.parse(JSON.stringify(root.models)) as NonNullable<Project['models']>;
  }, diags);
  if (!resourcesOk) carried.throwIfAny();
  carried.absorb(diags);
  carried.throwIfAny();
  for (const w of diags.warnings) ctx.warnings.add(w);
  project.warnings = [...ctx.warnings];
  return { project, askedName };
}

function projectName(explicit: string | undefined, fromEnv: string | undefined, root: Tree, dir: string): string {
  const check = (n: string, source: string, pos?: ReturnType<typeof keyPos>) => {
    if (!isValidProjectName(n)) {
      fail(pos, source === 'name:' ? 'name' : undefined, `invalid project name "${n}" (from ${source})`, 'use lowercase letters, digits, "_" and "-", starting with a letter or digit');
    }
    return n;
  };
  if (explicit !== undefined && explicit !== '') return check(explicit, '-p');
  if (fromEnv !== undefined && fromEnv !== '') return check(fromEnv, 'COMPOSE_PROJECT_NAME');
  if (typeof root.name === 'string' && root.name !== '') return check(root.name, 'name:', keyPos(root, 'name'));
  const derived = normalizeProjectName(path.basename(dir));
  if (!derived) fail(undefined, undefined, `cannot derive a project name from directory "${dir}"`, 'pass -p NAME or set name: in the compose file');
  return derived;
}

/**
 * `include:` entries become sub-projects: loaded with their own project directory and env file,
 * their relative paths made absolute there, then added to `tree`. A name defined on both sides is
 * a conflict, as in Compose.
 */
async function applyIncludes(
  ctx: FileContext,
  tree: Tree,
  dir: string,
  shell: Record<string, string>,
  parentEnv: Record<string, string>,
  stack: string[],
): Promise<void> {
  const list = tree.include;
  delete tree.include;
  if (!Array.isArray(list)) return;
  for (let i = 0; i < list.length; i++) {
    const entry: unknown = list[i];
    const pos = keyPos(list, i);
    const spec = typeof entry === 'string' ? { path: [entry] } : isTree(entry) ? entry : undefined;
    if (!spec) continue;
    const paths = (Array.isArray(spec.path) ? spec.path : [spec.path]).map((p) => path.resolve(dir, String(p)));
    if (paths.length === 0) fail(pos, ['include', i, 'path'], 'needs at least one path');
    for (const p of paths) if (stack.includes(p)) fail(pos, ['include', i], `include cycle: ${[...stack, p].join(' -> ')}`);
    const projectDir = typeof spec.project_directory === 'string' ? path.resolve(dir, spec.project_directory) : path.dirname(paths[0]!);
    const envFiles = spec.env_file === undefined ? undefined : (Array.isArray(spec.env_file) ? spec.env_file : [spec.env_file]).map((f) => path.resolve(dir, String(f)));
    const incDotenv = await readEnvFiles(ctx.reader, envFiles, projectDir, shell, dir);
    const incEnv = { ...parentEnv, ...incDotenv, ...shell };
    const sub: FileContext = { ...ctx, lookup: (n) => (Object.prototype.hasOwnProperty.call(incEnv, n) ? incEnv[n] : undefined), cache: new Map() };
    let inc: Tree | undefined;
    for (const p of paths) {
      if (!(await ctx.reader.exists(p))) fail(pos, ['include', i], `included file ${p} not found`);
      const t = await loadComposeFile(sub, p);
      await applyIncludes(sub, t, path.dirname(p), shell, incEnv, [...stack, p]);
      inc = inc ? mergeTrees(inc, t) : t;
    }
    if (!inc) continue;
    const diags = new Diagnostics();
    for (const kind of RESOURCE_KINDS) {
      const from = inc[kind];
      if (!isTree(from)) continue;
      if (!isTree(tree[kind])) tree[kind] = newTree();
      const to = tree[kind] as Tree;
      for (const [k, v] of Object.entries(from)) {
        if (k in to) {
          diags.add(keyPos(to, k), [kind, k], `conflicts with the ${kind.slice(0, -1)} "${k}" imported from ${paths.join(', ')}`);
          continue;
        }
        if (isTree(v)) {
          if (kind === 'services') rebaseService(v, projectDir);
          else rebaseResource(v, projectDir);
        }
        to[k] = v;
      }
    }
    diags.throwIfAny();
  }
}
