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
import type { CommandResult } from './command.js';
import type { NormalVipTable } from './model.js';

/** conntrack argv lists (without the netns prefix) to run after committing `next` over `prev`. */
export function conntrackCleanups(prev: NormalVipTable | undefined, next: NormalVipTable): string[][] {
  if (prev === undefined) return next.size === 0 ? [] : [['conntrack', '-D', '-p', 'udp']];
  const out: string[][] = [];
  for (const [vip, had] of prev) {
    const want = next.get(vip);
    if (had.length === 0) continue; // it refused: nothing was NATed, rejected flows are never confirmed
    if (want === undefined || want.length === 0) {
      out.push(['conntrack', '-D', '-p', 'udp', '--orig-dst', vip]);
      continue;
    }
    for (const b of had) if (!want.includes(b)) out.push(['conntrack', '-D', '-p', 'udp', '--orig-dst', vip, '--reply-src', b]);
  }
  for (const [vip, want] of next) {
    if (!prev.has(vip) && want.length > 0) out.push(['conntrack', '-D', '-p', 'udp', '--orig-dst', vip]);
  }
  return out;
}

/**
 * conntrack -D exits 1 when nothing matched ("0 flow entries have been deleted."): the wanted
 * outcome, not a failure.
 */
export function conntrackSucceeded(r: CommandResult): boolean {
  return r.code === 0 || (r.code === 1 && /\b0 flow entries have been deleted/.test(r.stderr));
}

/** How many entries conntrack said it deleted (0 when it did not say). */
export function conntrackDeletedCount(r: CommandResult): number {
  const m = /(\d+) flow entries have been deleted/.exec(r.stderr);
  return m?.[1] ? Number(m[1]) : 0;
}
