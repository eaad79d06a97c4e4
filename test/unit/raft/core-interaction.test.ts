/**
 * Data-driven interaction tests (after etcd's interaction_test.go): each file in core-testdata/ is a
 * script of commands, each followed by `----` and the expected output (the messages delivered, or
 * the status printed). The output is the full message trace, so a behaviour change shows up as a
 * readable diff. Regenerate after an intended change with `REWRITE=1 npx vitest run
 * test/unit/raft/core-interaction.test.ts` and review the diff.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EntryType, type Message } from '../../../src/raft/types.js';
import { Net, dec, enc } from './core-network.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'core-testdata');

interface Block {
  command: string;
  expected: string;
}

function parse(text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '' || line.startsWith('#')) {
      i++;
      continue;
    }
    const command = line.trim();
    i++;
    if (lines[i] !== '----') throw new Error(`expected ---- after "${command}" at line ${i + 1}`);
    i++;
    const out: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '') out.push(lines[i++]!);
    blocks.push({ command, expected: out.join('\n') });
  }
  return blocks;
}

function fmtMsg(m: Message): string {
  const parts = [`${m.from}->${m.to} ${m.type} term=${m.term}`];
  if (m.logTerm !== undefined || m.index !== undefined) parts.push(`log=${m.logTerm ?? 0}/${m.index ?? 0}`);
  if (m.entries && m.entries.length > 0) parts.push(`entries=[${m.entries.map((e) => `${e.term}/${e.index}${e.type === EntryType.ConfChange ? ':conf' : e.data.byteLength ? `:${dec(e.data)}` : ''}`).join(' ')}]`);
  if (m.commit !== undefined) parts.push(`commit=${m.commit}`);
  if (m.reject) parts.push(`reject hint=${m.rejectHint ?? 0}`);
  if (m.snapshot) parts.push(`snapshot=${m.snapshot.meta.term}/${m.snapshot.meta.index}`);
  if (m.context && m.context.byteLength > 0) parts.push(`ctx=${dec(m.context)}`);
  return parts.join(' ');
}

/** Runs one script; returns the actual text in the same format (for comparing or rewriting). */
function run(text: string): { actual: string; blocks: { command: string; expected: string; actual: string }[] } {
  let net: Net | null = null;
  const results: { command: string; expected: string; actual: string }[] = [];
  const need = (): Net => {
    if (!net) throw new Error('add-nodes first');
    return net;
  };
  const deliverAll = (): string[] => {
    const n = need();
    const out: string[] = [];
    const seen = n.sent.length;
    n.stabilize();
    for (const m of n.sent.slice(seen)) out.push(fmtMsg(m));
    return out;
  };
  for (const b of parse(text)) {
    const [cmd, ...args] = b.command.split(/\s+/);
    let out: string[] = [];
    switch (cmd) {
      case 'add-nodes':
        net = new Net(args.filter((a) => !a.startsWith('--')), { preVote: args.includes('--prevote'), checkQuorum: args.includes('--checkquorum') });
        out = ['ok'];
        break;
      case 'campaign':
        need().core(args[0]!).campaign();
        out = deliverAll();
        break;
      case 'propose': {
        // `--hold`: do not deliver anything yet (a later `deliver` does).
        const r = need().core(args[0]!).propose(enc(args[1] ?? ''));
        out = [r.ok ? `ok ${r.term}/${r.index}` : `rejected ${r.reason} leader=${r.leader ?? '-'}`, ...(args.includes('--hold') ? [] : deliverAll())];
        break;
      }
      case 'conf-change': {
        const r = need().core(args[0]!).proposeConfChange({ type: args[1] as 'add-learner', node: args[2]! });
        out = [r.ok ? `ok ${r.term}/${r.index}` : `rejected ${r.reason}`, ...(args.includes('--hold') ? [] : deliverAll())];
        break;
      }
      case 'deliver':
        out = deliverAll();
        break;
      case 'tick': {
        const n = need();
        for (let k = 0; k < Number(args[1] ?? 1); k++) n.core(args[0]!).tick();
        out = deliverAll();
        break;
      }
      case 'read-index':
        need().core(args[0]!).readIndex(enc(args[1] ?? 'r'));
        out = deliverAll();
        for (const rs of need().readStates.get(args[0]!)!.splice(0)) out.push(`read-state index=${rs.index} ctx=${dec(rs.context)}`);
        break;
      case 'transfer':
        need().core(args[0]!).transferLeadership(args[1]!);
        out = deliverAll();
        break;
      case 'isolate':
        need().isolate(args[0]!);
        out = ['ok'];
        break;
      case 'heal':
        need().heal();
        out = ['ok'];
        break;
      case 'status':
        for (const id of args) {
          const s = need().core(id).status();
          out.push(`${id}: ${s.role} term=${s.term} leader=${s.leader ?? '-'} commit=${s.commit} applied=${s.applied} last=${s.lastIndex} voters=${s.conf.voters.join(',')} learners=${s.conf.learners.join(',') || '-'}`);
        }
        break;
      default:
        throw new Error(`unknown command ${b.command}`);
    }
    if (out.length === 0) out = ['(no messages)'];
    results.push({ command: b.command, expected: b.expected, actual: out.join('\n') });
  }
  const actual = results.map((r) => `${r.command}\n----\n${r.actual}\n`).join('\n');
  return { actual, blocks: results };
}

describe('interaction scripts', () => {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) {
    it(file, () => {
      const path = join(dir, file);
      const text = readFileSync(path, 'utf8');
      const { actual, blocks } = run(text);
      if (process.env.REWRITE === '1') {
        const header = text.split('\n').filter((l, i, all) => l.startsWith('#') && all.slice(0, i).every((x) => x.startsWith('#'))).join('\n');
        writeFileSync(path, (header ? `${header}\n\n` : '') + actual);
        return;
      }
      for (const b of blocks) expect(b.actual, `${file}: ${b.command}`).toBe(b.expected);
    });
  }
});
