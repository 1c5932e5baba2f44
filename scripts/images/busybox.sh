#!/usr/bin/env bash
# Writes a `docker save`-format tarball (docker-archive: manifest.json, config
# json, one uncompressed layer tar) of `busybox:latest` built from Debian's
# busybox-static to stdout. Output is deterministic for a given busybox binary
# (fixed mtimes, sorted entries, numeric owner 0:0), so the image ID is stable.
#   scripts/images/busybox.sh > busybox.tar && docker load -i busybox.tar
set -euo pipefail

BUSYBOX=${BUSYBOX:-/bin/busybox}
if [[ ! -x $BUSYBOX ]]; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    apt-get install -y busybox-static >&2
  else
    echo "busybox.sh: $BUSYBOX not found; install busybox-static" >&2
    exit 1
  fi
fi

CREATED=2024-01-01T00:00:00Z
MTIME=@1704067200
TAR_OPTS=(--format=gnu --sort=name --mtime="$MTIME" --owner=0 --group=0 --numeric-owner --no-acls --no-selinux --no-xattrs)

work=$(mktemp -d "${TMPDIR:-/tmp}/busybox-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
umask 022

root=$work/rootfs
mkdir -p "$root"/{bin,etc,root,tmp,var,proc,sys,dev}
chmod 0755 "$root" "$root"/{bin,etc,var,proc,sys,dev}
chmod 0700 "$root/root"
chmod 1777 "$root/tmp"
cp "$BUSYBOX" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"
while read -r applet; do
  [[ -z $applet || $applet == busybox ]] && continue
  ln -s busybox "$root/bin/$applet"
done < <("$BUSYBOX" --list | LC_ALL=C sort -u)
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' > "$root/etc/passwd"
printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' > "$root/etc/group"
chmod 0644 "$root/etc/passwd" "$root/etc/group"

(cd "$root" && LC_ALL=C tar "${TAR_OPTS[@]}" -cf "$work/layer.tar" bin dev etc proc root sys tmp var)
diff_hex=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)

out=$work/out
mkdir -p "$out/$diff_hex"
mv "$work/layer.tar" "$out/$diff_hex/layer.tar"

env_path='PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
printf '{"architecture":"amd64","config":{"Env":["%s"],"Cmd":["sh"]},"created":"%s","history":[{"created":"%s","created_by":"/bin/sh -c #(nop) ADD file:busybox-static in / "},{"created":"%s","created_by":"/bin/sh -c #(nop)  CMD [\\"sh\\"]","empty_layer":true}],"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$env_path" "$CREATED" "$CREATED" "$CREATED" "$diff_hex" > "$work/config.json"
config_hex=$(sha256sum "$work/config.json" | cut -d' ' -f1)
mv "$work/config.json" "$out/$config_hex.json"

printf '[{"Config":"%s.json","RepoTags":["busybox:latest"],"Layers":["%s/layer.tar"]}]\n' "$config_hex" "$diff_hex" > "$out/manifest.json"
printf '{"busybox":{"latest":"%s"}}\n' "$diff_hex" > "$out/repositories"
chmod 0644 "$out"/*.json "$out/repositories" "$out/$diff_hex/layer.tar"
chmod 0755 "$out/$diff_hex"

(cd "$out" && LC_ALL=C tar "${TAR_OPTS[@]}" -cf - "$diff_hex" "$config_hex.json" manifest.json repositories)
