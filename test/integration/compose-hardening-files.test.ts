/**
 * Files the user names are read only when they are regular files of a sane size and UTF-8 text:
 * a FIFO, /dev/zero, a directory, a missing or too large file each end in one line naming the
 * file and what was expected, exit 1, and nothing on the engine.
 */
import { execFileSync, execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, runtime, SLEEPER, TEST_IMAGE, testProjects, type CliResult, type TestProject } from './compose-helpers.js';

const COMPOSE = `services:\n  web:\n    image: ${TEST_IMAGE}\n    command: ${SLEEPER}\n`;
const MiB = 1 << 20;
const setup = testProjects();

/** Exit 1, the first line is ours and says `want`, no stack, at most a hint after it. */
function expectRefusal(r: CliResult, want: string | RegExp): void {
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(typeof want === 'string' ? new RegExp(`^tscompose: .*${want.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) : want);
  expect(lines.slice(1).every((l) => l.startsWith('hint: ') || l.startsWith('  hint: ')), r.stderr).toBe(true);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toMatch(/ENOENT|EISDIR|internal error/);
}

async function expectNothingCreated(t: TestProject): Promise<void> {
  const labels = { 'com.docker.compose.project': t.p };
  expect(await runtime.listContainers({ all: true, labels })).toEqual([]);
  expect(await runtime.listNetworks({ labels })).toEqual([]);
}

describe('compose files (-f)', () => {
  it('a FIFO is refused at once, not waited on', async () => {
    const t = setup('ffifo', COMPOSE);
    execFileSync('mkfifo', [join(t.dir, 'pipe.yaml')]);
    expectRefusal(await t.run(['-f', 'pipe.yaml', 'up', '-d']), `compose file ${join(t.dir, 'pipe.yaml')} is a FIFO (named pipe); expected a regular file`);
    await expectNothingCreated(t);
  });

  it('/dev/zero, a directory, a missing file', async () => {
    const t = setup('fdev', COMPOSE);
    mkdirSync(join(t.dir, 'adir'));
    expectRefusal(await t.run(['-f', '/dev/zero', 'up', '-d']), 'compose file /dev/zero is a character device; expected a regular file');
    expectRefusal(await t.run(['-f', 'adir', 'up', '-d']), `compose file ${join(t.dir, 'adir')} is a directory; expected a regular file`);
    expectRefusal(await t.run(['-f', 'nope.yaml', 'up', '-d']), `file not found: ${join(t.dir, 'nope.yaml')}`);
    await expectNothingCreated(t);
  });

  it('a file over 1 MiB is refused, and TSCOMPOSE_MAX_FILE_SIZE raises the bound', async () => {
    const t = setup('fbig', COMPOSE);
    writeFileSync(join(t.dir, 'big.yaml'), COMPOSE + '#'.repeat(MiB));
    expectRefusal(await t.run(['-f', 'big.yaml', 'config', '-q']), `compose file ${join(t.dir, 'big.yaml')} is ${COMPOSE.length + MiB} bytes; expected at most 1 MiB (TSCOMPOSE_MAX_FILE_SIZE=BYTES raises the limit)`);
    expect((await t.run(['-f', 'big.yaml', 'config', '-q'], { TSCOMPOSE_MAX_FILE_SIZE: String(2 * MiB) })).code).toBe(0);
    expectRefusal(await t.run(['-f', 'big.yaml', 'up', '-d']), 'expected at most 1 MiB');
    await expectNothingCreated(t);
  });

  it('-f - reads standard input up to the same bound', async () => {
    const t = setup('fstdin', COMPOSE);
    const viaStdin = (input: string): Promise<CliResult> =>
      new Promise((resolve) => {
        const child = execFile(process.execPath, ['--', join(REPO, 'dist', 'tscompose.mjs'), '-p', t.p, '-f', '-', 'config', '-q'], { cwd: t.dir, timeout: 30_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
          resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
        });
        child.stdin!.on('error', () => undefined); // we stop reading at the bound: the rest is refused
        child.stdin!.end(input);
      });
    expect((await viaStdin(COMPOSE)).code).toBe(0);
    expectRefusal(await viaStdin(COMPOSE + '#'.repeat(2 * MiB)), 'compose file (standard input) is larger than that; expected at most 1 MiB');
  });

  it('invalid UTF-8 and NUL bytes are errors at file:line:col', async () => {
    const t = setup('futf', COMPOSE);
    writeFileSync(join(t.dir, 'latin1.yaml'), Buffer.concat([Buffer.from(`services:\n  web:\n    image: ${TEST_IMAGE}\n    environment:\n      NAME: caf`), Buffer.from([0xe9]), Buffer.from('\n')]));
    expectRefusal(await t.run(['-f', 'latin1.yaml', 'up', '-d']), `${join(t.dir, 'latin1.yaml')}:5:16: invalid UTF-8 (byte 0xe9): the file must be UTF-8 text`);
    writeFileSync(join(t.dir, 'nul.yaml'), `services:\n  web:\n    image: ${TEST_IMAGE}\0\n`);
    expectRefusal(await t.run(['-f', 'nul.yaml', 'up', '-d']), `${join(t.dir, 'nul.yaml')}:3:${12 + TEST_IMAGE.length}: NUL byte: the file must be text`);
    await expectNothingCreated(t);
  });

  it('an empty compose file (no bytes, or only comments) is an error, not an empty project', async () => {
    const t = setup('fempty', '');
    expectRefusal(await t.run(['up', '-d']), `empty compose file: ${join(t.dir, 'compose.yaml')}`);
    writeFileSync(join(t.dir, 'comments.yaml'), '# nothing here\n\n   \n# still nothing\n');
    expectRefusal(await t.run(['-f', 'comments.yaml', 'up', '-d']), `empty compose file: ${join(t.dir, 'comments.yaml')}`);
    await expectNothingCreated(t);
  });
});

describe('env files (--env-file, .env, env_file:)', () => {
  it('a missing --env-file names the file, not ENOENT', async () => {
    const t = setup('emiss', COMPOSE);
    expectRefusal(await t.run(['--env-file', 'missing.env', 'up', '-d']), `env file ${join(t.dir, 'missing.env')} not found`);
    // As users run it: the bin's shebang keeps Node from reading --env-file itself (exit 9, "node: missing.env: not found").
    const direct = await new Promise<CliResult>((resolve) => {
      execFile(join(REPO, 'bin', 'tscompose.mjs'), ['-p', t.p, '--env-file', 'missing.env', 'up', '-d'], { cwd: t.dir, timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
      });
    });
    expectRefusal(direct, `env file ${join(t.dir, 'missing.env')} not found`);
    await expectNothingCreated(t);
  });

  it('a FIFO, /dev/zero, a directory or a big --env-file is refused', async () => {
    const t = setup('ebad', COMPOSE);
    execFileSync('mkfifo', [join(t.dir, 'pipe.env')]);
    mkdirSync(join(t.dir, 'dir.env'));
    writeFileSync(join(t.dir, 'big.env'), `A=${'x'.repeat(MiB)}\n`);
    expectRefusal(await t.run(['--env-file', 'pipe.env', 'up', '-d']), `env file ${join(t.dir, 'pipe.env')} is a FIFO (named pipe); expected a regular file`);
    expectRefusal(await t.run(['--env-file', '/dev/zero', 'up', '-d']), 'env file /dev/zero is a character device; expected a regular file');
    expectRefusal(await t.run(['--env-file', 'dir.env', 'up', '-d']), `env file ${join(t.dir, 'dir.env')} is a directory; expected a regular file`);
    expectRefusal(await t.run(['--env-file', 'big.env', 'up', '-d']), `env file ${join(t.dir, 'big.env')} is ${MiB + 3} bytes; expected at most 1 MiB`);
    await expectNothingCreated(t);
  });

  it('a .env that is a FIFO is an error, not skipped or waited on', async () => {
    const t = setup('edot', COMPOSE);
    execFileSync('mkfifo', [join(t.dir, '.env')]);
    expectRefusal(await t.run(['up', '-d']), `env file ${join(t.dir, '.env')} is a FIFO (named pipe); expected a regular file`);
    await expectNothingCreated(t);
  });

  it('an env_file: entry that is a FIFO is an error even when not required; a NUL in one is located', async () => {
    const t = setup('eentry', `services:\n  web:\n    image: ${TEST_IMAGE}\n    env_file:\n      - path: ./pipe.env\n        required: false\n`);
    execFileSync('mkfifo', [join(t.dir, 'pipe.env')]);
    expectRefusal(await t.run(['up', '-d']), `services.web.env_file[0]: env file ${join(t.dir, 'pipe.env')} is a FIFO (named pipe); expected a regular file`);
    const u = setup('enul', `services:\n  web:\n    image: ${TEST_IMAGE}\n    env_file: ./web.env\n`, { 'web.env': 'A=1\nB=x\0y\n' });
    expectRefusal(await u.run(['up', '-d']), `${join(u.dir, 'web.env')}:2:4: NUL byte: the file must be text`);
    await expectNothingCreated(t);
    await expectNothingCreated(u);
  });
});

/** tsswarm against a socket where no daemon listens: the file is refused before any call is tried. */
function tsswarm(args: string[], cwd: string): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(REPO, 'dist', 'tsswarm.mjs'), '-H', join(cwd, 'no-daemon.sock'), ...args], { cwd, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
  });
}

describe('tsswarm secret and config payloads', () => {
  it('a FIFO, /dev/zero, a directory, a missing file and one over 500 KiB are refused before the daemon is asked', async () => {
    const t = setup('swarm', COMPOSE);
    execFileSync('mkfifo', [join(t.dir, 'pipe')]);
    mkdirSync(join(t.dir, 'adir'));
    writeFileSync(join(t.dir, 'big'), Buffer.alloc(500 * 1024 + 1, 1));
    const cases: Array<[string[], string]> = [
      [['secret', 'create', 's1', 'pipe'], 'secret file pipe is a FIFO (named pipe); expected a regular file'],
      [['secret', 'create', 's1', '/dev/zero'], 'secret file /dev/zero is a character device; expected a regular file'],
      [['config', 'create', 'c1', 'adir'], 'config file adir is a directory; expected a regular file'],
      [['secret', 'create', 's1', 'nope'], 'secret file nope not found'],
      [['secret', 'create', 's1', 'big'], `secret file big is ${500 * 1024 + 1} bytes; expected at most 500 KiB`],
    ];
    for (const [args, want] of cases) {
      const r = await tsswarm(args, t.dir);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr.split('\n')[0]).toBe(`tsswarm: ${want}`);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
  });
});
