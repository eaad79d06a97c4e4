import type { Node } from '../../store/index.js';

/**
 * Placement constraints as Docker writes them: `node.id==x`, `node.hostname!=h`,
 * `node.role==manager`, `node.labels.zone==a`, plus `node.platform.os`, `node.platform.arch` and
 * `engine.labels.X`. Values compare case-insensitively, as swarmkit does, because users type
 * hostnames and label values by hand.
 */
export interface Constraint {
  key: string;
  op: '==' | '!=';
  value: string;
}

/** A constraint that cannot be parsed; the scheduler reports it instead of placing the task. */
export class ConstraintError extends Error {
  constructor(readonly expression: string, why: string) {
    super(`invalid constraint "${expression}": ${why}`);
    this.name = 'ConstraintError';
  }
}

const KEY = /^(node\.(id|hostname|role|platform\.os|platform\.arch)|node\.labels\.[^=!\s]+|engine\.labels\.[^=!\s]+)$/;

export function parseConstraint(expr: string): Constraint {
  // `!=` is looked for first: `a!=b` also contains `=`.
  const m = /^(.*?)(==|!=)(.*)$/.exec(expr);
  if (!m) throw new ConstraintError(expr, 'expected KEY==VALUE or KEY!=VALUE');
  const key = (m[1] ?? '').trim();
  const value = (m[3] ?? '').trim();
  if (!KEY.test(key)) throw new ConstraintError(expr, `unknown key "${key}" (node.id, node.hostname, node.role, node.platform.os, node.platform.arch, node.labels.NAME, engine.labels.NAME)`);
  if (value === '') throw new ConstraintError(expr, 'empty value');
  return { key, op: m[2] as '==' | '!=', value };
}

/** Parse every expression; throws the first {@link ConstraintError}. */
export function parseConstraints(exprs: readonly string[]): Constraint[] {
  return exprs.map(parseConstraint);
}

/** The node's value for a constraint key, or undefined when it has none (a missing label). */
export function nodeValue(n: Node, key: string): string | undefined {
  if (key === 'node.id') return n.id;
  if (key === 'node.hostname') return n.description?.hostname;
  if (key === 'node.role') return n.spec.role;
  if (key === 'node.platform.os') return n.description?.platform.os;
  if (key === 'node.platform.arch') return n.description?.platform.architecture;
  if (key.startsWith('node.labels.')) return n.spec.labels[key.slice('node.labels.'.length)];
  if (key.startsWith('engine.labels.')) return n.description?.engine.labels[key.slice('engine.labels.'.length)];
  return undefined;
}

/** A missing value never equals anything, so `!=` holds on nodes without the label. */
export function matchesConstraint(n: Node, c: Constraint): boolean {
  const v = nodeValue(n, c.key);
  const eq = v !== undefined && v.toLowerCase() === c.value.toLowerCase();
  return c.op === '==' ? eq : !eq;
}

export function matchesAll(n: Node, cs: readonly Constraint[]): boolean {
  return cs.every((c) => matchesConstraint(n, c));
}
