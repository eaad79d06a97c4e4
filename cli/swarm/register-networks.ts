import { Option, type Command } from 'commander';
import { runCommand } from '../run-command.js';
import type { SwarmGlobals } from './local.js';

/** `tsswarm network ...` (Docker's names); actions load cli/swarm/networks.ts lazily. */
export function registerNetworkCommands(program: Command): void {
  const g = (cmd: Command): SwarmGlobals => cmd.optsWithGlobals() as SwarmGlobals;
  const nw = (): Promise<typeof import('./networks.js')> => import('./networks.js');
  const collect = (v: string, prev: string[]): string[] => [...prev, v];
  const network = program.command('network').description('manage overlay networks (on a manager)');

  network
    .command('create')
    .description('create an overlay network')
    .argument('<name>')
    .option('-d, --driver <driver>', 'network driver (overlay)', 'overlay')
    .option('--subnet <cidr>', 'subnet, e.g. 10.20.0.0/24 (default: the next free one of the cluster pools)')
    .option('--ip-range <cidr>', 'hand out task and VIP addresses from this part of the subnet')
    .option('--gateway <ip>', 'the first node gateway address')
    .option('--attachable', 'let standalone containers join it on any node (docker run --network NAME)')
    .option('--internal', 'no traffic to or from outside the overlay')
    .option('--ingress', 'the routing-mesh network (at most one per cluster)')
    .option('--label <KEY=VALUE>', 'network label (repeatable)', collect, [])
    .option('-o, --opt <KEY=VALUE>', 'driver option: mtu=N, attach-prefix=N (each node\'s range of an attachable network, 24..30, default 28) (repeatable)', collect, [])
    .action(async (name: string, o: Parameters<Awaited<ReturnType<typeof nw>>['networkCreateCommand']>[2], cmd: Command) => {
      await runCommand('tsswarm', async () => (await nw()).networkCreateCommand(g(cmd), name, o));
    });

  network
    .command('ls')
    .alias('list')
    .description('list networks')
    .option('-q, --quiet', 'only ids')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (o: { quiet?: boolean; format?: string }, cmd: Command) => {
      await runCommand('tsswarm', async () => (await nw()).networkLsCommand(g(cmd), o));
    });

  network
    .command('inspect')
    .description('show networks in detail (JSON)')
    .argument('<network...>')
    .action(async (refs: string[], _o: unknown, cmd: Command) => {
      await runCommand('tsswarm', async () => (await nw()).networkInspectCommand(g(cmd), refs));
    });

  network
    .command('rm')
    .alias('remove')
    .description('remove networks (refused while a service uses one)')
    .argument('<network...>')
    .action(async (refs: string[], _o: unknown, cmd: Command) => {
      await runCommand('tsswarm', async () => (await nw()).networkRmCommand(g(cmd), refs));
    });

  network
    .command('prune')
    .description('remove every network no service uses')
    .option('-f, --force', 'do not ask (nothing asks yet; accepted for Docker habits)')
    .action(async (_o: unknown, cmd: Command) => {
      await runCommand('tsswarm', async () => (await nw()).networkPruneCommand(g(cmd)));
    });
}
