/**
 * The overlay dataplane of one host: observe, plan, apply. The agent calls {@link
 * OverlayDataplane.converge} every pass with the full wanted state; nothing is remembered between
 * passes, so a restarted agent (or a human who deleted a device) is simply re-converged.
 */
import { apply, execRunner, type CommandRunner } from './exec.js';
import { observe } from './observe.js';
import { plan, planTeardown } from './plan.js';
import type { OverlayHostWanted, OverlayObserved, OverlayPending, OverlayPlan } from './types.js';

export interface OverlayDataplaneOptions {
  /** Network namespace path to program instead of the caller's own (tests: a lab host). */
  readonly netns?: string;
  /** Replaces process execution (tests); default {@link execRunner} with `netns`. */
  readonly runner?: CommandRunner;
}

export interface ConvergeResult {
  /** Commands run in this pass (0 when the kernel already matched). */
  readonly commands: number;
  /** Networks that could not be programmed yet (VNI held by a foreign device). */
  readonly pending: readonly OverlayPending[];
}

export class OverlayDataplane {
  readonly #run: CommandRunner;
  /** Passes run one at a time: two interleaved plans would each act on the other's half-work. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(opts: OverlayDataplaneOptions = {}) {
    this.#run = opts.runner ?? execRunner(opts.netns === undefined ? {} : { netns: opts.netns });
  }

  /** What the kernel holds now (for tests and `inspect`-like views). */
  observe(): Promise<OverlayObserved> {
    return observe(this.#run);
  }

  /** What a converge would do now, without doing it. */
  async plan(wanted: OverlayHostWanted): Promise<OverlayPlan> {
    return plan(wanted, await observe(this.#run));
  }

  /**
   * Makes the kernel hold exactly `wanted`. Throws OverlayWantedError before running anything if
   * the wanted state is invalid, OverlayCommandError (with the device and stderr) if a command fails.
   */
  converge(wanted: OverlayHostWanted): Promise<ConvergeResult> {
    return this.#serial(async () => {
      const p = plan(wanted, await observe(this.#run));
      await apply(this.#run, p.commands);
      return { commands: p.commands.length, pending: p.pending };
    });
  }

  /** Removes our VXLAN devices and shims (their fdb and neighbours go with them) and the firewall table. */
  teardown(): Promise<{ commands: number }> {
    return this.#serial(async () => {
      const cmds = planTeardown(await observe(this.#run));
      await apply(this.#run, cmds);
      return { commands: cmds.length };
    });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}
