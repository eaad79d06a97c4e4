#!/bin/sh
# One connection: pick a random address of the `web` service (Docker's DNS returns one per
# container, so --scale web=N spreads over N) and splice the connection to it. nslookup, not nc's
# own lookup: the static busybox resolver is the reliable one.
set -- $(nslookup web 2>/dev/null | awk '/^Address: /{print $2}')
[ $# -gt 0 ] || { printf 'HTTP/1.0 503 Service Unavailable\r\n\r\nno web backend\n'; exit 0; }
shift $((RANDOM % $#))
exec nc "$1" 80
