/** Small durable-filesystem helpers: fsync a directory so that creates, renames and unlinks survive a crash. */
import { open } from 'node:fs/promises';

/** fsync a directory: on Linux a rename or a new file is durable only once its directory is synced. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
