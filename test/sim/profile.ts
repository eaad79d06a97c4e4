/**
 * How hostile one simulated run is and what its workload looks like, drawn from the seed so that
 * the seed range covers many combinations (gentle and harsh networks, with and without pre-vote...).
 */
import type { Prng } from './prng.js';

/** Per-seed fault and workload profile, drawn from the seed so runs vary widely. */
export interface Profile {
  nodes: number;
  drop: number;
  dup: number;
  maxDelay: number;
  crashEvery: number; // mean ms between crashes (0: none)
  crashBetweenPersistAndSend: number; // probability per Ready
  asyncDriver: boolean; // Readys complete later; ticks and messages are handled meanwhile
  earlyAppends: boolean; // with asyncDriver: a leader's appends go out before its fsync (node driver)
  tornPersist: boolean; // crashes may also fall between persisting entries and the hard state
  leaderCrashBoost: number; // multiplies crashBetweenPersistAndSend for a leader's own appends
  partitionEvery: number; // mean ms between partitions (0: none)
  membership: boolean;
  compactEvery: number; // entries applied beyond the snapshot that trigger compaction (0: never)
  maxInflight: number;
  maxSizePerMsg: number;
  preVote: boolean;
  checkQuorum: boolean;
  clients: number;
  keys: number;
  transferEvery: number;
}

export function drawProfile(r: Prng): Profile {
  return {
    nodes: r.pick([3, 3, 5]),
    drop: r.pick([0, 0.01, 0.05, 0.15]),
    dup: r.pick([0, 0.02, 0.1]),
    maxDelay: r.pick([2, 10, 30]),
    crashEvery: r.pick([0, 400, 1000]),
    crashBetweenPersistAndSend: r.pick([0, 0.003, 0.01]),
    tornPersist: r.chance(0.3),
    asyncDriver: r.chance(0.5),
    earlyAppends: r.chance(0.5),
    leaderCrashBoost: r.pick([1, 10, 30]),
    partitionEvery: r.pick([0, 300, 700]),
    membership: r.chance(0.6),
    compactEvery: r.pick([0, 5, 20]),
    maxInflight: r.pick([1, 4, 64]),
    maxSizePerMsg: r.pick([1, 200, 1 << 20]),
    preVote: r.chance(0.8),
    checkQuorum: r.chance(0.8),
    clients: r.int(2, 4),
    keys: r.int(1, 3),
    transferEvery: r.pick([0, 0, 500]),
  };
}
