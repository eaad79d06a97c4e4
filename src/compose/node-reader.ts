/** The Node-side {@link FileReader}: the file system, and stdin for `-`. Reused by every command. */
import { readFile, stat } from 'node:fs/promises';
import type { FileReader } from './types.js';

export class NodeFileReader implements FileReader {
  private stdin: Promise<string> | undefined;

  async readFile(path: string): Promise<string> {
    if (path === '-') {
      this.stdin ??= readStdin();
      return this.stdin;
    }
    return readFile(path, 'utf8');
  }

  async exists(path: string): Promise<boolean> {
    try {
      return (await stat(path)).isFile();
    } catch {
      return false;
    }
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
