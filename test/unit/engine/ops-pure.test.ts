/**
 * The pure helpers behind the day-2 commands: name suggestions, log prefixes, time arguments,
 * shell words, run overrides (-p, -v, -e, --entrypoint), service order, ls status, image refs,
 * cp argument shapes, event lines.
 */
import { describe, expect, it } from 'vitest';
import type { Project } from '../../../src/compose/types.js';
import type { ContainerSpec } from '../../../src/runtime/types.js';
import { parseCopyArg, renameRoot } from '../../../src/engine/ops/cp.js';
import { formatEvent } from '../../../src/engine/ops/events.js';
import { humanSize, splitRef } from '../../../src/engine/ops/images.js';
import { combinedStatus } from '../../../src/engine/ops/list-projects.js';
import { logPrefixes } from '../../../src/engine/ops/log-prefix.js';
import { fixedTimestamp } from '../../../src/engine/ops/logs.js';
import { applyRunOverrides, mergeEnv, parsePublish, parseVolume, type RunOverrides } from '../../../src/engine/ops/run-spec.js';
import { checkServices } from '../../../src/engine/ops/scope.js';
import { startLayers, withRestartDependents, type DependencyEdge } from '../../../src/engine/ops/service-order.js';
import { shellWords } from '../../../src/engine/ops/shell-words.js';
import { closest } from '../../../src/engine/ops/suggest.js';
import { parseTimeArg } from '../../../src/engine/ops/time-arg.js';
import { renderTable } from '../../../src/engine/ops/top.js';

const project = { name: 'demo', volumes: { data: { name: 'demo_data' } }, services: { web: {}, worker: {} }, disabledServices: { tool: { profiles: ['debug'] } } } as unknown as Project;

describe('did you mean', () => {
  it('suggests close names only', () => {
    expect(closest('wbe', ['web', 'worker'])).toBe('web');
    expect(closest('databse', ['database', 'web'])).toBe('database');
    expect(closest('zzzzzz', ['web', 'worker'])).toBeUndefined();
  });

  it('checkServices names the problem and the fix', () => {
    expect(() => checkServices({ name: 'demo', project }, ['wrker'])).toThrow(/no such service: wrker/);
    try {
      checkServices({ name: 'demo', project }, ['tool']);
    } catch (e) {
      expect((e as { hint: string }).hint).toMatch(/--profile \(profiles: debug\)/);
    }
    // Without a model, the services that have containers are the known ones.
    expect(() => checkServices({ name: 'demo' }, ['db'], ['web'])).toThrow(/no such service: db/);
    expect(() => checkServices({ name: 'demo' }, ['web'], ['web'])).not.toThrow();
  });
});

describe('log prefixes', () => {
  it('pads to the longest name plus one, then " | ", like Compose', () => {
    const p = logPrefixes(['web-1', 'database-1'], { colour: false });
    expect(p.get('web-1')).toBe('web-1       | ');
    expect(p.get('database-1')).toBe('database-1  | ');
  });

  it('colours in Compose order: cyan, yellow, green, ...', () => {
    const p = logPrefixes(['a', 'b', 'c'], { colour: true });
    expect([...p.values()]).toEqual(['\u001b[36ma  | \u001b[0m', '\u001b[33mb  | \u001b[0m', '\u001b[32mc  | \u001b[0m']);
  });
});

describe('log timestamps', () => {
  it('pads inspect times to the engine log format so they compare as strings', () => {
    expect(fixedTimestamp('2024-05-01T12:00:00.4619Z')).toBe('2024-05-01T12:00:00.461900000Z');
    expect(fixedTimestamp('2024-05-01T12:00:00Z')).toBe('2024-05-01T12:00:00.000000000Z');
    expect(fixedTimestamp('2024-05-01T12:00:00.461964167Z') < '2024-05-01T12:00:00.461964168Z').toBe(true);
  });
});

describe('time arguments', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  it('reads RFC 3339, Unix seconds and Go durations', () => {
    expect(parseTimeArg('--since', '2024-05-01T11:00:00Z', now)).toBe(now / 1000 - 3600);
    expect(parseTimeArg('--since', '1714561200', now)).toBe(1714561200);
    expect(parseTimeArg('--since', '42m', now)).toBe(now / 1000 - 42 * 60);
    expect(parseTimeArg('--since', '1h30m', now)).toBe(now / 1000 - 5400);
    expect(parseTimeArg('--since', '1.5s', now)).toBe(now / 1000 - 1.5);
  });
  it('rejects the rest with a hint', () => {
    expect(() => parseTimeArg('--until', 'soon', now)).toThrow(/--until: cannot parse "soon"/);
  });
});

describe('shell words', () => {
  it('splits like a shell without expansion', () => {
    expect(shellWords(`sh -c 'echo $A "b"'`)).toEqual(['sh', '-c', 'echo $A "b"']);
    expect(shellWords(`a "b c" d\\ e ''`)).toEqual(['a', 'b c', 'd e', '']);
    expect(() => shellWords(`'open`)).toThrow(/unterminated quote/);
  });
});

describe('run overrides', () => {
  const base: ContainerSpec = {
    name: 'demo-web-run-0123456789ab',
    image: 'img',
    labels: { 'com.docker.compose.oneoff': 'True' },
    cmd: ['serve'],
    env: ['A=1', 'B=2'],
    ports: [{ containerPort: 80, protocol: 'tcp' }],
    restartPolicy: { name: 'always' },
    networks: { demo_default: { aliases: [] } },
  };
  const o: RunOverrides = { command: [], env: [], labels: [], publish: [], volumes: [], tty: false, interactive: true, cwd: '/work' };

  it('drops service ports and the restart policy unless asked, and attaches stdin', () => {
    const s = applyRunOverrides(base, project, 'web', o);
    expect(s.ports).toBeUndefined();
    expect(s.restartPolicy).toBeUndefined();
    expect(s).toMatchObject({ cmd: ['serve'], tty: false, openStdin: true, attachStdin: true });
    expect(applyRunOverrides(base, project, 'web', { ...o, servicePorts: true }).ports).toEqual(base.ports);
    expect(applyRunOverrides(base, project, 'web', { ...o, detach: true }).openStdin).toBe(false);
  });

  it('applies command, entrypoint, env, labels, user, workdir and aliases', () => {
    const s = applyRunOverrides(base, project, 'web', { ...o, command: ['x'], entrypoint: 'sh -c', env: ['B=3', 'C=4'], labels: ['k=v=w'], user: 'u', workdir: '/w', useAliases: true });
    expect(s).toMatchObject({ cmd: ['x'], entrypoint: ['sh', '-c'], env: ['A=1', 'B=3', 'C=4'], user: 'u', workingDir: '/w' });
    expect(s.labels.k).toBe('v=w');
    expect(s.networks!.demo_default!.aliases).toEqual(['web']);
    // --entrypoint without a command drops the service command; an empty one clears the image's.
    expect(applyRunOverrides(base, project, 'web', { ...o, entrypoint: 'echo' }).cmd).toBeUndefined();
    expect(applyRunOverrides(base, project, 'web', { ...o, entrypoint: '' }).entrypoint).toEqual(['']);
  });

  it('reads -e KEY from the environment', () => {
    expect(mergeEnv(['A=1'], ['HOME_X', 'MISSING'], { HOME_X: 'h' })).toEqual(['A=1', 'HOME_X=h']);
  });

  it('parses -p like docker run', () => {
    expect(parsePublish('80')).toEqual({ containerPort: 80, protocol: 'tcp' });
    expect(parsePublish('8080:80')).toEqual({ containerPort: 80, protocol: 'tcp', hostPort: '8080' });
    expect(parsePublish('127.0.0.1::53/udp')).toEqual({ containerPort: 53, protocol: 'udp', hostIp: '127.0.0.1' });
    expect(parsePublish('127.0.0.1:9000-9001:80')).toEqual({ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: '9000-9001' });
    expect(() => parsePublish('x:y')).toThrow(/invalid port mapping/);
  });

  it('parses -v: paths are binds, declared names are project volumes', () => {
    expect(parseVolume('./src:/app:ro', project, '/work')).toEqual({ type: 'bind', source: '/work/src', target: '/app', createHostPath: true, readOnly: true });
    expect(parseVolume('data:/data', project, '/work')).toEqual({ type: 'volume', source: 'demo_data', target: '/data' });
    expect(parseVolume('other:/o', project, '/work')).toEqual({ type: 'volume', source: 'other', target: '/o' });
    expect(parseVolume('/anon', project, '/work')).toEqual({ type: 'volume', target: '/anon' });
    expect(() => parseVolume('a:b', project, '/work')).toThrow(/absolute path/);
  });
});

describe('service order', () => {
  const g = new Map<string, DependencyEdge[]>([
    ['web', [{ on: 'db', restart: true }, { on: 'cache', restart: false }]],
    ['db', []],
    ['cache', []],
    ['worker', [{ on: 'web', restart: true }]],
  ]);
  it('layers services so each depends only on earlier layers', () => {
    expect(startLayers(['worker', 'web', 'db', 'cache'], g)).toEqual([['cache', 'db'], ['web'], ['worker']]);
    expect(startLayers(['web'], g)).toEqual([['web']]);
  });
  it('adds restart:true dependents transitively', () => {
    expect(withRestartDependents(['db'], g).sort()).toEqual(['db', 'web', 'worker']);
    expect(withRestartDependents(['cache'], g)).toEqual(['cache']);
  });
});

describe('listings', () => {
  it('ls status counts states, sorted', () => {
    expect(combinedStatus(['running', 'exited', 'running'])).toBe('exited(1), running(2)');
  });
  it('image refs and sizes', () => {
    expect(splitRef('a/b:1')).toEqual({ repository: 'a/b', tag: '1' });
    expect(splitRef('localhost:5000/b')).toEqual({ repository: 'localhost:5000/b', tag: 'latest' });
    expect(splitRef('sha256:abc')).toEqual({ repository: '<none>', tag: '<none>' });
    expect(humanSize(1_980_000)).toBe('1.98MB');
    expect(humanSize(999)).toBe('999B');
  });
  it('tables align columns with three spaces', () => {
    expect(renderTable(['A', 'BB'], [['xxx', 'y']])).toBe('A     BB\nxxx   y\n');
  });
  it('event lines carry time, action, id and sorted attributes', () => {
    const line = formatEvent({ timeNano: Date.UTC(2024, 0, 2, 3, 4, 5) * 1e6 + 123456000, service: 'web', id: 'abc', action: 'start', attributes: { name: 'n', image: 'i' } });
    expect(line).toMatch(/^\d{4}-\d\d-\d\d \d\d:04:05\.123456 container start abc \(image=i, name=n\)$/);
  });
});

describe('cp arguments', () => {
  it('tells SERVICE:PATH from local paths', () => {
    expect(parseCopyArg('web:/etc/hosts')).toEqual({ kind: 'container', service: 'web', path: '/etc/hosts' });
    expect(parseCopyArg('./a:b')).toEqual({ kind: 'local', path: './a:b' });
    expect(parseCopyArg('/abs:x')).toEqual({ kind: 'local', path: '/abs:x' });
    expect(parseCopyArg('-')).toEqual({ kind: 'local', path: '-' });
    expect(parseCopyArg('web:')).toEqual({ kind: 'container', service: 'web', path: '/' });
  });
  it('renames the root of tar entries', () => {
    expect(renameRoot('tree', 'copy')).toBe('copy');
    expect(renameRoot('tree/sub/leaf', 'copy')).toBe('copy/sub/leaf');
  });
});
