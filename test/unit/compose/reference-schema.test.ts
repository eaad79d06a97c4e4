/**
 * Reference behaviour for keys of the current compose-spec schema, stated inline. Not generated
 * by tscompose.
 */
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/compose/index.js';
import { renderYaml } from '../../../src/compose/render.js';
import { checkClassicBuild } from '../../../src/engine/build-support.js';
import { UserError } from '../../../src/util/errors.js';
import { MemoryReader } from './memory-reader.js';

const load = (files: Record<string, string>) => loadProject({ env: {}, reader: new MemoryReader(files), cwd: '/p' });

describe('reference: schema keys', () => {
  it('label_file labels are applied, the service labels over them, later files over earlier ones', async () => {
    const p = await load({
      '/p/compose.yaml': 'services:\n  web:\n    image: x\n    label_file: [./a.labels, ./b.labels]\n    labels: {tier: front}\n',
      '/p/a.labels': 'team=core\ntier=back\n# comment\nowner=a\n',
      '/p/b.labels': 'owner=b\n',
    });
    expect(p.services.web!.labels).toEqual({ team: 'core', tier: 'front', owner: 'b' });
    expect(p.services.web!.label_file).toEqual(['/p/a.labels', '/p/b.labels']);
  });

  it('a missing label_file is an error naming it', async () => {
    await expect(load({ '/p/compose.yaml': 'services:\n  web:\n    image: x\n    label_file: ./none.labels\n' })).rejects.toThrow(/label file \/p\/none.labels not found/);
  });

  it('build.additional_contexts: relative paths resolved, image and service references kept; no_cache_filter accepted', async () => {
    const p = await load({
      '/p/compose.yaml': [
        'services:',
        '  web:',
        '    build:',
        '      context: ./app',
        '      no_cache_filter: deps',
        '      additional_contexts:',
        '        shared: ../shared',
        '        base: docker-image://alpine:3',
        '        other: service:tools',
        '',
      ].join('\n'),
    });
    expect(p.services.web!.build!.additional_contexts).toEqual({ shared: '/shared', base: 'docker-image://alpine:3', other: 'service:tools' });
    expect(p.services.web!.build!.no_cache_filter).toEqual(['deps']);
  });

  it('top-level models are kept and shown by config', async () => {
    const p = await load({ '/p/compose.yaml': 'services:\n  chat:\n    image: x\n    models: [llm]\nmodels:\n  llm:\n    model: ai/smollm2\n    context_size: 4096\n' });
    expect(p.models).toEqual({ llm: { model: 'ai/smollm2', context_size: 4096 } });
    expect(renderYaml(p)).toContain('models:\n  llm:\n    context_size: 4096\n    model: ai/smollm2\n');
  });

  it('build keys that need BuildKit are refused before building, as docker compose refuses them without BuildKit', async () => {
    const p = await load({ '/p/compose.yaml': 'services:\n  web:\n    build:\n      context: .\n      ssh: [default]\n      platforms: [linux/amd64, linux/arm64]\n  ok:\n    build: .\n' });
    expect(() => checkClassicBuild([p.services.ok!])).not.toThrow();
    let err: unknown;
    try {
      checkClassicBuild(Object.values(p.services));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe("service web: build.ssh, build.platforms need BuildKit, and tscompose builds with the engine's classic builder");
  });
});
