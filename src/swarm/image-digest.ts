/**
 * Images pinned to a digest (`app:1@sha256:...`), as the managers store them after asking the
 * registry (manager/image-pin.ts); the CLI strips the digest where the user asks to resolve again.
 */

const DIGEST = /@sha256:[0-9a-f]{64}$/;

export function hasDigest(image: string): boolean {
  return DIGEST.test(image);
}

/** `app:1@sha256:...` -> `app:1`. */
export function withoutDigest(image: string): string {
  return image.replace(DIGEST, '');
}
