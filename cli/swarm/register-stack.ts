import { Option, type Command } from 'commander';
import { runCommand } from '../run-command.js';
import type { SwarmGlobals } from './local.js';

/** `tsswarm stack ...` (Docker's names); actions load cli/swarm/stack.ts lazily. */
export function registerStackCommands(program: Command): void {
  const g = (cmd: Command): SwarmGlobals => cmd.optsWithGlobals() as SwarmGlobals;
  const st = (): Promise<typeof import('./stack.js')> => import('./stack.js');
  const collect = (v: string, prev: string[]): string[] => [...prev, v];
  const stack = program.command('stack').description('deploy compose files as services (on a manager)');

  stack
    .command('deploy')
    .alias('up')
    .description('create or update the services of a stack from compose files')
    .argument('<stack>')
    .option('-c, --compose-file <file>', 'compose file; later files override earlier ones (repeatable, - for stdin)', collect, [])
    .option('--prune', 'remove services of the stack that the files no longer have')
    .option('--with-registry-auth', "send this client's credentials for each image's registry to the managers")
    .addOption(new Option('--resolve-image <when>', 'ask the registry for the digest to pin each image to').choices(['always', 'changed', 'never']))
    .action(async (name: string, o: { composeFile: string[]; prune?: boolean; withRegistryAuth?: boolean; resolveImage?: 'always' | 'changed' | 'never' }, cmd: Command) => {
      await runCommand('tsswarm', async () => (await st()).stackDeployCommand(g(cmd), name, o));
    });

  stack
    .command('ls')
    .alias('list')
    .description('list stacks')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (o: { format?: string }, cmd: Command) => {
      await runCommand('tsswarm', async () => (await st()).stackLsCommand(g(cmd), o));
    });

  stack
    .command('services')
    .description('list the services of a stack')
    .argument('<stack>')
    .option('-q, --quiet', 'only ids')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (name: string, o: { quiet?: boolean; format?: string }, cmd: Command) => {
      await runCommand('tsswarm', async () => (await st()).stackServicesCommand(g(cmd), name, o));
    });

  stack
    .command('ps')
    .description('list the tasks of a stack')
    .argument('<stack>')
    .option('-a, --all', 'include finished tasks (history)')
    .option('-q, --quiet', 'only ids')
    .option('--no-trunc', 'do not truncate ids and errors')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (name: string, o: { all?: boolean; quiet?: boolean; format?: string; trunc?: boolean }, cmd: Command) => {
      await runCommand('tsswarm', async () => (await st()).stackPsCommand(g(cmd), name, { ...o, noTrunc: o.trunc === false }));
    });

  stack
    .command('rm')
    .alias('remove')
    .alias('down')
    .description('remove every service of the stacks')
    .argument('<stack...>')
    .action(async (names: string[], _o: unknown, cmd: Command) => {
      await runCommand('tsswarm', async () => (await st()).stackRmCommand(g(cmd), names));
    });
}
