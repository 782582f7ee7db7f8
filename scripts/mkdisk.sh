#!/bin/sh
# Make a disk image from a folder, without root or loop mounts:
#   scripts/mkdisk.sh [-t ext4|vfat] [-s MiB] [-b BLOCK] [-L LABEL] FOLDER IMAGE
# ext4 (default): Debian's mkfs.ext4 -d FOLDER with its default features
#                 (journal, extents, metadata_csum...); -b 1024 or 4096.
# vfat:           FAT32 by mkfs.vfat, the folder copied in by mtools' mcopy
#                 (at least 33 MiB: FAT32 needs 65525 clusters of 512 bytes).
# -L: the volume label (ext4 at most 16 bytes, FAT 11; default none / FERRITE).
# -s: image size in MiB (default 64). The image is created or overwritten.
# -L: the file system's label (ext4 only; default none).
# Boot with it: make qemu-riscv DISK=IMAGE (or qemu-x86_64); check it after
# a run with e2fsck -fn IMAGE or fsck.fat -n IMAGE.
set -eu

type=ext4
size=64
block=
label=
while getopts t:s:b:L: opt; do
	case $opt in
	t) type=$OPTARG ;;
	s) size=$OPTARG ;;
	b) block=$OPTARG ;;
	L) label=$OPTARG ;;
	*) echo "usage: $0 [-t ext4|vfat] [-s MiB] [-b BLOCK] [-L LABEL] FOLDER IMAGE" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if [ $# -ne 2 ] || [ ! -d "$1" ]; then
	echo "usage: $0 [-t ext4|vfat] [-s MiB] [-b BLOCK] [-L LABEL] FOLDER IMAGE" >&2
	exit 2
fi
dir=$1
img=$2
PATH=$PATH:/sbin:/usr/sbin

rm -f "$img"
truncate -s "${size}M" "$img"
case $type in
ext4)
	mkfs.ext4 -q -F ${block:+-b "$block"} ${label:+-L "$label"} -d "$dir" "$img"
	;;
vfat | fat32)
	mkfs.vfat -F 32 ${block:+-S "$block"} -n "${label:-FERRITE}" "$img" > /dev/null
	# Every entry of the folder, dot files too, recursively.
	for entry in "$dir"/* "$dir"/.[!.]* "$dir"/..?*; do
		[ -e "$entry" ] || continue
		MTOOLS_SKIP_CHECK=1 mcopy -s -p -Q -i "$img" "$entry" ::/
	done
	;;
*)
	echo "$0: unknown type $type (ext4 or vfat)" >&2
	exit 2
	;;
esac
echo "$img: $type, $size MiB, from $dir"
