#!/usr/bin/env bash
# Fetch Debian's Linux kernel image and the modules a virtio disk with ext4
# needs (Debian builds virtio_blk and ext4 as modules) into DIR, once:
#   DIR/vmlinuz        the image QEMU's -kernel takes
#   DIR/modules/*.ko   decompressed, named as the module (- becomes _)
#   DIR/modules.order  load order: each module after those it depends on
#   DIR/version        the linux-image package and version
# x86_64 takes linux-image-amd64 from the machine's suite, riscv64
# linux-image-riscv64 from the newer suite (as scripts/bench/fetch-linux.sh),
# through the isolated apt configuration of scripts/lib/debian-fetch.sh.
# Used by scripts/judge/linux-boot.sh and the file-system rows of
# scripts/bench/run.sh.
#
# Usage: scripts/judge/linux-fetch.sh ARCH DIR
# Exit 2 when the kernel cannot be fetched (callers skip Linux).
set -euo pipefail

arch=${1:?usage: linux-fetch.sh ARCH DIR}
dir=${2:?usage: linux-fetch.sh ARCH DIR}
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
case "$arch" in
x86_64)
	debarch=amd64 suites=("$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")")
	virtio_bus=virtio_pci
	;;
riscv64)
	debarch=riscv64 suites=(trixie stable)
	virtio_bus=virtio_mmio
	;;
*)
	echo "linux-fetch: unknown arch $arch" >&2
	exit 1
	;;
esac

if [ ! -s "$dir/vmlinuz" ] || [ ! -s "$dir/modules.order" ]; then
	. "$top/scripts/lib/debian-fetch.sh"
	uri=$(debian_mirror_uri) || { echo "linux-fetch: no Debian mirror" >&2; exit 2; }
	keyring=$(debian_archive_keyring) || { echo "linux-fetch: no archive keyring" >&2; exit 2; }
	apt_dir=$dir/apt
	mkdir -p "$apt_dir"
	apt_dir=$(cd "$apt_dir" && pwd)
	debian_apt_init "$apt_dir" "$debarch"
	deb=""
	for suite in "${suites[@]}"; do
		debian_apt_suite "$apt_dir" "$debarch" "$keyring" "$uri" "$suite"
		pkg=$(apt-cache "${apt_opts[@]}" depends "linux-image-$debarch:$debarch" 2>/dev/null |
			awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { sub(/:.*/, "", $2); print $2; exit }' || true)
		if [ -n "$pkg" ] && (cd "$apt_dir/deb" && apt-get "${apt_opts[@]}" -qq download "$pkg:$debarch"); then
			deb=$(ls "$apt_dir"/deb/linux-image-*.deb | head -n1)
			break
		fi
	done
	[ -n "$deb" ] || { echo "linux-fetch: cannot fetch linux-image-$debarch" >&2; exit 2; }
	rm -rf "$dir/root"
	mkdir -p "$dir/root"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir/root" --wildcards \
		'./boot/vmlinu*' '*/virtio*' '*/fs/ext4/*' '*/fs/jbd2/*' \
		'*/fs/mbcache.ko*' '*/lib/crc16.ko*' '*/libcrc32c.ko*' '*/crc32c_generic.ko*'
	img=$(ls "$dir"/root/boot/vmlinu[xz]-* | head -n1)
	if gzip -t "$img" 2>/dev/null; then gzip -dc "$img" > "$dir/vmlinuz"; else cp "$img" "$dir/vmlinuz"; fi
	# Load order: every wanted module after the modules its .modinfo
	# "depends=" names (the .deb has no modules.dep: depmod makes it).
	python3 - "$dir/root" "$dir/modules" crc32c_generic virtio_blk ext4 "$virtio_bus" > "$dir/modules.order" <<'EOF'
import os, shutil, subprocess, sys
root, outdir, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]
os.makedirs(outdir, exist_ok=True)
def name(path):
    return os.path.basename(path).split(".ko")[0].replace("-", "_")
have = {}
for d, _, files in os.walk(root):
    for f in files:
        if ".ko" in f:
            dst = os.path.join(outdir, name(f) + ".ko")
            src = os.path.join(d, f)
            if f.endswith(".xz"):
                with open(dst, "wb") as o:
                    subprocess.run(["xz", "-dc", src], stdout=o, check=True)
            else:
                shutil.copy(src, dst)
            have[name(f)] = dst
def depends(m):
    # The NUL-separated .modinfo strings hold "depends=a,b".
    data = open(have[m], "rb").read()
    i = data.find(b"\0depends=")
    if i < 0:
        return []
    v = data[i + 9:data.index(b"\0", i + 1)].decode()
    return [x.replace("-", "_") for x in v.split(",") if x]
order = []
def visit(m):
    if m in order or m not in have:   # not there: built into the kernel
        return
    for d in depends(m):
        visit(d)
    order.append(m)
for w in wanted:
    visit(w)
print("\n".join(order))
EOF
	dpkg-deb --showformat='${Package} ${Version}\n' -W "$deb" > "$dir/version"
	rm -rf "$dir/root" "$apt_dir/deb" "$apt_dir/cache"
fi
