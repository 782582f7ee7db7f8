#!/bin/busybox sh
# /sbin/init of the root-on-disk boot test (scripts/run-tests.sh): the disk
# is "/", read-write (root=/dev/vda rw); /dev, /proc and /tmp are the
# initramfs's.
bb=/bin/busybox
if $bb grep -q '^/dev/vda / ext4 rw' /proc/mounts &&
   [ -c /dev/console ] && echo ok > /tmp/written &&
   [ "$($bb cat /etc/motd)" = "on the disk" ] &&
   echo yes > /etc/written && [ "$($bb cat /etc/written)" = yes ] && $bb sync &&
   [ "$(cd /etc && $bb pwd)" = /etc ]; then
	echo ROOT_DISK_OK
else
	echo ROOT_DISK_FAIL
	$bb cat /proc/mounts
fi
$bb poweroff -f
