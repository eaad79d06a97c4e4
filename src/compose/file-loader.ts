/**
 * One compose file -> one canonical tree: parse (documents as layers), interpolate, validate,
 * rewrite short syntax, merge the layers, then resolve `extends` (same file or another one).
 * All problems of a file are reported together.
 */
import * as path from 'node:path';
import { CarriedDiagnostics, Diagnostics, fail } from './diagnostics.js';
import { canonicalizeFile } from './canonical.js';
import { interpolateTree } from './interpolate.js';
import { mergeTrees } from './merge.js';
import type { YamlParser } from './parse-fast.js';
import { rebaseService } from './rebase.js';
import { cloneTree, isTree, keyPos, newTree, type Tree } from './tree.js';
import type { Lookup } from './template.js';
import type { FileReader } from './types.js';
import { validateFile } from './validate.js';
import { isUserError } from '../util/errors.js';
import { isMissingFile } from '../util/file-read-error.js';

export interface FileContext {
  reader: FileReader;
  lookup: Lookup;
  interpolate: boolean;
  /** Non-fatal notices (unset variables, obsolete keys), collected once each. */
  warnings: Set<string>;
  /** Base for relative paths in a file read from stdin. */
  cwd: string;
  /** Parsed files by absolute path, so extends chains read each file once. */
  cache: Map<string, Promise<Tree>>;
  /** YAML parser (default: the precise one, with positions); see loadProject. */
  parser?: YamlParser;
  /** Problems found so far in this load; phases go on after one finds problems (see diagnostics.ts). */
  carried?: CarriedDiagnostics;
}

export async function readText(ctx: FileContext, file: string, display: string): Promise<string> {
  try {
    return await ctx.reader.readFile(file, 'compose file');
  } catch (e) {
    if (isMissingFile(e)) fail(undefined, undefined, `file not found: ${display}`);
    // Not a regular file, too large, not UTF-8: the reader's one line already names the file.
    if (isUserError(e)) throw e;
    fail(undefined, undefined, `cannot read ${display}: ${(e as Error).message}`);
  }
}

/** Loads a file with its extends resolved. `file` is absolute (or `-`). */
export function loadComposeFile(ctx: FileContext, file: string, stack: string[] = []): Promise<Tree> {
  // Top-level files are read once and mutated by the merge: no cache, no copy. Files reached
  // through extends are cached and handed out as copies (a base file is often extended many times).
  if (stack.length === 0) return loadUncached(ctx, file, stack);
  let p = ctx.cache.get(file);
  if (!p) {
    p = loadUncached(ctx, file, stack);
    ctx.cache.set(file, p);
  }
  return p.then((t) => cloneTree(t));
}

async function loadUncached(ctx: FileContext, file: string, stack: string[]): Promise<Tree> {
  const text = await readText(ctx, file, file);
  const layers = (ctx.parser ?? (await import('./parse.js')).parseYamlLayers)(text, file);
  const carried = ctx.carried ?? new CarriedDiagnostics();
  let diags = new Diagnostics();
  for (const layer of layers) {
    if (ctx.interpolate) {
      interpolateTree(layer, ctx.lookup, diags, (name) => ctx.warnings.add(`the "${name}" variable is not set; defaulting to a blank string`));
    }
    if (layer.version !== undefined) ctx.warnings.add(`${file}: the attribute "version" is obsolete and ignored`);
  }
  carried.absorb(diags);
  diags = new Diagnostics();
  const validated = await carried.phase(() => {
    for (const layer of layers) validateFile(layer, diags, { casts: ctx.interpolate });
  }, diags);
  carried.absorb(diags);
  diags = new Diagnostics();
  const canonical = validated && (await carried.phase(() => {
    for (const layer of layers) canonicalizeFile(layer, diags, !ctx.interpolate);
  }, diags));
  carried.absorb(diags);
  let tree = layers[0] ?? newTree();
  if (!canonical) {
    carried.throwIfAny();
    return tree;
  }
  for (const layer of layers.slice(1)) tree = mergeTrees(tree, layer);
  await carried.phase(() => resolveExtends(ctx, file, tree, stack));
  // Without a shared collector (a direct call), report here; with one, the load reports at its end.
  if (!ctx.carried) carried.throwIfAny();
  return tree;
}

/** Replaces each `extends` by the merge of the base service and the extending one. */
async function resolveExtends(ctx: FileContext, file: string, tree: Tree, stack: string[]): Promise<void> {
  const services = isTree(tree.services) ? tree.services : undefined;
  if (!services) return;
  const done = new Set<string>();
  const resolve = async (name: string, chain: string[]): Promise<void> => {
    if (done.has(name)) return;
    const svc = services[name];
    if (!isTree(svc) || !isTree(svc.extends)) {
      done.add(name);
      return;
    }
    const ext = svc.extends;
    const baseName = String(ext.service);
    const where = keyPos(svc, 'extends');
    const extPath = ['services', name, 'extends'];
    let base: Tree;
    const other = typeof ext.file === 'string' ? path.resolve(file === '-' ? ctx.cwd : path.dirname(file), ext.file) : file;
    if (other !== file) {
      const id = `${other}#${baseName}`;
      // A file already being loaded further up would wait on itself: that is a cycle across files.
      if (stack.some((s) => s.startsWith(`${other}#`))) {
        fail(where, extPath, `extends cycle: ${[...stack, `${file}#${name}`, id].join(' -> ')}`);
      }
      if (stack.length > 32) fail(where, extPath, 'extends chain too deep');
      if (!(await ctx.reader.exists(other))) fail(where, extPath, `cannot extend service "${baseName}": file ${other} not found`);
      const otherTree = await loadComposeFile(ctx, other, [...stack, `${file}#${name}`]);
      const otherServices = isTree(otherTree.services) ? otherTree.services : newTree();
      const b = otherServices[baseName];
      if (!isTree(b)) fail(where, extPath, `cannot extend service "${baseName}": not found in ${other}`);
      base = rebaseService(cloneTree(b), path.dirname(other));
    } else {
      if (chain.includes(baseName) || baseName === name) fail(where, extPath, `extends cycle: ${[...chain, name, baseName].join(' -> ')}`);
      if (!isTree(services[baseName])) fail(where, extPath, `cannot extend service "${baseName}": no such service in this file`);
      await resolve(baseName, [...chain, name]);
      base = cloneTree(services[baseName]);
    }
    // Documented Compose rule: dependencies are always declared locally, never inherited.
    delete base.depends_on;
    delete base.volumes_from;
    delete svc.extends;
    services[name] = mergeTrees(base, svc, 'services.*');
    done.add(name);
  };
  for (const name of Object.keys(services)) await resolve(name, []);
}
