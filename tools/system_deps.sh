#!/usr/bin/env bash
# The system packages (Debian) the commands need beyond the two Python environments, by what needs them:
#
#   tools/system_deps.sh python   creating .venvs/api: Python 3.11 with venv/ensurepip (the Makefile passes $PY311)
#   tools/system_deps.sh scaled   `make run-scaled`: PostgreSQL, Redis and nginx (the scaled-out stack)
#   tools/system_deps.sh test     `make test`: PostgreSQL server binaries (tests/pg.py starts a throwaway
#                                 server), Debian's Chromium (the browser tests; never a downloaded browser)
#                                 and Noto fonts (the chat must render Urdu, Arabic, Bengali and Gurmukhi),
#                                 Redis (tests/redis_server.py starts a throwaway server: rate limits, Rasa's
#                                 lock store, shared sessions) and nginx (the scaled-out stack's load balancer)
#
# Checks only the files each package provides, so it is fast and changes nothing when all is there (no
# `apt-get update` then). When something is missing: as root it runs `apt-get update` once and installs
# exactly the missing packages (non-interactive, no prompts), then checks again; as anyone else it prints
# the command to run and exits 1. Python 3.10 for the bot is not a Debian 12 package: the Makefile says so.
set -euo pipefail

usage() { echo "usage: $0 python|scaled|test [...]" >&2; exit 2; }
[ $# -gt 0 ] || usage

# Each check: "package|test that succeeds when what the tests use is there".
checks=()
for group in "$@"; do
  case "$group" in
    python)
      py="${PY311:-python3.11}"
      checks+=("python3.11|command -v '$py' >/dev/null 2>&1")
      # Debian ships ensurepip (which `python -m venv` needs) separately, in python3.X-venv.
      checks+=("python3.11-venv|'$py' -c 'import ensurepip, venv' >/dev/null 2>&1")
      ;;
    scaled)
      checks+=("postgresql|compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || { [ -n \"\${PG_BINDIR:-}\" ] && [ -x \"\$PG_BINDIR/initdb\" ]; } || command -v initdb >/dev/null 2>&1")
      checks+=("redis-server|command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ]")
      checks+=("nginx|command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]")
      ;;
    test)
      # tests/pg.py finds initdb and pg_ctl under /usr/lib/postgresql/*/bin (or PG_BINDIR, or PATH).
      checks+=("postgresql|compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || { [ -n \"\${PG_BINDIR:-}\" ] && [ -x \"\$PG_BINDIR/initdb\" ]; } || command -v initdb >/dev/null 2>&1")
      checks+=("chromium|[ -x /usr/bin/chromium ]")
      checks+=("redis-server|command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ]")
      checks+=("nginx|command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]")
      # Every script the service speaks: Urdu (Nastaliq), Arabic, Bengali, Gurmukhi (Punjabi).
      checks+=("fonts-noto-core|compgen -G '/usr/share/fonts/truetype/noto/NotoNastaliqUrdu-*' >/dev/null && compgen -G '/usr/share/fonts/truetype/noto/NotoNaskhArabic-*' >/dev/null && compgen -G '/usr/share/fonts/truetype/noto/NotoSansBengali-*' >/dev/null && compgen -G '/usr/share/fonts/truetype/noto/NotoSansGurmukhi-*' >/dev/null")
      ;;
    *) usage ;;
  esac
done

missing() {
  local check package
  for check in "${checks[@]}"; do
    package="${check%%|*}"
    eval "${check#*|}" || echo "$package"
  done | awk '!seen[$0]++'
}

mapfile -t need < <(missing)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  {
    echo "system packages missing: ${need[*]}"
    echo "install them as root (this script does it when run as root):"
    echo "  sudo DEBIAN_FRONTEND=noninteractive apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y ${need[*]}"
  } >&2
  exit 1
fi

echo "system packages missing: ${need[*]}: installing them with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
# Packages with a service (redis-server, nginx, postgresql) must not start it system-wide on install: the tests
# start their own throwaway servers on free ports. policy-rc.d answering 101 is Debian's way to say so.
policy=/usr/sbin/policy-rc.d
made_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && made_policy=1
fi
trap 'if [ -n "$made_policy" ]; then rm -f "$policy"; fi' EXIT
apt-get update -qq
apt-get install -y -qq -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${need[@]}"

mapfile -t still < <(missing)
if [ ${#still[@]} -gt 0 ]; then
  echo "still missing after apt-get install: ${still[*]}" >&2
  exit 1
fi
echo "system packages installed: ${need[*]}" >&2
