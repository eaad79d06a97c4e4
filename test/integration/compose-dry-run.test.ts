/** `up --dry-run` and `down --dry-run` on the real engine: the plan is printed, the engine is left as it was. */
import { describe, expect, it } from 'vitest';
import { SLEEPER, TEST_IMAGE, runtime, testProjects } from './compose-helpers.js';

const setup = testProjects();
const FILE = `services:\n  web:\n    image: ${TEST_IMAGE}\n    command: ${SLEEPER}\n  later:\n    image: 127.0.0.1:9/tscompose/never-pulled:1\n    profiles: [later]\n`;

describe('--dry-run', () => {
  it('up and down print what they would do and change nothing on the engine', async () => {
    const { p, run } = setup('dry', FILE);
    const state = async () => ({
      containers: (await runtime.listContainers({ all: true, labels: { 'com.docker.compose.project': p } })).map((c) => `${c.name}:${c.status}`).sort(),
      networks: (await runtime.listNetworks({ labels: { 'com.docker.compose.project': p } })).map((n) => n.name).sort(),
    });

    const first = await run(['up', '-d', '--dry-run']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(new RegExp(`DRY-RUN MODE - Network ${p}_default\\s+Created`));
    expect(first.stderr).toMatch(new RegExp(`DRY-RUN MODE - Container ${p}-web-1\\s+Started`));
    expect(await state()).toEqual({ containers: [], networks: [] });

    expect((await run(['up', '-d'])).code).toBe(0);
    const before = await state();
    const scaled = await run(['up', '-d', '--dry-run', '--scale', 'web=2']);
    expect(scaled.code, scaled.stderr).toBe(0);
    expect(scaled.stderr).toMatch(new RegExp(`DRY-RUN MODE - Container ${p}-web-2\\s+Created`));
    expect(scaled.stderr).not.toContain(`${p}-web-1`);
    expect(await state()).toEqual(before);

    // An image the engine lacks would be pulled: said, not done (this one's registry does not exist).
    const pull = await run(['--profile', 'later', 'up', '-d', '--dry-run']);
    expect(pull.code, pull.stderr).toBe(0);
    expect(pull.stderr).toMatch(/DRY-RUN MODE - Image 127\.0\.0\.1:9\/tscompose\/never-pulled:1\s+Pulled/);
    expect(await state()).toEqual(before);

    const down = await run(['down', '--dry-run']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toMatch(new RegExp(`DRY-RUN MODE - Container ${p}-web-1\\s+Removed`));
    expect(down.stderr).toMatch(new RegExp(`DRY-RUN MODE - Network ${p}_default\\s+Removed`));
    expect(await state()).toEqual(before);
  });
});
