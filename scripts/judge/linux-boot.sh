#!/usr/bin/env bash
# Boot a judge image under Debian's Linux with the judges' QEMU line (plus
# -initrd and -append), so the same disk is scored under both kernels
# (docs/judge.md). Debian builds virtio_blk and ext4 as modules, so a tiny
# initramfs carries them (from the same linux-image .deb, in modules.dep
# order), busybox, and Ferrite's own /init with its judge runner: the
# initramfs's /init script mounts /proc, devtmpfs and /tmp, loads the
# modules, waits for /dev/vda and execs the runner as pid 1, which scans,
# runs and powers off exactly as under Ferrite.
#
# The kernel package: x86_64 linux-image-amd64 from the machine's suite,
# riscv64 linux-image-riscv64 from the newer suite (as scripts/bench/
# fetch-linux.sh), through the isolated apt configuration of
# scripts/lib/debian-fetch.sh; kept under BUILD/judge/linux/ARCH.
#
# Usage: scripts/judge/linux-boot.sh ARCH DISK.img OUT.log
# Exit 2 when the kernel cannot be fetched (the caller skips Linux).
set -euo pipefail

arch=${1:?usage: linux-boot.sh ARCH DISK OUT.log}
disk=${2:?}
out=${3:?}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BUILD:-build}
case "$build" in /*) ;; *) build=$top/$build ;; esac
dir=$build/judge/linux/$arch
mkdir -p "$dir"

case "$arch" in
x86_64)
	debarch=amd64 suites=("$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")")
	busybox=/bin/busybox runner=()
	virtio_bus=virtio_pci
	;;
riscv64)
	debarch=riscv64 suites=(trixie stable)
	busybox=$build/riscv64/user/busybox runner=(--runner "$(command -v qemu-riscv64)")
	virtio_bus=virtio_mmio
	;;
*)
	echo "linux-boot: unknown arch $arch" >&2
	exit 1
	;;
esac
init=$build/$arch/user/init
[ -x "$init" ] || { echo "linux-boot: $init not built" >&2; exit 1; }

# 1. The kernel image and the modules the disk needs, once.
if [ ! -s "$dir/vmlinuz" ] || [ ! -s "$dir/modules.order" ]; then
	. "$top/scripts/lib/debian-fetch.sh"
	uri=$(debian_mirror_uri) || { echo "linux-boot: no Debian mirror" >&2; exit 2; }
	keyring=$(debian_archive_keyring) || { echo "linux-boot: no archive keyring" >&2; exit 2; }
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
	[ -n "$deb" ] || { echo "linux-boot: cannot fetch linux-image-$debarch" >&2; exit 2; }
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
	rm -rf "$dir/root" "$apt_dir/deb" "$apt_dir/cache"
fi

# 2. The initramfs: busybox, the modules, Ferrite's init as /sbin/judge-init.
cat > "$dir/init.sh" <<'EOF'
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t devtmpfs dev /dev
for m in $(cat /lib/judge-modules/order); do
	insmod /lib/judge-modules/$m.ko 2>/dev/null
done
n=0
while [ ! -b /dev/vda ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
echo 1 > /proc/sys/kernel/panic
exec /sbin/judge-init
EOF
chmod +x "$dir/init.sh"
args=(--busybox "$busybox" "${runner[@]}")
for d in proc dev tmp mnt sys root lib lib64 lib/judge-modules sbin; do args+=(--dir "$d"); done
args+=(--file "init=$dir/init.sh" --file "sbin/judge-init=$init"
	--file "lib/judge-modules/order=$dir/modules.order")
for m in $(cat "$dir/modules.order"); do
	args+=(--file "lib/judge-modules/$m.ko=$dir/modules/$m.ko")
done
python3 "$top/scripts/mkinitramfs.py" "$dir/initramfs.cpio" "${args[@]}"

# 3. The judges' line with Linux's kernel, its initramfs and a console.
case "$arch" in
riscv64)
	q=(qemu-system-riscv64 -machine virt -kernel "$dir/vmlinuz" -m 1G -nographic -smp 1 -bios default
	   -drive "file=$disk,if=none,format=raw,id=x0"
	   -device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0 -no-reboot
	   -device virtio-net-device,netdev=net -netdev user,id=net -rtc base=utc)
	;;
x86_64)
	q=(qemu-system-x86_64 -machine q35 -kernel "$dir/vmlinuz" -m 1G -nographic -smp 1
	   -drive "file=$disk,if=none,format=raw,id=x0" -device virtio-blk-pci,drive=x0 -no-reboot
	   -device virtio-net-pci,netdev=net -netdev user,id=net -rtc base=utc)
	;;
esac
# A copy of the disk: Linux writes to it (the judges' programs do).
cp "$disk" "$dir/disk.img"
q[$((${#q[@]}))]=-initrd
q+=("$dir/initramfs.cpio" -append "console=ttyS0 quiet")
for i in "${!q[@]}"; do [ "${q[$i]}" = "file=$disk,if=none,format=raw,id=x0" ] && q[$i]="file=$dir/disk.img,if=none,format=raw,id=x0"; done
timeout "${JUDGE_LIMIT:-3600}" "${q[@]}" < /dev/null 2>&1 | python3 "$here/stamp.py" "$out" ||
	echo "linux-boot: QEMU ended with status $?" >&2
