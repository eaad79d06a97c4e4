/**
 * `completion bash|zsh|fish|powershell`: the shell script, generated from the command tree by
 * @bomb.sh/tab (commands, subcommands, flags and their choices, as declared with commander). The
 * script asks the program itself for candidates through a hidden `complete -- WORDS...` command,
 * so completions always match the installed version.
 */
import type { Command } from 'commander';
import tab from '@bomb.sh/tab/commander';

const DESCRIPTION = 'Generate shell completion scripts';

/**
 * Call last, once every command is declared: the tree is read when this runs. Reading it costs a
 * walk of every command and option, so it is done only when completion is what was asked; any
 * other run declares the command for `--help` alone (it cannot be reached without the word).
 */
export function addCompletion(program: Command, argv: readonly string[] = process.argv.slice(2)): void {
  if (argv.includes('completion') || argv.includes('complete')) {
    tab(program, { completionCommandName: 'completion' });
    return;
  }
  program.command('completion').description(DESCRIPTION).argument('<shell>', 'zsh, bash, fish or powershell');
}
