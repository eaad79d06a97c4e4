/**
 * A fake Docker engine on a unix socket, for tests of what tscompose does when the engine misbehaves:
 * it records every request line and answers each by a handler (default: accept and never answer).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type FakeHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface FakeEngine {
  /** unix:///tmp/.../engine.sock */
  url: string;
  socketPath: string;
  /** "GET /v1.41/containers/json?..." for every request received, in order. */
  requests: string[];
  close: () => Promise<void>;
}

/** Accepts the request and never answers (an engine that hangs). */
export const silent: FakeHandler = () => undefined;

export async function startFakeEngine(handler: FakeHandler = silent): Promise<FakeEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'fake-engine-'));
  const socketPath = join(dir, 'engine.sock');
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  // A hung engine keeps the connections it accepted; close() must not wait for them.
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    url: `unix://${socketPath}`,
    socketPath,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
