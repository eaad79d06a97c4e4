/** `tscompose port SERVICE PRIVATE_PORT`: prints HOST:PORT. */
import { portCommand } from '../../../src/engine/ops/port.js';
import { UserError } from '../../../src/util/errors.js';
import type { GlobalOptions } from '../global-options.js';
import { opsContext } from './common.js';
import { indexFlag } from '../flag-values.js';

export interface PortFlags extends GlobalOptions {
  protocol: string;
  index?: string;
}

export async function port(service: string, privatePort: string, flags: PortFlags): Promise<number> {
  if (!['tcp', 'udp', 'sctp'].includes(flags.protocol)) throw new UserError(`--protocol must be tcp or udp, got ${flags.protocol}`, { code: 'invalid' });
  const index = indexFlag(flags.index);
  const n = /^\d+$/.test(privatePort) ? Number(privatePort) : NaN;
  const { runtime, scope } = await opsContext(flags, { services: [service] });
  const addr = await portCommand(runtime, scope, { service, privatePort: n, protocol: flags.protocol, ...(index !== undefined ? { index } : {}) });
  process.stdout.write(`${addr}\n`);
  return 0;
}
