/**
 * Docker credential helpers (`docker-credential-NAME get`): the server address goes to the
 * helper's stdin, `{ServerURL, Username, Secret}` comes back on stdout. A helper that is not
 * installed, or that says "credentials not found", means no credentials (the engine then asks
 * the registry anonymously); anything else it does is an error naming the helper. Bounded: the
 * helper is killed after a timeout and its output is capped.
 */
import { spawn } from 'node:child_process';
import { UserError } from '../util/errors.js';

export interface HelperCredentials {
  username?: string;
  password?: string;
  identitytoken?: string;
}

export interface HelperOptions {
  /** The helper's environment; its PATH is where the program is looked for. */
  env: Record<string, string | undefined>;
  timeoutMs?: number;
}

export const HELPER_TIMEOUT_MS = 10_000;
const MAX_OUTPUT = 1 << 20;
/** The Username a helper returns for an identity token instead of a password (docker-credential-helpers). */
const TOKEN_USERNAME = '<token>';
/** docker-credential-helpers' errCredentialsNotFoundMessage. */
const NOT_FOUND = 'credentials not found in native keychain';

interface HelperRun {
  code: number | null;
  stdout: string;
  stderr: string;
  missing: boolean;
  timedOut: boolean;
  tooLong: boolean;
}

function runHelper(program: string, input: string, opts: HelperOptions): Promise<HelperRun> {
  return new Promise((resolve) => {
    const child = spawn(program, ['get'], { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    let tooLong = false;
    let missing = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? HELPER_TIMEOUT_MS);
    const collect = (into: Buffer[]) => (b: Buffer): void => {
      size += b.length;
      if (size > MAX_OUTPUT) {
        tooLong = true;
        child.kill('SIGKILL');
      } else into.push(b);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    child.on('error', (e: NodeJS.ErrnoException) => {
      // ENOENT: not on PATH; EACCES: a file of that name that cannot run. Both: no such helper.
      if (e.code === 'ENOENT' || e.code === 'EACCES') missing = true;
    });
    // A helper that exits without reading stdin makes the write fail with EPIPE; its exit code tells.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), missing, timedOut, tooLong });
    });
  });
}

/** Asks helper `name` for the credentials of `serverAddress`; undefined when it has none. */
export async function helperCredentials(name: string, serverAddress: string, opts: HelperOptions): Promise<HelperCredentials | undefined> {
  const program = `docker-credential-${name}`;
  const fail = (what: string): UserError =>
    new UserError(`credential helper ${program} ${what} for ${serverAddress}`, {
      code: 'failed',
      hint: `run \`echo ${serverAddress} | ${program} get\` to see what it does, or remove it from config.json (credsStore / credHelpers)`,
    });
  const r = await runHelper(program, serverAddress, opts);
  if (r.missing) return undefined;
  if (r.timedOut) throw fail(`did not answer within ${(opts.timeoutMs ?? HELPER_TIMEOUT_MS) / 1000}s`);
  if (r.tooLong) throw fail(`wrote more than ${MAX_OUTPUT} bytes`);
  if (r.code !== 0) {
    // The not-found answer comes on stdout (the library's convention); some helpers use stderr.
    if (r.stdout.trim() === NOT_FOUND || r.stderr.trim() === NOT_FOUND) return undefined;
    const said = (r.stdout.trim() || r.stderr.trim()).split('\n')[0] ?? '';
    throw fail(`failed (exit ${r.code ?? 'by signal'}${said ? `: ${said.slice(0, 200)}` : ''})`);
  }
  let answer: unknown;
  try {
    answer = JSON.parse(r.stdout);
  } catch {
    throw fail('answered with something that is not JSON');
  }
  const a = (answer ?? {}) as { Username?: unknown; Secret?: unknown };
  if (typeof a.Secret !== 'string' || (a.Username !== undefined && typeof a.Username !== 'string')) throw fail('answered without a Username/Secret pair');
  if (!a.Secret) return undefined;
  if (a.Username === TOKEN_USERNAME) return { identitytoken: a.Secret };
  return { ...(a.Username ? { username: a.Username } : {}), password: a.Secret };
}
