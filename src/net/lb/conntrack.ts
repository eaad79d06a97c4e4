/**
 * Which conntrack flows a change leaves stale, and how to delete them.
 *
 * After our DNAT a flow's entry reads `orig: client -> VIP`, `reply: backend -> client`, so the
 * flows of one backend behind one VIP are exactly `--orig-dst VIP --reply-src BACKEND` (the reply
 * source alone would also hit the client's direct connections to that task IP).
 *
 * What lives on otherwise, and why we delete it:
 * - UDP to a removed backend: every datagram refreshes its entry (30 s, 120 s once replied in
 *   both directions: nf_conntrack_udp_timeout / _stream), so a chatty client would stick to a gone
 *   backend forever (moby#36878 under IPVS).
 * - TCP to a removed backend is NOT cut: a backend leaves the table before its task is stopped
 *   (the stop gate, specs/networking.md), so its in-flight requests must be allowed to finish
 *   within the stop grace period. Cutting the entry would send the connection's next segment to
 *   another backend, which answers with a reset. Once the task is gone, its connections end with
 *   it (the client sees a reset or a FIN from the dying process).
 * - Flows to a VIP this namespace did not know yet (a client that started before its table was
 *   programmed): never NATed, they would bypass the new DNAT until they expire. Only UDP
 *   matters (a TCP retry is a new flow), so those are deleted when a VIP appears, and a full sync
 *   of a namespace whose state we do not know deletes all its UDP flows (harmless: UDP has no
 *   state to lose beyond which backend the next datagram picks).
 *
 * What we rely on and never cut ourselves: an idle TCP connection through a VIP whose backend
 * stays lives as long as its entry, nf_conntrack_tcp_timeout_established (432000 s = 5 days by
 * default, the namespace's own sysctl). If it does expire, nf_conntrack_tcp_loose (default 1)
 * picks the connection up again as a new flow, which meets the DNAT again and may land on another
 * backend (which then resets it): long-idle clients should use keepalives shorter than that.
 */
import { randomBytes } from 'node:crypto';
import { unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inNetns, type CommandResult, type CommandRunner } from './command.js';
import { LbCommandError } from './errors.js';
import { sameBackends, type NormalVipTable } from './model.js';

/**
 * `conntrack -R` lines (`-D` and its filter, without the program name) to run after committing
 * `next` over `prev`, in this order. Runs on every sync of a namespace that may hold 1,000 VIPs:
 * an unchanged VIP costs one element-wise comparison (searching each old backend in the new list
 * for every VIP took ~2 ms per sync at 1,000 x 10, more than the nft side of the change).
 */
export function conntrackCleanups(prev: NormalVipTable | undefined, next: NormalVipTable): string[][] {
  if (prev === undefined) return next.size === 0 ? [] : [['-D', '-p', 'udp']];
  const out: string[][] = [];
  for (const [vip, had] of prev) {
    const want = next.get(vip);
    if (had.length === 0) continue; // it refused: nothing was NATed, rejected flows are never confirmed
    if (want !== undefined && sameBackends(had, want)) continue;
    if (want === undefined || want.length === 0) {
      out.push(['-D', '-p', 'udp', '--orig-dst', vip]);
      continue;
    }
    const kept = new Set(want);
    for (const b of had) if (!kept.has(b)) out.push(['-D', '-p', 'udp', '--orig-dst', vip, '--reply-src', b]);
  }
  for (const [vip, want] of next) if (!prev.has(vip) && want.length > 0) out.push(['-D', '-p', 'udp', '--orig-dst', vip]);
  return out;
}

/**
 * The file {@link runConntrackBatch} hands to `conntrack -R`: one command a line, repeated lines
 * once. The lines are ours (VIPs and addresses checked by normalizeVipTable), so no quoting is
 * needed: conntrack splits on blanks.
 */
export function conntrackBatch(lines: ReadonlyArray<readonly string[]>): string {
  return [...new Set(lines.map((l) => l.join(' ')))].map((l) => `${l}\n`).join('');
}

/**
 * In batch mode conntrack exits 0 whether or not a line matched (measured, 1.4.7: no "0 flow
 * entries" exit status 1 as for a single `-D`), and non-zero at the first line that failed.
 */
export function conntrackSucceeded(r: CommandResult): boolean {
  return r.code === 0;
}

/** How many entries the batch deleted: `-D` prints each one on stdout, one a line. */
export function conntrackDeletedCount(r: CommandResult): number {
  return r.stdout.split('\n').filter((l) => l.trim() !== '').length;
}

/**
 * Runs `lines` in the namespace as one `conntrack -R FILE` process: conntrack-tools (1.4.6+) has
 * no interactive mode, but it runs a file of commands in one process, so a change costs one
 * process start, not one per removed backend. A file, not `-R -`: conntrack opens /dev/stdin by
 * name, which fails on the socket pair Node gives a child as stdin ("Failed to open file
 * /dev/stdin"). Named at random and created exclusively (root writes it into a shared /tmp).
 * Deleted once conntrack has run; a process that dies in between leaves that one file (under
 * 1 KB; at most one per running cleanup, two by default). Never throws: the deleted count, or the
 * failure as a warning for a committed table.
 */
export async function runConntrackBatch(
  run: CommandRunner,
  netnsPath: string,
  lines: ReadonlyArray<readonly string[]>,
): Promise<{ deleted: number } | LbCommandError> {
  const file = join(tmpdir(), `tsswarm-conntrack-${randomBytes(6).toString('hex')}`);
  const argv = inNetns(netnsPath, ['conntrack', '-R', file]);
  try {
    await writeFile(file, conntrackBatch(lines), { flag: 'wx', mode: 0o600 });
    const r = await run(argv);
    if (conntrackSucceeded(r)) return { deleted: conntrackDeletedCount(r) };
    return new LbCommandError({ netns: netnsPath, step: 'conntrack', argv, status: r.code, stderr: r.stderr, committed: true });
  } catch (cause) {
    return new LbCommandError({ netns: netnsPath, step: 'conntrack', argv, status: null, stderr: String(cause), committed: true, cause });
  } finally {
    await unlink(file).catch(() => undefined); // never written, or already gone: nothing to clean
  }
}

