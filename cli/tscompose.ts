#!/usr/bin/env node
/**
 * tscompose entry point: declares commands and flags, loads each command's implementation only when
 * it runs (keeps `--version` fast), and maps errors to exit codes.
 */
import { addCompletion } from './completion.js';
import { setMaxListeners } from 'node:events';
import { Command, InvalidArgumentError, Option } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { usageExitCodes } from './usage-exit.js';
import { runCommand } from './run-command.js';
import { registerOpsCommands } from './compose/register-ops.js';
import type { GlobalOptions } from './compose/global-options.js';

// One command may run dozens of engine calls in parallel, each listening on a shared signal inside
// dockerode; Node's leak warning (10 listeners) is noise for a short-lived CLI and alarms users.
setMaxListeners(256);

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
  .option('--dry-run', 'execute the command in dry run mode: the engine is read, nothing is changed')
  .showHelpAfterError('(run with --help for usage)')
  .enablePositionalOptions();
usageExitCodes(program);

/** A Compose-style `--flag=false`: true/false/1/0, anything else a usage error naming the flag. */
function boolFlag(flag: string): (value: string) => boolean {
  return (value) => {
    if (/^(true|1)$/i.test(value)) return true;
    if (/^(false|0)$/i.test(value)) return false;
    throw new InvalidArgumentError(`${flag}: expected true or false, got "${value}"`);
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
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
  .option('--hash <services>', "print each service's config hash (the one up labels its containers with): '*' or a comma-separated list")
  .option('--variables', 'print the variables the files refer to, with their defaults')
  .option('--environment', 'print the environment used for interpolation')
  .option('--no-interpolate', 'do not interpolate environment variables')
  .option('--no-normalize', 'do not normalize to the canonical form')
  .option('--no-consistency', "don't check model consistency (two services with one container_name); may print a project up refuses")
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
  .option('--always-recreate-deps', 'recreate the dependencies of the named services (incompatible with --no-recreate)')
  .option('-V, --renew-anon-volumes', 'recreate the named services with new anonymous volumes instead of the previous containers\' data')
  .option('--dry-run', 'print what would be done (pulls, builds, creates, starts) and do none of it')
  .option('--no-recreate', 'never recreate existing containers')
  .option('--no-deps', 'do not start linked services')
  .option('--remove-orphans', 'remove containers of services no longer in the file')
  .option('--wait', 'wait for services to be running|healthy (implies -d)')
  .option('--wait-timeout <seconds>', 'maximum wait for --wait and dependencies')
  .option('--no-start', 'create but do not start')
  .option('--build', 'build images before starting')
  .option('--pull <policy>', 'pull policy: always|missing|never|build')
  .option('-t, --timeout <seconds>', 'stop timeout when recreating or stopping')
  .option('--abort-on-container-exit', 'stop everything when any container exits')
  .option('--exit-code-from <service>', 'exit with this service\'s exit code (implies --abort-on-container-exit)')
  .option('--attach <service>', 'attach only to these services (repeatable)', collect, [])
  .option('--no-attach <service>', 'do not attach to this service (repeatable)', collect, [])
  .option('--no-color', 'monochrome log prefixes')
  .option('--no-log-prefix', 'no service prefix in logs')
  .option('--quiet-pull', "pull without printing the layers' progress")
  .option('--timestamps', 'show timestamps in the attached logs')
  .option('-w, --watch', 'watch source code and rebuild/refresh containers when files are updated (develop.watch)')
  .action(async (services: string[], _o: unknown, cmd: Command) => {
    await run(async () => (await import('./compose/up.js')).upCommand(services, globals(cmd)));
  });

program
  .command('watch')
  .description('watch build context for service and rebuild/refresh containers when files are updated')
  .argument('[services...]')
  .option('--no-up', 'do not build & start services before watching')
  // Compose's default is true (`--prune=false` there); commander's booleans take no value: --no-prune.
  .option('--prune', 'prune dangling images of the project on rebuild', true)
  .option('--no-prune', 'keep the dangling images a rebuild leaves')
  .option('--quiet', 'hide build output')
  .action(async (services: string[], _o: unknown, cmd: Command) => {
    await run(async () => (await import('./compose/watch.js')).watchCommand(services, globals(cmd)));
  });

program
  .command('down')
  .description('stop and remove containers, networks (and with -v volumes, --rmi images)')
  .argument('[services...]')
  .option('-v, --volumes', 'remove named volumes and anonymous volumes')
  .option('--dry-run', 'print what would be stopped and removed, and remove nothing')
  .option('--rmi <type>', 'remove images: local|all')
  .option('--remove-orphans', 'remove containers of services no longer in the file')
  .option('-t, --timeout <seconds>', 'stop timeout')
  .action(async (services: string[], _o: unknown, cmd: Command) => {
    await run(async () => (await import('./compose/down.js')).downCommand(services, globals(cmd)));
  });

program
  .command('ps')
  .description('list containers')
  .argument('[services...]')
  .option('-a, --all', 'include stopped containers')
  .option('-q, --quiet', 'only ids')
  .option('--services', 'only service names')
  .option('--status <status>', 'filter by status (repeatable)', collect, [])
  .option('--filter <filter>', 'filter by a property: status=STATUS (repeatable)', collect, [])
  .option('--no-trunc', "don't truncate the command")
  .option('--orphans [bool]', 'include containers of services the files no longer declare (default true; --orphans=false as in Compose)', boolFlag('--orphans'))
  .option('--no-orphans', "leave out containers of services the files no longer declare")
  .addOption(new Option('--format <format>', 'table, json, or a Go template ("table {{.Name}}\\t{{.Status}}")').default('table'))
  .action(async (services: string[], _o: unknown, cmd: Command) => {
    await run(async () => (await import('./compose/ps.js')).psCommand(services, globals(cmd)));
  });

program
  .command('build')
  .description('build or rebuild services')
  .argument('[services...]')
  .option('--no-cache', 'do not use cache')
  .option('--pull', 'always try to pull a newer base image')
  .option('--push', 'push the images of services with image: once built')
  .option('-q, --quiet', 'no build output')
  .option('--build-arg <KEY=VAL>', 'build argument (repeatable)', collect, [])
  .action(async (services: string[], _o: unknown, cmd: Command) => {
    await run(async () => (await import('./compose/build.js')).buildCommand(services, globals(cmd)));
  });

program
  .command('create')
  .description('create containers without starting them')
  .argument('[services...]')
  .option('--force-recreate', 'recreate containers even if unchanged')
  .option('--always-recreate-deps', 'recreate the dependencies of the named services (incompatible with --no-recreate)')
  .option('-V, --renew-anon-volumes', 'recreate the named services with new anonymous volumes instead of the previous containers\' data')
  .option('--no-recreate', 'never recreate existing containers')
  .option('--build', 'build images first')
  .option('--scale <service=n>', 'scale a service (repeatable)', collect, [])
  .option('--remove-orphans', 'remove orphans')
  .action(async (services: string[], _o: unknown, cmd: Command) => {
    await run(async () => (await import('./compose/up.js')).upCommand(services, { ...(globals(cmd) as import('./compose/up.js').UpFlags), start: false, detach: true }));
  });

registerOpsCommands(program);
// --dry-run is global, as in Compose, and also accepted after the command's name (positional
// options would otherwise refuse it there).
for (const c of program.commands) {
  if (!c.options.some((o) => o.long === '--dry-run')) c.option('--dry-run', 'execute the command in dry run mode: the engine is read, nothing is changed');
}

addCompletion(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`tscompose: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
