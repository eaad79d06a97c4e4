import type { FileReader } from '../../../src/compose/index.js';

/** In-memory files for loader tests; `-` is stdin. */
export class MemoryReader implements FileReader {
  constructor(readonly files: Record<string, string>) {}
  async readFile(path: string): Promise<string> {
    const f = this.files[path];
    if (f === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return f;
  }
  async exists(path: string): Promise<boolean> {
    return path in this.files;
  }
}
