#!/usr/bin/env node
/**
 * tscompose entry point: declares commands and flags, loads each command's implementation only when
 * it runs (keeps `--version` fast), and maps errors to exit codes.
 */
import { Command, Option } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { runCommand } from './run-command.js';
import type { GlobalOptions } from './compose/global-options.js';

const program = new Command('tscompose');
program
  .description('Define and run multi-container applications from compose files on a Docker engine')
  .version(pkg.version, '-v, --version', 'print the version and exit')
  .option('-f, --file <file>', 'compose configuration file (repeatable; "-" reads stdin)', collect, [])
  .option('-p, --project-name <name>', 'project name')
  .option('--project-directory <dir>', 'working directory of the project (default: the first file\'s directory)')
  .option('--env-file <file>', 'environment file (repeatable)', collect, [])
  .option('--profile <profile>', 'enable a profile (repeatable)', collect, [])
  .addOption(new Option('--progress <mode>', 'progress output').choices(['auto', 'tty', 'plain', 'quiet', 'json']).default('auto'))
  .option('--ansi <when>', 'control ANSI output: never|always|auto', 'auto')
  .showHelpAfterError('(run with --help for usage)')
  .enablePositionalOptions();

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

program
  .command('version')
  .description('show version information')
  .option('--format <format>', 'pretty|json', 'pretty')
  .option('--short', 'print only the version number')
  .action(async (opts: { format: string; short?: boolean }) => {
    await runCommand('tscompose', async () => {
      if (opts.short) process.stdout.write(`${pkg.version}\n`);
      else if (opts.format === 'json') process.stdout.write(JSON.stringify({ version: pkg.version }) + '\n');
      else process.stdout.write(`tscompose version ${pkg.version}\n`);
    });
  });

program
  .command('config')
  .description('parse, resolve and render the compose files in canonical form')
  .argument('[services...]', 'limit to these services')
  .addOption(new Option('--format <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
  .option('-q, --quiet', 'only validate; print nothing')
  .option('--services', 'print the service names, one per line')
  .option('--volumes', 'print the volume names, one per line')
  .option('--networks', 'print the network names, one per line')
  .option('--profiles', 'print the profile names, one per line')
  .option('--images', 'print the image names, one per line')
  .option('--no-interpolate', 'do not interpolate environment variables')
  .option('--no-normalize', 'do not normalize to the canonical form')
  .option('-o, --output <file>', 'write to this file instead of stdout')
  .action(async (services: string[], _opts: unknown, cmd: Command) => {
    await runCommand('tscompose', async () => (await import('./compose/config.js')).configCommand(services, globals(cmd)));
  });


// ---- engine commands: flags here, logic in src/engine, rendering in cli/compose/<command>.ts

function run(load: () => Promise<number | void>): Promise<never> {
  return runCommand('tscompose', load);
}

program
  .command('up')
  .description('create and start containers')
  .argument('[services...]')
  .option('-d, --detach', 'run containers in the background')
  .option('--scale <service=n>', 'scale a service (repeatable)', collect, [])
  .option('--force-recreate', 'recreate containers even if unchanged')
  .option('--no-recreate', 'never recreate existing containers')
  .option('--no-deps', 'do not start linked services')
  .option('--remove-orphans', 'remove containers of services no longer in the file')
  .option('--wait', 'wait for services to be running|healthy (implies -d)')
  .option('--wait-timeout <seconds>', 'maximum wait for --wait and dependencies')
  .option('--no-start', 'create but do not start')
  .option('--build', 'build images before starting')
  .option('--pull <policy>', 'pull policy: always|missing|never')
  .option('-t, --timeout <seconds>', 'stop timeout when recreating or stopping')
  .option('--abort-on-container-exit', 'stop everything when any container exits')
  .option('--exit-code-from <service>', 'exit with this service\'s exit code (implies --abort-on-container-exit)')
  .option('--attach <service>', 'attach only to these services (repeatable)', collect, [])
  .option('--no-attach <service>', 'do not attach to this service (repeatable)', collect, [])
  .option('--no-color', 'monochrome log prefixes')
  .option('--no-log-prefix', 'no service prefix in logs')
  .action(async (services: string[], _o: unknown, cmd: Command) => {
    await run(async () => (await import('./compose/up.js')).upCommand(services, globals(cmd) as never));
  });

program
  .command('down')
  .description('stop and remove containers, networks (and with -v volumes, --rmi images)')
  .argument('[services...]')
  .option('-v, --volumes', 'remove named volumes and anonymous volumes')
  .option('--rmi <type>', 'remove images: local|all')
  .option('--remove-orphans', 'remove containers of services no longer in the file')
  .option('-t, --timeout <seconds>', 'stop timeout')
  .action(async (services: string[], _o: unknown, cmd: Command) => {
    await run(async () => (await import('./compose/down.js')).downCommand(services, globals(cmd) as never));
  });

program
  .command('ps')
  .description('list containers')
  .argument('[services...]')
  .option('-a, --all', 'include stopped containers')
  .option('-q, --quiet', 'only ids')
  .option('--services', 'only service names')
  .option('--status <status>', 'filter by status (repeatable)', collect, [])
  .addOption(new Option('--format <format>', 'table|json').choices(['table', 'json']).default('table'))
  .action(async (services: string[], _o: unknown, cmd: Command) => {
    await run(async () => (await import('./compose/ps.js')).psCommand(services, globals(cmd) as never));
  });

program
  .command('logs')
  .description('view output from containers')
  .argument('[services...]')
  .option('-f, --follow', 'follow log output')
  .option('-n, --tail <n>', 'number of lines from the end', 'all')
  .option('--since <time>', 'since timestamp (RFC3339 or unix seconds) or relative (42m)')
  .option('--until <time>', 'until timestamp or relative')
  .option('-t, --timestamps', 'show timestamps')
  .option('--no-log-prefix', 'no service prefix')
  .option('--no-color', 'monochrome')
  .option('--index <n>', 'container index')
  .action(async (services: string[], _o: unknown, cmd: Command) => {
    await run(async () => (await import('./compose/logs.js')).logsCommand(services, globals(cmd) as never));
  });

program
  .command('exec')
  .description('execute a command in a running container')
  .argument('<service>')
  .argument('<command...>')
  .option('-d, --detach', 'run in the background')
  .option('-e, --env <KEY=VAL>', 'set environment (repeatable)', collect, [])
  .option('-w, --workdir <dir>', 'working directory')
  .option('-u, --user <user>', 'user')
  .option('-T, --no-tty', 'disable pseudo-TTY allocation')
  .option('-i, --interactive', 'keep stdin open (default true)', true)
  .option('--privileged', 'extended privileges')
  .option('--index <n>', 'container index', '1')
  .passThroughOptions()
  .action(async (service: string, command: string[], _o: unknown, cmd: Command) => {
    await run(async () => (await import('./compose/exec.js')).execCommand(service, command, globals(cmd) as never));
  });

program
  .command('run')
  .description('run a one-off command on a service')
  .argument('<service>')
  .argument('[command...]')
  .option('-d, --detach', 'run in the background, print the container id')
  .option('--rm', 'remove the container when it exits')
  .option('--name <name>', 'container name')
  .option('-e, --env <KEY=VAL>', 'set environment (repeatable)', collect, [])
  .option('--entrypoint <cmd>', 'override the entrypoint')
  .option('-w, --workdir <dir>', 'working directory')
  .option('-u, --user <user>', 'user')
  .option('--no-deps', 'do not start linked services')
  .option('--service-ports', 'publish the service\'s ports')
  .option('-p, --publish <port>', 'publish a port (repeatable)', collect, [])
  .option('-T, --no-tty', 'disable pseudo-TTY allocation')
  .option('-i, --interactive', 'keep stdin open', true)
  .option('--build', 'build the image first')
  .passThroughOptions()
  .action(async (service: string, command: string[], _o: unknown, cmd: Command) => {
    await run(async () => (await import('./compose/run.js')).runServiceCommand(service, command, globals(cmd) as never));
  });

program
  .command('build')
  .description('build or rebuild services')
  .argument('[services...]')
  .option('--no-cache', 'do not use cache')
  .option('--pull', 'always try to pull a newer base image')
  .option('-q, --quiet', 'no build output')
  .option('--build-arg <KEY=VAL>', 'build argument (repeatable)', collect, [])
  .action(async (services: string[], _o: unknown, cmd: Command) => {
    await run(async () => (await import('./compose/build.js')).buildCommand(services, globals(cmd) as never));
  });

program
  .command('pull')
  .description('pull service images')
  .argument('[services...]')
  .option('-q, --quiet', 'no progress')
  .option('--ignore-pull-failures', 'continue on failures')
  .action(async (services: string[], _o: unknown, cmd: Command) => {
    await run(async () => (await import('./compose/pull.js')).pullCommand(services, globals(cmd) as never));
  });

program
  .command('create')
  .description('create containers without starting them')
  .argument('[services...]')
  .option('--force-recreate', 'recreate containers even if unchanged')
  .option('--no-recreate', 'never recreate existing containers')
  .option('--build', 'build images first')
  .option('--scale <service=n>', 'scale a service (repeatable)', collect, [])
  .option('--remove-orphans', 'remove orphans')
  .action(async (services: string[], _o: unknown, cmd: Command) => {
    await run(async () => (await import('./compose/up.js')).upCommand(services, { ...(globals(cmd) as import('./compose/up.js').UpFlags), start: false, detach: true }));
  });

for (const [name, desc] of [
  ['start', 'start existing containers'],
  ['stop', 'stop running containers'],
  ['restart', 'restart containers'],
  ['pause', 'pause containers'],
  ['unpause', 'unpause containers'],
] as const) {
  const c = program.command(name).description(desc).argument('[services...]');
  if (name === 'stop' || name === 'restart') c.option('-t, --timeout <seconds>', 'stop timeout');
  c.action(async (services: string[], _o: unknown, cmd: Command) => {
    await run(async () => (await import('./compose/lifecycle.js')).lifecycleCommand(name, services, globals(cmd) as never));
  });
}

program
  .command('kill')
  .description('force stop containers')
  .argument('[services...]')
  .option('-s, --signal <signal>', 'signal to send', 'SIGKILL')
  .option('--remove-orphans', 'also orphans')
  .action(async (services: string[], _o: unknown, cmd: Command) => {
    await run(async () => (await import('./compose/lifecycle.js')).lifecycleCommand('kill', services, globals(cmd) as never));
  });

program
  .command('rm')
  .description('remove stopped containers')
  .argument('[services...]')
  .option('-f, --force', 'do not ask')
  .option('-s, --stop', 'stop running containers first')
  .option('-v, --volumes', 'remove anonymous volumes')
  .action(async (services: string[], _o: unknown, cmd: Command) => {
    await run(async () => (await import('./compose/lifecycle.js')).lifecycleCommand('rm', services, globals(cmd) as never));
  });

program
  .command('top')
  .description('display running processes')
  .argument('[services...]')
  .action(async (services: string[], _o: unknown, cmd: Command) => {
    await run(async () => (await import('./compose/top.js')).topCommand(services, globals(cmd) as never));
  });

program
  .command('port')
  .description('print the public port for a port binding')
  .argument('<service>')
  .argument('<private_port>')
  .option('--protocol <proto>', 'tcp|udp', 'tcp')
  .option('--index <n>', 'container index', '1')
  .action(async (service: string, port: string, _o: unknown, cmd: Command) => {
    await run(async () => (await import('./compose/port.js')).portCommand(service, port, globals(cmd) as never));
  });

program
  .command('images')
  .description('list images used by the created containers')
  .argument('[services...]')
  .option('-q, --quiet', 'only ids')
  .addOption(new Option('--format <format>', 'table|json').choices(['table', 'json']).default('table'))
  .action(async (services: string[], _o: unknown, cmd: Command) => {
    await run(async () => (await import('./compose/images.js')).imagesCommand(services, globals(cmd) as never));
  });

program
  .command('events')
  .description('receive real time events from containers')
  .argument('[services...]')
  .option('--json', 'one JSON object per line')
  .action(async (services: string[], _o: unknown, cmd: Command) => {
    await run(async () => (await import('./compose/events.js')).eventsCommand(services, globals(cmd) as never));
  });

program
  .command('ls')
  .description('list running compose projects')
  .option('-a, --all', 'include stopped projects')
  .option('-q, --quiet', 'only names')
  .addOption(new Option('--format <format>', 'table|json').choices(['table', 'json']).default('table'))
  .action(async (_o: unknown, cmd: Command) => {
    await run(async () => (await import('./compose/ls.js')).lsCommand(globals(cmd) as never));
  });

program
  .command('wait')
  .description('block until containers of the services stop; print their exit codes')
  .argument('<services...>')
  .option('--down-project', 'down the project when the first container stops')
  .action(async (services: string[], _o: unknown, cmd: Command) => {
    await run(async () => (await import('./compose/wait.js')).waitCommand(services, globals(cmd) as never));
  });

program
  .command('cp')
  .description('copy files between a service container and the local filesystem')
  .argument('<src>')
  .argument('<dest>')
  .option('--index <n>', 'container index', '1')
  .action(async (src: string, dest: string, _o: unknown, cmd: Command) => {
    await run(async () => (await import('./compose/cp.js')).cpCommand(src, dest, globals(cmd) as never));
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`tscompose: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
