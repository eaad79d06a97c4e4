import { describe, expect, it } from 'vitest';
import { ImagePuller } from '../../../src/swarm/agent/image-puller.js';
import type { RegistryAuth } from '../../../src/swarm/api/registry-auth.js';
import { RuntimeError, type ContainerRuntime } from '../../../src/runtime/index.js';

/**
 * A fake engine (named as such): images present by ref, pulls that the test finishes by hand.
 * The real engine's pull and its error strings are exercised by the registry lab test.
 */
class FakeEngine {
  readonly present = new Set<string>();
  readonly pulls: Array<{ ref: string; auth: RegistryAuth | undefined; done: (err?: string) => void }> = [];
  inspects = 0;
  async inspectImage(ref: string): Promise<object> {
    this.inspects++;
    if (!this.present.has(ref)) throw new RuntimeError('not-found', `inspect image ${ref}: No such image: ${ref}`, { statusCode: 404 });
    return {};
  }
  pullImage(ref: string, _p?: unknown, auth?: RegistryAuth): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pulls.push({
        ref,
        auth,
        done: (err) => {
          if (err) reject(new Error(err));
          else {
            this.present.add(ref);
            resolve();
          }
        },
      });
    });
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function puller(engine: FakeEngine, now = { t: 0 }) {
  const settled: number[] = [];
  const p = new ImagePuller({ runtime: engine as unknown as ContainerRuntime, log: () => undefined, onSettled: () => settled.push(1), now: () => now.t });
  return { p, settled, now };
}

describe('agent image pulls (agent/image-puller.ts)', () => {
  it('a present image is ready at once; one inspect per image per pass', async () => {
    const e = new FakeEngine();
    e.present.add('app:1');
    const { p } = puller(e);
    p.beginPass();
    expect(await p.check('app:1', undefined)).toEqual({ kind: 'ready' });
    expect(await p.check('app:1', undefined)).toEqual({ kind: 'ready' });
    expect(e.inspects).toBe(1);
    expect(e.pulls).toHaveLength(0);
  });

  it('a missing image is pulled once in the background however many tasks wait; ready after, and the agent is woken', async () => {
    const e = new FakeEngine();
    const { p, settled } = puller(e);
    const auth = { serveraddress: 'reg:5000', username: 'u', password: 'p' };
    p.beginPass();
    expect(await p.check('reg:5000/app:1', auth)).toEqual({ kind: 'pulling' });
    expect(await p.check('reg:5000/app:1', auth)).toEqual({ kind: 'pulling' });
    p.beginPass();
    expect(await p.check('reg:5000/app:1', undefined)).toEqual({ kind: 'pulling' });
    expect(e.pulls.map((x) => [x.ref, x.auth])).toEqual([['reg:5000/app:1', auth]]);
    e.pulls[0]!.done();
    await p.idle();
    expect(settled).toHaveLength(1);
    p.beginPass();
    expect(await p.check('reg:5000/app:1', undefined)).toEqual({ kind: 'ready' });
  });

  it("a failed pull answers with the registry's reason for a while, per credentials, then may be tried again", async () => {
    const e = new FakeEngine();
    const { p, now } = puller(e);
    p.beginPass();
    await p.check('reg:5000/app:1', undefined);
    e.pulls[0]!.done('pull image reg:5000/app:1: Head "https://reg:5000/v2/app/manifests/1": no basic auth credentials');
    await p.idle();
    p.beginPass();
    const failed = await p.check('reg:5000/app:1', undefined);
    expect(failed.kind).toBe('failed');
    expect(failed.kind === 'failed' && failed.error).toMatch(/^pull access denied for reg:5000\/app: .*--with-registry-auth/);
    // With credentials it is another attempt, not the same failure.
    expect(await p.check('reg:5000/app:1', { serveraddress: 'reg:5000', username: 'u', password: 'p' })).toEqual({ kind: 'pulling' });
    e.pulls[1]!.done('boom');
    await p.idle();
    now.t += 10_000;
    p.beginPass();
    expect(await p.check('reg:5000/app:1', undefined)).toEqual({ kind: 'pulling' });
    expect(e.pulls).toHaveLength(3);
    await tick();
  });
});
