import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  JoinTokenError,
  RootCA,
  certificateDigest,
  certificateDigestBase36,
  makeJoinToken,
  makeJoinTokens,
  parseJoinToken,
  roleOfJoinToken,
  rotateJoinTokens,
  verifyCAAgainstToken,
} from '../../../src/swarm/ca/index.js';

const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

function errorOf(fn: () => unknown): JoinTokenError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(JoinTokenError);
    return e as JoinTokenError;
  }
  throw new Error('expected a JoinTokenError');
}

describe('join tokens', () => {
  it('have the swarmkit shape and parse back', () => {
    const t = makeJoinToken(bytes(32, 0xab), bytes(16, 1));
    expect(t).toMatch(/^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
    const p = parseJoinToken(`  ${t}\n`);
    expect(p.version).toBe(1);
    expect(t.endsWith(p.secret)).toBe(true);
    // Fixed width even for small numbers.
    expect(makeJoinToken(bytes(32, 0), bytes(16, 0))).toBe(`SWMTKN-1-${'0'.repeat(50)}-${'0'.repeat(25)}`);
  });

  it('grant the role whose secret they carry', async () => {
    const { ca } = await RootCA.create({ clusterId: 'c1' });
    const digest = await certificateDigest(ca.certPem);
    const tokens = makeJoinTokens(digest, { worker: randomBytes(16), manager: randomBytes(16) });
    expect(roleOfJoinToken(tokens.worker, tokens)).toBe('worker');
    expect(roleOfJoinToken(tokens.manager, tokens)).toBe('manager');
  });

  it("let a joiner check the manager's CA against the token (no trust on first use)", async () => {
    const { ca } = await RootCA.create({ clusterId: 'c1' });
    const { ca: impostor } = await RootCA.create({ clusterId: 'c1' });
    const token = makeJoinToken(await certificateDigest(ca.certPem), randomBytes(16));
    verifyCAAgainstToken(token, await certificateDigestBase36(ca.certPem));
    const d = await certificateDigestBase36(impostor.certPem);
    expect(errorOf(() => verifyCAAgainstToken(token, d)).reason).toBe('ca-mismatch');
  });

  it('of another cluster are refused by a manager', async () => {
    const { ca: a } = await RootCA.create({ clusterId: 'a' });
    const { ca: b } = await RootCA.create({ clusterId: 'b' });
    const secrets = { worker: randomBytes(16), manager: randomBytes(16) };
    const ours = makeJoinTokens(await certificateDigest(a.certPem), secrets);
    // Same secrets, other root: still refused, on the digest.
    const theirs = makeJoinTokens(await certificateDigest(b.certPem), secrets);
    const e = errorOf(() => roleOfJoinToken(theirs.manager, ours));
    expect(e.reason).toBe('ca-mismatch');
    expect(e.message).toMatch(/another cluster/);
  });

  it('rotation makes new secrets, keeps the digest, and old tokens stop working', () => {
    const digest = bytes(32, 7);
    const old = makeJoinTokens(digest, { worker: bytes(16, 1), manager: bytes(16, 2) });
    const next = rotateJoinTokens(old, { worker: bytes(16, 3) });
    expect(next.manager).toBe(old.manager);
    expect(next.worker).not.toBe(old.worker);
    expect(parseJoinToken(next.worker).caDigest).toBe(parseJoinToken(old.worker).caDigest);
    expect(errorOf(() => roleOfJoinToken(old.worker, next)).reason).toBe('invalid-secret');
    expect(roleOfJoinToken(next.worker, next)).toBe('worker');
    // Pure: same inputs, same output.
    expect(rotateJoinTokens(old, { worker: bytes(16, 3) })).toEqual(next);
    expect(() => rotateJoinTokens(old, { worker: bytes(16, 1) })).toThrow(/same secret/);
  });

  it('malformed tokens get clear errors that never echo the secret', () => {
    const good = makeJoinToken(bytes(32, 9), bytes(16, 5));
    const secret = good.split('-')[3]!;
    const cases: Array<[string, string, RegExp]> = [
      ['', 'malformed', /empty/],
      ['SWMTKN', 'malformed', /1 dash-separated parts, expected 4/],
      [good.replace('SWMTKN', 'SWXTKN'), 'wrong-prefix', /must start with SWMTKN-/],
      [good.replace('SWMTKN-1', 'SWMTKN-2'), 'unsupported-version', /version 2 is not supported/],
      [good.replace('SWMTKN-1', 'SWMTKN-v1'), 'malformed', /not a number/],
      [good.slice(0, -1), 'malformed', /secret must be 25 characters of 0-9a-z, got 24/],
      [good.replace(secret, secret.toUpperCase().replace(/[0-9]/g, 'A')), 'malformed', /secret must be 25/],
      [good.replace(/-[0-9a-z]{50}-/, '-abc-'), 'malformed', /CA digest must be 50 characters/],
      [`${good}-extra`, 'malformed', /5 dash-separated parts/],
    ];
    for (const [token, why, msg] of cases) {
      const e = errorOf(() => parseJoinToken(token));
      expect(e.reason, token).toBe(why);
      expect(e.message, token).toMatch(msg);
      expect(e.message).not.toContain(secret);
      expect(e.hint).toBeTruthy();
    }
  });
});
