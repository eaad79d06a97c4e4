import { execFile } from 'node:child_process';
import { chown, mkdir, readdir, rm, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { MountSpec } from '../../runtime/index.js';
import type { AssignedTask } from '../api/assignments.js';

const run = promisify(execFile);
const TMPFS_MAGIC = 0x01021994;

/** Where a reference is mounted in the container: Docker's defaults for secrets and configs. */
export function fileTarget(kind: 'secret' | 'config', name: string): string {
  if (name.startsWith('/')) return name;
  return kind === 'secret' ? `/run/secrets/${name}` : `/${name}`;
}

/**
 * Secret and config files of this node's tasks. They live only on a tmpfs this agent mounts
 * (never on a disk, so a plaintext secret never survives a power cut or lands in a backup), one
 * directory per task, mode 0700, and are bind-mounted read-only into the task's container. A
 * task's directory goes when the task ends or leaves the node; the tmpfs goes when the daemon stops.
 */
export class TaskFiles {
  private ready: Promise<void> | null = null;

  constructor(
    readonly dir: string,
    private readonly log: (m: string) => void,
  ) {}

  /** Mounts the tmpfs unless `dir` is one already (idempotent; safe after a daemon crash). */
  ensureTmpfs(): Promise<void> {
    this.ready ??= (async () => {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      if ((await statfs(this.dir)).type === TMPFS_MAGIC) return;
      await run('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=0700,nodev,nosuid,noexec', 'tsswarm-secrets', this.dir]);
      if ((await statfs(this.dir)).type !== TMPFS_MAGIC) throw new Error(`${this.dir} is not a tmpfs after mounting one: refusing to write secrets there`);
    })().catch((e: unknown) => {
      this.ready = null;
      throw e;
    });
    return this.ready;
  }

  /** Writes the task's files and returns the read-only bind mounts for its container. */
  async write(a: AssignedTask): Promise<MountSpec[]> {
    const c = a.task.spec.container;
    const refs = [...c.secrets.map((r) => ({ kind: 'secret' as const, r })), ...c.configs.map((r) => ({ kind: 'config' as const, r }))];
    if (refs.length === 0) return [];
    await this.ensureTmpfs();
    const taskDir = join(this.dir, a.task.id);
    await mkdir(taskDir, { recursive: true, mode: 0o700 });
    const mounts: MountSpec[] = [];
    for (const { kind, r } of refs) {
      const payload = a.files?.find((f) => f.kind === kind && f.id === r.id);
      if (!payload) throw new Error(`${kind} ${r.name} is not available to this node (removed?)`);
      const file = join(taskDir, `${kind}-${r.id}`);
      await writeFile(file, Buffer.from(payload.data, 'base64'), { mode: r.target.mode });
      const uid = Number(r.target.uid || '0');
      const gid = Number(r.target.gid || '0');
      if (Number.isInteger(uid) && Number.isInteger(gid)) await chown(file, uid, gid);
      mounts.push({ type: 'bind', source: file, target: fileTarget(kind, r.target.name), readOnly: true });
    }
    return mounts;
  }

  /** Removes the files of every task not in `keep`. */
  async prune(keep: ReadonlySet<string>): Promise<void> {
    if (!this.ready) return;
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return;
    }
    for (const n of names) {
      if (keep.has(n)) continue;
      await rm(join(this.dir, n), { recursive: true, force: true }).catch((e: unknown) => this.log(`removing secrets of task ${n}: ${(e as Error).message}`));
    }
  }

  /** Unmounts the tmpfs (daemon stop, leave): everything on it is gone. */
  async unmount(): Promise<void> {
    try {
      if ((await statfs(this.dir)).type !== TMPFS_MAGIC) return;
      await run('umount', ['-l', this.dir]);
    } catch {
      /* not mounted */
    }
    this.ready = null;
  }
}
