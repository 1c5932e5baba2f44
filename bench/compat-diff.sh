#!/usr/bin/env bash
# Diffs two compat-sweep.sh output directories step by step, after masking ids,
# digests, timestamps, durations and generated names.  Usage: compat-diff.sh A B
set -u
A=$1 B=$2
norm() {
  sed -E \
    -e 's/sha256:[0-9a-f]{64}/sha256:<DIGEST>/g' \
    -e 's/\b[0-9a-f]{64}\b/<ID64>/g' \
    -e 's/\b[0-9a-f]{12}\b/<ID12>/g' \
    -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]+(Z|[+-][0-9:]+)?( [A-Z]{3,4})?/<TIME>/g' \
    -e 's/(About )?(an?|[0-9]+|Less than a) (second|minute|hour|day)s? ago/<AGO>/g' \
    -e 's/(Up|Exited \([0-9]+\)) (About )?(an?|[0-9]+|Less than a) (second|minute|hour)s?/\1 <DUR>/g' \
    -e 's/[a-z]+_[a-z]+\b/<NAME>/g' \
    -e 's/\/tmp\/compat\/[a-z]+/<OUT>/g' \
    -e 's/[ \t]+/ /g' "$1"
}
for fa in "$A"/*.rc; do
  base=$(basename "$fa" .rc)
  fb="$B/$base.rc"
  [ -e "$fb" ] || { echo "== $base: missing in B"; continue; }
  out=""
  ra=$(cat "$fa") rb=$(cat "$fb")
  [ "$ra" = "$rb" ] || out+="   exit: $ra vs $rb"$'\n'
  for ext in out err keys; do
    [ -e "$A/$base.$ext" ] || continue
    d=$(diff <(norm "$A/$base.$ext") <(norm "$B/$base.$ext"))
    [ -z "$d" ] || out+="   [$ext]"$'\n'"$(echo "$d" | head -${DIFF_LINES:-30} | sed 's/^/     /')"$'\n'
  done
  [ -z "$out" ] || printf '== %s\n%s' "$base" "$out"
done
