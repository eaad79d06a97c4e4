/**
 * What a backend believes it committed to each namespace, and one queue per namespace.
 *
 * The belief is tied to the namespace's identity (device and inode of its nsfs file), not to the
 * path: `/proc/PID/ns/net` of a restarted container is a new namespace, possibly behind a reused
 * PID, and must get a full sync however the agent names it.
 */
import { stat } from 'node:fs/promises';

/** The namespace's identity, or undefined when the path no longer exists. */
export type NetnsIdentity = (netnsPath: string) => Promise<string | undefined>;

export const statNetnsIdentity: NetnsIdentity = async (netnsPath) => {
  try {
    const s = await stat(netnsPath);
    return `${s.dev}:${s.ino}`;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
    throw e;
  }
};

export class NetnsStates<S> {
  private readonly committed = new Map<string, { id: string; state: S }>();
  private readonly queues = new Map<string, Promise<unknown>>();

  /** The state committed to `netnsPath` if it is still the namespace `id`; else undefined. */
  get(netnsPath: string, id: string): S | undefined {
    const c = this.committed.get(netnsPath);
    return c !== undefined && c.id === id ? c.state : undefined;
  }

  set(netnsPath: string, id: string, state: S): void {
    this.committed.set(netnsPath, { id, state });
  }

  forget(netnsPath: string): void {
    this.committed.delete(netnsPath);
  }

  /** Paths with a committed state (for the agent's sweep of departed containers). */
  known(): string[] {
    return [...this.committed.keys()];
  }

  /**
   * Runs `fn` after every earlier call for the same namespace has settled: two syncs racing on
   * one namespace would each diff against the same belief and the second would undo the first.
   */
  serial<T>(netnsPath: string, fn: () => Promise<T>): Promise<T> {
    const before = this.queues.get(netnsPath) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(netnsPath, tail);
    void tail.then(() => {
      if (this.queues.get(netnsPath) === tail) this.queues.delete(netnsPath);
    });
    return run;
  }
}
