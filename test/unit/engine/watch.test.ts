/**
 * The pure cores of `tscompose watch`: develop.watch rules (checks with their key paths, path
 * mapping, ignore/include/.dockerignore/.git/editor files), batch planning (which services are
 * rebuilt, synced, restarted, exec'd, once each) and the debouncer on a fake clock.
 */
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/compose/index.js';
import type { Project } from '../../../src/compose/types.js';
import { UserError } from '../../../src/util/errors.js';
import { Debouncer, type Timers } from '../../../src/engine/watch/debounce.js';
import { goQuoteList, isEmptyPlan, planBatch, WATCH_MESSAGES } from '../../../src/engine/watch/plan.js';
import { parseDockerignore, watchRules, type DockerignoreLookup } from '../../../src/engine/watch/rules.js';
import { MemoryReader } from '../compose/memory-reader.js';

const load = (yaml: string): Promise<Project> => loadProject({ env: {}, reader: new MemoryReader({ '/p/compose.yaml': yaml }), cwd: '/p' });
const none: DockerignoreLookup = () => undefined;

const WEB = `services:
  web:
    image: busybox
    build: ./app
    develop:
      watch:
        - path: ./app/src
          action: sync
          target: /srv
          ignore: [node_modules/, "*.tmp", "!keep.tmp"]
        - path: ./app/conf
          action: sync+restart
          target: /etc/app
        - path: ./app/Dockerfile
          action: rebuild
        - path: ./app/hooks
          action: sync+exec
          target: /hooks
          exec: {command: "sh -c 'echo reloaded'", user: nobody, environment: {A: "1"}}
        - path: ./app/only-js
          action: sync
          target: /js
          include: ["*.js"]
  side:
    image: busybox
    develop:
      watch:
        - {path: ./side.conf, action: restart}
`;

describe('develop.watch in the loader', () => {
  it('resolves paths against the project directory and makes ignore a list', async () => {
    const p = await load(`services:\n  a:\n    image: x\n    develop:\n      watch:\n        - {path: ./src, action: sync, target: /app, ignore: "*.log"}\n`);
    expect(p.services.a!.develop!.watch![0]).toEqual({ path: '/p/src', action: 'sync', target: '/app', ignore: ['*.log'] });
  });

  it('normalizes exec as a hook (command words, environment map)', async () => {
    const p = await load(WEB);
    expect(p.services.web!.develop!.watch![3]!.exec).toEqual({ command: ['sh', '-c', 'echo reloaded'], user: 'nobody', environment: { A: '1' } });
  });

  it('refuses a blank path with its key path', async () => {
    await expect(load(`services:\n  a:\n    image: x\n    develop:\n      watch:\n        - {path: "", action: sync, target: /app}\n`)).rejects.toThrow(/services\.a\.develop\.watch\[0\]\.path: value can't be blank/);
  });
});

describe('watch rules', () => {
  it('maps a changed file under the path to the target', async () => {
    const rules = watchRules(await load(WEB), ['web'], none);
    const sync = rules[0]!;
    expect(sync.map('/p/app/src/a/b.txt')).toEqual({ hostPath: '/p/app/src/a/b.txt', containerPath: '/srv/a/b.txt' });
    expect(sync.map('/p/app/src')).toEqual({ hostPath: '/p/app/src', containerPath: '/srv' });
    expect(sync.map('/p/app/srcx/a')).toBeUndefined();
    expect(sync.map('/p/other')).toBeUndefined();
  });

  it('honours ignore patterns relative to the path, with dockerignore semantics', async () => {
    const sync = watchRules(await load(WEB), ['web'], none)[0]!;
    expect(sync.map('/p/app/src/node_modules/x/y.js')).toBeUndefined();
    expect(sync.map('/p/app/src/a.tmp')).toBeUndefined();
    expect(sync.map('/p/app/src/keep.tmp')).toBeDefined();
    // `*.tmp` is a root pattern, as in .dockerignore: it does not reach into subdirectories.
    expect(sync.map('/p/app/src/d/a.tmp')).toBeDefined();
  });

  it('always ignores .git and editor scratch files', async () => {
    const sync = watchRules(await load(WEB), ['web'], none)[0]!;
    for (const p of ['/p/app/src/.git/HEAD', '/p/app/src/sub/.git/config', '/p/app/src/.a.txt.swp', '/p/app/src/a.txt~', '/p/app/src/4913', '/p/app/src/d/.#x']) {
      expect(sync.map(p), p).toBeUndefined();
    }
    expect(sync.skipsDir('/p/app/src/.git')).toBe(true);
    expect(sync.skipsDir('/p/app/src/lib')).toBe(false);
  });

  it("honours the build context's .dockerignore for paths inside the context", async () => {
    const project = await load(WEB);
    const lookup: DockerignoreLookup = (svc) => (svc.build?.context === '/p/app' ? parseDockerignore('# comment\n\nsrc/secret*\n./src/build/\nonly-js/gen\n') : undefined);
    const rules = watchRules(project, ['web'], lookup);
    const sync = rules[0]!;
    expect(sync.map('/p/app/src/secret.key')).toBeUndefined();
    expect(sync.map('/p/app/src/build/out.js')).toBeUndefined();
    expect(sync.map('/p/app/src/index.js')).toBeDefined();
    // This rule's `!keep.tmp` could re-include something below an ignored directory: it is watched.
    expect(sync.skipsDir('/p/app/src/build')).toBe(false);
    expect(rules[4]!.skipsDir('/p/app/only-js/gen')).toBe(true);
    expect(rules[4]!.skipsDir('/p/app/only-js/lib')).toBe(false);
  });

  it('keeps only included paths when include is given', async () => {
    const js = watchRules(await load(WEB), ['web'], none)[4]!;
    expect(js.map('/p/app/only-js/a.js')).toBeDefined();
    expect(js.map('/p/app/only-js/a.css')).toBeUndefined();
  });

  it('a rule on a file maps that file to the target itself', async () => {
    const rules = watchRules(await load(WEB), ['side'], none);
    expect(rules[0]!.map('/p/side.conf')).toEqual({ hostPath: '/p/side.conf' });
    expect(rules[0]!.map('/p/side.conf2')).toBeUndefined();
  });

  it('only the selected services contribute rules', async () => {
    expect(watchRules(await load(WEB), ['side'], none).map((r) => r.service)).toEqual(['side']);
    expect(watchRules(await load(`services:\n  a:\n    image: x\n`), ['a'], none)).toEqual([]);
  });

  it('refuses rebuild without build, naming the rule', async () => {
    const p = await load(`services:\n  a:\n    image: x\n    develop:\n      watch:\n        - {path: ., action: sync, target: /a}\n        - {path: ., action: rebuild}\n`);
    expect(() => watchRules(p, ['a'], none)).toThrow(UserError);
    expect(() => watchRules(p, ['a'], none)).toThrow(/^services\.a\.develop\.watch\[1\]: action rebuild needs a build section/);
  });

  it('refuses sync actions without target and sync+exec without a command', async () => {
    const noTarget = await load(`services:\n  a:\n    image: x\n    develop:\n      watch:\n        - {path: ., action: sync+restart}\n`);
    expect(() => watchRules(noTarget, ['a'], none)).toThrow(/services\.a\.develop\.watch\[0\]\.target: required for action sync\+restart/);
    const noExec = await load(`services:\n  a:\n    image: x\n    develop:\n      watch:\n        - {path: ., action: sync+exec, target: /a}\n`);
    expect(() => watchRules(noExec, ['a'], none)).toThrow(/services\.a\.develop\.watch\[0\]\.exec\.command: required for action sync\+exec/);
    const relative = await load(`services:\n  a:\n    image: x\n    develop:\n      watch:\n        - {path: ., action: sync, target: app}\n`);
    expect(() => watchRules(relative, ['a'], none)).toThrow(/watch\[0\]\.target: "app" must be an absolute path/);
  });
});

describe('batch planning', () => {
  it('one batch: each service rebuilt, synced, restarted, exec-ed once', async () => {
    const rules = watchRules(await load(WEB), ['web', 'side'], none);
    const plan = planBatch(rules, ['/p/app/src/a.js', '/p/app/src/b.js', '/p/app/src/a.js', '/p/app/conf/x.ini', '/p/app/Dockerfile', '/p/app/hooks/h1', '/p/app/hooks/h2', '/p/side.conf', '/p/app/src/.git/index']);
    expect(plan.rebuild).toEqual(['web']);
    expect(plan.restart).toEqual(['side', 'web']);
    expect(plan.sync).toEqual([
      {
        service: 'web',
        mappings: [
          { hostPath: '/p/app/conf/x.ini', containerPath: '/etc/app/x.ini' },
          { hostPath: '/p/app/hooks/h1', containerPath: '/hooks/h1' },
          { hostPath: '/p/app/hooks/h2', containerPath: '/hooks/h2' },
          { hostPath: '/p/app/src/a.js', containerPath: '/srv/a.js' },
          { hostPath: '/p/app/src/b.js', containerPath: '/srv/b.js' },
        ],
      },
    ]);
    expect(plan.exec).toEqual([{ service: 'web', index: 3, hook: { command: ['sh', '-c', 'echo reloaded'], user: 'nobody', environment: { A: '1' } } }]);
  });

  it('a batch of ignored paths plans nothing', async () => {
    const rules = watchRules(await load(WEB), ['web'], none);
    expect(isEmptyPlan(planBatch(rules, ['/p/app/src/.git/HEAD', '/p/app/src/x.tmp', '/p/elsewhere']))).toBe(true);
  });

  it("prints Compose's words", () => {
    expect(goQuoteList(['a', 'b'])).toBe('["a" "b"]');
    expect(WATCH_MESSAGES.syncing('web', 2)).toBe('Syncing service "web" after 2 changes were detected');
    expect(WATCH_MESSAGES.rebuilding(['web'])).toBe('Rebuilding service(s) ["web"] after changes were detected...');
    expect(WATCH_MESSAGES.restarted(['a', 'b'])).toBe('service(s) ["a" "b"] restarted');
  });
});

/** A clock the test moves by hand. */
function fakeTimers(): Timers & { advance(ms: number): void } {
  let now = 0;
  let seq = 0;
  const due = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout: (fn, ms) => {
      due.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout: (h) => void due.delete(h as number),
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const next = [...due.entries()].sort((a, b) => a[1].at - b[1].at)[0];
        if (!next || next[1].at > end) break;
        now = next[1].at;
        due.delete(next[0]);
        next[1].fn();
      }
      now = end;
    },
  };
}

describe('debouncer', () => {
  it('flushes one batch after the quiet period, duplicates merged', () => {
    const t = fakeTimers();
    const batches: string[][] = [];
    const d = new Debouncer((b) => batches.push(b), { quietMs: 200, maxWaitMs: 1000, timers: t });
    d.add('a');
    t.advance(50);
    d.add('b');
    d.add('a');
    t.advance(199);
    expect(batches).toEqual([]);
    t.advance(1);
    expect(batches).toEqual([['a', 'b']]);
    t.advance(1000);
    expect(batches).toHaveLength(1);
  });

  it('a stream that never goes quiet is still flushed at the cap', () => {
    const t = fakeTimers();
    const batches: string[][] = [];
    const d = new Debouncer((b) => batches.push(b), { quietMs: 200, maxWaitMs: 1000, timers: t });
    for (let i = 0; i < 25; i++) {
      d.add(`f${i}`);
      t.advance(100);
    }
    // 2.5 s of events every 100 ms: flushed at 1 s and 2 s, the rest 200 ms after the last.
    expect(batches.map((b) => b.length)).toEqual([10, 10]);
    t.advance(200);
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
  });

  it('drops pending events once closed', () => {
    const t = fakeTimers();
    const batches: string[][] = [];
    const d = new Debouncer((b) => batches.push(b), { timers: t });
    d.add('a');
    d.close();
    d.add('b');
    t.advance(5000);
    expect(batches).toEqual([]);
  });
});
