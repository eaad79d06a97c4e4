#!/usr/bin/env node
/** tsswarm entry point: the cluster face. Commands load lazily, like tscompose's. */
import { Command } from 'commander';
import pkg from '../package.json' with { type: 'json' };

const program = new Command('tsswarm');
program
  .description('Run compose services across a Raft-replicated cluster of Docker hosts')
  .version(pkg.version, '-v, --version', 'print the version and exit')
  .showHelpAfterError('(run with --help for usage)');

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`tsswarm: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
