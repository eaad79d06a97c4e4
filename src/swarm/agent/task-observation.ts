import type { ContainerInfo, ContainerSummary } from '../../runtime/index.js';
import { stateIndex, type TaskHealth, type TaskState } from '../store/index.js';
import type { TaskReport } from '../api/task-report.js';

/**
 * A task's state read off its container (Swarm's rules, specs/tasks.md): created but not started
 * is `ready`; running is `running`, with `health` `starting` until the first healthy probe and
 * then `healthy`; unhealthy is `failed` (the agent then stops the container); exited is `complete`
 * with code 0, `failed` otherwise, or `shutdown` when the manager asked the task to stop. Pure.
 */
export function observeContainer(taskId: string, c: ContainerInfo, desired: TaskState): TaskReport {
  const base = { taskId, containerId: c.id, exitCode: null, err: null, health: null };
  const stopRequested = stateIndex(desired) > stateIndex('running');
  if (c.running || c.restarting || c.paused) {
    const h = c.health?.status;
    if (h === 'unhealthy') {
      const out = c.health?.lastOutput?.trim();
      return { ...base, state: 'failed', health: 'unhealthy', message: 'unhealthy container', err: `task: unhealthy container${out ? ` (last probe: ${out.slice(0, 200)})` : ''}` };
    }
    if (h === 'starting') return { ...base, state: 'running', health: 'starting', message: 'running, waiting for the first healthy probe' };
    if (h === 'healthy') return { ...base, state: 'running', health: 'healthy', message: 'running (healthy)' };
    return { ...base, state: 'running', message: 'running' };
  }
  if (!c.startedAt || c.startedAt.startsWith('0001-')) return { ...base, state: 'ready', message: 'created' };
  if (stopRequested) return { ...base, state: 'shutdown', exitCode: c.exitCode, message: 'shut down' };
  if (c.exitCode === 0) return { ...base, state: 'complete', exitCode: 0, message: 'finished' };
  const why = c.oomKilled ? 'out of memory' : c.error ? c.error : `non-zero exit (${c.exitCode})`;
  return { ...base, state: 'failed', exitCode: c.exitCode, message: 'failed', err: `task: ${why}` };
}

/**
 * The report for a running container read off the engine's list entry alone ("Up 3 minutes
 * (healthy)"), or null when only an inspect can tell (exited: the exit code; unhealthy: the probe
 * output; anything the task does not already show). Why: the agent looks at every task every pass,
 * and an inspect per task per pass is most of an idle node's engine load. Pure.
 */
export function quickObserve(taskId: string, c: ContainerSummary, known: { state: TaskState; health: TaskHealth | null; containerId: string | null }, desired: TaskState): TaskReport | null {
  if (c.status !== 'running' || stateIndex(desired) > stateIndex('running')) return null;
  const h = /\(healthy\)/.test(c.statusText) ? 'healthy' : /\(health: starting\)/.test(c.statusText) ? 'starting' : /\(unhealthy\)/.test(c.statusText) ? 'unhealthy' : null;
  if (h === 'unhealthy') return null;
  if (known.state !== 'running' || known.health !== h || known.containerId !== c.id) return null;
  return { taskId, state: 'running', message: h === 'healthy' ? 'running (healthy)' : h === 'starting' ? 'running, waiting for the first healthy probe' : 'running', err: null, exitCode: null, containerId: c.id, health: h };
}
