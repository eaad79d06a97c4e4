import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/compose/load.js';
import { RecordingFileReader } from '../../../src/compose/recording-reader.js';
import { MemoryReader } from './memory-reader.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('RecordingFileReader', () => {
  it('notes reads with a digest of the text, probes with their answer, and failed reads as missing', async () => {
    const r = new RecordingFileReader(new MemoryReader({ '/p/compose.yaml': 'services: {}\n' }));
    expect(await r.exists('/p/compose.yaml')).toBe(true);
    expect(await r.exists('/p/compose.override.yaml')).toBe(false);
    expect(await r.readFile('/p/compose.yaml')).toBe('services: {}\n');
    await expect(r.readFile('/p/optional.env')).rejects.toThrow(/ENOENT/);
    expect(r.accesses).toEqual([
      { kind: 'exists', path: '/p/compose.yaml', seen: 'file' },
      { kind: 'exists', path: '/p/compose.override.yaml', seen: 'no' },
      { kind: 'file', path: '/p/compose.yaml', seen: sha('services: {}\n') },
      { kind: 'file', path: '/p/optional.env', seen: 'missing' },
    ]);
    expect(r.usedStdin).toBe(false);
  });

  it('sees every file a real load depends on: discovery, .env, overrides, extends and env_file', async () => {
    const r = new RecordingFileReader(new MemoryReader({
      '/p/compose.yaml': 'services:\n  web:\n    extends: {file: base.yaml, service: base}\n    env_file: [web.env]\n',
      '/p/base.yaml': 'services:\n  base:\n    image: busybox:${TAG}\n',
      '/p/.env': 'TAG=1\n',
      '/p/web.env': 'A=1\n',
    }));
    const project = await loadProject({ cwd: '/p', env: {}, reader: r });
    expect(project.services.web?.image).toBe('busybox:1');
    const paths = new Set(r.accesses.map((a) => `${a.kind} ${a.path}`));
    for (const p of ['file /p/.env', 'exists /p/compose.yaml', 'exists /p/compose.override.yaml', 'file /p/compose.yaml', 'file /p/base.yaml', 'file /p/web.env']) {
      expect(paths, p).toContain(p);
    }
  });
});
