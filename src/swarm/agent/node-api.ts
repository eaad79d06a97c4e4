import https from 'node:https';
import type http from 'node:http';
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { ContainerRuntime } from '../../runtime/index.js';
import { verifyNodeCertificate } from '../ca/index.js';
import type { Identity } from '../api/identity.js';
import { TASK_LABELS } from './task-container.js';
import { ApiError } from '../api/errors.js';
import { checkHeaders, limitServer, readBody, refuse, requestUrl, sendError, serverOptions } from '../api/request-reader.js';

/** Every node serves this port (cluster-wide convention, `TSSWARM_NODE_PORT`); managers call it. */
export const DEFAULT_NODE_PORT = 4244;

/**
 * The node API: what a manager needs from a node's engine that the dispatcher's poll cannot
 * carry — today the logs of a task, streamed. Mutual TLS with the cluster root, and only a
 * manager certificate is served (a worker cannot read another worker's logs).
 *
 * `GET /v1/node/tasks/:taskId/logs?follow=1&tail=N&timestamps=1` -> NDJSON `{stream, text}` lines.
 */
export class NodeApiServer {
  private server: https.Server | null = null;

  constructor(private readonly o: { identity: Identity; runtime: ContainerRuntime; log: (m: string) => void }) {}

  async listen(port: number, host = '0.0.0.0'): Promise<void> {
    const id = this.o.identity;
    const server = https.createServer({ key: id.keyPem, cert: id.certPem, ca: id.caPem, requestCert: true, rejectUnauthorized: true, ...serverOptions() });
    limitServer(server);
    server.on('request', (req, res) => void this.serve(req, res));
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
  }

  reloadTls(): void {
    const id = this.o.identity;
    this.server?.setSecureContext({ key: id.keyPem, cert: id.certPem, ca: id.caPem });
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const startedAt = Date.now();
    try {
      const headers = checkHeaders(req.rawHeaders);
      if (headers) throw headers;
      const raw = (req.socket as TLSSocket).getPeerCertificate?.()?.raw;
      if (!raw) throw new ApiError('unauthenticated', 'a manager certificate of this cluster is required');
      const peer = await verifyNodeCertificate(new X509Certificate(raw).toString(), this.o.identity.caPem, { clusterId: this.o.identity.state.clusterId }).catch(() => null);
      if (!peer) throw new ApiError('unauthenticated', 'client certificate refused');
      if (peer.role !== 'manager') throw new ApiError('forbidden', `node ${peer.nodeId} is a worker: only managers read task logs`);
      const { url, method } = requestUrl(req, 'https://node');
      const m = /^\/v1\/node\/tasks\/([A-Za-z0-9]+)\/logs$/.exec(url.pathname);
      if (method !== 'GET' || !m) throw new ApiError('not-found', `no such endpoint: ${method} ${url.pathname.slice(0, 200)}`);
      // No body is expected; one is still read under the shared limits (and ignored).
      await readBody(req, undefined, startedAt);
      const [c] = await this.o.runtime.listContainers({ all: true, labels: { [TASK_LABELS.task]: m[1]! } });
      if (!c) throw new ApiError('not-found', `no container of task ${m[1]} on this node`);
      const tailRaw = url.searchParams.get('tail');
      const tail = tailRaw && /^\d+$/.test(tailRaw) ? Number(tailRaw) : 'all';
      const abort = new AbortController();
      res.on('close', () => abort.abort());
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      for await (const line of this.o.runtime.logs(c.id, { follow: url.searchParams.get('follow') === '1', tail, timestamps: url.searchParams.get('timestamps') === '1', signal: abort.signal })) {
        if (!res.write(JSON.stringify(line) + '\n')) await new Promise((r) => res.once('drain', r));
      }
      res.end();
    } catch (e) {
      if ((e as Error).name === 'AbortError') return;
      if (e instanceof ApiError) return refuse(req, res, e);
      this.o.log(`node api: ${(e as Error).message}`);
      if (res.headersSent) return void res.end();
      sendError(res, new ApiError('internal', 'reading the logs failed'));
    }
  }
}
