/**
 * `attach`: the local terminal joined to a running service container's own stdio, as `docker
 * compose attach` does. The container's exit code becomes ours. With a TTY the detach keys (read by
 * the engine from stdin: ctrl-p,ctrl-q unless set; without a TTY it reads none, as for docker
 * attach) end the attach and leave the container running (exit 0). Without a TTY, signals this
 * process gets are passed on to the container (--sig-proxy).
 */
import type { ContainerRuntime } from '../../runtime/runtime.js';
import type { Scope } from './scope.js';
import { selectOne } from './select-containers.js';
import { attachSession, type LocalStdio } from './terminal.js';

export interface AttachCommandOptions {
  service: string;
  index?: number;
  /** Forward local stdin (false with --no-stdin). */
  stdin: boolean;
  sigProxy: boolean;
  detachKeys?: string;
}

const PROXIED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const;

export async function attachCommand(runtime: ContainerRuntime, scope: Scope, opts: AttachCommandOptions, io: LocalStdio): Promise<number> {
  const target = await selectOne(runtime, scope, opts.service, { running: true, ...(opts.index !== undefined ? { index: opts.index } : {}) });
  const { tty } = await runtime.inspectContainer(target.id);
  const session = await runtime.attach(target.id, { stdin: opts.stdin, tty, ...(opts.detachKeys !== undefined ? { detachKeys: opts.detachKeys } : {}) });
  // The engine closes the stream on the detach keys; a container still running then was detached from.
  const detached = new Promise<number>((resolve) => {
    const ended = (): void => {
      void runtime.inspectContainer(target.id).then((i) => i.running && resolve(0), () => undefined);
    };
    session.stdout.once('end', ended);
    session.stdout.once('close', ended);
  });
  const proxies = opts.sigProxy && !tty ? PROXIED.map((sig) => [sig, (): void => void runtime.killContainer(target.id, sig).catch(() => undefined)] as const) : [];
  for (const [sig, fn] of proxies) process.on(sig, fn);
  try {
    return await attachSession(session, io, { tty, interactive: opts.stdin, until: detached });
  } finally {
    for (const [sig, fn] of proxies) process.off(sig, fn);
  }
}
