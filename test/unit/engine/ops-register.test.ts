/** registerOpsCommands declares each day-2 command once, replacing an earlier declaration. */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerOpsCommands } from '../../../cli/compose/register-ops.js';

describe('registerOpsCommands', () => {
  it('replaces a command of the same name and declares the whole set', () => {
    const program = new Command('tscompose');
    program.command('logs').description('placeholder');
    registerOpsCommands(program);
    const names = program.commands.map((c) => c.name());
    expect(names.filter((n) => n === 'logs')).toHaveLength(1);
    expect(program.commands.find((c) => c.name() === 'logs')!.options.map((o) => o.long)).toContain('--no-log-prefix');
    expect(names.sort()).toEqual(['attach', 'commit', 'cp', 'events', 'export', 'exec', 'images', 'kill', 'logs', 'ls', 'pause', 'port', 'pull', 'push', 'restart', 'rm', 'run', 'scale', 'start', 'stats', 'stop', 'top', 'unpause', 'volumes', 'wait'].sort());
  });
});
