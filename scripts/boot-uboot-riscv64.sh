#!/bin/bash
# Boot Ferrite's raw riscv64 Image through U-Boot (qemu-riscv64_smode) with
# `booti`, non-interactively: OpenSBI (-bios default) starts U-Boot, the
# Image is preloaded at 0x84000000 by QEMU's loader device, and this script
# types into U-Boot's console: a key to stop autoboot, then the booti
# command. Everything QEMU prints goes to stdout.
#
# usage: scripts/boot-uboot-riscv64.sh IMAGE [extra qemu args...]
# env:   TIMEOUT (seconds, default 60), FERRITE_BOOTARGS (kernel cmdline)
set -eu

if [ $# -lt 1 ] || [ ! -f "$1" ]; then
	echo "usage: $0 IMAGE [extra qemu args...]" >&2
	exit 2
fi
image=$1
shift
uboot=/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin
load_addr=0x84000000
timeout=${TIMEOUT:-60}
bootargs=${FERRITE_BOOTARGS:-}

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkfifo "$dir/in"
exec 3<>"$dir/in"

# Our own standard input goes to the guest once the kernel has started.
exec 4<&0

# Echo QEMU's output one byte at a time, drive U-Boot's prompt, and once
# Ferrite prints its first line forward our stdin to the guest; then hand
# over to cat.
drive_uboot() {
	local buf="" c stopped=0 booted=0
	while IFS= read -r -d '' -n 1 c; do
		if [ -z "$c" ]; then
			c=$'\n'
		fi
		printf '%s' "$c"
		buf="${buf}${c}"
		if [ ${#buf} -gt 48 ]; then
			buf=${buf:${#buf}-48}
		fi
		case "$buf" in
		*"=> ")
			if [ -n "$bootargs" ]; then
				printf 'setenv bootargs "%s"\n' "$bootargs" >&3
			fi
			printf 'booti %s - ${fdtcontroladdr}\n' "$load_addr" >&3
			booted=1
			;;
		*"[ferrite]"*)
			if [ $booted = 1 ]; then
				cat <&4 >&3 &
				break
			fi
			;;
		*"Hit any key to stop autoboot"*)
			if [ $stopped = 0 ]; then
				printf " " >&3
				stopped=1
			fi
			;;
		esac
	done
	cat
}

timeout --foreground "$timeout" qemu-system-riscv64 -machine virt -m 1G -nographic \
	-bios default -kernel "$uboot" \
	-device loader,file="$image",addr="$load_addr",force-raw=on \
	"$@" <&3 2>&1 | drive_uboot
