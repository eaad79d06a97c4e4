/**
 * What a failed pull or push means, from the engine's message. The engine reports registry trouble
 * as Go error strings (`Get "https://h/v2/": x509: certificate signed by unknown authority`,
 * `unauthorized: authentication required`, `dial tcp h: connect: connection refused`), sometimes
 * inside the progress stream, sometimes as the HTTP answer. Users need the cause and the fix in
 * one line naming the image; this turns the first into the second. Pure, shared by tscompose and
 * the tsswarm agents.
 */
import { authConfigKey, familiarName, parseReference } from './reference.js';

export type RegistryOp = 'pull' | 'push';

/** The causes we can name. `other` keeps the engine's own words. */
export type RegistryFailureKind = 'certificate' | 'unreachable' | 'denied' | 'not-found' | 'absent-locally' | 'other';

const CERTIFICATE = /x509:|certificate signed by unknown authority|certificate is valid for|certificate has expired|certificate is not valid|doesn't contain any IP SANs|tls: failed to verify/i;
const UNREACHABLE: ReadonlyArray<[RegExp, string]> = [
  [/connection refused/i, 'connection refused'],
  [/no such host/i, 'no such host'],
  [/i\/o timeout|Client\.Timeout exceeded|TLS handshake timeout|context deadline exceeded/i, 'timed out'],
  [/no route to host/i, 'no route to host'],
  [/network is unreachable/i, 'network is unreachable'],
  [/connection reset by peer/i, 'connection reset'],
  [/server misbehaving/i, 'name lookup failed'],
];
// For a registry on the engine's insecure list (127.0.0.0/8 always is) the engine retries over
// plain HTTP when HTTPS answered 401, and reports the second answer: a TLS registry refusing
// plain HTTP. What actually failed was the credentials.
const DENIED = /unauthorized|authentication required|no basic auth credentials|(?<!permission )\bdenied\b|Client sent an HTTP request to an HTTPS server/i;
const ABSENT_LOCALLY = /does not exist locally|No such image|tag does not exist/i;
const NOT_FOUND = /manifest unknown|name unknown|repository [^ ]+ not found|manifest for [^ ]+ not found|not found: manifest|repository does not exist/i;

/** Which cause an engine message names. */
export function registryFailureKind(op: RegistryOp, engineMessage: string): RegistryFailureKind {
  if (CERTIFICATE.test(engineMessage)) return 'certificate';
  if (UNREACHABLE.some(([re]) => re.test(engineMessage))) return 'unreachable';
  if (op === 'push' && ABSENT_LOCALLY.test(engineMessage)) return 'absent-locally';
  if (DENIED.test(engineMessage)) return 'denied';
  if (NOT_FOUND.test(engineMessage)) return 'not-found';
  return 'other';
}

/** Registry host and repository of `image`, without throwing for a name the engine refused anyway. */
function nameParts(image: string): { host: string; repo: string } {
  try {
    const r = parseReference(image);
    return { host: r.registry, repo: familiarName(r) };
  } catch {
    const slash = image.indexOf('/');
    const host = slash > 0 && /[.:]|^localhost$/.test(image.slice(0, slash)) ? image.slice(0, slash) : 'docker.io';
    return { host, repo: image.replace(/[:@].*$/, '') };
  }
}

function certificateHint(host: string, engineMessage: string): string {
  const hostname = host.replace(/:\d+$/, '');
  if (/certificate is valid for|doesn't contain any IP SANs|not valid for/i.test(engineMessage)) {
    return `the certificate does not name ${hostname}: reissue it with ${hostname} among its subject alternative names, or use the name it was issued for`;
  }
  if (/expired|not yet valid/i.test(engineMessage)) return 'the certificate has expired or is not yet valid: renew it, or check the clocks of the registry and of this machine';
  return `put the CA certificate that signed it in /etc/docker/certs.d/${host}/ca.crt on the engine's machine (read at the next pull or push, no restart needed)`;
}

/** The first line of the engine's message, cut to a length that still fits one terminal line. */
function firstLine(s: string): string {
  const line = (s.trim().split('\n')[0] ?? '').trim();
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

/**
 * One line naming the image and the cause, and what to do, for a failed pull or push of `image`
 * (as the user wrote it) given the engine's error message.
 */
export function describeRegistryError(op: RegistryOp, image: string, engineMessage: string): { message: string; hint: string } {
  const { host, repo } = nameParts(image);
  switch (registryFailureKind(op, engineMessage)) {
    case 'certificate':
      return { message: `cannot ${op} ${image}: registry ${host} presents a certificate this engine does not trust`, hint: certificateHint(host, engineMessage) };
    case 'unreachable': {
      const why = UNREACHABLE.find(([re]) => re.test(engineMessage))![1];
      return {
        message: `cannot ${op} ${image}: registry ${host} is unreachable (${why})`,
        hint: `check that the registry runs and that the engine's machine reaches ${host} (address, port, firewall, name resolution)`,
      };
    }
    case 'denied':
      return {
        message: `${op} access denied for ${repo}: the registry ${host} refused the credentials`,
        hint: `log in with \`docker login ${host}\`, or give credentials for ${authConfigKey(host)} in config.json ($DOCKER_CONFIG, else ~/.docker): auths, credsStore or credHelpers`,
      };
    case 'not-found':
      return op === 'pull'
        ? { message: `${image} does not exist on ${host}`, hint: 'check the repository name and tag; push the image first (tscompose push), or build it' }
        : { message: `cannot push ${image}: the registry ${host} has no repository ${repo} and did not create one`, hint: 'create the repository on the registry first, or push to a name it accepts' };
    case 'absent-locally':
      return { message: `cannot push ${image}: no local image has that name`, hint: 'build it first (tscompose build), or give an image that name with docker tag' };
    default:
      return { message: `cannot ${op} ${image}: ${firstLine(engineMessage)}`, hint: `the message is the engine's; the registry ${host}'s log may say more` };
  }
}
