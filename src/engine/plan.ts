/**
 * A Plan is data: operations, each one engine call (or one gate), with the operations it must wait
 * for. The reconciler builds it without touching the engine; the executor walks it without making
 * decisions. `planToString` renders it for golden tests and `--dry-run`-style debugging.
 */
import type { DependsOnCondition, LifecycleHook } from '../compose/types.js';
import type { ContainerSpec, NetworkSpec, VolumeSpec } from '../runtime/types.js';

interface OpBase {
  id: number;
  /** Ids of operations that must succeed first. */
  deps: number[];
  /** Service this operation belongs to, when it acts on a service's container. */
  service?: string;
  /** Why the planner chose it ("missing", "config hash changed: image", "scale 3 -> 2"): `--dry-run` prints it. */
  cause: string;
}

export type Operation =
  | (OpBase & { kind: 'create-network'; name: string; spec: NetworkSpec })
  | (OpBase & { kind: 'create-volume'; name: string; spec: VolumeSpec })
  | (OpBase & { kind: 'create-container'; name: string; spec: ContainerSpec; files: Array<{ target: string; content: string; mode: number }>; hostFiles?: Array<{ path: string; content: string; mode: number }>; replaces?: string })
  | (OpBase & { kind: 'start-container'; name: string; created: boolean; /** post_start hooks. */ hooks?: LifecycleHook[]; /** pre_start hook containers, run in order first. */ preStart?: ContainerSpec[] })
  | (OpBase & { kind: 'wait-dependency'; name: string; dependency: string; condition: DependsOnCondition; containers: string[]; required: boolean })
  | (OpBase & { kind: 'stop-container'; name: string; timeout?: number; /** pre_stop hooks. */ hooks?: LifecycleHook[] })
  | (OpBase & { kind: 'restart-container'; name: string; timeout?: number })
  | (OpBase & { kind: 'kill-container'; name: string; signal: string })
  | (OpBase & { kind: 'remove-container'; name: string; volumes: boolean })
  | (OpBase & { kind: 'remove-network'; name: string; /** Disconnect remaining endpoints first (recreate). */ disconnect?: boolean })
  | (OpBase & { kind: 'remove-volume'; name: string })
  | (OpBase & { kind: 'remove-image'; name: string });

export type OperationKind = Operation['kind'];

export interface Plan {
  operations: Operation[];
  /** Things the user should know that do not stop the plan (orphans, optional dependencies). */
  warnings: string[];
}

/** Appends operations and hands out ids; the reconciler's only mutable helper. */
export class PlanBuilder {
  readonly operations: Operation[] = [];
  readonly warnings: string[] = [];

  add<K extends OperationKind>(op: Omit<Extract<Operation, { kind: K }>, 'id' | 'deps'> & { kind: K; deps?: Array<number | undefined> }): number {
    const id = this.operations.length + 1;
    const deps = [...new Set((op.deps ?? []).filter((d): d is number => d !== undefined))].sort((a, b) => a - b);
    this.operations.push({ ...op, id, deps } as unknown as Operation);
    return id;
  }

  build(): Plan {
    return { operations: this.operations, warnings: this.warnings };
  }
}

export function describeOperation(op: Operation): string {
  switch (op.kind) {
    case 'wait-dependency':
      return `wait-dependency ${op.name} on ${op.dependency} ${op.condition}${op.required ? '' : ' (optional)'} [${op.containers.join(' ')}]`;
    case 'create-container':
      return `create-container ${op.name}${op.replaces ? ` (replaces ${op.replaces})` : ''}`;
    case 'kill-container':
      return `kill-container ${op.name} ${op.signal}`;
    default:
      return `${op.kind} ${op.name}`;
  }
}

/** One line per operation: `#id kind target [after #a #b] -- cause`. */
export function planToString(plan: Plan): string {
  const lines = plan.operations.map((op) => `#${op.id} ${describeOperation(op)}${op.deps.length ? ` after ${op.deps.map((d) => `#${d}`).join(' ')}` : ''} -- ${op.cause}`);
  for (const w of plan.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n') + (lines.length ? '\n' : '');
}
