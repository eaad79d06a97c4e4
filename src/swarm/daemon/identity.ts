import { mkdir, open, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readPrivateKeyFile, writePrivateKeyFile } from '../ca/index.js';
import { nodeStateSchema, type Identity, type NodeState } from '../api/identity.js';

/**
 * What a node remembers about itself across restarts, in its data dir: `node.json` (ids, role,
 * addresses, known managers), `node.key` (0600), `node.crt`, `ca.crt`, and on managers `ca.key`
 * (0600). With these a restarted daemon is the same node of the same cluster. The shapes are in
 * src/swarm/api/identity.ts; this file only reads and writes them.
 */

const STATE = 'node.json';

export async function loadIdentity(dataDir: string): Promise<Identity | null> {
  await finishCredentialSwap(dataDir);
  let raw: string;
  try {
    raw = await readFile(join(dataDir, STATE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const state = nodeStateSchema.parse(JSON.parse(raw));
  const caKeyPem = state.role === 'manager' ? await readPrivateKeyFile(join(dataDir, 'ca.key')).catch(() => null) : null;
  return {
    state,
    keyPem: await readPrivateKeyFile(join(dataDir, 'node.key')),
    certPem: await readFile(join(dataDir, 'node.crt'), 'utf8'),
    caPem: await readFile(join(dataDir, 'ca.crt'), 'utf8'),
    caKeyPem,
  };
}

/** Writes key material first and node.json last (atomically), so a crash never leaves a state without its keys. */
export async function saveIdentity(dataDir: string, id: Identity): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writePrivateKeyFile(join(dataDir, 'node.key'), id.keyPem);
  if (id.caKeyPem) await writePrivateKeyFile(join(dataDir, 'ca.key'), id.caKeyPem);
  await writeFile(join(dataDir, 'node.crt'), id.certPem);
  await writeFile(join(dataDir, 'ca.crt'), id.caPem);
  await saveNodeState(dataDir, id.state);
}

export async function saveNodeState(dataDir: string, state: NodeState): Promise<void> {
  const tmp = join(dataDir, `${STATE}.tmp`);
  await writeFile(tmp, JSON.stringify(state, null, 2) + '\n');
  await rename(tmp, join(dataDir, STATE));
}

const SWAP_MARK = 'credentials.swap';
const SWAPPED = ['node.key', 'node.crt', 'ca.key'] as const;

/**
 * Replaces this node's key and certificate (and on managers the CA key) as one step, for renewal
 * and role changes: a key must never sit beside a certificate for another key, or the node could
 * not talk to anyone after a crash. New files are written beside the old ones, then a marker
 * commits the swap, then they are renamed into place; {@link loadIdentity} finishes a committed
 * swap and discards an uncommitted one. A worker's `ca.key` (after a demotion) is deleted.
 */
export async function swapCredentials(dataDir: string, id: Identity): Promise<void> {
  await writePrivateKeyFile(join(dataDir, 'node.key.new'), id.keyPem);
  await writeSynced(join(dataDir, 'node.crt.new'), id.certPem);
  if (id.caKeyPem) await writePrivateKeyFile(join(dataDir, 'ca.key.new'), id.caKeyPem);
  await writeSynced(join(dataDir, SWAP_MARK), id.caKeyPem ? 'node.key node.crt ca.key\n' : 'node.key node.crt -ca.key\n');
  await finishCredentialSwap(dataDir);
  await saveNodeState(dataDir, id.state);
}

async function finishCredentialSwap(dataDir: string): Promise<void> {
  let marker: string;
  try {
    marker = await readFile(join(dataDir, SWAP_MARK), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    // No commit: leftovers of an interrupted swap are discarded, the old pair stays.
    const names = await readdir(dataDir).catch(() => [] as string[]);
    for (const f of names) if (f.endsWith('.new')) await rm(join(dataDir, f), { force: true });
    return;
  }
  for (const f of SWAPPED) {
    await rename(join(dataDir, `${f}.new`), join(dataDir, f)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
  if (marker.includes('-ca.key')) await rm(join(dataDir, 'ca.key'), { force: true });
  await rm(join(dataDir, SWAP_MARK), { force: true });
}

async function writeSynced(file: string, text: string): Promise<void> {
  const fh = await open(file, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
