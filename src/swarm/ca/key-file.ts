/**
 * Private keys on disk. A key is made on the node that uses it (see createNodeKeyAndCsr) and is
 * written only there, owner-read/write only, atomically (a crash never leaves half a key).
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { UserError } from '../../util/errors.js';

export const KEY_FILE_MODE = 0o600;

/** Writes `pem` to `file` with mode 0600 via a temporary file in the same directory and a rename. */
export async function writePrivateKeyFile(file: string, pem: string): Promise<void> {
  const dir = path.dirname(file);
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  // `mode` applies only when the file is created, and the umask may clear bits but never adds
  // any: 0600 at creation means no other user can ever open it, even before the chmod below.
  const fh = await fsp.open(tmp, 'wx', KEY_FILE_MODE);
  try {
    await fh.writeFile(pem);
    await fh.chmod(KEY_FILE_MODE);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

/** Reads a key file, refusing one that group or others can read (someone copied it carelessly). */
export async function readPrivateKeyFile(file: string): Promise<string> {
  const st = await fsp.stat(file);
  if ((st.mode & 0o077) !== 0) {
    throw new UserError(`${file}: private key is accessible by group or others (mode ${(st.mode & 0o777).toString(8)})`, {
      hint: `chmod 600 ${file}`,
    });
  }
  return fsp.readFile(file, 'utf8');
}
