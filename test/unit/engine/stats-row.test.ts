/** stats-row: engine stats samples (recorded JSON) to the row `docker stats` prints. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { binarySize, cpuPercent, decimalSize, memoryUsage, NO_STATS, statsRow, statsValues } from '../../../src/engine/ops/stats-row.js';
import type { EngineStats } from '../../../src/runtime/types.js';

const sample = (name: string): EngineStats =>
  JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'testdata', name), 'utf8')) as EngineStats;

describe('stats row', () => {
  it('a busy busybox on cgroup v1 (recorded): CPU % from the precpu delta, memory without total_inactive_file', () => {
    const s = sample('stats-cgroup1-busy.json');
    // (2817747377 - 1885551312) / (7423630000000 - 7421620000000) * 2 * 100
    expect(cpuPercent(s)).toBeCloseTo(92.756, 2);
    expect(memoryUsage(s)).toBe(335872);
    expect(statsRow({ id: s.id!, name: s.name! }, statsValues(s))).toEqual({
      ID: '0cea108cbcdd',
      Name: 'statsrec-15574',
      CPUPerc: '92.76%',
      MemUsage: '328KiB / 23.54GiB',
      MemPerc: '0.00%',
      NetIO: '736B / 0B',
      BlockIO: '0B / 0B',
      PIDs: '1',
    });
  });

  it('cgroup v2: inactive_file left out, every interface and read/write device summed, online_cpus used', () => {
    const s = sample('stats-cgroup2-io.json');
    expect(cpuPercent(s)).toBeCloseTo((1_250_000 / 4_000_000_000) * 4 * 100, 6);
    expect(memoryUsage(s)).toBe(15978496 - 11853824);
    const row = statsRow({ id: s.id!, name: s.name! }, statsValues(s), { noTrunc: true });
    expect(row).toEqual({
      ID: s.id,
      Name: 'demo-web-1',
      CPUPerc: '0.13%',
      MemUsage: '3.934MiB / 256MiB',
      MemPerc: '1.54%',
      NetIO: '13.6kB / 4kB',
      BlockIO: '11.5MB / 4.1kB',
      PIDs: '7',
    });
  });

  it('without precpu the deltas run from zero, as Docker computes them; percpu_usage counts CPUs when online_cpus is missing', () => {
    const s = sample('stats-cgroup1-busy.json');
    expect(cpuPercent({ ...s, precpu_stats: {} })).toBeCloseTo((2817747377 / 7423630000000) * 2 * 100, 9);
    expect(cpuPercent({ ...s, precpu_stats: s.cpu_stats! })).toBe(0);
    const noOnline = { ...s, cpu_stats: { ...s.cpu_stats!, online_cpus: 0 } };
    expect(cpuPercent(noOnline)).toBeCloseTo(cpuPercent(s), 9);
    expect(cpuPercent({})).toBe(0);
  });

  it('usage at or below the inactive file cache is shown as it is', () => {
    expect(memoryUsage({ memory_stats: { usage: 100, stats: { inactive_file: 200 } } })).toBe(100);
    expect(memoryUsage({ memory_stats: { usage: 100 } })).toBe(100);
  });

  it('a container without a sample prints zeros', () => {
    expect(statsRow({ id: 'abc', name: '/p-db-1' }, NO_STATS)).toMatchObject({ CPUPerc: '0.00%', MemUsage: '0B / 0B', MemPerc: '0.00%', NetIO: '0B / 0B', BlockIO: '0B / 0B', PIDs: '0' });
  });

  it('sizes as go-units prints them', () => {
    expect(decimalSize(0)).toBe('0B');
    expect(decimalSize(999)).toBe('999B');
    expect(decimalSize(1000)).toBe('1kB');
    expect(decimalSize(123456)).toBe('123kB');
    expect(decimalSize(1_500_000_000)).toBe('1.5GB');
    expect(binarySize(1024)).toBe('1KiB');
    expect(binarySize(1_597_000)).toBe('1.523MiB');
    expect(binarySize(268435456)).toBe('256MiB');
  });
});
