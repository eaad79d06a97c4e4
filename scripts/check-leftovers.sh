#!/usr/bin/env bash
# Fails when the tests left engine objects behind: containers, networks or volumes labelled
# com.docker.compose.project (every object tscompose creates, anonymous volumes included), and,
# given a file listing the volumes that existed before the tests, any volume created since
# (anonymous volumes the engine made without our labels, e.g. from an image's VOLUME).
# Usage: scripts/check-leftovers.sh [VOLUMES_BEFORE_FILE]
set -euo pipefail
label=com.docker.compose.project
fmt='{{.Label "com.docker.compose.project"}}'
containers=$(docker ps -a --filter "label=$label" --format "{{.Names}} (project $fmt)")
networks=$(docker network ls --filter "label=$label" --format "{{.Name}} (project $fmt)")
volumes=$(docker volume ls --filter "label=$label" --format "{{.Name}} (project $fmt)")
unlabelled=''
if [[ $# -ge 1 && -f $1 ]]; then
  unlabelled=$(comm -13 <(sort "$1") <(docker volume ls -q --filter "dangling=true" | sort) | while read -r v; do
    [[ -z $(docker volume inspect -f "{{index .Labels \"$label\"}}" "$v" 2>/dev/null) ]] && echo "$v (no project label)"
  done || true)
fi
status=0
report() {
  if [[ -n $2 ]]; then
    echo "leftover $1 after the tests:"
    while IFS= read -r line; do echo "  $line"; done <<<"$2"
    status=1
  fi
}
report containers "$containers"
report networks "$networks"
report volumes "$volumes"
report "unlabelled volumes" "$unlabelled"
[[ $status -eq 0 ]] && echo "no leftover containers, networks or volumes"
exit $status
