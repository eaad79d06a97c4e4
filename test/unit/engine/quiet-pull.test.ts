import { describe, expect, it } from 'vitest';
import { withoutPullProgress, type ProgressEvent } from '../../../src/engine/progress.js';

describe('--quiet-pull', () => {
  it("drops the pulls' image and layer lines, keeps everything else and a failed pull's error", () => {
    const seen: ProgressEvent[] = [];
    const sink = withoutPullProgress((e) => seen.push(e));
    sink({ resource: 'Image reg/app:1', text: 'Pulling', status: 'working' });
    sink({ resource: 'a1b2c3', parent: 'Image reg/app:1', text: 'Downloading', status: 'working', detail: '1MB/3MB' });
    sink({ resource: 'Image reg/app:1', text: 'Pulled', status: 'done' });
    sink({ resource: 'Image reg/bad:1', text: 'Error', status: 'error', detail: 'pull access denied' });
    sink({ resource: 'Container p-app-run-1', text: 'Creating', status: 'working' });
    sink({ resource: 'Image p-app', text: 'Built', status: 'done' });
    expect(seen.map((e) => `${e.resource} ${e.text}`)).toEqual(['Image reg/bad:1 Error', 'Container p-app-run-1 Creating', 'Image p-app Built']);
  });
});
