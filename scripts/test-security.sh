#!/usr/bin/env bash
# `npm run test:security`: the hostile-input suite.
#   build → the quick hostile tests CI also runs (test/integration/hostile-*)
#   → the long randomised ones (test/security/*.test.ts).
# Environment: BERTH_FUZZ_SECONDS (API fuzz duration, default 60),
# BERTH_FUZZ_SEED (replay a run; the seed is printed), BERTH_FUZZ_CASES
# (stop after this many cases), BERTH_SECURITY_QUICK=0 to skip the
# test/integration/hostile-* files.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1

if [[ $(id -u) -ne 0 ]]; then
  echo "berth test:security: needs root (it starts daemons and containers)" >&2
  exit 1
fi

printf '\n== build (tsc)\n'
npx tsc -p . --incremental --tsBuildInfoFile dist/.tsbuildinfo || {
  echo "berth test:security: type errors" >&2
  exit 2
}

files=()
if [[ ${BERTH_SECURITY_QUICK:-1} != 0 ]]; then
  while IFS= read -r src; do files+=("dist/${src%.ts}.js"); done < <(find test/integration -name 'hostile-*.test.ts' | sort)
fi
while IFS= read -r src; do files+=("dist/${src%.ts}.js"); done < <(find test/security -name '*.test.ts' | sort)

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
rm -f /tmp/berth-busybox.tar

fuzz=${BERTH_FUZZ_SECONDS:-60}
printf '\n== hostile-input tests (%d files, API fuzz %ss)\n' "${#files[@]}" "$fuzz"
# Whole-run bound: the fuzz time plus room for the archive and breakout tests.
timeout --signal=TERM --kill-after=60s "$((fuzz + 900))s" \
  node --test --test-concurrency=1 --test-timeout="$(((fuzz + 600) * 1000))" "${files[@]}"
code=$?
((code == 124)) && echo "berth test:security: the run exceeded its time bound and was stopped" >&2
exit "$code"
