import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
const run = (bin: string, args: string[]) => spawnSync(process.execPath, [`bin/${bin}.mjs`, ...args], { encoding: 'utf8' });

describe('the bundled CLIs', () => {
  it('print the package version', () => {
    expect(execFileSync(process.execPath, ['bin/tscompose.mjs', '--version'], { encoding: 'utf8' }).trim()).toBe(pkg.version);
    expect(run('tsswarm', ['--version']).stdout.trim()).toBe(pkg.version);
    expect(run('tscompose', ['version', '--short']).stdout.trim()).toBe(pkg.version);
  });

  it('print help for the program and for a command', () => {
    const top = run('tscompose', ['--help']);
    expect(top.status).toBe(0);
    expect(top.stdout).toContain('Usage: tscompose');
    expect(top.stdout).toMatch(/config \[options\]/);
    const cmd = run('tscompose', ['config', '--help']);
    expect(cmd.status).toBe(0);
    expect(cmd.stdout).toContain('--services');
  });

  it('reject an unknown command with usage help and exit 1, not a stack trace', () => {
    const r = run('tscompose', ['frobnicate']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
