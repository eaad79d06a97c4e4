/**
 * The raft-kv state machine: a map of keys to byte values, plus the HTTP address of every member
 * (recorded by each member when it becomes leader, so followers can redirect clients to it).
 */
import { BinaryReader, BinaryWriter } from '../../src/raft/codec.js';
import type { StateMachine } from '../../src/raft/node/index.js';

export type KvCommand =
  | { op: 'put'; key: string; value: Uint8Array }
  | { op: 'delete'; key: string }
  | { op: 'http-address'; id: string; address: string };

const OP_PUT = 1;
const OP_DELETE = 2;
const OP_HTTP = 3;

export function encodeCommand(c: KvCommand): Uint8Array {
  const w = new BinaryWriter(32 + (c.op === 'put' ? c.value.length : 0));
  if (c.op === 'put') w.u8(OP_PUT).str(c.key).bytes(c.value);
  else if (c.op === 'delete') w.u8(OP_DELETE).str(c.key);
  else w.u8(OP_HTTP).str(c.id).str(c.address);
  return w.finish();
}

export function decodeCommand(b: Uint8Array): KvCommand {
  const r = new BinaryReader(b);
  const op = r.u8();
  if (op === OP_PUT) return { op: 'put', key: r.str(), value: r.bytes() };
  if (op === OP_DELETE) return { op: 'delete', key: r.str() };
  if (op === OP_HTTP) return { op: 'http-address', id: r.str(), address: r.str() };
  throw new Error(`unknown kv command ${op}`);
}

export class KvStore implements StateMachine<boolean> {
  readonly data = new Map<string, Uint8Array>();
  readonly httpAddresses = new Map<string, string>();

  /** Returns whether the key existed before (for DELETE). */
  apply(bytes: Uint8Array): boolean {
    const c = decodeCommand(bytes);
    switch (c.op) {
      case 'put': {
        const had = this.data.has(c.key);
        this.data.set(c.key, c.value);
        return had;
      }
      case 'delete':
        return this.data.delete(c.key);
      case 'http-address':
        this.httpAddresses.set(c.id, c.address);
        return true;
    }
  }

  snapshot(): Uint8Array {
    const w = new BinaryWriter(1024);
    w.u32(this.httpAddresses.size);
    for (const [id, a] of this.httpAddresses) w.str(id).str(a);
    w.u32(this.data.size);
    for (const [k, v] of this.data) w.str(k).bytes(v);
    return w.finish();
  }

  restore(bytes: Uint8Array): void {
    this.data.clear();
    this.httpAddresses.clear();
    if (bytes.length === 0) return;
    const r = new BinaryReader(bytes);
    for (let n = r.u32(); n > 0; n--) this.httpAddresses.set(r.str(), r.str());
    for (let n = r.u32(); n > 0; n--) this.data.set(r.str(), r.bytes());
  }
}
