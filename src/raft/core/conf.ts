/**
 * Membership: the encoding of ConfChange entries, their validation against a configuration, and
 * their effect. Changes are single-step (at most one voter added or removed per change); see
 * specs/raft.md "Membership" for why that, plus one change at a time, keeps quorums intersecting.
 */
import type { ConfChange, ConfState, NodeId } from '../types.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeConfChange(cc: ConfChange): Uint8Array {
  return enc.encode(JSON.stringify(cc));
}

export function decodeConfChange(data: Uint8Array): ConfChange | null {
  try {
    const v = JSON.parse(dec.decode(data)) as unknown;
    if (typeof v !== 'object' || v === null) return null;
    const o = v as Record<string, unknown>;
    if (typeof o.node !== 'string') return null;
    if (o.type !== 'add-learner' && o.type !== 'promote' && o.type !== 'demote' && o.type !== 'remove') return null;
    const cc: ConfChange = { type: o.type, node: o.node };
    if (typeof o.context === 'string') cc.context = o.context;
    return cc;
  } catch {
    return null;
  }
}

export function cloneConf(c: ConfState): ConfState {
  return { voters: c.voters.slice(), learners: c.learners.slice() };
}

export function isVoter(c: ConfState, id: NodeId): boolean {
  return c.voters.includes(id);
}

export function isLearner(c: ConfState, id: NodeId): boolean {
  return c.learners.includes(id);
}

export function isEmptyConf(c: ConfState): boolean {
  return c.voters.length === 0 && c.learners.length === 0;
}

/** Why the change cannot apply to c, or null if it can. */
export function validateConfChange(c: ConfState, cc: ConfChange): string | null {
  const voter = isVoter(c, cc.node);
  const learner = isLearner(c, cc.node);
  switch (cc.type) {
    case 'add-learner':
      return voter || learner ? `${cc.node} is already a member` : null;
    case 'promote':
      return learner ? null : `${cc.node} is not a learner`;
    case 'demote':
      if (!voter) return `${cc.node} is not a voter`;
      return c.voters.length <= 1 ? 'cannot demote the last voter' : null;
    case 'remove':
      if (!voter && !learner) return `${cc.node} is not a member`;
      return voter && c.voters.length <= 1 ? 'cannot remove the last voter' : null;
  }
}

/** The configuration after cc; an invalid change leaves it unchanged (it was validated when proposed). */
export function applyConfChange(c: ConfState, cc: ConfChange): ConfState {
  if (validateConfChange(c, cc) !== null) return cloneConf(c);
  const voters = c.voters.filter((v) => v !== cc.node);
  const learners = c.learners.filter((v) => v !== cc.node);
  if (cc.type === 'add-learner' || cc.type === 'demote') learners.push(cc.node);
  if (cc.type === 'promote') voters.push(cc.node);
  return { voters: voters.sort(), learners: learners.sort() };
}

export function quorum(n: number): number {
  return Math.floor(n / 2) + 1;
}
