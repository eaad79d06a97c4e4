/**
 * `completion bash` of both CLIs, run by bash itself: the generated script is sourced (with the
 * bash-completion package's helpers, as on a user's machine), its completion function is called on
 * a few command lines, and COMPREPLY must hold what the command tree declares.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../../..');

beforeAll(() => {
  execFileSync(process.execPath, ['scripts/ensure-built.mjs'], { cwd: repo, stdio: 'ignore' });
});

/** Each line typed (a trailing space means "the next word"), answered with the candidates bash would offer. */
function complete(cli: 'tscompose' | 'tsswarm', lines: string[]): string[][] {
  const script = [
    'source /usr/share/bash-completion/bash_completion',
    `${cli}() { "${process.execPath}" "${path.join(repo, 'bin', `${cli}.mjs`)}" "$@"; }`,
    `source <(${cli} completion bash)`,
    'try() {',
    '  COMP_LINE="$1"; COMP_POINT=${#COMP_LINE}; read -ra COMP_WORDS <<<"$COMP_LINE"',
    '  [[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")',
    '  COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=()',
    `  __${cli}_complete 2>/dev/null`,
    '  echo "${COMPREPLY[*]}"',
    '}',
    ...lines.map((l) => `try ${JSON.stringify(l)}`),
  ].join('\n');
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trimEnd().split('\n').map((l) => l.split(' ').filter(Boolean));
}

describe('shell completion, generated from the command tree', () => {
  it('tscompose: commands, flags of a command, choices of a flag', () => {
    const [cmds, flags, choices] = complete('tscompose', ['tscompose u', 'tscompose up --force-', 'tscompose --progress ']);
    expect(cmds).toEqual(expect.arrayContaining(['up', 'unpause']));
    expect(cmds).not.toContain('down');
    expect(flags).toEqual(['--force-recreate']);
    expect(choices).toEqual(expect.arrayContaining(['auto', 'tty', 'plain', 'quiet', 'json']));
  });

  it('tsswarm: nested commands and their flags', () => {
    const [sub, flags] = complete('tsswarm', ['tsswarm service cr', 'tsswarm service create --replicas']);
    expect(sub).toEqual(['create']);
    expect(flags).toEqual(expect.arrayContaining(['--replicas', '--replicas-max-per-node']));
  });

  it('zsh and fish scripts come from the same tree; an unknown shell is a usage error', () => {
    const run = (args: string[]) => spawnSync(process.execPath, [path.join(repo, 'bin/tscompose.mjs'), ...args], { encoding: 'utf8' });
    for (const shell of ['zsh', 'fish']) {
      const r = run(['completion', shell]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('tscompose complete --');
    }
    const bad = run(['completion', 'tcsh']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/tcsh.*invalid|Allowed choices are zsh, bash, fish, powershell/);
  });
});
