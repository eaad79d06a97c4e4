import type { AssignedTask, Assignments, TaskFile } from '../api/assignments.js';
import type { RegistryAuth } from '../api/registry-auth.js';
import { sameObservation, type TaskReport } from '../api/task-report.js';
import { isTerminal, stateIndex, type MemoryStore, type Task } from '../store/index.js';

/** What goes with a task that should run: its secrets and configs, its service's registry credentials. */
export interface TaskPayloads {
  files(t: Task): TaskFile[];
  registryAuth(t: Task): RegistryAuth | undefined;
}

const NO_PAYLOADS: TaskPayloads = { files: () => [], registryAuth: () => undefined };

/**
 * What a node must act on: tasks assigned to it that should run, or that should stop and have not
 * been seen stopped yet.
 */
export function assignmentsFor(store: MemoryStore, nodeId: string, payloads: TaskPayloads = NO_PAYLOADS, since = 0): Assignments {
  return store.view((tx) => {
    const mine = tx
      .findTasksByNode(nodeId)
      .filter((t) => stateIndex(t.desiredState) <= stateIndex('running') || !isTerminal(t.status.state))
      .filter((t) => stateIndex(t.status.state) >= stateIndex('assigned') || stateIndex(t.desiredState) > stateIndex('running'));
    const tasks = mine
      .filter((t) => t.meta.version > since)
      .map((task) => {
        const a: AssignedTask = { task, serviceName: tx.get('service', task.serviceId)?.spec.name ?? task.serviceId };
        // Payloads go out only while the task should run and has not ended.
        if (task.desiredState === 'running' && !isTerminal(task.status.state)) {
          const f = payloads.files(task);
          if (f.length > 0) a.files = f;
          const auth = payloads.registryAuth(task);
          if (auth) a.registryAuth = auth;
        }
        return a;
      });
    return { index: tx.index, ids: mine.map((t) => t.id), tasks };
  });
}

/**
 * Writes a node's reports in one transaction. A node may report only its own tasks, and a task's
 * observed state only moves forward (swarmkit's rule): an old report arriving late, or one about a
 * task since moved elsewhere, changes nothing. Returns how many were applied.
 */
export async function applyTaskReports(store: MemoryStore, nodeId: string, reports: TaskReport[], now: () => number = Date.now): Promise<number> {
  const r = await store.update((tx) => {
    let n = 0;
    for (const rep of reports) {
      const t = tx.get('task', rep.taskId);
      if (!t || t.nodeId !== nodeId) continue;
      const forward = stateIndex(rep.state) > stateIndex(t.status.state);
      const detail = rep.state === t.status.state && !sameObservation(rep, t.status);
      if (!forward && !detail) continue;
      tx.update('task', {
        ...t,
        status: { state: rep.state, timestamp: now(), message: rep.message, err: rep.err, exitCode: rep.exitCode, containerId: rep.containerId, health: rep.health },
      });
      n++;
    }
    return n;
  });
  return r.value;
}
