/**
 * `scripts/lab.sh` entry point (bundled by scripts/lab-cli.mjs): up N | down | status | exec hN CMD |
 * docker hN ARGS. The lab is named by TSLAB_NAME (default `tslab`) on underlay 10.199.TSLAB_NET.0/24.
 */
import { spawnSync } from 'node:child_process';
import { Lab, teardownLab, type LabConfig } from './harness.js';

const USAGE = `usage: scripts/lab.sh up N | down | status | exec hN CMD [ARGS...] | docker hN ARGS...
  env: TSLAB_NAME (default tslab), TSLAB_NET (default 0: underlay 10.199.0.0/24)`;

function config(): LabConfig {
  return {
    name: process.env.TSLAB_NAME ?? 'tslab',
    net: process.env.TSLAB_NET === undefined ? 0 : Number(process.env.TSLAB_NET),
    log: (line) => process.stderr.write(`[lab] ${line}\n`),
  };
}

/** Runs argv with the terminal attached and returns its exit code. */
function interactive(argv: readonly string[]): number {
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: 'inherit' });
  return r.status ?? 1;
}

async function main(args: string[]): Promise<number> {
  const [cmd, ...rest] = args;
  const cfg = config();
  switch (cmd) {
    case 'up': {
      const n = Number(rest[0] ?? '3');
      const t0 = Date.now();
      const lab = await Lab.up({ ...cfg, hosts: n });
      process.stderr.write(`[lab] ${n} hosts up in ${Date.now() - t0} ms\n`);
      for (const h of lab.hosts) process.stdout.write(`${h.id}\t${h.ip}\tDOCKER_HOST=${h.dockerHost}\n`);
      return 0;
    }
    case 'down': {
      const r = await teardownLab(cfg);
      process.stderr.write(`[lab] down: killed ${r.killed} processes, ${r.unmounted} mounts, netns [${r.netns.join(' ')}], links [${r.links.join(' ')}], ${r.rules} rules\n`);
      return 0;
    }
    case 'status': {
      const lab = await Lab.attach(cfg);
      if (lab.hosts.length === 0) {
        process.stdout.write(`lab ${lab.name}: not up\n`);
        return 1;
      }
      for (const s of await lab.status()) {
        const engine = s.answers ? `engine up (pid ${String(s.dockerdPid)})` : 'engine DOWN';
        process.stdout.write(`${s.host.id}\t${s.host.ip}\t${s.linkUp ? 'link up' : 'link CUT'}\t${engine}\tDOCKER_HOST=${s.host.dockerHost}\n`);
      }
      return 0;
    }
    case 'exec':
    case 'docker': {
      const [host, ...argv] = rest;
      if (host === undefined || (cmd === 'exec' && argv.length === 0)) throw new Error(USAGE);
      const lab = await Lab.attach(cfg);
      const h = lab.host(host);
      return cmd === 'exec' ? interactive(lab.hostArgv(h, argv[0]!, argv.slice(1))) : interactive(['docker', '-H', h.dockerHost, ...argv]);
    }
    default:
      process.stderr.write(USAGE + '\n');
      return cmd === undefined || cmd === 'help' || cmd === '--help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`lab: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
