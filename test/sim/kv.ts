/**
 * The simulated application: a string key-value map applied from committed entries, with a
 * snapshot image. Commands carry the client operation id so the proposer can tell whether the
 * entry at its proposal's index is its own.
 */
export interface KvCommand {
  op: string;
  kind: 'put' | 'delete';
  key: string;
  value?: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeCommand(c: KvCommand): Uint8Array {
  return enc.encode(JSON.stringify(c));
}

export function decodeCommand(data: Uint8Array): KvCommand | null {
  if (data.byteLength === 0) return null;
  return JSON.parse(dec.decode(data)) as KvCommand;
}

export class KvStore {
  private map = new Map<string, string>();

  apply(c: KvCommand): void {
    if (c.kind === 'put') this.map.set(c.key, c.value ?? '');
    else this.map.delete(c.key);
  }

  get(key: string): string | null {
    return this.map.get(key) ?? null;
  }

  snapshot(): Uint8Array {
    return enc.encode(JSON.stringify([...this.map.entries()].sort()));
  }

  restore(data: Uint8Array): void {
    this.map = new Map(data.byteLength === 0 ? [] : (JSON.parse(dec.decode(data)) as [string, string][]));
  }
}
