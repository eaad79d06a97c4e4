#!/usr/bin/env node
/** tsswarm entry point: the cluster face. Commands load lazily, like tscompose's. */
import { addCompletion } from './completion.js';
import { Command, Option } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { usageExitCodes } from './usage-exit.js';
import { runCommand } from './run-command.js';
import type { SwarmGlobals } from './swarm/local.js';
import type { InitFlags } from './swarm/commands.js';
import { registerServiceCommands } from './swarm/register-services.js';
import { registerStackCommands } from './swarm/register-stack.js';
import { registerNetworkCommands } from './swarm/register-networks.js';

const program = new Command('tsswarm');
program
  .description('Run compose services across a Raft-replicated cluster of Docker hosts')
  .version(pkg.version, '-v, --version', 'print the version and exit')
  .option('-H, --host <socket>', 'the daemon\'s unix socket (env TSSWARM_HOST; default /run/tsswarm.sock)')
  .option('--data-dir <dir>', 'the node\'s state directory (env TSSWARM_DATA_DIR; default /var/lib/tsswarm)')
  .showHelpAfterError('(run with --help for usage)')
  .enablePositionalOptions();
usageExitCodes(program);

const g = (cmd: Command): SwarmGlobals => cmd.optsWithGlobals<SwarmGlobals>();
const cmds = (): Promise<typeof import('./swarm/commands.js')> => import('./swarm/commands.js');
const collect = (v: string, prev: string[]): string[] => [...prev, v];

program
  .command('daemon')
  .description('run the node daemon in the foreground (systemd runs this)')
  .option('--advertise-addr <addr>', 'address other nodes reach this one at (default for init/join)')
  .option('--node-name <name>', 'this node\'s name (default: the hostname)')
  .action(async (o: { advertiseAddr?: string; nodeName?: string }, cmd: Command) => {
    await runCommand('tsswarm', async () => (await cmds()).daemonCommand(g(cmd), o));
  });

/**
 * The cluster's own commands. Declared twice: at the top (`tsswarm init`) and under `swarm`
 * (`tsswarm swarm init`), the words Docker users type; one definition, so they cannot drift.
 */
function declareClusterCommands(parent: Command): void {
  parent
    .command('init')
    .description('create a cluster with this node as its first manager')
    .option('--advertise-addr <addr>', 'address other nodes reach this manager at')
    .option('--listen-addr <addr:port>', 'manager API listen address (raft on port + 1)', '0.0.0.0:4242')
    .option('--cert-expiry <duration>', 'life of node certificates, renewed automatically (default 2160h)')
    .option('--default-addr-pool <cidr[,cidr]>', 'address pools overlay subnets are cut from (repeatable; default 10.0.0.0/8)', collect, [])
    .option('--default-addr-pool-mask-len <n>', 'prefix length of each overlay subnet taken from the pools (default 24)')
    .option('--data-path-port <port>', 'UDP port of the VXLAN data path (default 4789)')
    .action(async (o: InitFlags, cmd: Command) => {
      await runCommand('tsswarm', async () => (await cmds()).initCommand(g(cmd), o));
    });

  parent
    .command('update')
    .description('change cluster-wide settings (on a manager)')
    .option('--cert-expiry <duration>', 'life of node certificates; shorter takes effect at once (min 30s)')
    .action(async (o: { certExpiry?: string }, cmd: Command) => {
      await runCommand('tsswarm', async () => (await cmds()).clusterUpdateCommand(g(cmd), o));
    });

  parent
    .command('join')
    .description('join a cluster as a worker or manager (the token decides)')
    .argument('<addr:port>', 'a manager\'s API address')
    .requiredOption('--token <token>', 'join token from `tsswarm join-token`')
    .option('--advertise-addr <addr>', 'address other nodes reach this node at')
    .option('--listen-addr <addr:port>', 'manager API listen address if joining as a manager', '0.0.0.0:4242')
    .action(async (remote: string, o: { token: string; advertiseAddr?: string; listenAddr?: string }, cmd: Command) => {
      await runCommand('tsswarm', async () => (await cmds()).joinCommand(g(cmd), remote, o));
    });

  parent
    .command('join-token')
    .description('print or rotate a join token')
    .argument('<role>', 'worker | manager')
    .option('--rotate', 'replace the token; the old one is refused at once')
    .option('-q, --quiet', 'print only the token')
    .action(async (role: string, o: { rotate?: boolean; quiet?: boolean }, cmd: Command) => {
      await runCommand('tsswarm', async () => (await cmds()).joinTokenCommand(g(cmd), role, o));
    });

  parent
    .command('leave')
    .description('leave the cluster')
    .option('-f, --force', 'leave even if this loses the managers\' quorum or no manager answers')
    .action(async (o: { force?: boolean }, cmd: Command) => {
      await runCommand('tsswarm', async () => (await cmds()).leaveCommand(g(cmd), o));
    });
}

declareClusterCommands(program);
declareClusterCommands(program.command('swarm').description('the cluster itself, as `docker swarm`: init, join, join-token, leave, update'));

program
  .command('info')
  .description('cluster id, node id, role, managers, leader, raft term/index')
  .addOption(new Option('--format <format>', 'output format').choices(['pretty', 'json']).default('pretty'))
  .action(async (o: { format?: string }, cmd: Command) => {
    await runCommand('tsswarm', async () => (await cmds()).infoCommand(g(cmd), o));
  });

const node = program.command('node').description('manage the cluster\'s nodes (on a manager)');
node
  .command('ls')
  .description('list nodes')
  .option('-q, --quiet', 'only ids')
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
  .action(async (o: { quiet?: boolean; format?: string }, cmd: Command) => {
    await runCommand('tsswarm', async () => (await cmds()).nodeLsCommand(g(cmd), o));
  });
node
  .command('inspect')
  .argument('<node...>')
  .description('show nodes as JSON')
  .action(async (ids: string[], _o: unknown, cmd: Command) => {
    await runCommand('tsswarm', async () => (await cmds()).nodeInspectCommand(g(cmd), ids));
  });
node
  .command('update')
  .argument('<node>')
  .description('change a node\'s availability or labels')
  .addOption(new Option('--availability <a>', 'active | pause | drain').choices(['active', 'pause', 'drain']))
  .option('--label-add <key=value>', 'add or replace a label (repeatable)', collect, [])
  .option('--label-rm <key>', 'remove a label (repeatable)', collect, [])
  .action(async (id: string, o: { availability?: string; labelAdd: string[]; labelRm: string[] }, cmd: Command) => {
    await runCommand('tsswarm', async () => (await cmds()).nodeUpdateCommand(g(cmd), id, o));
  });
for (const verb of ['promote', 'demote'] as const) {
  node
    .command(verb)
    .argument('<node...>')
    .description(`${verb} nodes`)
    .action(async (ids: string[], _o: unknown, cmd: Command) => {
      await runCommand('tsswarm', async () => (await cmds()).nodeRoleCommand(g(cmd), verb, ids));
    });
}
node
  .command('rm')
  .argument('<node...>')
  .description('remove nodes from the cluster')
  .option('-f, --force', 'remove even if the node is not down')
  .action(async (ids: string[], o: { force?: boolean }, cmd: Command) => {
    await runCommand('tsswarm', async () => (await cmds()).nodeRmCommand(g(cmd), ids, o));
  });

registerServiceCommands(program);
registerStackCommands(program);
registerNetworkCommands(program);

addCompletion(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`tsswarm: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
