/**
 * `completion bash|zsh|fish|powershell`: the shell script, generated from the command tree by
 * @bomb.sh/tab (commands, subcommands, flags and their choices, as declared with commander). The
 * script asks the program itself for candidates through a hidden `complete -- WORDS...` command,
 * so completions always match the installed version.
 */
import type { Command } from 'commander';
import tab from '@bomb.sh/tab/commander';

/** Call last, once every command is declared: the tree is read when this runs. */
export function addCompletion(program: Command): void {
  tab(program, { completionCommandName: 'completion' });
}
