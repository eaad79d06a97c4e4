import type { Command, CommanderError } from 'commander';

/**
 * Commander exits 1 on a usage mistake; our convention (specs/README.md) is 2, so scripts can tell
 * "you called it wrong" from "it failed". Help and --version still exit 0. Set on the program
 * before its subcommands are added: they inherit it.
 */
export function usageExitCodes(program: Command): Command {
  return program.exitOverride((err: CommanderError) => {
    process.exit(err.exitCode === 0 ? 0 : 2);
  });
}
