/**
 * `tscompose scale SERVICE=N...`: what Compose's scale does, `up -d` of those services with their
 * new scale, dependencies included unless --no-deps; other services are not touched.
 */
import { UserError } from '../../../src/util/errors.js';
import type { GlobalOptions } from '../global-options.js';
import { upCommand } from '../up.js';

export interface ScaleFlags extends GlobalOptions {
  deps?: boolean;
}

export async function scale(pairs: string[], flags: ScaleFlags): Promise<number> {
  if (pairs.length === 0) throw new UserError('scale needs at least one SERVICE=REPLICAS', { code: 'invalid', hint: 'e.g. tscompose scale web=3 worker=2' });
  const services = pairs.map((p) => p.split('=')[0]!);
  return upCommand(services, { ...flags, detach: true, scale: pairs, ...(flags.deps === false ? { deps: false } : {}) });
}
