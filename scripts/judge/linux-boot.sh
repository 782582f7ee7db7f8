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
# The kernel package and its modules: scripts/judge/linux-fetch.sh, kept
# under BUILD/judge/linux/ARCH.
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
	busybox=/bin/busybox runner=()
	;;
riscv64)
	busybox=$build/riscv64/user/busybox runner=(--runner "$(command -v qemu-riscv64)")
	;;
*)
	echo "linux-boot: unknown arch $arch" >&2
	exit 1
	;;
esac
init=$build/$arch/user/init
[ -x "$init" ] || { echo "linux-boot: $init not built" >&2; exit 1; }

# 1. The kernel image and the modules the disk needs, once.
"$here/linux-fetch.sh" "$arch" "$dir" || exit $?

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
