import { formatLimitPath, serviceSpecProblems, type MemoryStore, type Service, type Task } from '../store/index.js';
import { tryGroup } from './loop-runner.js';

/**
 * One bad object must not stop a control loop for the whole cluster. Each leader loop decides for
 * every service in one pure call; when that call throws, or a service is out of the bounds of
 * store/objects/limits.ts (an object an older build accepted: replicas 1e9 once made every
 * orchestrator pass fail with "Set maximum size exceeded" at 2.6 GB), the service is set aside,
 * the loop decides for the others, and the service carries a `problem` (`service ls|inspect`,
 * GET /v1/services) until a pass of that loop goes well for it again. `service rm` deletes it
 * whatever its spec: removal reads nothing but its id.
 */

/** Service id -> why this loop set it aside. */
export type Problems = Map<string, string>;

/** Why a stored service is out of bounds, or null. */
export function boundsProblem(s: Service): string | null {
  const p = serviceSpecProblems(s.spec)[0];
  return p ? `spec out of bounds: ${formatLimitPath(p.path)}: ${p.message}` : null;
}

export interface Isolated<R> {
  result: R;
  problems: Problems;
}

/**
 * `decide` for every service, without the ones it cannot decide for. First the bounds; then one
 * call for all (the normal case, one pass as before); only if that throws, one call per service
 * to find the culprits, then one call without them. Tasks of a set-aside service are left out too
 * (else they would look like tasks of a removed service and be shut down); tasks of services that
 * no longer exist stay in the whole-cluster calls, so removals still wind down.
 * `mayExclude` says whether a service can be left out safely (the allocator must keep seeing
 * services holding addresses); one that cannot be keeps the problem and the loop fails as before.
 */
export function isolateServices<R>(
  services: readonly Service[],
  tasks: readonly Task[],
  decide: (services: readonly Service[], tasks: readonly Task[]) => R,
  o: { checkBounds?: boolean; mayExclude?: (s: Service, own: readonly Task[]) => boolean } = {},
): Isolated<R> {
  const problems: Problems = new Map();
  if (o.checkBounds !== false) for (const s of services) {
    const p = boundsProblem(s);
    if (p !== null) problems.set(s.id, p);
  }
  const without = (bad: ReadonlySet<string>): [Service[], Task[]] => [services.filter((s) => !bad.has(s.id)), tasks.filter((t) => !bad.has(t.serviceId))];
  const mayExclude = (id: string): boolean => o.mayExclude === undefined || o.mayExclude(services.find((s) => s.id === id)!, tasks.filter((t) => t.serviceId === id));
  const excluded = (): Set<string> => new Set([...problems.keys()].filter(mayExclude));
  try {
    return { result: decide(...without(excluded())), problems };
  } catch {
    // Find which services the core cannot decide for, one at a time.
  }
  const bad = excluded();
  for (const s of services) {
    if (bad.has(s.id)) continue;
    try {
      decide([s], tasks.filter((t) => t.serviceId === s.id));
    } catch (e) {
      problems.set(s.id, `${e instanceof Error ? e.message : String(e)}`.slice(0, 500));
    }
  }
  try {
    return { result: decide(...without(excluded())), problems };
  } catch (e) {
    throw new StillFailing(e, problems);
  }
}

/** The pass failed even without the services it could leave out; `problems` still names the culprits. */
export class StillFailing extends Error {
  constructor(
    override readonly cause: unknown,
    readonly problems: Problems,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'StillFailing';
  }
}

/**
 * Writes what changed in this loop's problems: sets them (never over another loop's: the first
 * loop to fail owns the mark until it clears it) and clears its own that went away. Nothing is
 * written while nothing changes, so a service that stays bad costs no raft entry per pass.
 */
export async function recordProblems(store: MemoryStore, loop: string, problems: Problems, now: number): Promise<void> {
  const changes = store.view((tx) =>
    tx.find('service').filter((s) => {
      const want = problems.get(s.id);
      const have = s.problem;
      if (want === undefined) return have !== null && have.loop === loop;
      return have === null || (have.loop === loop && have.message !== want);
    }),
  );
  if (changes.length === 0) return;
  await store.batch(async (b) => {
    for (const s of changes) {
      await tryGroup(b, (tx) => {
        const cur = tx.get('service', s.id);
        if (cur?.meta.version !== s.meta.version) return;
        const want = problems.get(s.id);
        tx.update('service', { ...cur, problem: want === undefined ? null : { loop, message: want, since: now } });
      });
    }
  });
}

/** A problem in one line for logs. */
export function describeProblems(loop: string, problems: Problems, services: readonly Service[]): string[] {
  return [...problems].map(([id, m]) => `${loop}: service ${services.find((s) => s.id === id)?.spec.name ?? id} set aside: ${m}`);
}
