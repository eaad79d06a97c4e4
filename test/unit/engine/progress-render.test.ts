/** Progress renderers and small CLI helpers, without an engine. */
import { describe, expect, it } from 'vitest';
import { progressRenderer } from '../../../cli/compose/progress.js';
import { table } from '../../../cli/compose/table.js';
import { serviceConfigHash } from '../../../src/engine/config-hash.js';
import { service } from '../../fixtures/engine/project.js';

function sinkTo(mode: string, tty = false) {
  let text = '';
  const out = { isTTY: tty, write: (s: string) => ((text += s), true) } as unknown as NodeJS.WriteStream;
  const r = progressRenderer(mode, out);
  return { r, text: () => text };
}

describe('progress renderers', () => {
  it('plain: one line per event, warnings as WARN', () => {
    const { r, text } = sinkTo('plain');
    r.sink({ resource: 'Container p-web-1', text: 'Started', status: 'done' });
    r.sink({ resource: 'Warning', text: 'orphans', status: 'warning' });
    r.done();
    expect(text()).toBe(' Container p-web-1  Started\nWARN: orphans\n');
  });
  it('json: one object per line', () => {
    const { r, text } = sinkTo('json');
    r.sink({ resource: 'Network p_default', text: 'Created', status: 'done' });
    expect(JSON.parse(text())).toMatchObject({ resource: 'Network p_default', text: 'Created', status: 'done' });
  });
  it('quiet: only warnings and errors', () => {
    const { r, text } = sinkTo('quiet');
    r.sink({ resource: 'Container a', text: 'Started', status: 'done' });
    r.sink({ resource: 'Container a', text: 'Error', status: 'error', detail: 'boom' });
    expect(text()).toBe(' Container a  Error (boom)\n');
  });
  it('tty: one live line per resource, redrawn in place', () => {
    const { r, text } = sinkTo('tty', true);
    r.sink({ resource: 'Container a', text: 'Starting', status: 'working' });
    r.sink({ resource: 'Container a', text: 'Started', status: 'done' });
    r.done();
    const last = text().split('\x1b[3A').pop()!;
    expect(last).toContain('[+] Running 1/1');
    expect(last).toMatch(/✔.*Container a\s+Started/);
    expect(text()).toContain('\x1b[2A'); // moved up over its own lines instead of appending
  });
  it('auto: plain when not a terminal', () => {
    const { r, text } = sinkTo('auto', false);
    r.sink({ resource: 'Container a', text: 'Started', status: 'done' });
    expect(text()).toBe(' Container a  Started\n');
  });
});

describe('helpers', () => {
  it('table: padded columns', () => {
    expect(table(['A', 'BB'], [['xyz', '1']])).toBe('A     BB\nxyz   1\n');
  });
  it('config hash ignores scale and key order, not real changes', () => {
    const a = service('web', { environment: { A: '1', B: '2' } });
    expect(serviceConfigHash({ ...a, scale: 3 })).toBe(serviceConfigHash(a));
    expect(serviceConfigHash({ ...a, environment: { B: '2', A: '1' } })).toBe(serviceConfigHash(a));
    expect(serviceConfigHash({ ...a, environment: { A: '2', B: '2' } })).not.toBe(serviceConfigHash(a));
  });
});
