/** Which conntrack deletions follow a change (see src/net/lb/conntrack.ts for why each one). */
import { describe, expect, it } from 'vitest';
import { conntrackCleanups, normalizeVipTable } from '../../../src/net/lb/index.js';
import { conntrackSucceeded } from '../../../src/net/lb/conntrack.js';

const n = (vips: Record<string, string[]>) => normalizeVipTable({ vips: Object.entries(vips).map(([vip, backends]) => ({ vip, backends })) });

describe('conntrack cleanup plan', () => {
  it('deletes a removed backend by VIP and reply source, a removed or emptied VIP by VIP', () => {
    const prev = n({ '10.0.1.250': ['10.0.1.2', '10.0.1.3'], '10.0.1.251': ['10.0.1.7'], '10.0.1.252': ['10.0.1.8'], '10.0.1.253': [] });
    const next = n({ '10.0.1.250': ['10.0.1.3', '10.0.1.4'], '10.0.1.252': [] });
    expect(conntrackCleanups(prev, next)).toEqual([
      ['conntrack', '-D', '-p', 'udp', '--orig-dst', '10.0.1.250', '--reply-src', '10.0.1.2'],
      ['conntrack', '-D', '-p', 'udp', '--orig-dst', '10.0.1.251'],
      ['conntrack', '-D', '-p', 'udp', '--orig-dst', '10.0.1.252'],
    ]);
  });

  it('deletes un-NATed UDP flows to a VIP that appears, none for one that was refusing', () => {
    expect(conntrackCleanups(n({ '10.0.1.253': [] }), n({ '10.0.1.250': ['10.0.1.2'], '10.0.1.253': ['10.0.1.3'] }))).toEqual([
      ['conntrack', '-D', '-p', 'udp', '--orig-dst', '10.0.1.250'],
    ]);
  });

  it('deletes all UDP flows after a sync from unknown state, nothing for no change', () => {
    expect(conntrackCleanups(undefined, n({ '10.0.1.250': ['10.0.1.2'] }))).toEqual([['conntrack', '-D', '-p', 'udp']]);
    expect(conntrackCleanups(undefined, n({}))).toEqual([]);
    const same = n({ '10.0.1.250': ['10.0.1.2'] });
    expect(conntrackCleanups(same, same)).toEqual([]);
  });

  it('treats "0 flow entries have been deleted" (exit status 1) as success', () => {
    expect(conntrackSucceeded({ code: 1, stdout: '', stderr: 'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.\n' })).toBe(true);
    expect(conntrackSucceeded({ code: 1, stdout: '', stderr: 'conntrack v1.4.7 (conntrack-tools): Operation failed: invalid parameters\n' })).toBe(false);
  });
});
