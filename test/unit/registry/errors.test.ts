/**
 * describeRegistryError over the messages a Docker 20.10 engine gave on this machine against
 * Debian's docker-registry (2.8, TLS + htpasswd), in the progress stream or as the HTTP answer.
 */
import { describe, expect, it } from 'vitest';
import { describeRegistryError, registryFailureKind } from '../../../src/registry/errors.js';

const L = '127.0.0.1:5901';
const N = '10.199.250.2:5000';

/** Engine messages as observed, by the case that produced them. */
const OBSERVED = {
  pushNoCredentials: 'no basic auth credentials',
  pushWrongPassword: 'unauthorized: authentication required',
  pullWrongPassword: 'unauthorized: authentication required',
  // Loopback registries are "insecure": after HTTPS answered 401 the engine retried plain HTTP.
  pullNoCredentialsLoopback: 'error parsing HTTP 400 response body: invalid character \'C\' looking for beginning of value: "Client sent an HTTP request to an HTTPS server.\\n"',
  pullNoCredentialsTls: `Head "https://${N}/v2/exp/box/manifests/1": no basic auth credentials`,
  distributionNoCredentials: `Head "https://${N}/v2/exp/box/manifests/1": no basic auth credentials`,
  untrusted: `Get "https://${N}/v2/": x509: certificate signed by unknown authority`,
  unknownRepository: `manifest for ${L}/exp/nothere:1 not found: manifest unknown: manifest unknown`,
  unknownTag: `manifest for ${L}/exp/box:nope not found: manifest unknown: manifest unknown`,
  distributionUnknown: 'manifest unknown: manifest unknown',
  refused: `Get "http://127.0.0.1:5999/v2/": dial tcp 127.0.0.1:5999: connect: connection refused`,
  dropped: `Get "https://${N}/v2/": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)`,
  noRoute: `Get "https://${N}/v2/": dial tcp ${N}: connect: no route to host`,
  pushAbsentLocally: `An image does not exist locally with the tag: ${L}/exp/absent`,
};

describe('describeRegistryError', () => {
  it('refused or missing credentials: access denied naming the repository and registry, hint docker login / config.json', () => {
    for (const m of [OBSERVED.pullWrongPassword, OBSERVED.pullNoCredentialsLoopback, OBSERVED.pullNoCredentialsTls, OBSERVED.distributionNoCredentials]) {
      const d = describeRegistryError('pull', `${L}/team/app:1`, m);
      expect(d.message).toBe(`pull access denied for ${L}/team/app: the registry ${L} refused the credentials`);
      expect(d.hint).toContain(`docker login ${L}`);
      expect(d.hint).toContain('config.json');
    }
    expect(describeRegistryError('push', `${L}/team/app:1`, OBSERVED.pushNoCredentials).message).toBe(`push access denied for ${L}/team/app: the registry ${L} refused the credentials`);
    expect(describeRegistryError('push', 'team/app', OBSERVED.pushWrongPassword).hint).toContain('https://index.docker.io/v1/');
    // Docker Hub's wording for a private or missing repository.
    const hub = "pull access denied for nope, repository does not exist or may require 'docker login': denied: requested access to the resource is denied";
    expect(describeRegistryError('pull', 'nope', hub).message).toBe('pull access denied for nope: the registry docker.io refused the credentials');
  });

  it('an untrusted certificate: names the registry, hint the certs.d path', () => {
    const d = describeRegistryError('pull', `${N}/exp/box:1`, OBSERVED.untrusted);
    expect(d.message).toBe(`cannot pull ${N}/exp/box:1: registry ${N} presents a certificate this engine does not trust`);
    expect(d.hint).toContain(`/etc/docker/certs.d/${N}/ca.crt`);
    const name = describeRegistryError('push', `${N}/a`, `Get "https://${N}/v2/": x509: certificate is valid for 10.199.250.3, not 10.199.250.2`);
    expect(name.message).toContain('presents a certificate this engine does not trust');
    expect(name.hint).toContain('subject alternative names');
    expect(describeRegistryError('pull', `${N}/a`, 'x509: certificate has expired or is not yet valid: current time ...').hint).toContain('expired');
  });

  it('an unreachable registry, with the reason in a word', () => {
    expect(describeRegistryError('pull', '127.0.0.1:5999/exp/box:1', OBSERVED.refused).message).toBe('cannot pull 127.0.0.1:5999/exp/box:1: registry 127.0.0.1:5999 is unreachable (connection refused)');
    expect(describeRegistryError('push', `${N}/exp/box:1`, OBSERVED.dropped).message).toBe(`cannot push ${N}/exp/box:1: registry ${N} is unreachable (timed out)`);
    expect(describeRegistryError('pull', `${N}/exp/box:1`, OBSERVED.noRoute).message).toContain('is unreachable (no route to host)');
    expect(describeRegistryError('pull', 'reg.invalid/a', 'Get "https://reg.invalid/v2/": dial tcp: lookup reg.invalid on 192.0.2.1:53: no such host').message).toContain('registry reg.invalid is unreachable (no such host)');
  });

  it('an unknown repository or tag: the image does not exist on the registry', () => {
    for (const m of [OBSERVED.unknownRepository, OBSERVED.unknownTag, OBSERVED.distributionUnknown, 'name unknown: repository name not known to registry']) {
      const d = describeRegistryError('pull', `${L}/exp/nothere:1`, m);
      expect(d.message).toBe(`${L}/exp/nothere:1 does not exist on ${L}`);
      expect(d.hint).toBeTruthy();
    }
  });

  it('push of a name with no local image; anything else keeps the engine\'s first line', () => {
    expect(describeRegistryError('push', `${L}/exp/absent:1`, OBSERVED.pushAbsentLocally).message).toBe(`cannot push ${L}/exp/absent:1: no local image has that name`);
    const other = describeRegistryError('pull', `${L}/a:1`, 'received unexpected HTTP status: 503 Service Unavailable\nmore');
    expect(other.message).toBe(`cannot pull ${L}/a:1: received unexpected HTTP status: 503 Service Unavailable`);
    expect(other.hint).toBeTruthy();
    // A local permission problem is not the registry refusing credentials.
    expect(registryFailureKind('pull', 'open /var/lib/docker/tmp/x: permission denied')).toBe('other');
  });

  it('never throws, even for a name the engine would refuse', () => {
    expect(describeRegistryError('pull', 'Bad Name', 'invalid reference format').message).toBe('cannot pull Bad Name: invalid reference format');
    expect(describeRegistryError('pull', 'h.io:5000/Bad', OBSERVED.pullWrongPassword).message).toContain('the registry h.io:5000 refused');
  });
});
