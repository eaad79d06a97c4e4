/**
 * The Docker CLI's config.json, as far as credentials go, and the CLI's rule for where the
 * credentials of one registry live: `credHelpers[key]` names a helper for that registry, else
 * `credsStore` names one for all, else the `auths` entry in the file itself. Pure: text in,
 * decisions out; reading the file and running helpers happen in credentials.ts.
 */
import { z } from 'zod';
import { UserError } from '../util/errors.js';

/** One `auths` entry, decoded: `auth` (base64 `user:password`) already split. */
export interface AuthEntry {
  /** The key as written in the file (`https://host/v1/`, `host:5000`, ...). */
  key: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

export interface DockerConfig {
  /** Entries in file order (the order decides between two keys naming the same host). */
  auths: AuthEntry[];
  credsStore?: string;
  credHelpers: Record<string, string>;
}

/** Where the credentials of a registry are to be found. */
export type CredentialSource = { kind: 'helper'; helper: string; origin: 'credHelpers' | 'credsStore' } | { kind: 'file'; entry: AuthEntry | undefined };

const entrySchema = z.looseObject({
  auth: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  identitytoken: z.string().optional(),
});
const configSchema = z.looseObject({
  auths: z.record(z.string(), entrySchema).optional(),
  credsStore: z.string().optional(),
  credHelpers: z.record(z.string(), z.string()).optional(),
});

const HINT = 'fix or remove the file (`docker login` rewrites it), or point DOCKER_CONFIG at another directory';
/** A helper's name becomes part of a program name: no path separators or shell surprises. */
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function malformed(file: string, what: string): UserError {
  return new UserError(`${file}: ${what}`, { code: 'invalid', hint: HINT });
}

function decodeAuth(file: string, key: string, auth: string): { username: string; password: string } {
  // Go's StdEncoding, which the CLI uses: standard alphabet, padding optional here (Node is lenient too).
  const where = `auths[${JSON.stringify(key)}].auth`;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(auth)) throw malformed(file, `${where} is not base64`);
  const text = Buffer.from(auth, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) throw malformed(file, `${where} does not decode to "username:password"`);
  return { username: text.slice(0, colon), password: text.slice(colon + 1).replace(/\0+$/, '') };
}

/** Parses config.json text; `file` names it in errors. Unknown fields are ignored, as the CLI does. */
export function parseDockerConfig(text: string, file: string): DockerConfig {
  let json: unknown;
  try {
    json = text.trim() === '' ? {} : JSON.parse(text);
  } catch (e) {
    throw malformed(file, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_]\w*$/.test(String(p)) ? `.${String(p)}` : `[${JSON.stringify(String(p))}]`)).join('').replace(/^\./, '');
    throw malformed(file, `${path || 'the top level'}: ${issue.message.replace(/^Invalid input: /, '')}`);
  }
  const c = parsed.data;
  const auths: AuthEntry[] = Object.entries(c.auths ?? {}).map(([key, e]) => ({
    key,
    ...(e.auth ? decodeAuth(file, key, e.auth) : {}),
    ...(!e.auth && e.username ? { username: e.username } : {}),
    ...(!e.auth && e.password ? { password: e.password } : {}),
    ...(e.identitytoken ? { identitytoken: e.identitytoken } : {}),
  }));
  for (const [where, name] of [['credsStore', c.credsStore], ...Object.entries(c.credHelpers ?? {}).map(([k, v]) => [`credHelpers[${JSON.stringify(k)}]`, v])] as const) {
    if (name !== undefined && name !== '' && !HELPER_NAME.test(name)) throw malformed(file, `${where}: "${name}" is not a credential helper name (docker-credential-NAME)`);
  }
  return { auths, ...(c.credsStore ? { credsStore: c.credsStore } : {}), credHelpers: c.credHelpers ?? {} };
}

/** `https://host:5000/v1/` -> `host:5000`: the CLI's ConvertToHostname for keys written as URLs. */
export function keyHost(key: string): string {
  const rest = key.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//, '');
  return rest.split('/')[0] ?? '';
}

/**
 * Where the credentials for `key` (from authConfigKey) are: a helper named for it, the global
 * store, or the file's entry: the exact key first, else the first key whose host part is `key`
 * (so `https://localhost:5000/v2/` serves `localhost:5000`, as the CLI matches old-style keys).
 */
export function credentialSource(config: DockerConfig, key: string): CredentialSource {
  const helper = config.credHelpers[key];
  if (helper) return { kind: 'helper', helper, origin: 'credHelpers' };
  if (config.credsStore) return { kind: 'helper', helper: config.credsStore, origin: 'credsStore' };
  const entry = config.auths.find((a) => a.key === key) ?? config.auths.find((a) => keyHost(a.key) === key);
  return { kind: 'file', entry };
}
