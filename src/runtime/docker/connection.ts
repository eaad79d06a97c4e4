import type { DockerOptions } from 'dockerode';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../util/errors.js';

/** Where to reach the engine, resolved from DOCKER_HOST (and DOCKER_TLS_VERIFY / DOCKER_CERT_PATH). */
export interface EngineEndpoint {
  /** What we tried, for messages: "unix:///var/run/docker.sock", "tcp://10.0.0.1:2375". */
  url: string;
  options: DockerOptions;
}

export const DEFAULT_SOCKET = '/var/run/docker.sock';

/**
 * Parses DOCKER_HOST the way the docker CLI does for the schemes we support (unix://, tcp://,
 * http(s)://). We parse it ourselves rather than letting docker-modem read the environment so that
 * errors can say exactly which endpoint was tried.
 */
export function resolveEndpoint(env: Record<string, string | undefined> = process.env): EngineEndpoint {
  const host = env.DOCKER_HOST?.trim();
  if (!host) return { url: `unix://${DEFAULT_SOCKET}`, options: { socketPath: DEFAULT_SOCKET } };
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    return { url: host, options: { socketPath } };
  }
  if (host.startsWith('/')) return { url: `unix://${host}`, options: { socketPath: host } };
  const m = /^(tcp|http|https):\/\/([^:/]+|\[[^\]]+\])(?::(\d+))?\/?$/.exec(host);
  if (!m) {
    throw new UserError(`DOCKER_HOST=${host} is not a supported engine address`, {
      code: 'invalid',
      hint: 'use unix:///path/to/docker.sock or tcp://HOST:PORT',
    });
  }
  const tls = m[1] === 'https' || (env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0');
  const port = m[3] ?? (tls ? '2376' : '2375');
  const options: DockerOptions = { host: m[2]!.replace(/^\[|\]$/g, ''), port, protocol: tls ? 'https' : 'http' };
  if (tls) {
    const dir = env.DOCKER_CERT_PATH ?? join(env.HOME ?? '/root', '.docker');
    try {
      options.ca = readFileSync(join(dir, 'ca.pem'));
      options.cert = readFileSync(join(dir, 'cert.pem'));
      options.key = readFileSync(join(dir, 'key.pem'));
    } catch (e) {
      throw new UserError(`DOCKER_TLS_VERIFY is set but the client certificates in ${dir} cannot be read`, {
        code: 'invalid',
        hint: 'set DOCKER_CERT_PATH to the directory holding ca.pem, cert.pem and key.pem',
        cause: e,
      });
    }
  }
  return { url: `${tls ? 'tcp+tls' : 'tcp'}://${m[2]}:${port}`, options };
}
