import { describe, expect, it } from 'vitest';
import { formatDuration, parseBytes, parseDuration } from '../../../src/compose/units.js';
import { parsePortSpec } from '../../../src/compose/ports.js';
import { parseVolumeSpec } from '../../../src/compose/volumes.js';
import { shellSplit } from '../../../src/compose/shell-split.js';
import { parseDotenv } from '../../../src/compose/dotenv.js';
import { normalizeProjectName, isValidProjectName } from '../../../src/compose/project-name.js';

describe('durations', () => {
  it.each([
    ['1h2m3s', 3723e9],
    ['1m30s', 90e9],
    ['500ms', 500e6],
    ['10us', 10e3],
    ['1.5s', 1.5e9],
    ['30', 30e9],
    ['0', 0],
    ['2h', 7200e9],
  ])('%s', (s, ns) => expect(parseDuration(s)).toBe(ns));
  it.each(['', 'abc', '10 seconds', '1x', '-1s'])('rejects %j', (s) => expect(() => parseDuration(s)).toThrow(/invalid duration/));
  it.each([
    [0, '0s'],
    [90e9, '1m30s'],
    [500e6, '500ms'],
    [3723e9, '1h2m3s'],
    [7200e9, '2h0m0s'],
    [1.5e9, '1.5s'],
  ])('formats %d as %s', (ns, s) => expect(formatDuration(ns)).toBe(s));
  it('round-trips', () => {
    for (const s of ['1h2m3s', '1m30s', '500ms', '45s']) expect(formatDuration(parseDuration(s))).toBe(s);
  });
});

describe('byte sizes', () => {
  it.each([
    ['512m', 512 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['1gb', 1024 ** 3],
    ['100k', 102400],
    ['1024', 1024],
    ['1.5m', 1.5 * 1024 ** 2],
    ['10b', 10],
  ])('%s', (s, b) => expect(parseBytes(s)).toBe(b));
  it.each(['', 'lots', '1.5q', '-1m', '1 2'])('rejects %j', (s) => expect(() => parseBytes(s)).toThrow(/invalid size/));
});

describe('port short syntax', () => {
  it('parses every form', () => {
    expect(parsePortSpec('80')).toEqual([{ target: 80, protocol: 'tcp' }]);
    expect(parsePortSpec('8080:80/udp')).toEqual([{ target: 80, published: '8080', protocol: 'udp' }]);
    expect(parsePortSpec('127.0.0.1:8080:80')).toEqual([{ target: 80, published: '8080', host_ip: '127.0.0.1', protocol: 'tcp' }]);
    expect(parsePortSpec('[::1]:53:53/udp')).toEqual([{ target: 53, published: '53', host_ip: '::1', protocol: 'udp' }]);
    expect(parsePortSpec('9000-9001:80-81')).toHaveLength(2);
    expect(parsePortSpec('8000-8010:80')).toEqual([{ target: 80, published: '8000-8010', protocol: 'tcp' }]);
  });
  it.each(['', 'x', '0', '70000', '1:2:3:4', '80/icmp', '9000-9002:80-81', '90-80'])('rejects %j', (s) => expect(() => parsePortSpec(s)).toThrow());
});

describe('volume short syntax', () => {
  it('tells binds from named and anonymous volumes', () => {
    expect(parseVolumeSpec('/data')).toEqual({ type: 'volume', target: '/data' });
    expect(parseVolumeSpec('data:/data:ro')).toEqual({ type: 'volume', source: 'data', target: '/data', read_only: true });
    expect(parseVolumeSpec('./src:/src')).toMatchObject({ type: 'bind', source: './src', bind: { create_host_path: true } });
    expect(parseVolumeSpec('~/x:/x:z')).toMatchObject({ type: 'bind', bind: { selinux: 'z' } });
  });
  it.each(['', 'a:b:c:d', './x:/x:bogus', 'named:/x:z', ':/x'])('rejects %j', (s) => expect(() => parseVolumeSpec(s)).toThrow());
});

describe('shell split', () => {
  it('honours quotes and escapes', () => {
    expect(shellSplit(`sh -c 'echo "a b"' "x y" z\\ w`)).toEqual(['sh', '-c', 'echo "a b"', 'x y', 'z w']);
    expect(shellSplit('  ')).toEqual([]);
    expect(shellSplit(`a ""`)).toEqual(['a', '']);
  });
  it('rejects unterminated quotes', () => {
    expect(() => shellSplit(`'a`)).toThrow();
    expect(() => shellSplit(`"a`)).toThrow();
  });
});

describe('dotenv', () => {
  it('parses the Compose dialect', () => {
    const text = ['# c', 'export A=1 # note', "B='lit $A'", 'C="x\\ny $A"', 'D', 'E=${A}${MISSING:-m}', 'F="multi', 'line"', ''].join('\n');
    expect(parseDotenv(text, '.env', (n) => (n === 'D' ? 'from-shell' : undefined))).toEqual({
      A: '1',
      B: 'lit $A',
      C: 'x\ny 1',
      D: 'from-shell',
      E: '1m',
      F: 'multi\nline',
    });
  });
  it('reports bad lines with file and line', () => {
    expect(() => parseDotenv('OK=1\n bad line\n', '/p/.env', () => undefined)).toThrow(/\/p\/\.env:2:1/);
  });
});

describe('project names', () => {
  it('normalizes directory names like Compose', () => {
    expect(normalizeProjectName('My App.v2')).toBe('myappv2');
    expect(normalizeProjectName('_-x')).toBe('x');
    expect(isValidProjectName('ok-name_1')).toBe(true);
    expect(isValidProjectName('Bad')).toBe(false);
    expect(isValidProjectName('-x')).toBe(false);
  });
});
