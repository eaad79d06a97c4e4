/** The live TTY progress view: events fold into a view, a view renders to frames (pure, no clock). */
import { describe, expect, it } from 'vitest';
import { applyEvent, elapsed, emptyView, redraw, renderFrame, spinnerAt, type ProgressView } from '../../../cli/compose/progress-view.js';
import { plainRenderer, ttyRenderer } from '../../../cli/compose/progress.js';
import type { ProgressEvent } from '../../../src/engine/progress.js';

const plain = { width: 60, colour: false };
const fold = (events: Array<[number, ProgressEvent]>): ProgressView => events.reduce((v, [t, e]) => applyEvent(v, e, t), emptyView);

describe('progress view', () => {
  it('one row per resource in order of first appearance; a row keeps its start when its state changes', () => {
    const v = fold([
      [1000, { resource: 'Network p_default', text: 'Creating', status: 'working' }],
      [1100, { resource: 'Container p-db-1', text: 'Creating', status: 'working' }],
      [1150, { resource: 'Network p_default', text: 'Created', status: 'done' }],
      [1400, { resource: 'Container p-db-1', text: 'Starting', status: 'working' }],
    ]);
    expect(v.rows.map((r) => [r.resource, r.text, r.start, r.end])).toEqual([
      ['Network p_default', 'Created', 1000, 1150],
      ['Container p-db-1', 'Starting', 1100, undefined],
    ]);
  });

  it('renders Compose v2 frames: header with finished/total, mark, aligned names and states, elapsed at the right edge', () => {
    const v = fold([
      [0, { resource: 'Network p_default', text: 'Creating', status: 'working' }],
      [100, { resource: 'Network p_default', text: 'Created', status: 'done' }],
      [100, { resource: 'Container p-web-1', text: 'Starting', status: 'working' }],
    ]);
    expect(renderFrame(v, 1300, plain)).toEqual([
      '[+] Running 1/2',
      ' ✔ Network p_default  Created                           0.1s',
      ' ⠦ Container p-web-1  Starting                          1.2s',
    ]);
    for (const line of renderFrame(v, 1300, plain).slice(1)) expect(line).toHaveLength(60);
  });

  it('the spinner turns and elapsed time grows between frames while working; finished rows stay still', () => {
    const v = fold([
      [0, { resource: 'Container a', text: 'Waiting', status: 'working' }],
      [0, { resource: 'Container b', text: 'Started', status: 'done' }],
    ]);
    const f1 = renderFrame(v, 80, plain);
    const f2 = renderFrame(v, 2160, plain);
    expect(f1[1]).toMatch(/^ ⠙ Container a {2}Waiting\s+0\.1s$/);
    expect(f2[1]).toMatch(/^ ⠧ Container a {2}Waiting\s+2\.2s$/);
    expect(f2[2]).toBe(f1[2]);
    expect(spinnerAt(v, 0)).toBe('⠋');
    expect(elapsed(v.rows[1]!, 99_999)).toBe('0.0s');
  });

  it('errors show their detail; lines longer than the terminal are cut with … so in-place redraw never wraps', () => {
    const v = fold([
      [0, { resource: 'Container a-very-long-project-name-web-1', text: 'Starting', status: 'working' }],
      [300, { resource: 'Container a-very-long-project-name-web-1', text: 'Error', status: 'error', detail: 'Bind for 0.0.0.0:8080 failed: port is already allocated' }],
    ]);
    const [header, row] = renderFrame(v, 5000, { width: 50, colour: false });
    expect(header).toBe('[+] Running 1/1');
    expect(row).toHaveLength(50);
    expect(row).toBe(' ✘ Container a-very-long-project-name-web-1 … 0.3s');
    const wide = renderFrame(v, 5000, { width: 120, colour: false })[1]!;
    expect(wide).toContain('Error (Bind for 0.0.0.0:8080 failed: port is already allocated)');
  });

  it('colours the marks, error text and elapsed time when asked', () => {
    const v = fold([
      [0, { resource: 'Container a', text: 'Started', status: 'done' }],
      [0, { resource: 'Container b', text: 'Error', status: 'error' }],
      [0, { resource: 'Container c', text: 'Skipped', status: 'warning', detail: 'optional dependency' }],
    ]);
    const f = renderFrame(v, 0, { width: 60, colour: true });
    expect(f[1]).toContain('\x1b[32m✔\x1b[0m');
    expect(f[2]).toContain('\x1b[31m✘\x1b[0m');
    expect(f[2]).toContain('\x1b[31mContainer b  Error\x1b[0m');
    expect(f[3]).toContain('\x1b[33m!\x1b[0m');
    expect(f[3]).toContain('Skipped (optional dependency)');
    expect(f[1]).toContain('\x1b[2m0.0s\x1b[0m');
  });

  it('warnings are not rows; an empty view renders nothing', () => {
    const v = fold([[0, { resource: 'Warning', text: 'found orphan containers', status: 'warning' }]]);
    expect(v.rows).toEqual([]);
    expect(v.warnings).toEqual(['found orphan containers']);
    expect(renderFrame(v, 0, plain)).toEqual([]);
  });

  it('redraw moves the cursor up over the previous frame and rewrites every line', () => {
    expect(redraw(0, ['a', 'b'])).toBe('\x1b[2Ka\n\x1b[2Kb\n');
    expect(redraw(2, ['a', 'b', 'c'])).toBe('\x1b[2A\x1b[2Ka\n\x1b[2Kb\n\x1b[2Kc\n');
  });
});

describe('tty renderer (the driver)', () => {
  it('redraws in place on each event with the injected clock and width, then prints warnings under the last frame', () => {
    let out = '';
    let t = 0;
    const stream = { isTTY: true, columns: 40, write: (s: string) => ((out += s), true) } as unknown as NodeJS.WriteStream;
    const r = ttyRenderer(stream, { now: () => t, colour: false, tick: false });
    r.sink({ resource: 'Container a', text: 'Starting', status: 'working' });
    t = 500;
    r.sink({ resource: 'Warning', text: 'orphans', status: 'warning' });
    r.sink({ resource: 'Container a', text: 'Started', status: 'done' });
    r.done();
    const frames = out.split('\x1b[2A');
    expect(frames).toHaveLength(3); // first frame, then two redraws over its two lines
    expect(frames[0]).toBe('\x1b[2K[+] Running 0/1\n\x1b[2K ⠋ Container a  Starting            0.0s\n');
    expect(frames[2]).toBe('\x1b[2K[+] Running 1/1\n\x1b[2K ✔ Container a  Started             0.5s\nWARN orphans\n');
  });
});

describe('layer rows (events with a parent)', () => {
  it('sit indented under their image in order of first appearance, with bytes; the header counts images only', () => {
    const v = fold([
      [0, { resource: 'Image r/a:1', text: 'Pulling', status: 'working' }],
      [0, { resource: 'Image r/b:1', text: 'Pulling', status: 'working' }],
      [10, { resource: '195471e3408e', parent: 'Image r/a:1', text: 'Already exists', status: 'done' }],
      [10, { resource: '82df129d2b13', parent: 'Image r/b:1', text: 'Pulling fs layer', status: 'working' }],
      [20, { resource: '82df129d2b13', parent: 'Image r/a:1', text: 'Downloading', status: 'working', detail: '1.2MB/3.4MB' }],
      [30, { resource: '82df129d2b13', parent: 'Image r/b:1', text: 'Pull complete', status: 'done' }],
      [40, { resource: 'Image r/b:1', text: 'Pulled', status: 'done' }],
    ]);
    expect(renderFrame(v, 1000, { width: 60, colour: false })).toEqual([
      '[+] Running 1/2',
      ' ⠹ Image r/a:1  Pulling                                 1.0s',
      '   ✔ 195471e3408e Already exists                        0.0s',
      '   ⠹ 82df129d2b13 Downloading 1.2MB/3.4MB               1.0s',
      ' ✔ Image r/b:1  Pulled                                  0.0s',
      '   ✔ 82df129d2b13 Pull complete                         0.0s',
    ]);
  });

  it('the plain renderer prints a layer once per phase, not once per byte count', () => {
    let out = '';
    const stream = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WriteStream;
    const r = plainRenderer(stream);
    r.sink({ resource: 'web', text: 'Pulling', status: 'working' });
    for (const d of ['1MB/3MB', '2MB/3MB', '3MB/3MB']) r.sink({ resource: 'abc', parent: 'web', text: 'Downloading', status: 'working', detail: d });
    r.sink({ resource: 'abc', parent: 'web', text: 'Pull complete', status: 'done' });
    r.sink({ resource: 'web', text: 'Pulled', status: 'done' });
    expect(out).toBe(' web  Pulling\n abc  Downloading\n abc  Pull complete\n web  Pulled\n');
  });
});
