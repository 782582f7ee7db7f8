#!/bin/sh
# Build a BIOS-bootable GRUB ISO that loads the x86_64 kernel with multiboot2.
# usage: scripts/mkiso-x86_64.sh KERNEL OUT.iso [INITRD] [CMDLINE...]
# The GRUB menu uses the serial console and boots at once (timeout 0).
set -eu

if [ $# -lt 2 ]; then
	echo "usage: $0 KERNEL OUT.iso [INITRD] [CMDLINE...]" >&2
	exit 2
fi
kernel=$1
out=$2
initrd=${3:-}
[ $# -ge 3 ] && shift 3 || shift $#
cmdline="$*"

for tool in grub-mkrescue xorriso; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "$0: $tool not found (apt-get install grub-pc-bin grub-common xorriso mtools)" >&2
		exit 1
	}
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
root=$tmp/iso
mkdir -p "$root/boot/grub"
cp "$kernel" "$root/boot/kernel-x86_64"
if [ -n "$initrd" ]; then
	cp "$initrd" "$root/boot/initrd"
fi

{
	echo 'serial --unit=0 --speed=115200'
	echo 'terminal_input serial'
	echo 'terminal_output serial'
	echo 'set timeout=0'
	echo 'menuentry "Ferrite" {'
	echo "	multiboot2 /boot/kernel-x86_64 $cmdline"
	if [ -n "$initrd" ]; then
		echo '	module2 /boot/initrd initrd'
	fi
	echo '	boot'
	echo '}'
} >"$root/boot/grub/grub.cfg"

# i386-pc only: the ISO boots with SeaBIOS (qemu -cdrom).
grub-mkrescue -d /usr/lib/grub/i386-pc -o "$out" "$root" 2>"$tmp/log" || {
	cat "$tmp/log" >&2
	exit 1
}
