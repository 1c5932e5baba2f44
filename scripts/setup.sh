#!/usr/bin/env bash
# Brings a Debian 12 host to the point where Berth builds, runs and tests:
# host packages, node_modules, dist/, the `berth` group and /etc/berth.
# Idempotent and quiet: prints nothing unless it installs something or fails.
# Re-running with everything in place takes about a second.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

# runc/conmon/iptables/tini/uidmap: the container runtime stack; busybox-static:
# the busybox test image; python3/make/g++: better-sqlite3 builds from source
# when its prebuilt binary cannot be downloaded (only the npm registry is reachable).
# python3-docker (docker-py 5.0.3) and docker-compose (1.29.2): the client matrix tests (test/integration/client-*.test.ts).
apt_packages=(runc conmon libseccomp-dev libssl-dev zlib1g-dev iptables iproute2 busybox-static tini uidmap ca-certificates python3 make g++ openssl curl docker-registry apache2-utils skopeo tmux python3-docker docker-compose)

log=$(mktemp /tmp/berth-setup.XXXXXX)
trap 'rm -f "$log"' EXIT

fail() {
  echo "setup: $*" >&2
  if [[ -s $log ]]; then
    echo "---- output ----" >&2
    tail -n 60 "$log" >&2
  fi
  exit 1
}

# run DESCRIPTION CMD...: runs CMD with its output kept in the log.
run() {
  local what=$1
  shift
  : >"$log"
  "$@" >>"$log" 2>&1 || fail "$what failed: $*"
}

as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo -n "$@"
  else
    fail "need root for: $*"
  fi
}

# --- host packages ---------------------------------------------------------
missing=()
for pkg in "${apt_packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  run "apt-get update" as_root apt-get update -q
  run "apt-get install" as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- node_modules ----------------------------------------------------------
# The stamp records which package.json + package-lock.json node_modules was
# installed from; any change to either reinstalls.
stamp=node_modules/.berth-setup-stamp
want=$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)
have=$(cat "$stamp" 2>/dev/null || true)

# node-gyp must not download headers (nodejs.org is unreachable): use the
# headers the Debian/NodeSource package installs, unless npm is told otherwise.
if [[ -z ${npm_config_nodedir:-} && -f /usr/include/node/node_version.h ]]; then
  export npm_config_nodedir=/usr
fi
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

install_node_modules() {
  echo "setup: installing node modules"
  if [[ ! -f package-lock.json ]]; then
    run "npm install" npm install --no-audit --no-fund
    return
  fi
  : >"$log"
  if npm ci --no-audit --no-fund >>"$log" 2>&1; then
    return
  fi
  # node-unix-socket lists optional per-platform packages that were never
  # published, so `npm ci` calls any lock "out of sync". `npm install --no-save`
  # still installs the locked versions and leaves the lock untouched.
  if grep -q 'EUSAGE' "$log"; then
    run "npm install" npm install --no-save --no-audit --no-fund
    return
  fi
  fail "npm ci failed"
}

if [[ ! -d node_modules ]]; then
  install_node_modules
elif [[ $have != "$want" ]]; then
  # A tree from before the stamp existed is adopted when npm finds it complete.
  if [[ -n $have ]] || ! npm ls --all >/dev/null 2>&1; then
    install_node_modules
  fi
fi
native_check='new (require("better-sqlite3"))(":memory:").close(); require("koffi")'
if [[ $have != "$want" ]]; then
  # Native modules must load with this Node; a Node upgrade needs a rebuild.
  if ! node -e "$native_check" >/dev/null 2>&1; then
    echo "setup: rebuilding native node modules"
    run "npm rebuild" npm rebuild better-sqlite3 koffi
    node -e "$native_check" >"$log" 2>&1 || fail "native modules do not load"
  fi
  echo "$want" >"$stamp"
fi

# --- build -------------------------------------------------------------------
# Skipped when nothing is newer than the last clean build, and incremental
# otherwise. Type errors do not stop setup (tsc still emits; scripts/test.sh
# fails on them itself), but they are reported.
build_stamp=dist/.berth-build-stamp
if [[ ! -f $build_stamp ]] ||
  [[ -n $(find src test bench bin tsconfig.json package.json -newer "$build_stamp" -print -quit 2>/dev/null) ]]; then
  : >"$log"
  mkdir -p dist
  touch "$build_stamp.next" # sources edited during the build count as newer
  if npm run build -- --incremental --tsBuildInfoFile dist/.tsbuildinfo >>"$log" 2>&1; then
    mv "$build_stamp.next" "$build_stamp"
  elif [[ -d dist/src ]]; then
    echo "setup: warning: the TypeScript build reported errors (see: npx tsc -p .); using the JavaScript it emitted" >&2
  else
    fail "npm run build failed"
  fi
fi

# --- native helpers ------------------------------------------------------------
# native/*.c → native/build/* (make rebuilds only what is out of date).
if compgen -G 'native/*.c' >/dev/null; then
  run "make -C native" make -C native
fi

# --- host configuration -------------------------------------------------------
if ! getent group berth >/dev/null; then
  run "groupadd berth" as_root groupadd --system berth
fi
if [[ ! -d /etc/berth ]]; then
  run "mkdir /etc/berth" as_root mkdir -p -m 0755 /etc/berth
fi
