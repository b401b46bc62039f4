#!/usr/bin/env bash
# Installs, from Debian's packages, the servers and tools the tests start themselves, when they are
# missing: nats-server; the PostgreSQL 15 server (run by the tests as the unprivileged postgres
# user); Debian's chromium (the dashboard's browser test drives /usr/bin/chromium through
# playwright-core, which downloads no browser). Safe to run again; needs root (or sudo) only when
# something is missing.
set -euo pipefail
missing=()
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || missing+=(nats-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
{ [ -x /usr/lib/postgresql/15/bin/postgres ] && id postgres >/dev/null 2>&1; } || missing+=(postgresql-15)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing test dependencies: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
