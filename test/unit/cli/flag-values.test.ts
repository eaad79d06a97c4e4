import { describe, expect, it } from 'vitest';
import { checkNamedServices, checkRecreateFlags, indexFlag, MAX_SCALE, parseScale, secondsFlag, tailFlag, wholeNumber } from '../../../cli/compose/flag-values.js';
import { loadProject } from '../../../src/compose/index.js';
import { MemoryReader } from '../compose/memory-reader.js';

describe('flag values', () => {
  it('--scale: SVC=N with N from 0 to 10000, nothing else', () => {
    expect(parseScale(['web=3', 'db=0', `x=${MAX_SCALE}`])).toEqual({ web: 3, db: 0, x: 10_000 });
    expect(() => parseScale(['web=99999999999999999999'])).toThrow('--scale web expects a whole number from 0 to 10000, got "99999999999999999999"');
    expect(() => parseScale(['web=10001'])).toThrow(/from 0 to 10000/);
    expect(() => parseScale(['web=-1'])).toThrow(/from 0 to 10000/);
    expect(() => parseScale(['web=1e3'])).toThrow(/from 0 to 10000/);
    expect(() => parseScale(['web=0x10'])).toThrow(/from 0 to 10000/);
    expect(() => parseScale(['web'])).toThrow('--scale expects SERVICE=NUMBER, got web');
  });

  it('timeouts are whole seconds from 0 to 86400', () => {
    expect(secondsFlag('--timeout', '0')).toBe(0);
    expect(secondsFlag('--timeout', ' 30 ')).toBe(30);
    expect(secondsFlag('--timeout', undefined)).toBeUndefined();
    for (const bad of ['-1', 'abc', '1.5', '', '86401', '1e2']) expect(() => secondsFlag('--wait-timeout', bad), bad).toThrow(/--wait-timeout expects a whole number from 0 to 86400/);
  });

  it('--index from 1, --tail all/-1/N', () => {
    expect(indexFlag('2')).toBe(2);
    expect(() => indexFlag('0')).toThrow(/--index expects a whole number from 1 to 10000/);
    expect(tailFlag('all')).toBe('all');
    expect(tailFlag('-1')).toBe('all');
    expect(tailFlag('5')).toBe(5);
    expect(() => tailFlag('x')).toThrow(/--tail/);
    expect(() => wholeNumber('--n', String(2 ** 60), 0, Number.MAX_SAFE_INTEGER)).toThrow(/--n/);
  });

  it('names are checked against the model, with a suggestion', async () => {
    const project = await loadProject({ cwd: '/p', env: {}, reader: new MemoryReader({ '/p/compose.yaml': 'services:\n  web:\n    image: x\n' }) });
    expect(() => checkNamedServices(project, ['web'])).not.toThrow();
    expect(() => checkNamedServices(project, ['wbe'])).toThrow('no such service: wbe');
  });

  it('recreate flags that contradict --no-recreate are refused as usage mistakes (exit 2)', () => {
    expect(() => checkRecreateFlags({ recreate: false, alwaysRecreateDeps: true })).toThrow('--always-recreate-deps and --no-recreate are incompatible');
    expect(() => checkRecreateFlags({ recreate: false, renewAnonVolumes: true })).toThrow('--renew-anon-volumes and --no-recreate are incompatible');
    expect(() => checkRecreateFlags({ recreate: false, forceRecreate: true })).toThrow(expect.objectContaining({ exitCode: 2 }));
    expect(() => checkRecreateFlags({ recreate: true, forceRecreate: true, alwaysRecreateDeps: true, renewAnonVolumes: true })).not.toThrow();
    expect(() => checkRecreateFlags({ recreate: false })).not.toThrow();
  });
});
