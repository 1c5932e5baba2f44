#!/usr/bin/env bash
# Quick start: `scripts/up.sh` (as root, or as a user with sudo: it asks sudo for root)
# Installs what is missing, starts berthd in the background unless it already
# answers on /run/berth/berth.sock (log: /var/log/berthd.log), loads the busybox
# image when absent and runs a first container.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

socket=/run/berth/berth.sock
daemon_log=/var/log/berthd.log
export DOCKER_HOST="unix://$socket"

# berthd needs root: a user with sudo is asked once; root (no sudo on a fresh Debian) goes on.
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then
    exec sudo -E bash "$repo/scripts/up.sh" "$@"
  fi
  echo "up.sh: berthd needs root: run this as root" >&2
  exit 1
fi

bash scripts/setup.sh

# bin/* are Node scripts; run them through node when the exec bit is missing.
tool() {
  local bin=$repo/bin/$1
  shift
  if [[ -x $bin ]]; then "$bin" "$@"; else node "$bin" "$@"; fi
}

ping_berthd() {
  node -e '
    const req = require("http").get({ socketPath: process.argv[1], path: "/_ping", timeout: 1000 }, (res) => process.exit(res.statusCode === 200 ? 0 : 1));
    req.on("timeout", () => req.destroy());
    req.on("error", () => process.exit(1));
  ' "$socket" 2>/dev/null
}

if ! ping_berthd; then
  mkdir -p "$(dirname "$daemon_log")"
  echo "--- berthd starting $(date -Is)" >>"$daemon_log"
  # setsid: the daemon outlives this shell and its terminal.
  if [[ -x $repo/bin/berthd ]]; then
    berthd=("$repo/bin/berthd")
  elif [[ -f $repo/bin/berthd ]]; then
    berthd=(node "$repo/bin/berthd")
  else
    berthd=(node "$repo/dist/src/daemon/main.js")
  fi
  setsid "${berthd[@]}" </dev/null >>"$daemon_log" 2>&1 &
  pid=$!
  deadline=$((SECONDS + 30))
  until ping_berthd; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "up.sh: berthd exited during start; last lines of $daemon_log:" >&2
      tail -n 20 "$daemon_log" >&2
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      echo "up.sh: berthd did not answer on $socket within 30 s; last lines of $daemon_log:" >&2
      tail -n 20 "$daemon_log" >&2
      exit 1
    fi
    sleep 0.2
  done
  echo "berthd started (pid $pid, log $daemon_log)"
fi

if ! tool berth image inspect busybox >/dev/null 2>&1; then
  bash scripts/images/busybox.sh | tool berth load >/dev/null
fi

tool berth run --rm busybox echo hello from berth

cat <<EOF

Berth is up. Try:
  bin/berth ps
  DOCKER_HOST=$DOCKER_HOST docker ps
EOF
