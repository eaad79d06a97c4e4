/** The launcher's choice of cache file; its use of V8's cache is in test/integration/launcher-cache.test.ts. */
import { describe, expect, it } from 'vitest';
import { commandWord } from '../../../cli/launcher.js';

const VALUE_OPTIONS = ['-f', '--file', '-p', '--project-name'];

describe('commandWord', () => {
  it('finds the command after global options and their values', () => {
    expect(commandWord(['up', '-d'], VALUE_OPTIONS)).toBe('up');
    expect(commandWord(['-f', 'stack.yaml', '-p', 'app', 'up', '-d'], VALUE_OPTIONS)).toBe('up');
    expect(commandWord(['--file=stack.yaml', '--progress', 'ps'], VALUE_OPTIONS)).toBe('ps');
    expect(commandWord(['--verbose', 'logs', 'web'], VALUE_OPTIONS)).toBe('logs');
  });

  it('answers default when there is no command or it does not look like one', () => {
    expect(commandWord([], VALUE_OPTIONS)).toBe('default');
    expect(commandWord(['--help'], VALUE_OPTIONS)).toBe('default');
    expect(commandWord(['../../etc/passwd'], VALUE_OPTIONS)).toBe('default');
    expect(commandWord(['--', 'up'], VALUE_OPTIONS)).toBe('default');
  });
});
