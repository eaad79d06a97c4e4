/**
 * Merge the messages of one Ready before they are sent. The core emits one append per proposal
 * per follower (and an append-resp per append received); under load a Ready holds dozens for the
 * same peer. Merging contiguous ones into one keeps the meaning (raft only cares about the highest
 * acknowledged index and the latest commit) and cuts the per-message work on both sides.
 */
import type { Entry, Message, NodeId } from '../types.js';

function lastOf(m: Message): { index: number; term: number } {
  const e = m.entries?.[m.entries.length - 1];
  return e ? { index: e.index, term: e.term } : { index: m.index ?? 0, term: m.logTerm ?? 0 };
}

/** True when `b` continues `a` exactly: same sender/term, b's previous entry is a's last entry. */
function continues(a: Message, b: Message): boolean {
  if (a.term !== b.term || a.from !== b.from || a.snapshot || b.snapshot || a.context || b.context) return false;
  const last = lastOf(a);
  return b.index === last.index && b.logTerm === last.term;
}

export function coalesceMessages(msgs: readonly Message[]): Message[] {
  if (msgs.length < 2) return msgs.slice();
  const out: Message[] = [];
  // Per peer: position in `out` of its latest message, if that message may still absorb the next one.
  const open = new Map<NodeId, number>();
  // Merged messages are fresh copies whose entry arrays we own and may extend in place (no O(n^2) copying).
  const owned = new Set<Message>();
  for (const m of msgs) {
    const at = open.get(m.to);
    const prev = at === undefined ? undefined : out[at];
    if (prev && prev.type === 'append' && m.type === 'append' && continues(prev, m)) {
      let merged = prev;
      if (!owned.has(prev)) {
        merged = { ...prev, entries: [...(prev.entries ?? [])] };
        owned.add(merged);
        out[at as number] = merged;
      }
      const into = merged.entries as Entry[];
      for (const e of m.entries ?? []) into.push(e);
      merged.commit = Math.max(prev.commit ?? 0, m.commit ?? 0);
      continue;
    }
    if (
      prev &&
      prev.type === 'append-resp' &&
      m.type === 'append-resp' &&
      !prev.reject &&
      !m.reject &&
      prev.term === m.term &&
      (m.index ?? 0) >= (prev.index ?? 0)
    ) {
      out[at as number] = m; // a later, higher acknowledgement subsumes the earlier one
      continue;
    }
    open.set(m.to, out.length);
    out.push(m);
  }
  return out;
}
