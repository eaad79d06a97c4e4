import type { DependsOnCondition } from '../compose/types.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { UserError } from '../util/errors.js';

/** A dependency that cannot satisfy its condition: names it and why. */
export class DependencyFailedError extends UserError {
  readonly dependency: string;
  readonly container: string;
  constructor(dependency: string, container: string, reason: string) {
    super(`dependency failed to start: container ${container} ${reason}`, { code: 'failed', exitCode: 1 });
    this.name = 'DependencyFailedError';
    this.dependency = dependency;
    this.container = container;
  }
}

export interface WaitOptions {
  signal?: AbortSignal;
  /** Give up after this many ms (--wait-timeout); default: wait for the container's own verdict. */
  timeoutMs?: number;
  /** Poll interval; inspect is cheap (~1 ms on a local socket). */
  intervalMs?: number;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });

/**
 * Polls one container until it meets a depends_on condition. Fails fast when it cannot: exited
 * (service_started is met by having started; service_healthy is not), unhealthy, exited non-zero.
 */
export async function waitForCondition(
  runtime: ContainerRuntime,
  dependency: string,
  container: string,
  condition: DependsOnCondition | 'running_or_healthy',
  opts: WaitOptions = {},
): Promise<void> {
  const deadline = opts.timeoutMs !== undefined ? Date.now() + opts.timeoutMs : Infinity;
  const interval = opts.intervalMs ?? 50;
  for (;;) {
    if (opts.signal?.aborted) throw new UserError(`cancelled while waiting for ${container}`, { code: 'cancelled', exitCode: 130 });
    const c = await runtime.inspectContainer(container);
    const exited = c.status === 'exited' || c.status === 'dead';
    switch (condition) {
      case 'service_started':
        if (c.startedAt) return;
        break;
      case 'service_healthy':
        if (!c.health) throw new DependencyFailedError(dependency, container, 'has no healthcheck configured (needed by condition service_healthy)');
        if (c.health.status === 'healthy') return;
        if (c.health.status === 'unhealthy') {
          throw new DependencyFailedError(dependency, container, `is unhealthy${c.health.lastOutput !== undefined ? ` (last health check exit ${c.health.lastExitCode}: ${c.health.lastOutput || 'no output'})` : ''}`);
        }
        if (exited) throw new DependencyFailedError(dependency, container, `exited (${c.exitCode}) before becoming healthy`);
        break;
      case 'service_completed_successfully':
        if (exited) {
          if (c.exitCode === 0) return;
          throw new DependencyFailedError(dependency, container, `exited with code ${c.exitCode} (condition service_completed_successfully)`);
        }
        break;
      case 'running_or_healthy':
        if (c.health) {
          if (c.health.status === 'healthy') return;
          if (c.health.status === 'unhealthy') throw new DependencyFailedError(dependency, container, `is unhealthy (last health check: ${c.health.lastOutput ?? ''})`);
        } else if (c.running) return;
        if (exited) throw new DependencyFailedError(dependency, container, `exited with code ${c.exitCode}`);
        break;
    }
    if (Date.now() > deadline) {
      const h = c.health ? ` (health: ${c.health.status}${c.health.lastOutput ? `, last output: ${c.health.lastOutput}` : ''})` : '';
      throw new DependencyFailedError(dependency, container, `did not reach ${condition} within ${opts.timeoutMs} ms${h}`);
    }
    await sleep(interval, opts.signal);
  }
}
