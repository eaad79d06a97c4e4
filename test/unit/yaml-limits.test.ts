/**
 * YAML limits: alias expansion is bounded by output size and refused at the alias's position;
 * parsing is linear in the input, so files just under the bounds load quickly. Time appears only
 * as generous test timeouts, never as a measured pass/fail.
 */
import { describe, expect, it } from 'vitest';
import { parseYamlLayers } from '../../src/compose/parse.js';
import { parseYamlLayersFast } from '../../src/compose/parse-fast.js';
import { loadProject } from '../../src/compose/index.js';
import { DiagnosticError } from '../../src/util/errors.js';
import { MemoryReader } from './compose/memory-reader.js';

function refusal(text: string): DiagnosticError {
  try {
    parseYamlLayers(text, '/p/compose.yaml');
  } catch (e) {
    if (e instanceof DiagnosticError) return e;
    throw e;
  }
  throw new Error('expected the document to be refused');
}

/** Nine levels of nine aliases each: 9^9 expanded scalars from a few hundred bytes. */
function billionLaughs(): string {
  const lines = ['x-l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i <= 9; i++) lines.push(`x-l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(', ')}]`);
  lines.push('services:', '  web:', '    image: busybox', '    x-boom: *l9');
  return lines.join('\n') + '\n';
}

describe('YAML alias expansion', () => {
  it('refuses a billion-laughs document quickly, naming file:line:col of the alias', () => {
    const e = refusal(billionLaughs());
    expect(e.diagnostics).toHaveLength(1);
    const d = e.diagnostics[0]!;
    // The anchors' own definitions expand too: the total passes the bound within x-l4's list.
    expect([d.file, d.line]).toEqual(['/p/compose.yaml', 5]);
    expect(d.col).toBeGreaterThan(10);
    expect(d.message).toMatch(/^alias \*l\d expands to \d+ nodes, \d+ bytes: the aliases of this file would expand beyond 50000 nodes or 16 MiB$/);
  }, 5000);

  it('refuses few aliases of a large scalar by bytes (16 MiB), not only by nodes', () => {
    const big = 'y'.repeat(600 * 1024);
    const lines = [`x-big: &big "${big}"`, 'services:', '  web:', '    image: busybox', '    labels:'];
    for (let i = 0; i < 40; i++) lines.push(`      l${i}: *big`);
    const e = refusal(lines.join('\n') + '\n');
    expect(e.diagnostics[0]!.message).toMatch(/^alias \*big expands to 1 nodes, 614400 bytes/);
    expect(e.diagnostics[0]!.line).toBe(33); // the 28th alias pushes the total past 16 MiB
  }, 5000);

  it('refuses an alias cycle', () => {
    const e = refusal('x-a: &a\n  b: *a\nservices: {}\n');
    expect(e.diagnostics[0]!.message).toMatch(/unknown alias|expands to itself/);
  });

  it('loads a legitimate file with many aliases (40,000 aliases of one scalar, 500 of a map)', async () => {
    const lines = ['# a\ttab sends this file to the precise parser', 'x-v: &v "1"', 'x-env: &env {A: "1", B: "2"}', 'services:', '  web:', '    image: busybox', '    labels:'];
    for (let i = 0; i < 40_000; i++) lines.push(`      l${i}: *v`);
    for (let i = 0; i < 500; i++) lines.push(`  s${i}:`, '    image: busybox', '    environment: *env');
    const text = lines.join('\n') + '\n';
    const layers = parseYamlLayers(text, '/p/compose.yaml');
    expect(Object.keys((layers[0]!.services as Record<string, Record<string, unknown>>).web!.labels as object)).toHaveLength(40_000);
    const p = await loadProject({ cwd: '/p', env: {}, reader: new MemoryReader({ '/p/compose.yaml': text }) });
    expect(Object.keys(p.services)).toHaveLength(501);
    expect(p.services.s499!.environment).toEqual({ A: '1', B: '2' });
  }, 30_000);

  it('finds duplicate keys in a large map without comparing every pair', () => {
    const lines = ['services:', '  web:', '    image: busybox', '    labels:'];
    for (let i = 0; i < 60_000; i++) lines.push(`      l${i}: x`);
    lines.push('      l17: again');
    const e = refusal('# \t\n' + lines.join('\n') + '\n');
    expect(e.diagnostics.map((d) => `${d.line}:${d.col}: ${d.message}`)).toEqual(['60006:7: duplicate key "l17"']);
  }, 30_000);

  it('the fast parser gives up on an alias bomb at once and leaves the verdict to the precise one', () => {
    expect(() => parseYamlLayersFast(billionLaughs(), '/p/compose.yaml')).toThrow(/alias expansion near the limit|too large/);
  }, 5000);

  it('keeps yaml\'s key identity: 1 and "1" are different keys (1 is refused as a non-string key, as compose-go does, not as a duplicate)', () => {
    expect(() => parseYamlLayers('x-m:\n  1: a\n  "1": b\nservices: {}\n', '/p/c.yaml')).toThrow(/^\/p\/c\.yaml:2:3: x-m: non-string key 1$/m);
    expect(parseYamlLayers('x-m:\n  "1": b\nservices: {}\n', '/p/c.yaml')[0]).toBeDefined();
  });
});
