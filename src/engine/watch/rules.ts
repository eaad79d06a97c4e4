/**
 * `develop.watch` rules as tscompose watches them (pure: no file system, no engine). Each rule of
 * each selected service becomes a {@link WatchRule} whose `map(hostPath)` says whether a changed
 * path concerns it and where it goes in the container. Matching follows Compose
 * (pkg/compose/watch.go, pkg/watch/dockerignore.go): a path inside the rule's path, kept by
 * `include` (when given), and not dropped by any ignore source: the build context's
 * .dockerignore (for paths inside the context), editors' temporary files, `.git` (at any depth,
 * where Compose's own pattern only reaches a `.git` at the root) and the rule's `ignore`. Patterns
 * have .dockerignore syntax and are relative to the rule's path (.dockerignore's to the context),
 * matched with @balena/dockerignore, a port of Docker's matcher: `*` stays in one directory, `**`
 * crosses them, a pattern matching a directory matches everything under it, `!` re-includes.
 */
import * as path from 'node:path';
import dockerignoreModule, { type Ignore } from '@balena/dockerignore';
import type { LifecycleHook, Project, ServiceConfig, WatchAction } from '../../compose/types.js';
import { UserError } from '../../util/errors.js';

// The package is CommonJS (`module.exports = factory`) with typings written as an ES default export:
// under NodeNext the default import is the factory at run time, while TypeScript sees the module.
const ignore = dockerignoreModule as unknown as typeof dockerignoreModule.default;

/** Editors' and tools' scratch files Compose never syncs (pkg/watch/ephemeral.go), as .dockerignore patterns. */
export const EPHEMERAL_PATTERNS = [
  '**/*___jb_old___',
  '**/*___jb_tmp___',
  '**/.idea',
  '**/.#*',
  '**/#*#',
  '**/4913',
  '**/*~',
  '**/.*.swp',
  '**/.*.swx',
  '**/.*.swo',
  '**/.*.swn',
  '**/.*.kate-swp',
  '**/*-go-tmp-umask',
];

/** Where one changed host path goes in the container (`containerPath` absent for rules without a target). */
export interface PathMapping {
  hostPath: string;
  containerPath?: string;
}

export interface WatchRule {
  service: string;
  /** The rule's index in services.NAME.develop.watch, for messages. */
  index: number;
  action: WatchAction;
  /** Absolute host path watched (a directory or a file). */
  path: string;
  target?: string;
  exec?: LifecycleHook;
  initialSync: boolean;
  /** The mapping when the path concerns this rule, else undefined. */
  map(hostPath: string): PathMapping | undefined;
  /** True when nothing under this directory can concern the rule (so the watcher may skip it). */
  skipsDir(hostDir: string): boolean;
}

/** The .dockerignore patterns of one build context, read by the caller (undefined: none). */
export type DockerignoreLookup = (svc: ServiceConfig) => string[] | undefined;

/** A changed path relative to a root, `/`-separated; undefined when outside it; '' for the root itself. */
export function relativeInside(root: string, p: string): string | undefined {
  const rel = path.relative(root, p);
  if (rel === '') return '';
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep).join('/');
}

/** True for any path with a `.git` component. */
export function inGitDir(rel: string): boolean {
  return rel.split('/').includes('.git');
}

/** .dockerignore file content -> patterns, as Docker reads it: comments and blank lines dropped, lines trimmed, `./` and a leading `/` removed. */
export function parseDockerignore(content: string): string[] {
  const out: string[] = [];
  for (const raw of content.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const neg = line.startsWith('!');
    if (neg) line = line.slice(1).trim();
    // Docker cleans each pattern (filepath.Clean): no `./`, no trailing `/`.
    line = path.posix.normalize(line).replace(/^\/+/, '').replace(/\/+$/, '');
    if (line === '.' || line === '') continue;
    out.push(neg ? `!${line}` : line);
  }
  return out;
}

/** Patterns as the rule wrote them, cleaned for the matcher (no `./`, no leading `/`). */
function cleanPatterns(patterns: readonly string[]): string[] {
  return patterns
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => {
      const neg = p.startsWith('!');
      const body = path.posix.normalize(neg ? p.slice(1) : p).replace(/^\/+/, '').replace(/\/+$/, '');
      return neg ? `!${body}` : body;
    });
}

function matcher(patterns: readonly string[]): Ignore | undefined {
  const clean = cleanPatterns(patterns);
  return clean.length ? ignore().add(clean) : undefined;
}

const where = (service: string, i: number, key?: string): string => `services.${service}.develop.watch[${i}]${key ? `.${key}` : ''}`;

/**
 * The rules of the services that have `develop.watch`, checked as Compose checks them when watch
 * starts. Throws a UserError naming services.NAME.develop.watch[i] for a rule that cannot work:
 * `rebuild` without `build:`, a sync action without `target`, `sync+exec` without `exec.command`.
 * Returns no rules when none of the services has any (the caller says so).
 */
export function watchRules(project: Project, services: readonly string[], dockerignore: DockerignoreLookup): WatchRule[] {
  const rules: WatchRule[] = [];
  for (const name of services) {
    const svc = project.services[name];
    const triggers = svc?.develop?.watch;
    if (!svc || !triggers?.length) continue;
    const context = svc.build && !/^[a-z]+:\/\//.test(svc.build.context) ? svc.build.context : undefined;
    const ignoreFile = context ? matcher(dockerignore(svc) ?? []) : undefined;
    const ephemeral = ignore().add(EPHEMERAL_PATTERNS);
    for (const [i, t] of triggers.entries()) {
      if (t.action === 'rebuild' && !svc.build) {
        throw new UserError(`${where(name, i)}: action rebuild needs a build section: service "${name}" has no build:`, {
          code: 'invalid',
          hint: `add build: to services.${name}, or use action restart or sync for this path`,
        });
      }
      if (t.action.startsWith('sync') && !t.target) {
        throw new UserError(`${where(name, i, 'target')}: required for action ${t.action}`, { code: 'invalid', hint: 'give the path in the container the files are copied to' });
      }
      if (t.action === 'sync+exec' && !t.exec?.command.length) {
        throw new UserError(`${where(name, i, 'exec.command')}: required for action sync+exec`, { code: 'invalid', hint: 'give the command run in the container after each sync' });
      }
      if (t.target !== undefined && !path.posix.isAbsolute(t.target)) {
        throw new UserError(`${where(name, i, 'target')}: "${t.target}" must be an absolute path in the container`, { code: 'invalid' });
      }
      const include = matcher(t.include ?? []);
      const own = matcher(t.ignore ?? []);
      const root = t.path;
      const ignored = (hostPath: string): boolean => {
        const rel = relativeInside(root, hostPath);
        if (rel === undefined) return true;
        if (inGitDir(rel)) return true;
        if (rel !== '' && (ephemeral.ignores(rel) || own?.ignores(rel))) return true;
        if (rel === '' && ephemeral.ignores(path.basename(hostPath))) return true;
        if (ignoreFile && context) {
          const inContext = relativeInside(context, hostPath);
          if (inContext !== undefined && inContext !== '' && ignoreFile.ignores(inContext)) return true;
        }
        return false;
      };
      const hasExclusions = [...(t.ignore ?? [])].some((p) => p.trim().startsWith('!')) || (context !== undefined && (dockerignore(svc) ?? []).some((p) => p.startsWith('!')));
      rules.push({
        service: name,
        index: i,
        action: t.action,
        path: root,
        ...(t.target !== undefined ? { target: t.target } : {}),
        ...(t.exec ? { exec: t.exec } : {}),
        initialSync: t.initial_sync === true,
        map(hostPath) {
          if (ignored(hostPath)) return undefined;
          const rel = relativeInside(root, hostPath)!;
          if (include && rel !== '' && !include.ignores(rel)) return undefined;
          if (t.target === undefined) return { hostPath };
          return { hostPath, containerPath: rel === '' ? t.target : path.posix.join(t.target, rel) };
        },
        skipsDir(hostDir) {
          const rel = relativeInside(root, hostDir);
          // A directory above the rule's path holds it; one beside it is none of its business.
          if (rel === undefined) return relativeInside(hostDir, root) === undefined;
          if (rel === '') return false;
          if (inGitDir(rel)) return true;
          // With `!` patterns something below an ignored directory may be re-included.
          return !hasExclusions && ignored(hostDir);
        },
      });
    }
  }
  return rules;
}

/** Compose's refusal when no selected service watches anything. */
export function noWatchError(services: readonly string[]): UserError {
  return new UserError('none of the selected services is configured for watch, consider setting a \'develop\' section', {
    code: 'invalid',
    hint: services.length
      ? `add develop.watch rules to services.${services[0]} (see specs/compose-support.md, develop)`
      : 'add develop.watch rules to a service (see specs/compose-support.md, develop)',
  });
}
