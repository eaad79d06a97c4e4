/** `up --timestamps` on the real engine: attached logs carry the engine's RFC 3339 timestamp after the prefix. */
import { describe, expect, it } from 'vitest';
import { TEST_IMAGE, testProjects } from './compose-helpers.js';

const setup = testProjects();

describe('up flags', () => {
  it('--timestamps: each attached line is `svc-1  | <timestamp> text`; the exit line comes last', async () => {
    const { run } = setup('upts', `services:\n  web:\n    image: ${TEST_IMAGE}\n    command: ["sh", "-c", "echo hello; echo again"]\n`);
    const r = await run(['up', '--timestamps']);
    expect(r.code, r.stderr).toBe(0);
    // The exit line comes after the container's last line, as in Compose.
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('web-1'));
    expect(lines.map((l) => l.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z/, 'TS'))).toEqual(['web-1  | TS hello', 'web-1  | TS again', 'web-1 exited with code 0']);
    const plain = await run(['up', '--force-recreate']);
    expect(plain.stdout).toMatch(/web-1 {2}\| hello\n/);
  });
});
