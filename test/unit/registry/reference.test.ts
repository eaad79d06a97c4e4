/** Image references normalized as the engine does, and the config.json key of a registry. */
import { describe, expect, it } from 'vitest';
import { authConfigKey, familiarName, formatReference, parseReference, withDigest } from '../../../src/registry/reference.js';
import { UserError } from '../../../src/util/errors.js';

const D = `sha256:${'ab'.repeat(32)}`;

describe('parseReference', () => {
  it.each([
    ['busybox', { registry: 'docker.io', repository: 'library/busybox' }],
    ['busybox:1.36', { registry: 'docker.io', repository: 'library/busybox', tag: '1.36' }],
    ['team/app', { registry: 'docker.io', repository: 'team/app' }],
    ['docker.io/busybox', { registry: 'docker.io', repository: 'library/busybox' }],
    ['index.docker.io/team/app:2', { registry: 'docker.io', repository: 'team/app', tag: '2' }],
    ['localhost/app', { registry: 'localhost', repository: 'app' }],
    ['localhost:5000/team/app:1.0', { registry: 'localhost:5000', repository: 'team/app', tag: '1.0' }],
    ['127.0.0.1:5000/app', { registry: '127.0.0.1:5000', repository: 'app' }],
    ['registry.example.com/a/b/c', { registry: 'registry.example.com', repository: 'a/b/c' }],
    ['Registry/app', { registry: 'Registry', repository: 'app' }],
    ['myhost:5000/app', { registry: 'myhost:5000', repository: 'app' }],
    ['[::1]:5000/app', { registry: '[::1]:5000', repository: 'app' }],
    [`app@${D}`, { registry: 'docker.io', repository: 'library/app', digest: D }],
    [`h.io/app:v1@${D}`, { registry: 'h.io', repository: 'app', tag: 'v1', digest: D }],
    ['my_app-x__y.z', { registry: 'docker.io', repository: 'library/my_app-x__y.z' }],
  ])('%s', (ref, want) => {
    expect(parseReference(ref)).toEqual(want);
  });

  it.each([
    ['', 'it is empty'],
    ['team/App', 'lowercase'],
    ['app:-bad', 'not a valid tag'],
    ['app@sha256:xyz', 'not a digest'],
    ['a..b', 'not a valid path component'],
    ['h.io/app/', 'not a valid path component'],
    ['ab'.repeat(32), 'image id'],
    ['bad_host.io/app', 'is not a registry host'],
  ])('refuses %j (%s) with a UserError naming it', (ref, why) => {
    let err: unknown;
    try {
      parseReference(ref);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toContain(`"${ref}"`);
    expect((err as UserError).message).toContain(why);
    expect((err as UserError).hint).toBeTruthy();
  });
});

describe('names and keys', () => {
  it('familiar names leave out docker.io and library/', () => {
    expect(familiarName(parseReference('docker.io/library/busybox'))).toBe('busybox');
    expect(familiarName(parseReference('team/app'))).toBe('team/app');
    expect(familiarName(parseReference('localhost:5000/app'))).toBe('localhost:5000/app');
    expect(formatReference(parseReference(`h.io/app:v1@${D}`))).toBe(`h.io/app:v1@${D}`);
  });

  it('authConfigKey: Docker Hub under its index URL, every other registry under host[:port]', () => {
    expect(authConfigKey('docker.io')).toBe('https://index.docker.io/v1/');
    expect(authConfigKey('index.docker.io')).toBe('https://index.docker.io/v1/');
    expect(authConfigKey('localhost:5000')).toBe('localhost:5000');
    expect(authConfigKey('10.0.0.2:5000')).toBe('10.0.0.2:5000');
  });

  it('withDigest keeps the tag, adds latest when there is none, and replaces a digest', () => {
    expect(withDigest('busybox', D)).toBe(`busybox:latest@${D}`);
    expect(withDigest('localhost:5000/team/app:1.0', D)).toBe(`localhost:5000/team/app:1.0@${D}`);
    expect(withDigest(`h.io/app:v1@sha256:${'cd'.repeat(32)}`, D)).toBe(`h.io/app:v1@${D}`);
    expect(() => withDigest('busybox', 'latest')).toThrow(/invalid digest "latest"/);
  });
});
