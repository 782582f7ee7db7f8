#!/bin/sh
# mkimage.sh VDSO.so OUT.S: the assembly that embeds the vDSO image in the
# kernel (vdso_image_start/end). The checksum comment changes the .S, and so
# re-assembles it, whenever the image changes.
set -e
so=$(realpath "$1")
{
	echo "/* $(cksum < "$so") */"
	echo "	.section .rodata"
	echo "	.balign 4096"
	echo "	.globl vdso_image_start"
	echo "vdso_image_start:"
	echo "	.incbin \"$so\""
	echo "	.globl vdso_image_end"
	echo "vdso_image_end:"
	echo "	.section .note.GNU-stack,\"\",@progbits"
} > "$2"
