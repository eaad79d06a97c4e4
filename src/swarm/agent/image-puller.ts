import { createHash } from 'node:crypto';
import { isEngineNotFound, type ContainerRuntime } from '../../runtime/index.js';
import { describeRegistryError, registryFailureKind } from '../../registry/errors.js';
import type { RegistryAuth } from '../api/registry-auth.js';

/**
 * A node's images for its tasks (specs/tasks.md, "Images"). A task whose image is missing here
 * (or present under another digest: the ref names the digest, so the engine does not find it)
 * waits in `preparing` while the image is pulled in the background: a pull takes seconds to
 * minutes and must not hold up the agent's pass for every other task. One pull per image at a
 * time, whatever number of tasks wait on it; a failed pull is kept for a while so every task
 * waiting on it is rejected with the registry's answer, then a new task may try again.
 */

export type ImageState = { kind: 'ready' } | { kind: 'pulling' } | { kind: 'failed'; error: string };

export interface ImagePullerOptions {
  runtime: ContainerRuntime;
  log: (msg: string) => void;
  /** A pull ended (either way): the agent runs a pass now instead of at the end of its period. */
  onSettled?: () => void;
  /** How long a failed pull answers for its image before a new attempt. */
  failureMemoryMs?: number;
  now?: () => number;
}

export class ImagePuller {
  private readonly pulls = new Map<string, Promise<void>>();
  private readonly failures = new Map<string, { error: string; at: number }>();
  /** Present-or-not per image, for one agent pass: ten new tasks of one service inspect once. */
  private present = new Map<string, Promise<boolean>>();

  constructor(private readonly o: ImagePullerOptions) {}

  /** A new agent pass: what is present is looked at again. */
  beginPass(): void {
    this.present = new Map();
  }

  async check(image: string, auth: RegistryAuth | undefined): Promise<ImageState> {
    if (await this.isPresent(image)) return { kind: 'ready' };
    if (this.pulls.has(image)) return { kind: 'pulling' };
    const key = failureKey(image, auth);
    const f = this.failures.get(key);
    const now = this.o.now ?? Date.now;
    if (f && now() - f.at < (this.o.failureMemoryMs ?? FAILURE_MEMORY_MS)) return { kind: 'failed', error: f.error };
    this.failures.delete(key);
    this.start(image, auth, key);
    return { kind: 'pulling' };
  }

  private isPresent(image: string): Promise<boolean> {
    let p = this.present.get(image);
    if (!p) {
      p = this.o.runtime.inspectImage(image).then(
        () => true,
        (e: unknown) => {
          if (isEngineNotFound(e)) return false;
          throw e;
        },
      );
      this.present.set(image, p);
    }
    return p;
  }

  private start(image: string, auth: RegistryAuth | undefined, key: string): void {
    const now = this.o.now ?? Date.now;
    const t0 = now();
    const p = this.o.runtime
      .pullImage(image, undefined, auth)
      .then(
        () => this.o.log(`pulled ${image} in ${((now() - t0) / 1000).toFixed(1)} s`),
        (e: unknown) => {
          const engineMessage = (e as Error).message ?? String(e);
          const d = describeRegistryError('pull', image, engineMessage);
          const error = `${d.message} (${clusterHint(registryFailureKind('pull', engineMessage), auth) ?? d.hint})`;
          this.failures.set(key, { error, at: now() });
          this.o.log(`pull of ${image} failed: ${d.message}`);
        },
      )
      .finally(() => {
        this.pulls.delete(image);
        this.present.delete(image);
        this.o.onSettled?.();
      });
    this.pulls.set(image, p);
  }

  /** Pulls in flight, for a clean stop (tests, leave). */
  async idle(): Promise<void> {
    await Promise.all([...this.pulls.values()]);
  }
}

const FAILURE_MEMORY_MS = 5000;

/** What a cluster user does about a refusal: the credentials travel with the service, not the node. */
function clusterHint(kind: ReturnType<typeof registryFailureKind>, auth: RegistryAuth | undefined): string | undefined {
  if (kind !== 'denied') return undefined;
  return auth
    ? `the registry refused the credentials the service was given: log in again, then \`tsswarm service update --with-registry-auth\``
    : 'the service has no registry credentials: create or update it with --with-registry-auth (stack deploy takes it too)';
}

/** Failures are per credentials: a service with them may succeed where one without failed. */
function failureKey(image: string, auth: RegistryAuth | undefined): string {
  if (!auth) return image;
  return `${image}\0${createHash('sha256').update(JSON.stringify(auth)).digest('hex')}`;
}
