#!/bin/sh
# Install the Debian packages Ferrite needs, but only those that are missing.
# Every make target runs this first, so a fresh Debian machine needs nothing
# installed by hand. Nothing is fetched from outside Debian's archive.
set -eu

PKGS="make gcc libc6-dev meson ninja-build pkg-config libcmocka-dev cpio gzip \
gcc-riscv64-linux-gnu libc6-dev-riscv64-cross binutils-riscv64-linux-gnu \
qemu-system-misc qemu-system-x86 qemu-user qemu-utils \
opensbi u-boot-qemu grub-pc-bin grub-common xorriso mtools e2fsprogs dosfstools \
busybox-static python3 gdb-multiarch gnuplot-nox musl-tools dpkg-dev"

# The judge image (scripts/judge/mkimage.sh): musl-gcc, Debian's lua5.4 and gawk.
PKGS="$PKGS musl-tools lua5.4 gawk"
missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "ensure-deps: installing:$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
