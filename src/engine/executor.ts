/**
 * Walks a Plan as a dependency graph: every operation starts as soon as the operations it waits for
 * have succeeded, so independent work runs in parallel. No decisions here beyond failure handling:
 * after the first failure nothing new starts, in-flight calls finish, and a container this plan
 * created but could not start is removed again so the next `up` starts clean.
 */
import { pack as tarPack } from 'tar-stream';
import { posix, dirname } from 'node:path';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { UserError } from '../util/errors.js';
import { isEngineNotFound } from '../runtime/errors.js';
import { describeOperation, type Operation, type Plan } from './plan.js';
import type { ProgressSink } from './progress.js';
import { noProgress } from './progress.js';
import { runHooks, runPreStart } from './hooks.js';
import { DependencyFailedError, waitForCondition } from './wait-condition.js';

export interface ExecuteOptions {
  progress?: ProgressSink;
  signal?: AbortSignal;
  /** Per-condition deadline for wait-dependency, ms. */
  waitTimeoutMs?: number;
}

export class PlanFailedError extends UserError {
  constructor(message: string, readonly failures: Array<{ op: Operation; error: unknown }>, readonly notStarted: string[], exitCode = 1) {
    super(message, { code: 'failed', exitCode, ...(failures[0] ? { hint: (failures[0].error as UserError).hint } : {}) });
    this.name = 'PlanFailedError';
  }
}

const WORDS: Record<Operation['kind'], [string, string, string]> = {
  'create-network': ['Network', 'Creating', 'Created'],
  'create-volume': ['Volume', 'Creating', 'Created'],
  'create-container': ['Container', 'Creating', 'Created'],
  'start-container': ['Container', 'Starting', 'Started'],
  'wait-dependency': ['Container', 'Waiting', 'Healthy'],
  'stop-container': ['Container', 'Stopping', 'Stopped'],
  'restart-container': ['Container', 'Restarting', 'Started'],
  'kill-container': ['Container', 'Killing', 'Killed'],
  'remove-container': ['Container', 'Removing', 'Removed'],
  'remove-network': ['Network', 'Removing', 'Removed'],
  'remove-volume': ['Volume', 'Removing', 'Removed'],
  'remove-image': ['Image', 'Removing', 'Removed'],
};

/**
 * --dry-run: what executePlan would do, one progress line per operation in plan order (the
 * order every dependency allows), as docker compose prints it, each with its cause; the engine is
 * not called.
 */
export function reportPlan(plan: Plan, progress: ProgressSink): void {
  for (const w of plan.warnings) progress({ resource: 'Warning', text: w, status: 'warning' });
  for (const op of plan.operations) {
    const [noun, , did] = op.kind === 'create-container' && op.replaces ? (['Container', 'Recreate', 'Recreated'] as const) : WORDS[op.kind];
    const name = op.kind === 'wait-dependency' ? op.containers.join(', ') || op.dependency : op.name;
    // The cause goes in the detail, which renderers print after the state word in parentheses,
    // so scripts matching docker compose's `DRY-RUN MODE - Container x  Created` still match.
    progress({ resource: `DRY-RUN MODE - ${noun} ${name}`, text: op.kind === 'wait-dependency' ? conditionWord(op.condition) : did, status: 'done', detail: op.cause });
  }
}

export async function executePlan(runtime: ContainerRuntime, plan: Plan, opts: ExecuteOptions = {}): Promise<void> {
  const progress = opts.progress ?? noProgress;
  for (const w of plan.warnings) progress({ resource: 'Warning', text: w, status: 'warning' });
  const ops = plan.operations;
  if (ops.length === 0) return;
  const done = new Set<number>();
  const started = new Set<number>();
  const failures: Array<{ op: Operation; error: unknown }> = [];
  let inFlight = 0;

  await new Promise<void>((resolve) => {
    const pump = (): void => {
      if (failures.length === 0 && !opts.signal?.aborted) {
        for (const op of ops) {
          if (started.has(op.id) || !op.deps.every((d) => done.has(d))) continue;
          started.add(op.id);
          inFlight++;
          void run(op).then(
            () => { done.add(op.id); },
            (error: unknown) => { failures.push({ op, error }); },
          ).finally(() => {
            inFlight--;
            pump();
          });
        }
      }
      if (inFlight === 0) resolve();
    };
    pump();
  });

  if (failures.length === 0 && opts.signal?.aborted) throw new UserError('cancelled', { code: 'cancelled', exitCode: 130 });
  if (failures.length === 0) return;
  const notStarted = [...new Set(ops.filter((o) => o.kind === 'start-container' && !done.has(o.id) && o.service).map((o) => o.service!))].sort();
  const first = failures[0]!;
  const msg = first.error instanceof Error ? first.error.message : String(first.error);
  const tail = notStarted.length ? `\nnot started: ${notStarted.join(', ')}` : '';
  const extra = failures.length > 1 ? `\n(${failures.length - 1} more failed: ${failures.slice(1).map((f) => describeOperation(f.op)).join('; ')})` : '';
  throw new PlanFailedError(`${msg}${tail}${extra}`, failures, notStarted);

  async function run(op: Operation): Promise<void> {
    // A create that replaces a container reads as Compose v2 prints it: Recreate, Recreated.
    const [noun, doing, did] = op.kind === 'create-container' && op.replaces ? (['Container', 'Recreate', 'Recreated'] as const) : WORDS[op.kind];
    const resource = `${noun} ${op.kind === 'wait-dependency' ? op.containers.join(', ') || op.dependency : op.name}`;
    progress({ resource, text: doing, status: 'working' });
    try {
      await perform(op);
      progress({ resource, text: op.kind === 'wait-dependency' ? conditionWord(op.condition) : did, status: 'done' });
    } catch (e) {
      if (op.kind === 'wait-dependency' && !op.required && e instanceof DependencyFailedError) {
        progress({ resource, text: 'Skipped', status: 'warning', detail: `optional dependency: ${e.message}` });
        return;
      }
      progress({ resource, text: 'Error', status: 'error', detail: e instanceof Error ? e.message : String(e) });
      throw e;
    }
  }

  async function perform(op: Operation): Promise<void> {
    switch (op.kind) {
      case 'create-network':
        await runtime.createNetwork(op.spec);
        return;
      case 'create-volume':
        await runtime.createVolume(op.spec);
        return;
      case 'create-container': {
        for (const f of op.hostFiles ?? []) await writeHostFile(f.path, f.content, f.mode);
        const id = await runtime.createContainer(op.spec);
        if (op.files.length) await runtime.putArchive(id, '/', await filesTar(op.files));
        return;
      }
      case 'start-container':
        // pre_start failing leaves the container created, not started, as Compose does.
        if (op.preStart) await runPreStart(runtime, op.service ?? op.name, op.preStart);
        try {
          await runtime.startContainer(op.name);
        } catch (e) {
          // A container we just created and could not start would be "started" again by the next
          // up and fail the same way; remove it so the next up recreates it from the fixed config.
          if (op.created) await runtime.removeContainer(op.name, { force: true }).catch(() => undefined);
          throw e;
        }
        if (op.hooks) await runHooks(runtime, op.name, op.service ?? op.name, 'post_start', op.hooks);
        return;
      case 'wait-dependency':
        await Promise.all(op.containers.map((c) => waitForCondition(runtime, op.dependency, c, op.condition, {
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(opts.waitTimeoutMs !== undefined ? { timeoutMs: opts.waitTimeoutMs } : {}),
        })));
        return;
      case 'stop-container':
        if (op.hooks) await runHooks(runtime, op.name, op.service ?? op.name, 'pre_stop', op.hooks);
        await runtime.stopContainer(op.name, op.timeout !== undefined ? { timeout: op.timeout } : {});
        return;
      case 'restart-container':
        await runtime.restartContainer(op.name, op.timeout !== undefined ? { timeout: op.timeout } : {});
        return;
      case 'kill-container':
        await runtime.killContainer(op.name, op.signal);
        return;
      case 'remove-container':
        await runtime.removeContainer(op.name, { force: true, volumes: op.volumes });
        return;
      case 'remove-network':
        if (op.disconnect) {
          // Endpoints the plan did not remove (one-off or foreign containers) are disconnected,
          // as Compose does before recreating a network.
          const net = await runtime.inspectNetwork(op.name);
          await Promise.all(net.containers.map((c) => runtime.disconnectNetwork(op.name, c, { force: true }).catch(() => undefined)));
        }
        await runtime.removeNetwork(op.name);
        return;
      case 'remove-volume':
        try {
          await runtime.removeVolume(op.name);
        } catch (e) {
          // A container's own anonymous volume goes with it (`down -v` removes containers with
          // their volumes first), so the volume this op was to remove can be gone already: done.
          if (!isEngineNotFound(e)) throw e;
        }
        return;
      case 'remove-image':
        await runtime.removeImage(op.name);
        return;
    }
  }
}

function conditionWord(c: string): string {
  return c === 'service_healthy' ? 'Healthy' : c === 'service_completed_successfully' ? 'Exited' : 'Started';
}

async function filesTar(files: Array<{ target: string; content: string; mode: number }>): Promise<Buffer> {
  const p = tarPack();
  for (const f of files) p.entry({ name: posix.normalize(f.target).replace(/^\/+/, ''), mode: f.mode }, f.content);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** Writes a materialized secret/config; rewriting in place keeps running containers' mounts valid. */
async function writeHostFile(path: string, content: string, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // A previous up left it read-only; make it writable for the owner before rewriting in place.
  await chmod(path, 0o600).catch(() => undefined);
  await writeFile(path, content, { mode });
  await chmod(path, mode);
}
