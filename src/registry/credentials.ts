/**
 * Registry credentials for an image, found where the Docker CLI keeps them, so that `docker login`
 * is all a user needs: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`; within it a
 * credential helper named for the registry (`credHelpers`), else the global one (`credsStore`),
 * else the file's own `auths` entry. Credentials are only read: nothing here writes or logs them.
 */
import { open } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { helperCredentials, HELPER_TIMEOUT_MS } from './credential-helper.js';
import { credentialSource, parseDockerConfig, type DockerConfig } from './docker-config.js';
import { authConfigKey, parseReference } from './reference.js';

/** What the engine takes as X-Registry-Auth (its AuthConfig, lower-case JSON names). */
export interface RegistryAuth {
  serveraddress: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

/** Credentials for one image, or undefined to ask the registry anonymously. Injected where tests need it. */
export type RegistryAuthLookup = (image: string) => Promise<RegistryAuth | undefined>;

export interface LoadAuthOptions {
  /** Where DOCKER_CONFIG, HOME and PATH (for helpers) come from. */
  env?: Record<string, string | undefined>;
  helperTimeoutMs?: number;
}

/** config.json holds a few entries; anything this large is not one. */
export const MAX_CONFIG_BYTES = 1 << 20;

/** The config file the Docker CLI would read with this environment. */
export function dockerConfigPath(env: Record<string, string | undefined> = process.env): string {
  const dir = env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
  return join(dir, 'config.json');
}

/** Reads and parses the config file; undefined when there is none. */
export async function readDockerConfig(file: string): Promise<DockerConfig | undefined> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { code: 'invalid', hint: 'fix its permissions, or point DOCKER_CONFIG at another directory' });
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new UserError(`${file} is not a file`, { code: 'invalid', hint: 'point DOCKER_CONFIG at a directory holding a config.json file' });
    if (st.size > MAX_CONFIG_BYTES) throw new UserError(`${file} is larger than ${MAX_CONFIG_BYTES} bytes`, { code: 'invalid', hint: 'a Docker config.json holds a few credentials; point DOCKER_CONFIG at the right directory' });
    // Read at most the limit even if the file grows between stat and read.
    const buf = Buffer.alloc(Math.min(st.size, MAX_CONFIG_BYTES));
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return parseDockerConfig(buf.subarray(0, bytesRead).toString('utf8'), file);
  } finally {
    await handle.close();
  }
}

/**
 * The credentials the Docker CLI would send for `image` (`registry/repo:tag`), or undefined when
 * it has none. A malformed config.json or a failing credential helper is a {@link UserError}; a
 * helper that is not installed or has nothing for the registry means no credentials.
 */
export async function loadRegistryAuth(image: string, opts: LoadAuthOptions = {}): Promise<RegistryAuth | undefined> {
  const env = opts.env ?? process.env;
  const key = authConfigKey(parseReference(image).registry);
  const config = await readDockerConfig(dockerConfigPath(env));
  if (!config) return undefined;
  const source = credentialSource(config, key);
  if (source.kind === 'helper') {
    const creds = await helperCredentials(source.helper, key, { env, timeoutMs: opts.helperTimeoutMs ?? HELPER_TIMEOUT_MS });
    return creds ? { serveraddress: key, ...creds } : undefined;
  }
  const e = source.entry;
  if (!e || (!e.username && !e.password && !e.identitytoken)) return undefined;
  return {
    serveraddress: key,
    ...(e.username ? { username: e.username } : {}),
    ...(e.password ? { password: e.password } : {}),
    ...(e.identitytoken ? { identitytoken: e.identitytoken } : {}),
  };
}
