/**
 * Makes the relative host paths of a canonical service (or top-level resource) absolute against
 * `dir`. Used when a service comes from another directory (extends with `file:`, include) whose
 * paths are relative to that directory rather than to the project's.
 */
import * as path from 'node:path';
import { isTree, type Tree } from './tree.js';

export function isRemoteContext(s: string): boolean {
  return /^(https?:\/\/|git@|git:\/\/|github\.com\/|ssh:\/\/)/.test(s) || /\.git(#|$)/.test(s);
}

function abs(dir: string, p: string): string {
  if (p.startsWith('~') || path.isAbsolute(p)) return p;
  return path.resolve(dir, p);
}

export function rebaseService(svc: Tree, dir: string): Tree {
  if (isTree(svc.build)) {
    const ctx = svc.build.context;
    if (ctx === undefined) svc.build.context = dir;
    else if (typeof ctx === 'string' && !isRemoteContext(ctx)) svc.build.context = abs(dir, ctx);
    const extra = svc.build.additional_contexts;
    if (isTree(extra)) {
      for (const [k, v] of Object.entries(extra)) if (typeof v === 'string' && !v.includes('://') && !v.startsWith('service:') && !isRemoteContext(v)) extra[k] = abs(dir, v);
    }
  }
  if (Array.isArray(svc.env_file)) for (const e of svc.env_file) if (isTree(e) && typeof e.path === 'string') e.path = abs(dir, e.path);
  if (Array.isArray(svc.label_file)) svc.label_file = svc.label_file.map((f: unknown) => (typeof f === 'string' ? abs(dir, f) : f));
  if (isTree(svc.develop) && Array.isArray(svc.develop.watch)) {
    for (const w of svc.develop.watch) if (isTree(w) && typeof w.path === 'string' && w.path !== '') w.path = abs(dir, w.path);
  }
  if (Array.isArray(svc.volumes)) {
    for (const v of svc.volumes) {
      if (isTree(v) && v.type === 'bind' && typeof v.source === 'string') v.source = abs(dir, v.source);
    }
  }
  if (isTree(svc.extends) && typeof svc.extends.file === 'string') svc.extends.file = abs(dir, svc.extends.file);
  return svc;
}

export function rebaseResource(res: Tree, dir: string): Tree {
  if (typeof res.file === 'string') res.file = abs(dir, res.file);
  return res;
}
