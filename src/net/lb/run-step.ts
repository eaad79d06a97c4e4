/**
 * Runs one tool inside a namespace and turns a failure into an {@link LbCommandError}: the step,
 * the namespace, the argv, the tool's stderr and (when a script went in) the line it rejected.
 */
import { inNetns, type CommandRunner } from './command.js';
import { LbCommandError, type LbStep } from './errors.js';

export async function runStep(
  run: CommandRunner,
  netnsPath: string,
  step: LbStep,
  tool: readonly string[],
  script?: string,
): Promise<string> {
  const argv = inNetns(netnsPath, tool);
  let r;
  try {
    r = await run(argv, script);
  } catch (cause) {
    throw new LbCommandError({ netns: netnsPath, step, argv, status: null, stderr: String(cause), cause });
  }
  if (r.code !== 0) throw new LbCommandError({ netns: netnsPath, step, argv, status: r.code, stderr: r.stderr, ...(script === undefined ? {} : { script }) });
  return r.stdout;
}
