import type { GlobalOptions } from './global-options.js';
export async function configCommand(_services: string[], _opts: GlobalOptions): Promise<number> {
  throw new Error('config: being implemented');
}
