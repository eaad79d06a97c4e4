/** Shared by the service flag tests: the empty create flags, and the refusal check both files make. */
import { expect } from 'vitest';
import { serviceSpecFromFlags, type ServiceFlags } from '../../../src/swarm/service-flags.js';

export const none: ServiceFlags = { env: [], label: [], containerLabel: [], constraint: [], placementPref: [], mount: [], publish: [] };

/** Each case's flags are refused by `service create` as a usage error (exit 2) whose message matches. */
export function expectCreateRefusals(cases: Array<[Partial<ServiceFlags>, RegExp]>): void {
  for (const [f, re] of cases) {
    let err: unknown;
    try {
      serviceSpecFromFlags({ ...none, ...f }, 'img', []);
    } catch (e) {
      err = e;
    }
    expect(String((err as Error)?.message), JSON.stringify(f)).toMatch(re);
    expect((err as { exitCode?: number }).exitCode, JSON.stringify(f)).toBe(2);
  }
}
