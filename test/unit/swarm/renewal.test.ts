import { describe, expect, it } from 'vitest';
import { CLOCK_SKEW_MS } from '../../../src/swarm/ca/index.js';
import { renewalReason, type RenewalInput } from '../../../src/swarm/agent/renewal.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const DAY = 24 * 3600 * 1000;

/** A certificate as `issue` writes it at T0 with `lifeMs`. */
function input(lifeMs: number, over: Partial<RenewalInput> = {}): RenewalInput {
  return {
    validity: { notBefore: new Date(T0.getTime() - CLOCK_SKEW_MS), notAfter: new Date(T0.getTime() + lifeMs) },
    certRole: 'worker',
    wantedRole: 'worker',
    certExpiryMs: lifeMs,
    now: T0,
    random01: 0,
    ...over,
  };
}

describe('certificate renewal decision', () => {
  it('keeps a fresh certificate of the right role and life', () => {
    expect(renewalReason(input(90 * DAY, { now: new Date(T0.getTime() + 10 * DAY) }))).toBeNull();
  });

  it('renews inside the 50%..80% window, at the node\'s own point in it', () => {
    expect(renewalReason(input(100 * DAY, { now: new Date(T0.getTime() + 60 * DAY), random01: 0.5 }))).toBeNull();
    expect(renewalReason(input(100 * DAY, { now: new Date(T0.getTime() + 66 * DAY), random01: 0.5 }))).toMatch(/expires at/);
    expect(renewalReason(input(100 * DAY, { now: new Date(T0.getTime() + 200 * DAY) }))).toMatch(/expires at/);
  });

  it('renews at once when the role changes either way', () => {
    expect(renewalReason(input(90 * DAY, { wantedRole: 'manager' }))).toBe('role changed to manager');
    expect(renewalReason(input(90 * DAY, { certRole: 'manager', wantedRole: 'worker' }))).toBe('role changed to worker');
  });

  it('renews at once when the cluster shortens certificate life, not when it lengthens it', () => {
    expect(renewalReason(input(90 * DAY, { certExpiryMs: 30_000 }))).toBe('cluster certificate life is now 30 s');
    expect(renewalReason(input(30_000, { certExpiryMs: 90 * DAY }))).toBeNull();
    // A certificate issued just before the change is within the slack.
    expect(renewalReason(input(30_000, { certExpiryMs: 30_000 }))).toBeNull();
  });
});
