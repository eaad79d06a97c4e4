/**
 * The Vagrant cluster cannot boot on this machine (no VMs), so its files are checked statically:
 * `ruby -c vagrant/Vagrantfile` and shellcheck over vagrant/*.sh and scripts/*.sh.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('vagrant cluster files', () => {
  it('parse (Ruby) and pass shellcheck', (ctx) => {
    const r = spawnSync('bash', ['scripts/check-vagrant.sh'], { encoding: 'utf8', timeout: 120_000 });
    if (r.status === 3) {
      // Only when apt cannot install ruby/shellcheck: say so loudly instead of passing silently.
      console.warn(`SKIPPED vagrant check: ${r.stderr.trim()}`);
      ctx.skip();
    }
    expect(r.stdout + r.stderr).toContain('Syntax OK');
    expect(r.status, r.stdout + r.stderr).toBe(0);
  }, 130_000);
});
