import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { apiRequest, type RequestOptions } from '../../src/swarm/api/client.js';
import { ApiError } from '../../src/swarm/api/errors.js';
import { answers } from '../../src/swarm/daemon/daemon.js';

/** Paths every tsswarm command needs: flags, then environment, then the defaults. */
export interface SwarmGlobals {
  host?: string;
  dataDir?: string;
}

export function socketPath(g: SwarmGlobals): string {
  return g.host ?? process.env.TSSWARM_HOST ?? '/run/tsswarm.sock';
}

export function dataDir(g: SwarmGlobals): string {
  return g.dataDir ?? process.env.TSSWARM_DATA_DIR ?? '/var/lib/tsswarm';
}

/** A request to the local daemon; "not running" becomes a message that says what to do. */
export async function local<T>(g: SwarmGlobals, path: string, opts: RequestOptions = {}): Promise<T> {
  try {
    return await apiRequest<T>({ kind: 'unix', socketPath: socketPath(g) }, path, { timeoutMs: 30_000, ...opts });
  } catch (e) {
    if (e instanceof ApiError && e.apiCode === 'unavailable' && e.message.includes(socketPath(g))) {
      throw new ApiError('unavailable', `no tsswarm daemon answers on ${socketPath(g)}`, { hint: 'start it with `tsswarm daemon` (or systemctl start tsswarm), or pass --host' });
    }
    throw e;
  }
}

/**
 * `init` and `join` start the daemon in the background when none answers: the same program with
 * `daemon`, detached, its output in DATA_DIR/daemon.log.
 */
export async function ensureDaemon(g: SwarmGlobals, extra: string[]): Promise<void> {
  const sock = socketPath(g);
  if (await answers(sock)) return;
  const dir = dataDir(g);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const out = openSync(join(dir, 'daemon.log'), 'a');
  const script = process.argv[1];
  if (!script) throw new Error('cannot find the tsswarm program to start the daemon');
  const child = spawn(process.execPath, [script, '--host', sock, '--data-dir', dir, 'daemon', ...extra], { detached: true, stdio: ['ignore', out, out], env: process.env });
  child.unref();
  const deadline = Date.now() + 15_000;
  while (!(await answers(sock))) {
    if (child.exitCode !== null) throw new ApiError('unavailable', `the daemon exited (code ${child.exitCode}); see ${join(dir, 'daemon.log')}`);
    if (Date.now() > deadline) throw new ApiError('unavailable', `the daemon did not open ${sock} within 15 s; see ${join(dir, 'daemon.log')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
