#!/bin/busybox sh
# /sbin/init of the FAT root boot test (scripts/run-tests.sh): a FAT32
# disk is "/", read-write (root=/dev/vda rw rootfstype=vfat); /dev, /proc
# and /tmp are the initramfs's. It ends by remounting / read-only, so the
# host's fsck.fat -n finds the image clean.
bb=/bin/busybox
if $bb grep -q '^/dev/vda / vfat rw' /proc/mounts &&
   [ -c /dev/console ] &&
   [ "$($bb cat /etc/motd)" = "on the disk" ] &&
   echo "written on FAT" > /etc/written && [ "$($bb cat /etc/written)" = "written on FAT" ] &&
   $bb mkdir "/a new directory" && $bb mv /etc/written "/a new directory/moved" &&
   [ "$($bb cat "/a new directory/moved")" = "written on FAT" ] &&
   $bb rm -r "/a new directory" && [ ! -e "/a new directory" ] &&
   $bb df / | $bb grep -q '^/dev/vda' &&
   $bb mount -o remount,ro / && $bb grep -q '^/dev/vda / vfat ro' /proc/mounts &&
   ! echo no 2> /dev/null > /etc/after-ro; then
	echo ROOT_FAT_OK
else
	echo ROOT_FAT_FAIL
	$bb cat /proc/mounts
fi
$bb poweroff -f
