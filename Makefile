# Ferrite's front door. Every target first makes sure the Debian packages it
# needs are installed (scripts/ensure-deps.sh), then drives meson/ninja.
#
#   make all            kernel-rv and kernel-x86_64 at the repository root
#   make qemu-riscv     build and boot riscv64 (OpenSBI) on this terminal
#   make qemu-x86_64    build and boot x86_64 (q35) on this terminal
#                       DISK=IMAGE attaches a raw disk image as /dev/vda,
#                       with the judges' command-line fragments
#                       (scripts/mkdisk.sh makes ext4 or FAT32 images)
#   make qemu-riscv-gdb / qemu-x86_64-gdb   same, waiting for gdb
#   make iso-x86_64     GRUB (multiboot2) ISO: ferrite-x86_64.iso
#   make test           every test: host unit tests, Linux reference runs,
#                       boot tests and in-QEMU tests on both architectures
#                       (the -smp 4 guest suites and the fuzz on the debug
#                       kernels)
#   make debug          the debug kernels (meson -Ddebug_checks=true:
#                       lock-order validator, spinlock owners, kmalloc red
#                       zones and poison) in build/riscv64-debug/kernel and
#                       build/x86_64-debug/kernel (docs/locking.md)
#   make fuzz           the syscall fuzzer as init on both arches
#                       (scripts/fuzz.sh): FUZZ_S seconds each (default
#                       600), FUZZ_SEEDS or FUZZ_SEED (default: four new
#                       ones from the clock), FUZZ_ARCHS (default both),
#                       FUZZ_FAILSLAB=PERMILLION,SEED[,SITES] (fault
#                       injection), FUZZ_KCOV (default 1: boot the
#                       coverage kernels, build/kcov-ARCH, so the
#                       guidance sees kernel edges; 0: the release ones)
#   make crashtest      the power-cut test: CRASH_CUTS (default 50) QEMU runs of
#                       a writer with fsync points killed at random, each image
#                       checked after e2fsck's and Ferrite's replay
#                       (scripts/crashtest.sh, docs/jbd2.md)
#   make stress         the SMP stress run (user/tests/stress.c) as init at
#                       -smp 4 on both arches, STRESS_S seconds each (default
#                       300), then the leak counters (scripts/run-tests.sh
#                       stress-riscv64 stress-x86_64; a 60 s part is in make test)
#   make bench          Ferrite against Debian's Linux under the same QEMU on
#                       both arches (scripts/bench/run.sh): tables, then
#                       docs/benchmarks.md and docs/benchmarks.png, then the
#                       SMP tables (below)
#   make bench-smp      only the SMP tables (scripts/bench/smp.sh): cross-CPU
#                       round trips at -smp 2, contention at -smp 4, speed-up
#   make judge-image ARCH=riscv64|x86_64
#                       the judges' ext4 disk (scripts/judge/mkimage.sh):
#                       build/judge/ARCH.img, /glibc and /musl folders
#   make judge-riscv / judge-x86_64
#                       boot that disk with the judges' exact QEMU line and
#                       print a score table beside Linux (docs/judge.md)
#   make docs           regenerate docs/syscalls.md from the syscall table
#                       (also part of make all, so it never goes stale)

BUILD   ?= build
MEMORY  ?= 1G
SMP     ?= 1
# The guest tests (/tests) come as an -initrd over the built-in archive.
# DISK=path.img: the judges' fragments (riscv64: virtio-mmio slot 0; x86_64: PCI).
DISK    ?=
ifneq ($(DISK),)
DISK_RV  = -drive file=$(DISK),if=none,format=raw,id=x0 -device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0
DISK_X86 = -drive file=$(DISK),if=none,format=raw,id=x0 -device virtio-blk-pci,drive=x0
endif
QEMU_RV  = qemu-system-riscv64 -machine virt -kernel kernel-rv -initrd $(BUILD)/riscv64/user/tests.cpio \
	   -m $(MEMORY) -nographic -bios default -smp $(SMP) $(DISK_RV) $(QEMU_EXTRA)
QEMU_X86 = qemu-system-x86_64 -machine q35 -kernel kernel-x86_64 -initrd $(BUILD)/x86_64/user/tests.cpio \
	   -m $(MEMORY) -nographic $(DISK_X86) $(QEMU_EXTRA)
GDB_PORT ?= $(shell expr 26000 + $$(id -u) % 5000)

.PHONY: all deps kernel-rv kernel-x86_64 host qemu-riscv qemu-x86_64 \
	qemu-riscv-gdb qemu-x86_64-gdb iso-x86_64 test debug kernel-rv-debug kernel-x86_64-debug fuzz kcov-kernels bench bench-smp bench-fs crashtest stress docs clean FORCE \
	judge-image judge-riscv judge-x86_64

all: kernel-rv kernel-x86_64 docs

deps:
	@scripts/ensure-deps.sh

# meson setup once per build directory; ninja decides what is stale.
$(BUILD)/riscv64/build.ninja: | deps
	meson setup $(BUILD)/riscv64 --cross-file cross/riscv64.ini
$(BUILD)/x86_64/build.ninja: | deps
	meson setup $(BUILD)/x86_64 --cross-file cross/x86_64.ini
$(BUILD)/host/build.ninja: | deps
	meson setup $(BUILD)/host -Dtarget=host

kernel-rv: deps $(BUILD)/riscv64/build.ninja
	ninja -C $(BUILD)/riscv64
	@cmp -s $(BUILD)/riscv64/kernel kernel-rv || cp $(BUILD)/riscv64/kernel kernel-rv

kernel-x86_64: deps $(BUILD)/x86_64/build.ninja
	ninja -C $(BUILD)/x86_64
	@cmp -s $(BUILD)/x86_64/kernel kernel-x86_64 || cp $(BUILD)/x86_64/kernel kernel-x86_64

# The debug kernels: only the kernel target (the guest tests come from the
# release build directories).
$(BUILD)/riscv64-debug/build.ninja: | deps
	meson setup $(BUILD)/riscv64-debug --cross-file cross/riscv64.ini -Ddebug_checks=true
$(BUILD)/x86_64-debug/build.ninja: | deps
	meson setup $(BUILD)/x86_64-debug --cross-file cross/x86_64.ini -Ddebug_checks=true

kernel-rv-debug: deps $(BUILD)/riscv64-debug/build.ninja
	ninja -C $(BUILD)/riscv64-debug kernel

kernel-x86_64-debug: deps $(BUILD)/x86_64-debug/build.ninja
	ninja -C $(BUILD)/x86_64-debug kernel

debug: kernel-rv-debug kernel-x86_64-debug

host: deps $(BUILD)/host/build.ninja
	ninja -C $(BUILD)/host

qemu-riscv: kernel-rv
	$(QEMU_RV)

qemu-x86_64: kernel-x86_64
	$(QEMU_X86)

qemu-riscv-gdb: kernel-rv
	@echo "Waiting for gdb on port $(GDB_PORT). In another terminal:"
	@echo "  gdb-multiarch kernel-rv -ex 'target remote :$(GDB_PORT)'"
	$(QEMU_RV) -S -gdb tcp::$(GDB_PORT)

qemu-x86_64-gdb: kernel-x86_64
	@echo "Waiting for gdb on port $(GDB_PORT). In another terminal:"
	@echo "  gdb kernel-x86_64 -ex 'target remote :$(GDB_PORT)'"
	$(QEMU_X86) -S -gdb tcp::$(GDB_PORT)

iso-x86_64: kernel-x86_64
	scripts/mkiso-x86_64.sh kernel-x86_64 ferrite-x86_64.iso

test: all host iso-x86_64 debug
	scripts/run-tests.sh

FUZZ_S     ?= 600
ifeq ($(FUZZ_SEEDS),)
FUZZ_SEEDS := $(or $(FUZZ_SEED),$(shell s=$$(date +%s); echo $$s,$$((s+1)),$$((s+2)),$$((s+3))))
endif
FUZZ_ARCHS ?= riscv64 x86_64
FUZZ_KCOV  ?= 1
# The coverage kernels (include/ferrite/kcov.h): their own build
# directories, never the release kernels of `make all`.
$(BUILD)/kcov-riscv64/build.ninja: | deps
	meson setup $(BUILD)/kcov-riscv64 --cross-file cross/riscv64.ini -Dkcov=true
$(BUILD)/kcov-x86_64/build.ninja: | deps
	meson setup $(BUILD)/kcov-x86_64 --cross-file cross/x86_64.ini -Dkcov=true
kcov-kernels: $(BUILD)/kcov-riscv64/build.ninja $(BUILD)/kcov-x86_64/build.ninja
	ninja -C $(BUILD)/kcov-riscv64 kernel
	ninja -C $(BUILD)/kcov-x86_64 kernel

fuzz: all $(if $(filter 1,$(FUZZ_KCOV)),kcov-kernels)
	@rc=0; for a in $(FUZZ_ARCHS); do \
		echo "== fuzz $$a: $(FUZZ_S) s, seeds $(FUZZ_SEEDS)"; \
		BUILD=$(BUILD) KCOV=$(FUZZ_KCOV) FUZZ_FAILSLAB=$(FUZZ_FAILSLAB) scripts/fuzz.sh $$a $(FUZZ_S) $(FUZZ_SEEDS) || rc=1; \
	done; exit $$rc

STRESS_S ?= 300
stress: all
	STRESS_S=$(STRESS_S) BUILD=$(BUILD) scripts/run-tests.sh stress-riscv64 stress-x86_64

bench: all
	BUILD=$(BUILD) scripts/bench/run.sh

bench-smp: all
	BUILD=$(BUILD) scripts/bench/smp.sh

bench-fs: all
	BUILD=$(BUILD) scripts/bench/fs.sh

ARCH ?= x86_64
judge-image: kernel-rv kernel-x86_64
	BUILD=$(BUILD) scripts/judge/mkimage.sh $(ARCH) $(BUILD)/judge/$(ARCH).img

judge-riscv: kernel-rv
	BUILD=$(BUILD) scripts/judge/run.sh riscv64

judge-x86_64: kernel-x86_64
	BUILD=$(BUILD) scripts/judge/run.sh x86_64

# The power-cut test (docs/jbd2.md): CRASH_CUTS QEMU runs killed at random.
CRASH_CUTS ?= 50
crashtest: all
	BUILD=$(BUILD) scripts/crashtest.sh $(CRASH_CUTS)

docs: kernel-rv kernel-x86_64
	python3 scripts/gen-syscalls.py doc docs/syscalls.md \
		$(BUILD)/riscv64/src/syscall/unistd-defs.h $(BUILD)/x86_64/src/syscall/unistd-defs.h \
		src/syscall/linux-newer.defs src/syscall/*.list

clean:
	rm -rf $(BUILD) kernel-rv kernel-x86_64 ferrite-x86_64.iso
