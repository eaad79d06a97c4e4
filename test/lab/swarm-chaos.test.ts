/**
 * The store through the CLI under manager crashes: three managers. Round after round, writes
 * (secret, config and service creates, a service update) start on one manager's CLI and another
 * manager's daemon is killed with -9 while they run, the leader every other round (so a write
 * this manager forwards loses its leader mid-flight). Each command either succeeds
 * (acknowledged), fails saying it may have been applied, or fails as not applied; none takes
 * longer than its bound. At the end every acknowledged write is on every manager, nothing is
 * there twice, and nothing refused as not applied is there. Needs root. Lab `tschs` on net 2
 * (shared with lab-harness's failed-setup case: lab files run one at a time).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Lab, eventually, teardownLab, type LabConfig } from './harness.js';
import { SwarmNodes } from './swarm-nodes.js';

const CFG: LabConfig = { name: 'tschs', net: 2 };
const MANAGERS = ['h1', 'h2', 'h3'];
const KILLS = Number(process.env.TSSWARM_CHAOS_KILLS ?? 30);
const IMAGE = 'tscompose-test/busybox:latest';
/** A command's bound: the daemon's 20 s request deadline, the CLI's start and some slack. */
const COMMAND_BOUND_MS = 35_000;

let lab: Lab;
let sw: SwarmNodes;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Outcome = 'acked' | 'maybe' | 'refused';
interface Write {
  kind: 'secret' | 'config' | 'service' | 'update';
  name: string;
  outcome: Outcome;
  ms: number;
  stderr: string;
}

async function write(client: string, kind: Write['kind'], name: string, args: string[], input?: string): Promise<Write> {
  const t0 = Date.now();
  const r = await sw.cli(client, args, 60_000, input);
  const ms = Date.now() - t0;
  const outcome: Outcome = r.code === 0 ? 'acked' : /may have been applied/.test(r.stderr) ? 'maybe' : 'refused';
  return { kind, name, outcome, ms, stderr: r.stderr.trim() };
}

async function hostOfLeader(ids: Record<string, string>): Promise<string> {
  const l = await eventually(() => sw.agreedLeader(MANAGERS.filter((h) => ids[h] !== undefined)), { timeoutMs: 20_000, intervalMs: 100, what: 'an agreed leader' });
  const h = MANAGERS.find((x) => ids[x] === l);
  if (!h) throw new Error(`leader ${l} is no manager host`);
  return h;
}

/** Every manager answers and agrees on a leader, and has applied as far as the leader. */
async function settled(): Promise<void> {
  await eventually(async () => {
    const infos = await Promise.all(MANAGERS.map((h) => sw.info(h).catch(() => undefined)));
    if (infos.some((i) => !i?.raft || !i.leader)) return undefined;
    const leaders = new Set(infos.map((i) => i!.leader));
    const applied = infos.map((i) => i!.raft!.applied);
    return leaders.size === 1 && Math.max(...applied) - Math.min(...applied) <= 2 ? true : undefined;
  }, { timeoutMs: 30_000, intervalMs: 100, what: 'three managers agreeing and caught up' });
}

describe('the store through the CLI while managers crash', () => {
  const writes: Write[] = [];
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    await teardownLab(CFG);
    lab = await Lab.up({ ...CFG, hosts: 3 });
    sw = new SwarmNodes(lab, { heartbeatMs: 1000 });
    await sw.form(MANAGERS, 2);
    for (const h of MANAGERS) ids[h] = (await sw.info(h)).nodeId!;
    // A manager that just joined is a learner until it caught up: killing one of the two voters
    // then would leave no majority, which is not what this test is about.
    await eventually(async () => ((await Promise.all(MANAGERS.map((h) => sw.info(h)))).every((i) => i.raft?.voters === 3) ? true : undefined), {
      timeoutMs: 30_000,
      what: 'three voters',
    });
  }, 240_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    sw.dumpLogs(MANAGERS, 30);
  });

  afterAll(async () => {
    if (process.env.TSLAB_KEEP === '1') return;
    await sw?.stopAll();
    await lab?.teardown();
  }, 120_000);

  it(`${KILLS} kill -9s of managers (the leader every other one) during creates and updates: acknowledged writes survive, nothing twice, no command over its bound`, async () => {
    for (let k = 0; k < KILLS; k++) {
      const leader = await hostOfLeader(ids);
      const followers = MANAGERS.filter((h) => h !== leader);
      const victim = k % 2 === 0 ? leader : followers[k % 4 === 1 ? 0 : 1]!;
      // The CLI runs on a manager that stays up: killing the daemon it talks to would only say "no daemon".
      const client = MANAGERS.filter((h) => h !== victim)[k % 2]!;
      const round = [
        write(client, 'secret', `sec-${k}`, ['secret', 'create', `sec-${k}`, '-'], `value-${k}`),
        write(client, 'config', `cfg-${k}`, ['config', 'create', `cfg-${k}`, '-'], `config-${k}`),
        write(client, 'service', `svc-${k}`, ['service', 'create', '--name', `svc-${k}`, '--replicas', '0', '-d', IMAGE, 'sleep', '3600']),
        ...(k > 0 ? [write(client, 'update', `svc-${k - 1}`, ['service', 'update', '--env-add', `ROUND=${k}`, '-d', `svc-${k - 1}`])] : []),
      ];
      // Mid-flight: the commands have started (a CLI starts in ~0.3 s) and some are at the managers.
      await sleep(250 + ((k * 97) % 400));
      await sw.kill(victim, 'SIGKILL');
      writes.push(...(await Promise.all(round)));
      await sw.start(victim);
      await settled();
    }

    const count = (o: Outcome): number => writes.filter((w) => w.outcome === o).length;
    const slowest = Math.max(...writes.map((w) => w.ms));
    console.log(`[chaos] ${KILLS} kills, ${writes.length} writes: ${count('acked')} acknowledged, ${count('maybe')} may have been applied, ${count('refused')} refused; slowest ${slowest} ms`);
    for (const w of writes.filter((x) => x.outcome !== 'acked')) console.log(`[chaos]   ${w.kind} ${w.name}: ${w.outcome}: ${w.stderr.split('\n')[0]}`);
    expect(slowest).toBeLessThan(COMMAND_BOUND_MS);
    // Most writes get through: a killed manager costs a retry, not the command.
    expect(count('acked')).toBeGreaterThan(writes.length / 2);

    for (const h of MANAGERS) {
      const secrets = (await sw.local<{ secrets: { name: string }[] }>(h, '/v1/secrets')).secrets.map((s) => s.name);
      const configs = (await sw.local<{ configs: { name: string }[] }>(h, '/v1/configs')).configs.map((s) => s.name);
      const services = (await sw.local<{ services: { name: string; id: string }[] }>(h, '/v1/services')).services;
      const names: Record<'secret' | 'config' | 'service', string[]> = { secret: secrets, config: configs, service: services.map((s) => s.name) };
      for (const list of Object.values(names)) expect(new Set(list).size, `duplicates on ${h}`).toBe(list.length);
      for (const w of writes) {
        if (w.kind === 'update') continue;
        const there = names[w.kind].includes(w.name);
        if (w.outcome === 'acked') expect(there, `acknowledged ${w.kind} ${w.name} missing on ${h}`).toBe(true);
        if (w.outcome === 'refused') expect(there, `${w.kind} ${w.name} refused as not applied, yet on ${h}: ${w.stderr}`).toBe(false);
      }
      for (const w of writes.filter((x) => x.kind === 'update' && x.outcome === 'acked')) {
        const svc = services.find((s) => s.name === w.name)!;
        const spec = (await sw.local<{ service: { spec: { task: { container: { env: string[] } } } } }>(h, `/v1/services/${svc.id}`)).service.spec;
        const rounds = spec.task.container.env.filter((e) => e.startsWith('ROUND='));
        expect(rounds, `${w.name} on ${h}`).toHaveLength(1);
      }
    }
  }, 900_000);
});
