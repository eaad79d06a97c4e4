import { describe, expect, it } from 'vitest';
import { loadProject, type LoadOptions } from '../../../src/compose/index.js';
import { renderYaml } from '../../../src/compose/render.js';
import { DiagnosticError } from '../../../src/util/errors.js';
import { MemoryReader } from './memory-reader.js';

const load = (files: Record<string, string>, opts: Partial<LoadOptions> = {}) =>
  loadProject({ env: {}, reader: new MemoryReader(files), cwd: '/proj', ...opts });

async function diagnostics(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DiagnosticError);
    return (e as DiagnosticError).diagnostics;
  }
  throw new Error('expected a DiagnosticError');
}

describe('loadProject', () => {
  it('keeps x- keys of a long-syntax port (tsswarm reads x-snat) and writes them inline in config output', async () => {
    const p = await load({ '/proj/compose.yaml': 'services:\n  web:\n    image: nginx\n    ports:\n      - {target: 80, published: "8080", x-snat: true}\n      - "81:81"\n' });
    expect(p.services.web!.ports).toEqual([
      { target: 80, published: '8080', protocol: 'tcp', mode: 'ingress', extensions: { 'x-snat': true } },
      { target: 81, published: '81', protocol: 'tcp', mode: 'ingress' },
    ]);
    expect(renderYaml(p)).toContain('      - mode: ingress\n        protocol: tcp\n        published: "8080"\n        target: 80\n        x-snat: true\n');
  });

  it('reads `-f -` from the reader as stdin, relative paths against cwd', async () => {
    const p = await load({ '-': 'services:\n  web:\n    image: nginx\n    volumes: ["./d:/d"]\n' }, { files: ['-'] });
    expect(p.name).toBe('proj');
    expect(p.configFiles).toEqual(['-']);
    expect(p.services.web!.volumes[0]!.source).toBe('/proj/d');
  });

  it('returns the canonical long form the engine relies on', async () => {
    const p = await load({
      '/proj/compose.yaml': [
        'services:',
        '  web:',
        '    image: nginx',
        '    ports: ["8080:80"]',
        '    depends_on: [db]',
        '    healthcheck: {test: "curl x", interval: 1m30s}',
        '    stop_grace_period: 500ms',
        '    mem_limit: 1g',
        '  db:',
        '    image: postgres',
        '    deploy: {replicas: 2}',
      ].join('\n'),
    });
    const web = p.services.web!;
    expect(web.ports).toEqual([{ target: 80, published: '8080', protocol: 'tcp', mode: 'ingress' }]);
    expect(web.depends_on).toEqual({ db: { condition: 'service_started', required: true, restart: false } });
    expect(web.healthcheck).toEqual({ test: ['CMD-SHELL', 'curl x'], interval: 90e9 });
    expect(web.stop_grace_period).toBe(500e6);
    expect(web.mem_limit).toBe(1024 ** 3);
    expect(web.networks).toEqual({ default: null });
    expect(p.networks.default).toEqual({ name: 'proj_default' });
    expect(p.services.db!.scale).toBe(2);
  });

  it('points errors introduced by an override file at that file', async () => {
    const d = await diagnostics(
      load({
        '/proj/compose.yaml': 'services:\n  web:\n    image: nginx\n',
        '/proj/compose.override.yaml': 'services:\n  web:\n    ports: ["1:2", "bad"]\n    depends_on: [ghost]\n',
      }),
    );
    // Both problems of the override, each at its own line, in one run.
    expect(d).toEqual([
      expect.objectContaining({ file: '/proj/compose.override.yaml', line: 3, col: 20, path: 'services.web.ports[1]' }),
      expect.objectContaining({ file: '/proj/compose.override.yaml', line: 4, col: 18, path: 'services.web.depends_on.ghost' }),
    ]);
  });

  it('after the merge, references still point at the contributing file', async () => {
    const d = await diagnostics(
      load({
        '/proj/compose.yaml': 'services:\n  web:\n    image: nginx\n    networks: [front]\n',
        '/proj/compose.override.yaml': 'services:\n  web:\n    depends_on: [ghost]\n',
      }),
    );
    expect(d.map((x) => `${x.file}:${x.line}:${x.col} ${x.path}`)).toEqual([
      '/proj/compose.override.yaml:3:18 services.web.depends_on.ghost',
      '/proj/compose.yaml:4:16 services.web.networks.front',
    ]);
  });

  it('reports every error of a file at once', async () => {
    const d = await diagnostics(load({ '/proj/compose.yaml': 'services:\n  a:\n    imag: x\n    tty: 3\n  b:\n    image: [1]\n' }));
    expect(d).toHaveLength(3);
    expect(d[0]!.hint).toBe('did you mean "image"?');
  });

  it('takes COMPOSE_PROFILES and COMPOSE_PROJECT_NAME from .env, the shell winning', async () => {
    const files = {
      '/proj/.env': 'COMPOSE_PROFILES=debug\nCOMPOSE_PROJECT_NAME=fromdotenv\n',
      '/proj/compose.yaml': 'services:\n  web:\n    image: nginx\n  dbg:\n    image: busybox\n    profiles: [debug]\n',
    };
    const p = await load(files);
    expect(p.name).toBe('fromdotenv');
    expect(Object.keys(p.services)).toEqual(['dbg', 'web']);
    const q = await load(files, { env: { COMPOSE_PROJECT_NAME: 'shell' } });
    expect(q.name).toBe('shell');
  });

  it('keeps inactive services aside and activates named ones with their dependencies', async () => {
    const files = {
      '/proj/compose.yaml': 'services:\n  web:\n    image: nginx\n  tool:\n    image: t\n    profiles: [tools]\n    depends_on: [helper]\n  helper:\n    image: h\n    profiles: [tools]\n',
    };
    const p = await load(files);
    expect(Object.keys(p.services)).toEqual(['web']);
    expect(Object.keys(p.disabledServices).sort()).toEqual(['helper', 'tool']);
    const q = await load(files, { services: ['tool'] });
    expect(Object.keys(q.services).sort()).toEqual(['helper', 'tool']);
  });

  it('discovers the file in a parent directory and uses that directory as the project directory', async () => {
    const p = await load({ '/top/compose.yml': 'services:\n  a:\n    image: a\n    build: .\n' }, { cwd: '/top/x/y' });
    expect(p.workingDir).toBe('/top');
    expect(p.name).toBe('top');
    expect(p.services.a!.build!.context).toBe('/top');
  });

  it('says so when no compose file is found', async () => {
    const e = await load({}, { cwd: '/empty' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DiagnosticError);
    expect((e as DiagnosticError).code).toBe('not-found');
    expect((e as DiagnosticError).message).toMatch(/no configuration file provided/);
  });

  it('detects extends cycles across files without hanging', async () => {
    const d = await diagnostics(
      load({
        '/proj/compose.yaml': 'services:\n  a:\n    extends: {file: b.yaml, service: b}\n',
        '/proj/b.yaml': 'services:\n  b:\n    extends: {file: compose.yaml, service: a}\n',
      }),
    );
    expect(d[0]!.message).toMatch(/extends cycle/);
  });

  it('warns about unset variables and the obsolete version key, once each', async () => {
    const p = await load({ '/proj/compose.yaml': 'version: "3"\nservices:\n  a:\n    image: "${REPO}/a:${TAG:-1}"\n    hostname: $REPO\n' });
    expect(p.warnings).toEqual(['the "REPO" variable is not set; defaulting to a blank string', '/proj/compose.yaml: the attribute "version" is obsolete and ignored']);
  });

  it('rejects alias bombs instead of exhausting memory', async () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    lines.push('services: {}');
    const d = await diagnostics(load({ '/proj/compose.yaml': lines.join('\n') }));
    expect(d[0]!.message).toMatch(/^alias \*a\d+ expands to .* beyond 50000 nodes or 16 MiB$/);
  });
});
