/**
 * prepareWatch on a real directory (no engine): the build context's `<Dockerfile>.dockerignore`
 * before `.dockerignore`, symbolic links in watched paths resolved, watched builds forced, a sync
 * path under a bind mount left out with Compose's warning, the refusal when nothing is watched.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProject, NodeFileReader } from '../../../src/compose/index.js';
import { prepareWatch } from '../../../src/engine/watch/session.js';

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'tscompose-watch-prepare-')));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const load = async (yaml: string) => {
  writeFileSync(join(dir, 'compose.yaml'), yaml);
  return loadProject({ env: {}, reader: new NodeFileReader(), cwd: dir });
};

describe('prepareWatch', () => {
  it("reads the Dockerfile's own .dockerignore first, resolves links, forces the watched build", async () => {
    mkdirSync(join(dir, 'app', 'src', 'gen'), { recursive: true });
    writeFileSync(join(dir, 'app', '.dockerignore'), 'src/other\n');
    writeFileSync(join(dir, 'app', 'Dockerfile.dockerignore'), 'src/gen\n');
    symlinkSync(join(dir, 'app', 'src'), join(dir, 'link'));
    const project = await load('services:\n  web:\n    build: ./app\n    develop:\n      watch:\n        - {path: ./link, action: sync, target: /srv}\n');
    const w = await prepareWatch(project, ['web']);
    expect(w.rules).toHaveLength(1);
    expect(w.rules[0]!.path).toBe(join(dir, 'app', 'src'));
    expect(w.rules[0]!.map(join(dir, 'app', 'src', 'gen', 'x.js'))).toBeUndefined();
    expect(w.rules[0]!.map(join(dir, 'app', 'src', 'other'))).toBeDefined();
    expect(w.project.services.web!.pull_policy).toBe('build');
    expect(project.services.web!.pull_policy).toBeUndefined();
  });

  it('leaves out a sync path under a bind mount, with the warning', async () => {
    const project = await load('services:\n  web:\n    image: x\n    volumes: ["./app:/app"]\n    develop:\n      watch:\n        - {path: ./app/src, action: sync, target: /app/src}\n        - {path: ./app/src, action: restart}\n');
    const w = await prepareWatch(project, []);
    expect(w.rules.map((r) => r.action)).toEqual(['restart']);
    expect(w.warnings).toEqual([`path '${join(dir, 'app', 'src')}' also declared by a bind mount volume, this path won't be monitored!`]);
  });

  it('refuses when none of the selected services (dependencies included) watches anything', async () => {
    const project = await load('services:\n  web:\n    image: x\n    depends_on: [db]\n  db:\n    image: x\n    develop:\n      watch:\n        - {path: ., action: restart}\n  other:\n    image: x\n');
    expect((await prepareWatch(project, ['web'])).rules.map((r) => r.service)).toEqual(['db']);
    await expect(prepareWatch(project, ['other'])).rejects.toThrow("none of the selected services is configured for watch, consider setting a 'develop' section");
  });
});
