/**
 * Service lifecycle hooks on the real engine: post_start runs in the container right after it
 * starts (up, start), pre_stop right before it is stopped (stop, down); a failing hook fails the
 * command naming the service, the hook and its output.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SLEEPER, TEST_IMAGE, runtime, testProjects } from './compose-helpers.js';

const setup = testProjects();
const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('lifecycle hooks', () => {
  it('post_start runs after start with its user, environment and working_dir; pre_stop runs before stop and down', async () => {
    const { p, dir, run } = setup('hooks', [
      'services:',
      '  app:',
      `    image: ${TEST_IMAGE}`,
      `    command: ${SLEEPER}`,
      '    volumes: ["./out:/out"]',
      '    post_start:',
      '      - command: ["sh", "-c", "echo $$WHO $$(id -u) $$(pwd) >> /tmp/post_start"]',
      '        user: "1234"',
      '        working_dir: /tmp',
      '        environment: {WHO: hook}',
      '    pre_stop:',
      '      - command: sh -c "echo stopping >> /out/pre_stop"',
      '',
    ].join('\n'));
    const out = join(dir, 'out');
    // Written by uid 1234, which may not write the bind mount: read back from the container.
    const postStartLog = async () => (await runtime.exec(`${p}-app-1`, { cmd: ['cat', '/tmp/post_start'] })).stdout;
    try {
      const up = await run(['up', '-d']);
      expect(up.code, up.stderr).toBe(0);
      expect(await postStartLog()).toBe('hook 1234 /tmp\n');
      expect(existsSync(join(out, 'pre_stop'))).toBe(false);
      // The container was running when the hook ran: it still is, and its env is not the hook's.
      expect((await runtime.inspectContainer(`${p}-app-1`)).running).toBe(true);

      const stop = await run(['stop']);
      expect(stop.code, stop.stderr).toBe(0);
      expect(readFileSync(join(out, 'pre_stop'), 'utf8')).toBe('stopping\n');

      const start = await run(['start']);
      expect(start.code, start.stderr).toBe(0);
      expect(await postStartLog()).toBe('hook 1234 /tmp\nhook 1234 /tmp\n');

      const down = await run(['down']);
      expect(down.code, down.stderr).toBe(0);
      expect(readFileSync(join(out, 'pre_stop'), 'utf8')).toBe('stopping\nstopping\n');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('a failing post_start hook fails up with the service, the hook and its output', async () => {
    const { run } = setup('hookfail', [
      'services:',
      '  app:',
      `    image: ${TEST_IMAGE}`,
      `    command: ${SLEEPER}`,
      '    post_start:',
      '      - command: ["sh", "-c", "echo migration failed >&2; exit 3"]',
      '',
    ].join('\n'));
    const up = await run(['up', '-d']);
    expect(up.code).toBe(1);
    noStack(up.stderr);
    expect(up.stderr).toContain('service "app" post_start hook 0 (sh -c echo migration failed >&2; exit 3) exited with code 3: migration failed');
  });
});
