/**
 * One `docker stats` row from one engine stats sample (pure: JSON in, strings out), computed the
 * way the Docker CLI does (cli/command/container/stats_helpers.go and formatter_stats.go):
 *
 * - CPU % = (cpu total delta / system delta) × online CPUs × 100, the deltas taken between the
 *   sample's `cpu_stats` and the `precpu_stats` the engine put beside them; 0 when either delta
 *   is not positive. The engine's first sample of a stream has zeroed precpu, so (as with Docker)
 *   it shows the average since boot.
 * - Memory usage leaves out the page cache the kernel can drop: `total_inactive_file` on cgroup v1,
 *   `inactive_file` on cgroup v2, when smaller than the usage.
 * - NET I/O sums every interface; BLOCK I/O sums the `read` and `write` entries of
 *   `io_service_bytes_recursive` (either case).
 * - Sizes: memory in binary units with 4 significant digits (`1.523MiB`), I/O in decimal units
 *   with 3 (`12.3kB`), as go-units' BytesSize and HumanSizeWithPrecision print them.
 */
import type { EngineCpuStats, EngineStats } from '../../runtime/types.js';

/** The numbers of one row. */
export interface StatsValues {
  cpuPercent: number;
  memoryUsage: number;
  memoryLimit: number;
  memoryPercent: number;
  netRx: number;
  netTx: number;
  blockRead: number;
  blockWrite: number;
  pids: number;
}

/** One row as printed, in Docker's JSON field names (`--format json` prints these objects). */
export interface StatsRow {
  ID: string;
  Name: string;
  CPUPerc: string;
  MemUsage: string;
  MemPerc: string;
  NetIO: string;
  BlockIO: string;
  PIDs: string;
}

export const STATS_TITLES = ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS'] as const;

function cpuTotal(c: EngineCpuStats | undefined): number {
  return c?.cpu_usage?.total_usage ?? 0;
}

export function cpuPercent(s: EngineStats): number {
  const cpuDelta = cpuTotal(s.cpu_stats) - cpuTotal(s.precpu_stats);
  const systemDelta = (s.cpu_stats?.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const online = s.cpu_stats?.online_cpus || s.cpu_stats?.cpu_usage?.percpu_usage?.length || 0;
  return cpuDelta > 0 && systemDelta > 0 ? (cpuDelta / systemDelta) * online * 100 : 0;
}

export function memoryUsage(s: EngineStats): number {
  const usage = s.memory_stats?.usage ?? 0;
  const stats = s.memory_stats?.stats ?? {};
  const v1 = stats.total_inactive_file;
  if (v1 !== undefined) return v1 < usage ? usage - v1 : usage;
  const v2 = stats.inactive_file;
  return v2 !== undefined && v2 < usage ? usage - v2 : usage;
}

export function statsValues(s: EngineStats): StatsValues {
  const memoryUsed = memoryUsage(s);
  const memoryLimit = s.memory_stats?.limit ?? 0;
  let netRx = 0;
  let netTx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    netRx += n.rx_bytes ?? 0;
    netTx += n.tx_bytes ?? 0;
  }
  let blockRead = 0;
  let blockWrite = 0;
  for (const e of s.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = e.op.toLowerCase();
    if (op === 'read') blockRead += e.value;
    else if (op === 'write') blockWrite += e.value;
  }
  return {
    cpuPercent: cpuPercent(s),
    memoryUsage: memoryUsed,
    memoryLimit,
    memoryPercent: memoryLimit > 0 ? (memoryUsed / memoryLimit) * 100 : 0,
    netRx,
    netTx,
    blockRead,
    blockWrite,
    pids: s.pids_stats?.current ?? 0,
  };
}

/** The values of a container with no sample (stopped, listed with `-a`): Docker prints zeros. */
export const NO_STATS: StatsValues = { cpuPercent: 0, memoryUsage: 0, memoryLimit: 0, memoryPercent: 0, netRx: 0, netTx: 0, blockRead: 0, blockWrite: 0, pids: 0 };

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function scaled(size: number, base: number, units: readonly string[], digits: number): string {
  let i = 0;
  let v = size;
  while (v >= base && i < units.length - 1) {
    v /= base;
    i++;
  }
  // Go's %.Ng: N significant digits, trailing zeros dropped.
  return `${Number(v.toPrecision(digits))}${units[i]}`;
}

/** go-units HumanSizeWithPrecision(size, 3): `0B`, `736B`, `12.3kB`, `1.5GB`. */
export function decimalSize(size: number): string {
  return scaled(size, 1000, DECIMAL, 3);
}

/** go-units BytesSize: `320KiB`, `1.523MiB`, `23.54GiB`. */
export function binarySize(size: number): string {
  return scaled(size, 1024, BINARY, 4);
}

export function percent(v: number): string {
  return `${v.toFixed(2)}%`;
}

/** The row Docker prints for a container; the ID is cut to 12 characters unless `noTrunc`. */
export function statsRow(c: { id: string; name: string }, v: StatsValues, opts: { noTrunc?: boolean } = {}): StatsRow {
  return {
    ID: opts.noTrunc ? c.id : c.id.slice(0, 12),
    Name: c.name.replace(/^\//, ''),
    CPUPerc: percent(v.cpuPercent),
    MemUsage: `${binarySize(v.memoryUsage)} / ${binarySize(v.memoryLimit)}`,
    MemPerc: percent(v.memoryPercent),
    NetIO: `${decimalSize(v.netRx)} / ${decimalSize(v.netTx)}`,
    BlockIO: `${decimalSize(v.blockRead)} / ${decimalSize(v.blockWrite)}`,
    PIDs: String(v.pids),
  };
}

/** The table cells of a row, in STATS_TITLES order. */
export function tableCells(r: StatsRow): string[] {
  return [r.ID, r.Name, r.CPUPerc, r.MemUsage, r.MemPerc, r.NetIO, r.BlockIO, r.PIDs];
}
