#!/usr/bin/env bash
# Compatibility sweep: runs the same CLI commands against one engine and records
# stdout/stderr/exit code per step under OUT/<nn>-<label>.{out,err,rc}.
#   bench/compat-sweep.sh OUTDIR CLI...       e.g.
#   DOCKER_HOST=unix:///tmp/refdocker/docker.sock bench/compat-sweep.sh /tmp/compat/docker docker
#   DOCKER_HOST=unix:///tmp/refberth/berth.sock   bench/compat-sweep.sh /tmp/compat/berth docker
#   DOCKER_HOST=unix:///tmp/refberth/berth.sock   bench/compat-sweep.sh /tmp/compat/berthcli node bin/berth
# Then: bench/compat-diff.sh /tmp/compat/docker /tmp/compat/berth
set -u
OUT=$1; shift
CLI=("$@")
rm -rf "$OUT"; mkdir -p "$OUT"
n=0
step() { # step LABEL ARGS...  (runs "${CLI[@]}" ARGS with a 20 s timeout)
  local label=$1; shift
  n=$((n + 1)); local f; f=$(printf '%s/%02d-%s' "$OUT" "$n" "$label")
  timeout -s KILL 20 "${CLI[@]}" "$@" >"$f.out" 2>"$f.err" </dev/null
  echo $? >"$f.rc"
}
stepin() { # stepin LABEL INPUTFILE ARGS...
  local label=$1 in=$2; shift 2
  n=$((n + 1)); local f; f=$(printf '%s/%02d-%s' "$OUT" "$n" "$label")
  timeout -s KILL 60 "${CLI[@]}" "$@" >"$f.out" 2>"$f.err" <"$in"
  echo $? >"$f.rc"
}
keys() { # JSON on stdin -> sorted "path: type" lines
  python3 -c '
import json,sys
def walk(v,p):
    t=type(v).__name__
    if isinstance(v,dict):
        print(f"{p}: dict")
        for k in sorted(v): walk(v[k], f"{p}.{k}")
    elif isinstance(v,list):
        print(f"{p}: list")
        if v: walk(v[0], p+"[]")
    else: print(f"{p}: {t}")
try:
    d=json.load(sys.stdin)
except Exception as e:
    print("not json:", e); sys.exit(0)
walk(d[0] if isinstance(d,list) and len(d)==1 else d, "$")'
}
quiet() { timeout -s KILL 20 "${CLI[@]}" "$@" >/dev/null 2>&1 </dev/null; }

# clean slate for names this sweep uses
quiet rm -f w1 w2 c1 dup e1 ; quiet rmi -f mybox:1 mybox:2 imp:file imp:stdin

step version version
step info info
step run-echo run --rm busybox echo hello
step run-exit3 run --rm busybox sh -c 'exit 3'
step run-d-w1 run -d --name w1 busybox sh -c 'while true; do date; sleep 1; done'
sleep 3
step ps ps
step ps-a ps -a
step ps-q ps -q
step ps-no-trunc ps --no-trunc
step ps-json ps --format '{{json .}}'
step ps-status-exited ps -f status=exited
step ps-name-w1 ps -f name=w1
step ps-format-table ps --format 'table {{.Names}}\t{{.Image}}\t{{.Status}}\t{{.Command}}'
step logs logs w1
n=$((n + 1)); f=$(printf '%s/%02d-%s' "$OUT" "$n" logs-f-tail2-t)
timeout -s INT 3 "${CLI[@]}" logs -f --tail 2 -t w1 >"$f.out" 2>"$f.err" </dev/null; echo $? >"$f.rc"
step inspect-w1 inspect w1
keys <"$f.out" >/dev/null # placeholder to keep shellcheck quiet
f=$(printf '%s/%02d-%s' "$OUT" "$n" inspect-w1); keys <"$f.out" >"$f.keys"
step inspect-format inspect -f '{{.State.Status}} {{.Name}} {{.Config.Image}}' w1
step stop stop w1
step inspect-stopped inspect -f '{{.State.Status}} {{.State.ExitCode}}' w1
step start start w1
step restart restart w1
step kill kill w1
step kill-again kill w1
step rm rm w1
step run-d-w2 run -d --name w2 busybox sleep 100
step rm-running rm w2
step rm-f-running rm -f w2
step create create --name c1 busybox sh -c 'echo out; echo err >&2; exit 5'
step start-c1 start c1
step wait-c1 wait c1
step start-a-c1 start -a c1
step logs-c1 logs c1
step rm-c1 rm c1
step images images
step images-a images -a
step images-digests images --digests
step images-json images --format '{{json .}}'
step image-inspect image inspect busybox
f=$(printf '%s/%02d-%s' "$OUT" "$n" image-inspect); keys <"$f.out" >"$f.keys"
step tag tag busybox mybox:1
step tag2 tag busybox mybox:2
step images-after-tag images
step rmi-untag rmi mybox:1
step run-e1 create --name e1 mybox:2 true
step rmi-conflict-id rmi "$(timeout 10 "${CLI[@]}" image inspect -f '{{.Id}}' busybox 2>/dev/null)"
step rmi-in-use-tag rmi mybox:2
step rm-e1 rm e1
step history history busybox
step history-no-trunc history --no-trunc busybox
step history-q history -q busybox
# import: a rootfs tar from export
quiet create --name ex1 busybox true
timeout 20 "${CLI[@]}" export ex1 >"$OUT/export.tar" 2>"$OUT/export.err"; echo $? >"$OUT/export.rc"
tar -tf "$OUT/export.tar" 2>/dev/null | sort >"$OUT/export.list"
quiet rm ex1
step import-file import "$OUT/export.tar" imp:file
stepin import-stdin "$OUT/export.tar" import - imp:stdin
step images-imp images imp
step history-imp history imp:file
step rmi-imp rmi imp:file imp:stdin
# save (loading into the other engine is done by the caller)
step save save -o "$OUT/save.tar" busybox
tar -tf "$OUT/save.tar" 2>/dev/null | sort >"$OUT/save.list"
# errors
step err-inspect inspect nope
step err-image-inspect image inspect nope
step err-rmi rmi nope
step err-logs logs nope
step err-start start nope
step err-stop stop nope
step err-rm rm nope
step err-kill kill nope
step err-run-bad-ref run Busybox
step err-run-unknown-image run --rm nosuchimage:1
step err-run-nope run --rm busybox nope
step err-run-dup1 run -d --name dup busybox sleep 30
step err-run-dup2 run -d --name dup busybox sleep 30
step err-create-dup create --name dup busybox
step err-ps-bad-filter ps -f bogus=1
step err-ps-bad-status ps -f status=bogus
step err-ps-malformed ps -f novalue
step err-images-bad-filter images -f bogus=1
step err-tag-bad tag busybox 'Bad:tag'
step err-tag-missing tag nope x:1
step rm-f-dup rm -f dup
step ps-a-end ps -a
