import https from 'node:https';
import type http from 'node:http';
import type { TaskView } from '../api/views.js';
import { lineSplitter } from '../../util/ndjson.js';

export interface ServiceLogsOptions {
  tasks: TaskView[];
  tls: { ca: string; cert: string; key: string };
  port: number;
  follow: boolean;
  tail: string;
  timestamps: boolean;
  /** Where the merged NDJSON stream goes: `{task, node, stream, text}` or `{task, node, error}`. */
  res: http.ServerResponse;
}

/**
 * Merges the log streams of a service's tasks, each read from the node API of the node running
 * it, into one NDJSON response, line by line as they arrive. A node that cannot be reached gives
 * one `error` line for its tasks instead of failing the whole command.
 */
export async function streamServiceLogs(o: ServiceLogsOptions): Promise<void> {
  o.res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  const live = o.tasks.filter((t) => t.nodeAddr && t.state !== 'new' && t.state !== 'pending' && t.state !== 'assigned');
  const requests = new Set<http.ClientRequest>();
  o.res.on('close', () => {
    for (const r of requests) r.destroy();
  });
  const one = (t: TaskView): Promise<void> =>
    new Promise((resolve) => {
      const q = new URLSearchParams({ tail: o.tail, ...(o.follow ? { follow: '1' } : {}), ...(o.timestamps ? { timestamps: '1' } : {}) });
      const emit = (obj: object) => o.res.write(JSON.stringify({ task: `${t.name}.${t.id}`, node: t.node, ...obj }) + '\n');
      const req = https.request(
        { host: t.nodeAddr, port: o.port, path: `/v1/node/tasks/${t.id}/logs?${q}`, ca: o.tls.ca, cert: o.tls.cert, key: o.tls.key, servername: t.nodeAddr, agent: false, checkServerIdentity: () => undefined },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on(
            'data',
            res.statusCode === 200
              ? lineSplitter((line) => {
                  try {
                    emit(JSON.parse(line) as object);
                  } catch {
                    /* a torn line from a dying node */
                  }
                })
              : (chunk: string) => (body += chunk),
          );
          res.on('end', () => {
            if (res.statusCode !== 200) emit({ error: `${t.node}: ${body.trim() || `HTTP ${res.statusCode}`}` });
            resolve();
          });
          res.on('error', () => resolve());
        },
      );
      requests.add(req);
      req.on('error', (e) => {
        emit({ error: `cannot read logs from ${t.node} (${t.nodeAddr}:${o.port}): ${e.message}` });
        resolve();
      });
      req.end();
    });
  await Promise.all(live.map(one));
  o.res.end();
}
