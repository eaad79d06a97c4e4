#!/usr/bin/env bash
# Builds the offline test image `tscompose-test/busybox:latest` from Debian's busybox-static.
# No registry is reachable, so every test and example uses this image (or builds FROM it).
set -euo pipefail
IMAGE=${TEST_IMAGE:-tscompose-test/busybox:latest}
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "[setup] image $IMAGE present" >&2
  exit 0
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/bin" "$dir/etc" "$dir/tmp" "$dir/root" "$dir/proc" "$dir/sys" "$dir/dev" "$dir/var/www"
cp /bin/busybox "$dir/bin/busybox"
for applet in $("$dir/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$dir/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
chmod 1777 "$dir/tmp"
tar -C "$dir" -c . | docker import \
  -c 'ENV PATH=/bin' -c 'CMD ["sh"]' - "$IMAGE" >/dev/null
echo "[setup] built $IMAGE" >&2
