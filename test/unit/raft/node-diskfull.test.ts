import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RaftNode, StorageFailedError, type StateMachine } from '../../../src/raft/node/index.js';

// A 2 MiB tmpfs gives a real ENOSPC. Needs root (mount); skipped otherwise.
const canMount = process.getuid?.() === 0;
let mnt = '';
let mounted = false;

beforeAll(async () => {
  if (!canMount) return;
  mnt = await mkdtemp(join(tmpdir(), 'raft-node-enospc-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]);
  mounted = true;
});
afterAll(async () => {
  if (mounted) execFileSync('umount', ['-l', mnt]);
  if (mnt) await rm(mnt, { recursive: true, force: true });
});

class Log implements StateMachine<number> {
  items: number[] = [];
  apply(data: Uint8Array): number {
    this.items.push(data[0]! + 256 * data[1]!);
    return this.items.length;
  }
  snapshot(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify(this.items));
  }
  restore(d: Uint8Array): void {
    this.items = d.length ? (JSON.parse(new TextDecoder().decode(d)) as number[]) : [];
  }
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe.skipIf(!canMount)('RaftNode on a full disk', () => {
  it('rejects proposals with StorageFailedError, stops accepting writes, and keeps acknowledged ones', async () => {
    const port = await freePort();
    const opts = (sm: Log) => ({
      id: 'solo',
      dataDir: join(mnt, 'solo'),
      listen: { host: '127.0.0.1', port },
      peers: { solo: `127.0.0.1:${port}` },
      stateMachine: sm,
      tickMs: 10,
      segmentBytes: 256 * 1024,
      logger: { warn: () => undefined },
    });
    const sm = new Log();
    const node = new RaftNode(opts(sm));
    await node.start();
    for (let i = 0; i < 300 && node.role !== 'leader'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(node.role).toBe('leader');
    const value = new Uint8Array(8 * 1024);
    const acked: number[] = [];
    let failure: unknown = null;
    for (let i = 0; i < 1000; i++) {
      value[0] = i & 255;
      value[1] = i >> 8;
      try {
        await node.propose(value.slice(), { timeoutMs: 2000 });
        acked.push(i);
      } catch (e) {
        failure = e;
        break;
      }
    }
    expect(failure).toBeInstanceOf(StorageFailedError);
    expect((failure as StorageFailedError).message).toMatch(/ENOSPC/);
    expect(acked.length).toBeGreaterThan(10);
    expect(await node.propose(new Uint8Array([1, 0])).catch((e: unknown) => e)).toBeInstanceOf(StorageFailedError);
    expect(node.storageFailure).not.toBeNull();
    await node.stop();

    // After a restart on the same (still full) disk every acknowledged write is there.
    const sm2 = new Log();
    const again = new RaftNode(opts(sm2));
    await again.start();
    try {
      for (let i = 0; i < 300 && sm2.items.length < acked.length; i++) await new Promise((r) => setTimeout(r, 10));
      expect(sm2.items.slice(0, acked.length)).toEqual(acked);
    } finally {
      await again.stop();
    }
  });
});
