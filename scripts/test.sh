#!/usr/bin/env bash
# `npm test`: the whole suite on a fresh or prepared machine.
#   setup (installs what is missing, builds) → type check → lint → node:test
#   over dist/test/unit and dist/test/integration, one file at a time.
# Exit code: 2 if the type check fails (nothing is run); otherwise the test
# runner's, or 1 when only lint failed.
# Environment: BERTH_TEST_TIMEOUT (whole run, default 75m), BERTH_TEST_TIMEOUT_MS
# (per test, default 300000), BERTH_TEST_FILES (space-separated .test.ts paths
# to run instead of all).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1

# Integration tests need root: a user with sudo is asked once (npm test as root, in CI, goes on).
if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null && [[ -z ${BERTH_TEST_NO_SUDO:-} ]]; then
  exec sudo -E env "PATH=$PATH" bash "$repo/scripts/test.sh" "$@"
fi

started=$SECONDS
step() { printf '\n== %s\n' "$*"; }

step setup
bash scripts/setup.sh || {
  echo "berth test: setup failed" >&2
  exit 1
}

step "type check (tsc)"
if npx tsc -p . --incremental --tsBuildInfoFile dist/.tsbuildinfo; then
  typecheck=ok
else
  echo "berth test: type errors; not running tests" >&2
  echo "# berth: typecheck FAILED"
  exit 2
fi

step "lint (eslint src test)"
if npx eslint src test; then lint=ok; else lint=FAILED; fi

# Only compiled tests whose source still exists: dist/ may hold stale files.
files=()
if [[ -n ${BERTH_TEST_FILES:-} ]]; then
  read -r -a sources <<<"$BERTH_TEST_FILES"
else
  mapfile -t sources < <(find test/unit test/integration -name '*.test.ts' 2>/dev/null | sort)
fi
for src in "${sources[@]}"; do
  files+=("dist/${src%.ts}.js")
done

if [[ $(id -u) -ne 0 ]]; then
  echo "berth test: warning: not root; integration tests need root and will fail or skip" >&2
fi
# Daemons under test hold many descriptors; the host allows 20,000.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# One busybox tarball per run (test/helpers/berthd-harness.ts caches it here).
rm -f /tmp/berth-busybox.tar

step "tests (${#files[@]} files)"
if ((${#files[@]} == 0)); then
  echo "berth test: no test files found" >&2
  code=1
else
  timeout --signal=TERM --kill-after=60s "${BERTH_TEST_TIMEOUT:-75m}" \
    node --test --test-concurrency=1 --test-timeout="${BERTH_TEST_TIMEOUT_MS:-300000}" "${files[@]}"
  code=$?
  if ((code == 124)); then
    echo "berth test: the test run exceeded ${BERTH_TEST_TIMEOUT:-75m} and was stopped" >&2
  fi
fi

echo "# berth: typecheck $typecheck, lint $lint, tests exit $code, $((SECONDS - started))s"
if ((code == 0)) && [[ $lint != ok ]]; then
  exit 1
fi
exit "$code"
