/** Which conntrack deletions follow a change (see src/net/lb/conntrack.ts for why each one). */
import { describe, expect, it } from 'vitest';
import { conntrackCleanups, normalizeVipTable } from '../../../src/net/lb/index.js';
import { existsSync, readFileSync } from 'node:fs';
import { conntrackBatch, conntrackDeletedCount, conntrackSucceeded, runConntrackBatch } from '../../../src/net/lb/conntrack.js';
import type { CommandRunner } from '../../../src/net/lb/command.js';

const n = (vips: Record<string, string[]>) => normalizeVipTable({ vips: Object.entries(vips).map(([vip, backends]) => ({ vip, backends })) });

describe('conntrack cleanup plan', () => {
  it('deletes a removed backend by VIP and reply source, a removed or emptied VIP by VIP', () => {
    const prev = n({ '10.0.1.250': ['10.0.1.2', '10.0.1.3'], '10.0.1.251': ['10.0.1.7'], '10.0.1.252': ['10.0.1.8'], '10.0.1.253': [] });
    const next = n({ '10.0.1.250': ['10.0.1.3', '10.0.1.4'], '10.0.1.252': [] });
    expect(conntrackCleanups(prev, next)).toEqual([
      ['-D', '-p', 'udp', '--orig-dst', '10.0.1.250', '--reply-src', '10.0.1.2'],
      ['-D', '-p', 'udp', '--orig-dst', '10.0.1.251'],
      ['-D', '-p', 'udp', '--orig-dst', '10.0.1.252'],
    ]);
  });

  it('deletes un-NATed UDP flows to a VIP that appears, none for one that was refusing', () => {
    expect(conntrackCleanups(n({ '10.0.1.253': [] }), n({ '10.0.1.250': ['10.0.1.2'], '10.0.1.253': ['10.0.1.3'] }))).toEqual([
      ['-D', '-p', 'udp', '--orig-dst', '10.0.1.250'],
    ]);
  });

  it('deletes all UDP flows after a sync from unknown state, nothing for no change', () => {
    expect(conntrackCleanups(undefined, n({ '10.0.1.250': ['10.0.1.2'] }))).toEqual([['-D', '-p', 'udp']]);
    expect(conntrackCleanups(undefined, n({}))).toEqual([]);
    const same = n({ '10.0.1.250': ['10.0.1.2'] });
    expect(conntrackCleanups(same, same)).toEqual([]);
  });

  it('renders one conntrack -R batch, repeated lines once, and reads its answer', () => {
    const a = ['-D', '-p', 'udp', '--orig-dst', '10.0.1.250'];
    expect(conntrackBatch([a, ['-D', '-p', 'udp'], [...a]])).toBe('-D -p udp --orig-dst 10.0.1.250\n-D -p udp\n');
    // Batch mode (measured, conntrack-tools 1.4.7): status 0 whether or not a line matched, each
    // deleted entry printed on stdout; a failure is a non-zero status.
    const entry = 'udp      17 29 src=10.0.1.9 dst=10.0.1.250 sport=4000 dport=53 src=10.0.1.2 dst=10.0.1.9 sport=53 dport=4000 mark=0 use=1\n';
    expect(conntrackSucceeded({ code: 0, stdout: '', stderr: '' })).toBe(true);
    expect(conntrackDeletedCount({ code: 0, stdout: entry + entry, stderr: '' })).toBe(2);
    expect(conntrackSucceeded({ code: 1, stdout: '', stderr: 'conntrack v1.4.7 (conntrack-tools): Operation failed: sorry, you must be root or get CAP_NET_ADMIN capability to do this\n' })).toBe(false);
  });

  it('runs a batch as one conntrack -R FILE in the namespace, removes the file, and returns a failure as a warning', async () => {
    const seen: Array<{ argv: readonly string[]; text: string }> = [];
    let answer = { code: 0, stdout: 'udp 17 29 src=10.0.1.9 dst=10.0.1.250 sport=1 dport=53 src=10.0.1.2 dst=10.0.1.9 sport=53 dport=1\n', stderr: '' };
    const fakeRun: CommandRunner = async (argv) => {
      seen.push({ argv, text: readFileSync(argv.at(-1)!, 'utf8') });
      return answer;
    };
    const lines = [['-D', '-p', 'udp', '--orig-dst', '10.0.1.250', '--reply-src', '10.0.1.2']];
    expect(await runConntrackBatch(fakeRun, '/proc/7/ns/net', lines)).toEqual({ deleted: 1 });
    expect(seen[0]!.argv.slice(0, 4)).toEqual(['nsenter', '--net=/proc/7/ns/net', 'conntrack', '-R']);
    expect(seen[0]!.text).toBe('-D -p udp --orig-dst 10.0.1.250 --reply-src 10.0.1.2\n');
    expect(existsSync(seen[0]!.argv.at(-1)!)).toBe(false);
    answer = { code: 1, stdout: '', stderr: 'conntrack v1.4.7 (conntrack-tools): Operation failed: sorry, you must be root or get CAP_NET_ADMIN capability to do this\n' };
    expect(await runConntrackBatch(fakeRun, '/proc/7/ns/net', lines)).toMatchObject({ step: 'conntrack', committed: true, status: 1 });
    const thrown = await runConntrackBatch(async () => Promise.reject(new Error('spawn ENOENT')), '/proc/7/ns/net', lines);
    expect(thrown).toMatchObject({ step: 'conntrack', status: null, committed: true });
  });
});
