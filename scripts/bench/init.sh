#!/bin/sh
# /etc/bench.sh in the benchmark initramfs: /init (ferrite-bench as pid 1)
# prints the boot stamp, then execs `sh /etc/bench.sh`. The same script runs
# under Linux and Ferrite. /etc/bench-mode says what to do:
#   run      every benchmark (arguments from /etc/bench-args)
#   memory   the free-memory figures only (booted with -m 128M)
#   procs    the benchmarks of /etc/bench-args once per process count N of
#            /etc/bench-procs, with --procs N (scripts/bench/smp.sh)
#   fs       the file-system benchmarks on the ext4 disk /dev/vda, mounted
#            at /mnt; Linux first loads the modules of /lib/bench-modules
#            (Debian builds virtio_blk and ext4 as modules)
# Lines starting with BENCH are read back by scripts/bench/report.py;
# BENCH_DONE marks a complete run. Ends with poweroff -f.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc 2>/dev/null
echo "BENCH_KERNEL $(uname -s) $(uname -r) $(uname -m)"
mode=$(cat /etc/bench-mode 2>/dev/null)
# Linux boots with lo down (no init system here brings it up); the TCP/UDP
# benchmarks use it. Ferrite's lo is up from the start.
ifconfig lo 127.0.0.1 up 2>/dev/null
# Settle: let the kernel finish deferred boot work before measuring. With
# -icount sleep=off an idle guest costs no host time.
sleep 1
case "$mode" in
memory)
	/usr/bin/ferrite-bench --memory
	;;
procs)
	st=0
	for n in $(cat /etc/bench-procs); do
		/usr/bin/ferrite-bench --procs "$n" $(cat /etc/bench-args 2>/dev/null) || st=$?
	done
	(exit $st)
	;;
fs)
	case "$(uname -r)" in
	*ferrite*) ;;
	*)
		mount -t devtmpfs dev /dev
		# The clock jumps over idle time (sleep=off), so a task waiting
		# for the disk "sleeps" minutes: no hung-task reports mid-run.
		echo 0 > /proc/sys/kernel/hung_task_timeout_secs
		for m in $(cat /lib/bench-modules/order); do
			insmod /lib/bench-modules/$m.ko
		done
		;;
	esac
	n=0
	while [ ! -b /dev/vda ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
	mount -t ext4 /dev/vda /mnt &&
		/usr/bin/ferrite-bench --fs /mnt --fs-dev /dev/vda $(cat /etc/bench-args 2>/dev/null)
	;;
*)
	/usr/bin/ferrite-bench $(cat /etc/bench-args 2>/dev/null)
	;;
esac
echo "BENCH_DONE status $?"
poweroff -f
