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

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`tscompose: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
