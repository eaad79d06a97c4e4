/**
 * The layering of src/ as DESIGN.md draws it, checked on the import statements themselves so a
 * cycle or a core reaching for I/O fails here, at once, rather than in a review. Rules are the
 * ones that hold today; a folder that does not exist yet (src/net) passes until it does.
 */
import { readdirSync, readFileSync, type Dirent } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = process.cwd();

function sourceFiles(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return entries.flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

interface Import {
  /** The importing file, repo-relative with `/`. */
  from: string;
  /** A repo-relative path for relative specifiers, the bare specifier otherwise. */
  to: string;
}

/** Static, re-export, side-effect and `import()` (also in type positions) specifiers of every src/ file. */
const imports: Import[] = sourceFiles(join(ROOT, 'src')).flatMap((file) => {
  const from = relative(ROOT, file).split(sep).join('/');
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map(({ fileName }) => ({
    from,
    to: fileName.startsWith('.') ? posix.normalize(posix.join(posix.dirname(from), fileName)) : fileName,
  }));
});

const under = (path: string, folder: string): boolean => path === folder || path.startsWith(`${folder}/`);

/** Node built-ins that reach outside the process (files, sockets, processes). path, crypto, util, events... are pure. */
const NODE_IO = new Set(['fs', 'fs/promises', 'net', 'tls', 'http', 'https', 'http2', 'dgram', 'dns', 'dns/promises', 'child_process', 'cluster', 'worker_threads', 'readline', 'os']);
const isNodeIo = (spec: string): boolean => NODE_IO.has(spec.replace(/^node:/, ''));

function violations(fromFolder: string, forbidden: (to: string) => boolean, except: readonly string[] = []): string[] {
  return imports.filter((i) => under(i.from, fromFolder) && !except.includes(i.from) && forbidden(i.to)).map((i) => `${i.from} -> ${i.to}`);
}

describe('import layers of src/', () => {
  it('finds the imports it checks (the scan itself works)', () => {
    expect(imports.some((i) => i.from === 'src/swarm/daemon/daemon.ts' && i.to === 'src/swarm/agent/session.js')).toBe(true);
    expect(imports.some((i) => i.from === 'src/swarm/daemon/daemon.ts' && i.to === 'src/swarm/api/views.js')).toBe(true);
  });

  it('src/net (the node dataplane) knows no cluster objects: imports nothing from src/swarm', () => {
    expect(violations('src/net', (to) => under(to, 'src/swarm'))).toEqual([]);
  });

  it('the compose loader does no I/O of its own: only its node reader touches the file system', () => {
    expect(violations('src/compose', isNodeIo, ['src/compose/node-reader.ts'])).toEqual([]);
  });

  it('the raft core imports no node I/O module', () => {
    expect(violations('src/raft/core', isNodeIo)).toEqual([]);
  });

  it('only the runtime core speaks to an engine (dockerode)', () => {
    expect(imports.filter((i) => i.to === 'dockerode' && !under(i.from, 'src/runtime')).map((i) => i.from)).toEqual([]);
  });

  it('src/ never imports cli/', () => {
    expect(violations('src', (to) => under(to, 'cli'))).toEqual([]);
  });

  it('the swarm agent imports neither the manager nor the daemon', () => {
    expect(violations('src/swarm/agent', (to) => under(to, 'src/swarm/manager') || under(to, 'src/swarm/daemon'))).toEqual([]);
  });

  it('the swarm manager imports neither the agent nor the daemon', () => {
    expect(violations('src/swarm/manager', (to) => under(to, 'src/swarm/agent') || under(to, 'src/swarm/daemon'))).toEqual([]);
  });

  it('the wire contract (swarm/api) and the store import none of manager, agent, daemon', () => {
    const upper = (to: string): boolean => ['manager', 'agent', 'daemon'].some((f) => under(to, `src/swarm/${f}`));
    expect(violations('src/swarm/api', upper)).toEqual([]);
    expect(violations('src/swarm/store', (to) => upper(to) || under(to, 'src/swarm/api'))).toEqual([]);
  });
});
