import { describe, expect, it } from 'vitest';
import { COMMAND_FORMAT_VERSION, decodeCommand, encodeCommand, InvalidCommandError, type ApplyResult, type Command } from '../../../src/swarm/store/index.js';
import { bytes, network, newStore, node, service, text } from './store-fixtures.js';

function refused(r: ApplyResult): string {
  if (r.ok) throw new Error('expected a refusal');
  expect(r.error).toBeInstanceOf(InvalidCommandError);
  return r.error.reason;
}

describe('store: command format', () => {
  it('encodes as canonical JSON with the version tag, and decodes back', () => {
    const cmd: Command = { v: COMMAND_FORMAT_VERSION, ts: 5, changes: [{ op: 'create', kind: 'node', object: node('n1') }] };
    const b = encodeCommand(cmd);
    expect(text(b).startsWith('{"changes":[{"kind":"node","object":{')).toBe(true);
    expect(text(b).endsWith(',"ts":5,"v":1}')).toBe(true);
    expect(decodeCommand(b)).toEqual(cmd);
  });
});

describe('store: malformed commands are refused with typed errors and change nothing', () => {
  const ok = (changes: unknown[], extra: Record<string, unknown> = {}): Uint8Array => bytes(JSON.stringify({ v: 1, ts: 1, changes, ...extra }));

  const cases: [string, Uint8Array, string, string?][] = [
    ['garbage bytes', new Uint8Array([0xff, 0xfe, 0x00, 0x13]), 'malformed'],
    ['not JSON', bytes('{"v":1,'), 'malformed'],
    ['a JSON array', bytes('[1,2]'), 'malformed'],
    ['no version', bytes(JSON.stringify({ ts: 1, changes: [] })), 'malformed', 'v'],
    ['a future version', bytes(JSON.stringify({ v: 2, ts: 1, changes: [] })), 'unsupported-version', 'v'],
    ['an old unknown version', bytes(JSON.stringify({ v: 0, ts: 1, changes: [] })), 'unsupported-version', 'v'],
    ['no changes', ok([]), 'malformed', 'changes'],
    ['negative ts', ok([{ op: 'create', kind: 'node', object: node('n') }], { ts: -1 }), 'malformed', 'ts'],
    ['unknown top-level field', ok([{ op: 'create', kind: 'node', object: node('n') }], { extra: 1 }), 'malformed'],
    ['unknown op', ok([{ op: 'upsert', kind: 'node', object: node('n') }]), 'malformed', 'changes[0].op'],
    ['unknown kind', ok([{ op: 'create', kind: 'widget', object: { id: 'w' } }]), 'malformed', 'changes[0].kind'],
    ['update without version', ok([{ op: 'update', kind: 'node', object: node('n') }]), 'malformed', 'changes[0].version'],
    ['object violating its schema', ok([{ op: 'create', kind: 'node', object: { ...node('n'), spec: { availability: 'gone', role: 'worker', labels: {} } } }]), 'invalid-object', 'changes[0].object.spec.availability'],
    ['object with a stray field', ok([{ op: 'create', kind: 'service', object: { ...service('s'), owner: 'me' } }]), 'invalid-object'],
    ['object with meta (assigned by apply only)', ok([{ op: 'create', kind: 'node', object: { ...node('n'), meta: { version: 1, createdAt: 0, updatedAt: 0 } } }]), 'invalid-object'],
    ['bad id', ok([{ op: 'create', kind: 'node', object: { ...node('n'), id: '../etc' } }]), 'invalid-object', 'changes[0].object.id'],
    ['one object changed twice', ok([{ op: 'create', kind: 'node', object: node('n') }, { op: 'delete', kind: 'node', id: 'n', version: 1 }]), 'malformed'],
    ['valid change after an invalid one', ok([{ op: 'create', kind: 'network', object: network('x') }, { op: 'create', kind: 'node', object: { id: 'n' } }]), 'invalid-object', 'changes[1].object.spec'],
  ];

  for (const [what, cmd, reason, path] of cases) {
    it(what, async () => {
      const { store } = newStore();
      await store.update((tx) => tx.create('service', service('s0')));
      const before = text(store.snapshot());
      const w = store.watch();
      const r = store.apply(cmd, 2);
      expect(refused(r)).toBe(reason);
      if (path !== undefined && !r.ok) expect((r.error as InvalidCommandError).path).toBe(path);
      expect(text(store.snapshot())).toBe(before);
      expect(w.drain()).toEqual([]);
      // The store still works afterwards.
      await expect(store.update((tx) => tx.create('node', node('after')))).resolves.toBeTruthy();
    });
  }

  it('a command at an index not after the last applied one is refused (replayed log entry)', async () => {
    const { store } = newStore();
    await store.update((tx) => tx.create('node', node('n1')));
    const cmd = bytes(JSON.stringify({ v: 1, ts: 1, changes: [{ op: 'create', kind: 'node', object: node('n2') }] }));
    expect(refused(store.apply(cmd, 1))).toBe('stale-index');
    expect(refused(store.apply(cmd, 0))).toBe('stale-index');
    expect(refused(store.apply(cmd, 1.5))).toBe('stale-index');
    expect(store.apply(cmd, 7).ok).toBe(true);
  });

  it('the error message names the path and never dumps secret payloads', () => {
    const cmd = bytes(JSON.stringify({ v: 1, ts: 1, changes: [{ op: 'create', kind: 'secret', object: { id: 's', spec: { name: 'pw', labels: {}, data: 'hunter2' } } }] }));
    try {
      decodeCommand(cmd);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidCommandError);
      expect((e as Error).message).toContain('changes[0].object.spec.data');
      expect((e as Error).message).not.toContain('hunter2');
    }
  });
});
