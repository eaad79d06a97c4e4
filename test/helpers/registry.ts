/**
 * A real image registry for tests: Debian's `docker-registry` (CNCF distribution) with a config
 * of its own in a temp dir (filesystem storage there), TLS from a throwaway CA made here (the
 * address as IP SAN), htpasswd users (bcrypt, `htpasswd -B`), optionally inside a network
 * namespace the test made. Importable from test/integration and test/lab.
 *
 * The engine skips TLS verification for 127.0.0.0/8 (an "insecure registry" by default), so a
 * loopback registry is trusted whatever its CA; to see an untrusted certificate, run one on a
 * namespace's address. `trustForEngine` writes /etc/docker/certs.d/HOST:PORT/ca.crt, which the
 * engine reads at the next pull or push, without a restart.
 *
 * `stop()` kills the registry, removes its data dir and its certs.d entry; it is idempotent, so
 * call it from afterAll. A run that crashed leaves a pid file in the data dir: the next start on
 * the same address and port kills that registry (only after checking it is a docker-registry
 * serving that very config) and removes what it left.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface RegistryOptions {
  /** The IP address to listen on (and to name in the certificate). */
  address: string;
  port: number;
  /** Run inside /var/run/netns/NETNS (the address must be one of that namespace's). */
  netns?: string;
  /** htpasswd users (name -> password); none: no authentication. */
  users?: Record<string, string>;
  /** TLS with the helper's CA (default true); false: plain HTTP. */
  tls?: boolean;
  /** Put the CA in /etc/docker/certs.d/ADDR:PORT/ca.crt so the engine trusts it. */
  trustForEngine?: boolean;
}

export interface RunningRegistry {
  /** `ADDR:PORT`, the registry part of image names. */
  host: string;
  /** The CA certificate (PEM) the registry's certificate is signed by; '' without TLS. */
  caPem: string;
  /** The registry's data dir (config, certificates, storage, log). */
  dir: string;
  /** The registry's log so far (for a failing test's message). */
  log(): string;
  stop(): Promise<void>;
}

const BINARY = '/usr/bin/docker-registry';
const CERTS_D = '/etc/docker/certs.d';
/** Marks a certs.d entry as ours: the engine reads only *.crt, *.cert and *.key there. */
const OWNER_MARK = 'tscompose-test-registry.owner';
const EC: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGN: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 20_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout)));
    if (input !== undefined) child.stdin?.end(input);
  });
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64.trimEnd()}\n-----END ${label}-----\n`;
}

/** A CA and a server certificate for `address` (IP SAN; `localhost` too on loopback). */
async function makeCertificates(address: string): Promise<{ caPem: string; certPem: string; keyPem: string }> {
  const now = Date.now();
  const notBefore = new Date(now - 5 * 60_000);
  const notAfter = new Date(now + 24 * 3600_000);
  const caKeys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']));
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex'),
    name: 'CN=tscompose test registry CA',
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: SIGN,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']));
  const names: x509.JsonGeneralName[] = [{ type: 'ip', value: address }];
  if (address.startsWith('127.')) names.push({ type: 'dns', value: 'localhost' });
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(8).toString('hex'),
    subject: `CN=${address}`,
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
    ],
  });
  return { caPem: ca.toString('pem') + '\n', certPem: leaf.toString('pem') + '\n', keyPem: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

/** Whether pid is a docker-registry serving `config` (so a stale pid file never kills a stranger). */
function isOurRegistry(pid: number, config: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.some((a) => a.endsWith('docker-registry')) && argv.includes(config);
  } catch {
    return false; // gone
  }
}

const dirPrefix = (address: string, port: number): string => `tscompose-registry-${address}-${port}-`;

/** Kills and removes what an earlier, crashed run on this address and port left behind. */
function removeLeftovers(address: string, port: number): void {
  for (const name of readdirSync(tmpdir()).filter((n) => n.startsWith(dirPrefix(address, port)))) {
    const dir = join(tmpdir(), name);
    const pid = Number(existsSync(join(dir, 'registry.pid')) ? readFileSync(join(dir, 'registry.pid'), 'utf8') : NaN);
    if (Number.isInteger(pid) && pid > 0 && isOurRegistry(pid, join(dir, 'config.yml'))) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  const certs = join(CERTS_D, `${address}:${port}`);
  if (existsSync(join(certs, OWNER_MARK))) rmSync(certs, { recursive: true, force: true });
}

async function htpasswd(users: Record<string, string>): Promise<string> {
  let out = '';
  // -i reads the password from stdin (never on a command line); -B: bcrypt, the only hash distribution accepts.
  for (const [user, password] of Object.entries(users)) out += (await run('htpasswd', ['-niB', user], password)).trim() + '\n';
  return out;
}

/** Waits until /v2/ answers (200, or 401 with auth), probing from the registry's own namespace. */
async function waitReady(child: ChildProcess, opts: RegistryOptions, caFile: string | undefined, logOf: () => string): Promise<void> {
  const url = `${caFile ? 'https' : 'http'}://${opts.address}:${opts.port}/v2/`;
  const curl = ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '2', ...(caFile ? ['--cacert', caFile] : []), url];
  const [cmd, ...args] = opts.netns ? ['nsenter', `--net=/var/run/netns/${opts.netns}`, ...curl] : curl;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`docker-registry on ${opts.address}:${opts.port} exited (${child.exitCode ?? child.signalCode}):\n${logOf()}`);
    const code = await run(cmd!, args).catch(() => '000');
    if (code === '200' || code === '401') return;
    if (Date.now() > deadline) throw new Error(`docker-registry on ${opts.address}:${opts.port} did not answer ${url} within 15 s (last: ${code}):\n${logOf()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts a registry; throws (having cleaned up) when it does not come up. */
export async function startRegistry(opts: RegistryOptions): Promise<RunningRegistry> {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run scripts/setup-host.sh (installs Debian's docker-registry)`);
  const tls = opts.tls ?? true;
  const host = `${opts.address}:${opts.port}`;
  removeLeftovers(opts.address, opts.port);
  const dir = mkdtempSync(join(tmpdir(), dirPrefix(opts.address, opts.port)));
  const certsDir = join(CERTS_D, host);
  let child: ChildProcess | undefined;
  let stopping: Promise<void> | undefined;
  const logFile = join(dir, 'registry.log');
  const log = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      const c = child;
      if (c && c.exitCode === null && c.signalCode === null) {
        const exited = new Promise<void>((r) => c.once('exit', () => r()));
        c.kill('SIGTERM');
        const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
      if (existsSync(join(certsDir, OWNER_MARK))) rmSync(certsDir, { recursive: true, force: true });
    })());
  try {
    const certs = tls ? await makeCertificates(opts.address) : undefined;
    const config = {
      version: '0.1',
      log: { level: 'warn', accesslog: { disabled: true } },
      storage: { filesystem: { rootdirectory: join(dir, 'data') }, delete: { enabled: true } },
      http: {
        addr: host,
        secret: randomBytes(16).toString('hex'),
        ...(certs ? { tls: { certificate: join(dir, 'server.crt'), key: join(dir, 'server.key') } } : {}),
      },
      ...(opts.users ? { auth: { htpasswd: { realm: 'tscompose-test', path: join(dir, 'htpasswd') } } } : {}),
    };
    if (certs) {
      writeFileSync(join(dir, 'ca.crt'), certs.caPem);
      writeFileSync(join(dir, 'server.crt'), certs.certPem);
      writeFileSync(join(dir, 'server.key'), certs.keyPem, { mode: 0o600 });
    }
    if (opts.users) writeFileSync(join(dir, 'htpasswd'), await htpasswd(opts.users));
    // YAML is a superset of JSON: no quoting to get wrong.
    writeFileSync(join(dir, 'config.yml'), JSON.stringify(config, null, 2));
    if (opts.trustForEngine && certs) {
      if (existsSync(certsDir) && !existsSync(join(certsDir, OWNER_MARK))) throw new Error(`${certsDir} exists and is not a test registry's: not touching it`);
      mkdirSync(certsDir, { recursive: true });
      writeFileSync(join(certsDir, OWNER_MARK), `${dir}\n`);
      writeFileSync(join(certsDir, 'ca.crt'), certs.caPem);
    }
    const out = openSync(logFile, 'a');
    const argv = ['serve', join(dir, 'config.yml')];
    child = opts.netns ? spawn('nsenter', [`--net=/var/run/netns/${opts.netns}`, BINARY, ...argv], { stdio: ['ignore', out, out] }) : spawn(BINARY, argv, { stdio: ['ignore', out, out] });
    closeSync(out);
    child.on('error', () => undefined); // spawn failures show as the exit waitReady reports
    if (child.pid) writeFileSync(join(dir, 'registry.pid'), String(child.pid));
    await waitReady(child, opts, certs ? join(dir, 'ca.crt') : undefined, log);
    return { host, caPem: certs?.caPem ?? '', dir, log, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
