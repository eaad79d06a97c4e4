/** `tscompose attach`: flags -> src/engine/ops/attach.ts; the container's exit code is returned. */
import { attachCommand } from '../../../src/engine/ops/attach.js';
import type { GlobalOptions } from '../global-options.js';
import { indexFlag } from '../flag-values.js';
import { opsContext } from './common.js';

export interface AttachFlags extends GlobalOptions {
  index?: string;
  /** false with --no-stdin. */
  stdin: boolean;
  /** false with --no-sig-proxy. */
  sigProxy: boolean;
  detachKeys?: string;
}

export async function attach(service: string, flags: AttachFlags): Promise<number> {
  const index = indexFlag(flags.index);
  const { runtime, scope } = await opsContext(flags, { services: [service] });
  return attachCommand(
    runtime,
    scope,
    {
      service,
      ...(index !== undefined ? { index } : {}),
      stdin: flags.stdin,
      sigProxy: flags.sigProxy,
      ...(flags.detachKeys !== undefined ? { detachKeys: flags.detachKeys } : {}),
    },
    { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
  );
}
