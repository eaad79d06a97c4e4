import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecError, decodeMessage, encodeMessage } from '../../../src/raft/codec.js';
import type { Message, MessageType } from '../../../src/raft/types.js';

const types: MessageType[] = ['prevote', 'prevote-resp', 'vote', 'vote-resp', 'append', 'append-resp', 'heartbeat', 'heartbeat-resp', 'snapshot', 'timeout-now', 'read-index', 'read-index-resp'];
const nat = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const bytes = fc.uint8Array({ maxLength: 64 });
const id = fc.string({ minLength: 1, maxLength: 12 });
const entry = fc.record({ term: nat, index: nat, type: fc.constantFrom(0, 1), data: bytes });
const message: fc.Arbitrary<Message> = fc.record(
  {
    type: fc.constantFrom(...types),
    from: id,
    to: id,
    term: nat,
    logTerm: nat,
    index: nat,
    entries: fc.array(entry, { maxLength: 5 }),
    commit: nat,
    reject: fc.boolean(),
    rejectHint: nat,
    snapshot: fc.record({
      meta: fc.record({ index: nat, term: nat, conf: fc.record({ voters: fc.array(id, { maxLength: 3 }), learners: fc.array(id, { maxLength: 2 }) }) }),
      data: bytes,
    }),
    context: bytes,
  },
  { requiredKeys: ['type', 'from', 'to', 'term'] },
);

describe('message codec', () => {
  it('round-trips every message shape exactly (entry data as bytes)', () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(decodeMessage(encodeMessage(m))).toEqual(m);
      }),
      { numRuns: 500 },
    );
  });

  it('rejects truncated or padded input with CodecError, never anything else', () => {
    fc.assert(
      fc.property(message, fc.nat(), (m, cut) => {
        const b = encodeMessage(m);
        const short = b.subarray(0, cut % b.length);
        expect(() => decodeMessage(short)).toThrow(CodecError);
        const long = new Uint8Array(b.length + 1);
        long.set(b);
        expect(() => decodeMessage(long)).toThrow(CodecError);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects random garbage with CodecError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (g) => {
        try {
          decodeMessage(g);
        } catch (e) {
          expect(e).toBeInstanceOf(CodecError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
