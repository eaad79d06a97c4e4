/**
 * The tsswarm control plane on five lab hosts (three managers, two workers), each with its own
 * daemon started the way systemd would, driven through the real CLI inside the hosts. One cluster
 * is formed once and the steps run in order: failover, partition, restart from disk, refusals.
 * Needs root (see lab-harness.test.ts).
 */
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest } from '../../src/swarm/api/client.js';
import { ApiError } from '../../src/swarm/api/errors.js';
import { RootCA, createNodeKeyAndCsr } from '../../src/swarm/ca/index.js';
import type { NodeView } from '../../src/swarm/api/views.js';
import { Lab, eventually, run, teardownLab, type LabConfig } from './harness.js';
import { SwarmNodes } from './swarm-nodes.js';

const CFG: LabConfig = { name: 'tssc', net: 4 };
const MANAGERS = ['h1', 'h2', 'h3'];
const WORKERS = ['h4', 'h5'];

let lab: Lab;
let sw: SwarmNodes;
let workerToken = '';
let managerToken = '';
const ids: Record<string, string> = {};

async function nodes(h = 'h1'): Promise<NodeView[]> {
  return (await sw.local<{ nodes: NodeView[] }>(h, '/v1/nodes')).nodes;
}

/** Waits until `via` reports every node of `hosts` ready and returns the table. */
async function allReady(via: string, hosts: readonly string[], timeoutMs = 20_000): Promise<NodeView[]> {
  return eventually(
    async () => {
      const ns = await nodes(via);
      const want = hosts.map((h) => ids[h]);
      return want.every((id) => ns.some((n) => n.id === id && n.status === 'ready')) ? ns : undefined;
    },
    { timeoutMs, what: `${hosts.join(',')} ready as seen from ${via}` },
  );
}

function hostOfNode(nodeId: string): string {
  const h = Object.keys(ids).find((k) => ids[k] === nodeId);
  if (!h) throw new Error(`no host for node ${nodeId}`);
  return h;
}

async function expectApiError(p: Promise<unknown>, code: string): Promise<ApiError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ApiError);
  expect((e as ApiError).apiCode).toBe(code);
  return e as ApiError;
}

describe('tsswarm control plane on five lab hosts', () => {
  beforeAll(async () => {
    await teardownLab(CFG);
    // The control plane needs no images; the engines are there for the agents later.
    lab = await Lab.up({ ...CFG, hosts: 5, images: [] });
    sw = new SwarmNodes(lab);
    await Promise.all([...MANAGERS, ...WORKERS].map((h) => sw.start(h)));
  }, 180_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    for (const h of [...MANAGERS, ...WORKERS]) console.log(`--- ${h} daemon log ---\n${sw.logTail(h)}`);
  });

  afterAll(async () => {
    // TSLAB_KEEP=1 leaves the cluster running to look at (scripts/lab.sh down removes it).
    if (process.env.TSLAB_KEEP === '1') return;
    await sw?.stopAll();
    await lab?.teardown();
  }, 120_000);

  it('forms 3 managers + 2 workers with init and join (workers with `swarm join`); node ls shows roles and a leader', async () => {
    const init = await sw.ok('h1', ['init', '--advertise-addr', lab.host('h1').ip, '--listen-addr', sw.addr('h1')]);
    expect(init).toContain('Swarm initialized');
    workerToken = (await sw.ok('h1', ['join-token', 'worker', '-q'])).trim();
    // The same commands under `swarm`, as Docker users type them.
    managerToken = (await sw.ok('h1', ['swarm', 'join-token', 'manager', '-q'])).trim();
    expect(workerToken).toMatch(/^SWMTKN-1-/);
    expect(managerToken).not.toBe(workerToken);
    ids.h1 = (await sw.info('h1')).nodeId!;

    for (const h of ['h2', 'h3']) {
      const out = await sw.ok(h, ['join', '--token', managerToken, '--advertise-addr', lab.host(h).ip, '--listen-addr', sw.addr(h), sw.addr('h1')]);
      expect(out).toContain('as a manager');
      ids[h] = (await sw.info(h)).nodeId!;
    }
    for (const h of WORKERS) {
      const out = await sw.ok(h, ['swarm', 'join', '--token', workerToken, '--advertise-addr', lab.host(h).ip, sw.addr('h1')]);
      expect(out).toContain('as a worker');
      ids[h] = (await sw.info(h)).nodeId!;
    }

    // Every manager becomes a voter once caught up.
    await eventually(async () => {
      const st = await sw.info('h1');
      return st.managers?.length === 3 || undefined;
    }, { timeoutMs: 15_000, what: 'three managers in the raft group' });

    const table = await allReady('h1', [...MANAGERS, ...WORKERS]);
    expect(table).toHaveLength(5);
    const byHost = Object.fromEntries(table.map((n) => [hostOfNode(n.id), n]));
    expect(byHost.h1!.managerStatus).toBe('leader');
    expect(byHost.h2!.managerStatus).toBe('reachable');
    expect(byHost.h3!.managerStatus).toBe('reachable');
    expect(byHost.h4!.role).toBe('worker');
    expect(byHost.h4!.managerStatus).toBeNull();
    expect(byHost.h5!.hostname).toBe('h5');

    // The table the user sees, from a follower manager.
    const ls = await sw.ok('h2', ['node', 'ls']);
    expect(ls.split('\n')[0]).toMatch(/^ID\s+HOSTNAME\s+STATUS\s+AVAILABILITY\s+MANAGER STATUS/);
    expect(ls).toMatch(/h1\s+Ready\s+Active\s+Leader/);
    expect(ls).toMatch(/h4\s+Ready\s+Active\s*$/m);
  }, 120_000);

  it('kill -9 of the leader: a new leader within 2 s, node ls answers from the survivors, the old one rejoins', async () => {
    const leader = hostOfNode((await sw.info('h1')).leader!);
    const survivors = MANAGERS.filter((h) => h !== leader);
    const before = await sw.info(survivors[0]!);
    const t0 = Date.now();
    await sw.kill(leader, 'SIGKILL');
    const newLeader = await eventually(
      async () => {
        const l = await sw.agreedLeader(survivors);
        return l && l !== ids[leader] ? l : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 20, what: 'a new leader among the survivors' },
    );
    const failoverMs = Date.now() - t0;
    console.log(`[swarm] leader ${leader} killed: ${hostOfNode(newLeader)} leads after ${failoverMs} ms`);
    expect(failoverMs).toBeLessThan(2000);
    expect((await sw.info(survivors[0]!)).raft!.term).toBeGreaterThan(before.raft!.term);

    // The survivors answer and write; the dead manager is unreachable and goes down.
    const ls = await sw.ok(survivors[1]!, ['node', 'ls']);
    expect(ls).toMatch(/Leader/);
    await sw.ok(survivors[0]!, ['node', 'update', '--label-add', 'after=failover', ids.h4!]);
    await eventually(async () => {
      const n = (await nodes(survivors[0])).find((x) => x.id === ids[leader]);
      return n?.status === 'down' && n.managerStatus === 'unreachable' ? n : undefined;
    }, { timeoutMs: 15_000, what: `${leader} marked down and unreachable` });

    // Back from its own disk: it follows the new leader and has the write it missed.
    await sw.start(leader);
    await eventually(async () => {
      const i = await sw.info(leader);
      return i.leader === newLeader && i.raft?.role === 'follower' ? i : undefined;
    }, { timeoutMs: 15_000, what: `${leader} following ${hostOfNode(newLeader)}` });
    const seen = await eventually(async () => (await nodes(leader)).find((x) => x.id === ids.h4 && x.labels.after === 'failover'), {
      timeoutMs: 10_000,
      what: `the label written during ${leader}'s absence`,
    });
    expect(seen.labels.after).toBe('failover');
    await allReady('h2', [...MANAGERS, ...WORKERS]);
  }, 90_000);

  it('a leader cut off from the others commits nothing (no split brain) and catches up after the heal', async () => {
    const leader = hostOfNode((await sw.info('h1')).leader!);
    const others = MANAGERS.filter((h) => h !== leader);
    await lab.cut(leader);
    try {
      // The majority side elects a new leader and keeps writing.
      const newLeader = await eventually(async () => {
        const l = await sw.agreedLeader(others);
        return l && l !== ids[leader] ? l : undefined;
      }, { timeoutMs: 10_000, what: 'a leader on the majority side' });
      await sw.ok(others[0]!, ['node', 'update', '--label-add', 'side=majority', ids.h5!]);

      // The isolated one steps down (check-quorum) and cannot commit a write of its own.
      await eventually(async () => ((await sw.info(leader)).raft?.role !== 'leader' ? true : undefined), { timeoutMs: 10_000, what: `${leader} to step down` });
      const commitBefore = (await sw.info(leader)).raft!.commit;
      const r = await sw.cli(leader, ['node', 'update', '--label-add', 'side=minority', ids.h5!], 60_000);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/leader|unavailable|reach|timed out|no answer/i);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      const during = await sw.info(leader);
      expect(during.raft!.commit).toBe(commitBefore);
      const label = (await nodes(others[0])).find((x) => x.id === ids.h5)!.labels.side;
      expect(label).toBe('majority');
      console.log(`[swarm] ${leader} cut off: ${hostOfNode(newLeader)} leads the majority; minority commit stayed at ${commitBefore}`);
    } finally {
      await lab.heal(leader);
    }
    // After the heal: one leader, the old one follows and has the majority's write, never its own.
    await eventually(async () => {
      const l = await sw.agreedLeader(MANAGERS);
      const mine = await sw.info(leader);
      return l && mine.leader === l && mine.raft?.role === 'follower' ? l : undefined;
    }, { timeoutMs: 20_000, what: `${leader} back as a follower` });
    const n = await eventually(async () => (await nodes(leader)).find((x) => x.id === ids.h5 && x.labels.side === 'majority'), {
      timeoutMs: 10_000,
      what: 'the majority write on the healed node',
    });
    expect(n.labels.side).toBe('majority');
    await allReady('h1', [...MANAGERS, ...WORKERS]);
  }, 120_000);

  it('all daemons restarted: the same cluster (nodes, roles, tokens, certificates) from disk', async () => {
    const hosts = [...MANAGERS, ...WORKERS];
    const before = {
      info: await Promise.all(hosts.map((h) => sw.info(h))),
      certs: hosts.map((h) => sw.file(h, 'node.crt')),
      tokens: [await sw.ok('h2', ['join-token', 'worker', '-q']), await sw.ok('h2', ['join-token', 'manager', '-q'])],
      nodes: (await nodes('h1')).map((n) => ({ id: n.id, role: n.role, hostname: n.hostname, labels: n.labels })),
    };
    await Promise.all(hosts.map((h) => sw.kill(h, 'SIGTERM')));
    await Promise.all(hosts.map((h) => sw.start(h)));
    await eventually(() => sw.agreedLeader(MANAGERS), { timeoutMs: 15_000, what: 'a leader after the restart' });
    const table = await allReady('h3', hosts, 30_000);
    const after = {
      info: await Promise.all(hosts.map((h) => sw.info(h))),
      certs: hosts.map((h) => sw.file(h, 'node.crt')),
      tokens: [await sw.ok('h2', ['join-token', 'worker', '-q']), await sw.ok('h2', ['join-token', 'manager', '-q'])],
    };
    expect(after.info.map((i) => [i.clusterId, i.nodeId, i.role])).toEqual(before.info.map((i) => [i.clusterId, i.nodeId, i.role]));
    // Every manager, the founder included, knows all three voters from its own disk.
    for (const h of MANAGERS) expect((await sw.info(h)).managers?.map((m) => m.nodeId).sort()).toEqual(MANAGERS.map((x) => ids[x]).sort());
    expect(after.certs).toEqual(before.certs);
    expect(after.tokens).toEqual(before.tokens);
    expect(table.map((n) => ({ id: n.id, role: n.role, hostname: n.hostname, labels: n.labels })).sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      before.nodes.sort((a, b) => a.id.localeCompare(b.id)),
    );
  }, 120_000);

  describe('refusals: a clear error and nothing changed', () => {
    let snapshot: string[];
    const state = async (): Promise<string[]> => (await nodes('h1')).map((n) => JSON.stringify([n.id, n.role, n.availability, n.labels]));

    beforeAll(async () => {
      snapshot = await state();
    });

    afterAll(async () => {
      // Every refusal left the node table as it was.
      expect((await state()).sort()).toEqual(snapshot.sort());
    });

    it('a wrong token, a token of another cluster and a rotated token cannot join', async () => {
      // h5 leaves so it can try to join again.
      await sw.ok('h5', ['leave']);
      const wrong = workerToken.slice(0, -4) + (workerToken.endsWith('aaaa') ? 'bbbb' : 'aaaa');
      const r1 = await sw.cli('h5', ['join', '--token', wrong, sw.addr('h1')]);
      expect(r1.code).not.toBe(0);
      expect(r1.stderr).toMatch(/token/i);
      expect(r1.stderr).not.toMatch(/\n\s+at /);

      // Another cluster's token: its CA digest does not match these managers, so the joiner stops
      // before sending the secret.
      const other = await run('mktemp', ['-d']);
      const otherDir = other.stdout.trim();
      try {
        const otherSock = `${otherDir}/s.sock`;
        const base = [process.execPath, 'bin/tsswarm.mjs', '--host', otherSock, '--data-dir', otherDir];
        await lab.exec('h5', [...base, 'init', '--advertise-addr', '127.0.0.1', '--listen-addr', '127.0.0.1:5242']);
        const foreign = (await lab.exec('h5', [...base, 'join-token', 'worker', '-q'])).stdout.trim();
        await lab.exec('h5', [...base, 'leave', '--force']);
        await run('pkill', ['-f', `--host ${otherSock}`], { check: false });
        const r2 = await sw.cli('h5', ['join', '--token', foreign, sw.addr('h1')]);
        expect(r2.code).not.toBe(0);
        expect(r2.stderr).toMatch(/certificate|CA|digest|another cluster/i);
      } finally {
        await run('rm', ['-rf', otherDir]);
      }

      // Rotation: the old worker token is refused at once, the new one works.
      const rotated = await sw.ok('h2', ['join-token', 'worker', '--rotate']);
      expect(rotated).toContain('Successfully rotated worker join token');
      const fresh = (await sw.ok('h3', ['join-token', 'worker', '-q'])).trim();
      expect(fresh).not.toBe(workerToken);
      const r3 = await sw.cli('h5', ['join', '--token', workerToken, sw.addr('h1')]);
      expect(r3.code).not.toBe(0);
      expect(r3.stderr).toMatch(/token/i);
      expect((await sw.info('h5')).member).toBe(false);
      await sw.ok('h5', ['join', '--token', fresh, '--advertise-addr', lab.host('h5').ip, sw.addr('h1')]);
      workerToken = fresh;
      ids.h5 = (await sw.info('h5')).nodeId!;
      await allReady('h1', ['h5']);
      // The old h5 entry is down; remove it so the table is as before (one h5, ready).
      const stale = (await nodes('h1')).filter((n) => n.hostname === 'h5' && n.id !== ids.h5);
      for (const n of stale) await sw.ok('h1', ['node', 'rm', n.id]);
      // Labels of the old h5 went with it; put them back for the final comparison.
      await sw.ok('h1', ['node', 'update', '--label-add', 'side=majority', ids.h5]);
      snapshot = snapshot.map((row) => row.replace(stale[0]?.id ?? '\u0000', ids.h5!));
    }, 120_000);

    it('plain TCP and a certificate from another CA are refused on the API and raft ports', async () => {
      const h1 = lab.host('h1');
      // Plain HTTP to the TLS API: no answer a client could mistake for success.
      const plain = await lab.exec('h4', ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', `http://${h1.ip}:4242/v1/nodes`], { check: false });
      expect(plain.code).not.toBe(0);
      // A TLS client that trusts this cluster but presents no certificate: 401 with a body.
      const caPem = sw.file('h1', 'ca.crt');
      const noCert = apiRequest({ kind: 'https', addr: sw.addr('h1'), tls: { ca: caPem } }, '/v1/nodes');
      const e1 = await expectApiError(noCert, 'unauthenticated');
      expect(e1.message).toMatch(/certificate/);

      // A manager certificate for this very cluster id, but signed by another CA.
      const { ca: rogue } = await RootCA.create({ clusterId: (await sw.info('h1')).clusterId! });
      const { keyPem, csrPem } = await createNodeKeyAndCsr();
      const cert = await rogue.issue(csrPem, { nodeId: 'rogue', role: 'manager' });
      const e2 = await expectApiError(apiRequest({ kind: 'https', addr: sw.addr('h1'), tls: { ca: caPem, cert, key: keyPem } }, '/v1/nodes'), 'unauthenticated');
      expect(e2.message).toMatch(/refused/);
      const e3 = await expectApiError(
        apiRequest({ kind: 'https', addr: sw.addr('h1'), tls: { ca: caPem, cert, key: keyPem } }, '/v1/join-tokens/rotate', { body: { role: 'worker' } }),
        'unauthenticated',
      );
      expect(e3.toBody()).toMatchObject({ code: 'unauthenticated', field: null });

      // Raft's port takes only mutual TLS with this CA: a plain client and a rogue one are dropped.
      const raftPlain = await lab.exec('h4', ['sh', '-c', `printf 'hello' | timeout 3 busybox nc ${h1.ip} 4243; echo rc=$?`], { check: false });
      expect(raftPlain.stdout).not.toMatch(/raft/i);
      const tls = await import('node:tls');
      const rogueRaft = await new Promise<string>((resolve) => {
        const s = tls.connect({ host: h1.ip, port: 4243, ca: caPem, cert, key: keyPem, servername: 'swarm-manager' }, () => {
          s.once('data', () => resolve('data'));
          s.once('close', () => resolve('closed'));
          s.write(Buffer.alloc(16));
        });
        s.once('error', (e) => resolve(`error: ${e.message}`));
        setTimeout(() => resolve('timeout'), 5000).unref();
      });
      expect(rogueRaft).not.toBe('data');
    }, 60_000);

    it('a worker cannot call manager APIs; invalid requests name their field', async () => {
      const r = await sw.cli('h4', ['node', 'ls']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/worker/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      const e = await expectApiError(sw.local('h4', '/v1/join-tokens/rotate', { body: { role: 'manager' } }), 'forbidden');
      expect(e.toBody()).toMatchObject({ code: 'forbidden' });

      const bad = await expectApiError(sw.local('h1', `/v1/nodes/${ids.h4}/update`, { body: { availability: 'sometimes' } }), 'invalid');
      expect(bad.toBody()).toMatchObject({ code: 'invalid', field: 'availability' });
      const extra = await expectApiError(sw.local('h2', `/v1/nodes/${ids.h4}/update`, { body: { avail: 'drain' } }), 'invalid');
      expect(extra.message).toMatch(/avail/);
      const cli = await sw.cli('h1', ['node', 'update', '--availability', 'sometimes', ids.h4!]);
      expect(cli.code).toBe(2);
      expect(cli.stderr).toMatch(/sometimes/);
      const missing = await sw.cli('h1', ['node', 'inspect', 'nosuchnode']);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toMatch(/no node "nosuchnode"/);
    }, 60_000);

    it('a manager whose leaving would lose quorum refuses without --force', async () => {
      await sw.kill('h3', 'SIGKILL');
      try {
        await eventually(async () => {
          const n = (await nodes('h1').catch(() => nodes('h2'))).find((x) => x.id === ids.h3);
          return n?.status === 'down' || undefined;
        }, { timeoutMs: 15_000, what: 'h3 down' });
        const r = await sw.cli('h2', ['leave']);
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/quorum/);
        expect(r.stderr).toMatch(/--force/);
        expect((await sw.info('h2')).member).toBe(true);
      } finally {
        await sw.start('h3');
      }
      await allReady('h1', [...MANAGERS, ...WORKERS], 30_000);
    }, 90_000);
  });
  it('node promote and demote change roles for real: raft membership, certificate, CA key', async () => {
    const dir = sw.dataDir('h4');
    expect((await sw.ok('h2', ['node', 'promote', ids.h4!])).trim()).toBe(`Node ${ids.h4} promoted to a manager in the swarm.`);
    await eventually(async () => {
      const i = await sw.info('h4');
      const h1 = await sw.info('h1');
      if (i.role === 'manager' && i.raft?.role === 'follower' && h1.managers?.length === 4) return i;
      throw new Error(`h4 ${JSON.stringify({ role: i.role, raft: i.raft })}, h1 sees ${h1.managers?.length} managers`);
    }, { timeoutMs: 20_000, what: 'h4 a voting manager' });
    expect(new X509Certificate(sw.file('h4', 'node.crt')).subject).toContain('OU=swarm-manager');
    expect(existsSync(path.join(dir, 'ca.key'))).toBe(true);
    await eventually(async () => ((await nodes('h4')).find((n) => n.id === ids.h4)?.managerStatus === 'reachable' ? true : undefined), { timeoutMs: 10_000, what: 'h4 reachable' });
    // The new manager serves the manager API and writes through raft.
    await sw.ok('h4', ['node', 'update', '--label-add', 'promoted=yes', ids.h4!]);
    expect((await nodes('h1')).find((n) => n.id === ids.h4)!.labels.promoted).toBe('yes');
    expect((await sw.ok('h1', ['node', 'promote', ids.h4!])).trim()).toBe(`Node ${ids.h4} is already a manager.`);

    await sw.ok('h1', ['node', 'demote', ids.h4!]);
    await eventually(async () => {
      const i = await sw.info('h4');
      return i.role === 'worker' && !i.raft && (await sw.info('h1')).managers?.length === 3 ? i : undefined;
    }, { timeoutMs: 20_000, what: 'h4 back to a worker' });
    expect(new X509Certificate(sw.file('h4', 'node.crt')).subject).toContain('OU=swarm-worker');
    expect(existsSync(path.join(dir, 'ca.key'))).toBe(false);
    expect(existsSync(path.join(dir, 'raft'))).toBe(false);
    const r = await sw.cli('h4', ['node', 'ls']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/worker/);
    await sw.ok('h1', ['node', 'update', '--label-rm', 'promoted', ids.h4!]);

    // Demoting the leader hands leadership over first.
    const leader = hostOfNode((await sw.info('h1')).leader!);
    await sw.ok(leader, ['node', 'demote', ids[leader]!]);
    const others = MANAGERS.filter((h) => h !== leader);
    await eventually(async () => {
      const l = await sw.agreedLeader(others);
      const i = await sw.info(leader);
      return l && l !== ids[leader] && i.role === 'worker' ? l : undefined;
    }, { timeoutMs: 20_000, what: `${leader} demoted and another leader` });
    await sw.ok(others[0]!, ['node', 'promote', ids[leader]!]);
    await eventually(async () => ((await sw.info(others[0]!)).managers?.length === 3 && (await sw.info(leader)).raft?.role === 'follower' ? true : undefined), {
      timeoutMs: 20_000,
      what: `${leader} a manager again`,
    });
    await allReady('h1', [...MANAGERS, ...WORKERS], 30_000);
  }, 120_000);

  it('certificates renew before they expire; a shorter cluster expiry takes effect at once', async () => {
    const hosts = [...MANAGERS, ...WORKERS];
    const bad = await sw.cli('h1', ['update', '--cert-expiry', '5s']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/certExpiryMs.*at least 30 s|at least 30 s/);
    expect((await sw.cli('h1', ['update', '--cert-expiry', 'soon'])).code).toBe(2);

    const first = hosts.map((h) => sw.file(h, 'node.crt'));
    expect(await sw.ok('h2', ['update', '--cert-expiry', '30s'])).toContain('30s');
    // Every node takes a 30 s certificate at its next heartbeat.
    const shortLived = await eventually(async () => {
      const now = hosts.map((h) => sw.file(h, 'node.crt'));
      const short = now.every((pem, i) => pem !== first[i] && Date.parse(new X509Certificate(pem).validTo) - Date.now() < 60_000);
      return short ? now : undefined;
    }, { timeoutMs: 20_000, what: 'every node on a 30 s certificate' });
    const t0 = Date.now();
    // ...and renews it inside 50%..80% of its life, again and again, without losing a beat.
    await eventually(async () => (hosts.every((h, i) => sw.file(h, 'node.crt') !== shortLived[i]) ? true : undefined), { timeoutMs: 30_000, what: 'every node renewing its 30 s certificate' });
    console.log(`[swarm] 30 s certificates renewed on all ${hosts.length} nodes after ${Date.now() - t0} ms`);
    // Past the first short certificate's expiry: connections made now use renewed certificates.
    while (Date.now() - t0 < 32_000) await new Promise((r) => setTimeout(r, 500));
    const table = await allReady('h3', hosts, 10_000);
    expect(table.every((n) => n.status === 'ready')).toBe(true);
    await sw.ok('h5', ['info']);
    await sw.ok('h2', ['node', 'update', '--label-add', 'renewed=yes', ids.h5!]);
    await sw.ok('h1', ['node', 'update', '--label-rm', 'renewed', ids.h5!]);

    // Back to a long life: the short certificates are replaced by long ones at their next renewal.
    await sw.ok('h1', ['update', '--cert-expiry', '2160h']);
    await eventually(async () => (hosts.every((h) => Date.parse(new X509Certificate(sw.file(h, 'node.crt')).validTo) - Date.now() > 24 * 3600_000) ? true : undefined), {
      timeoutMs: 40_000,
      what: 'every node back on a long certificate',
    });
  }, 150_000);
});
