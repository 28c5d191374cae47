# SPDX-License-Identifier: GPL-2.0
#
# rraft top-level Makefile.
#   make            build rraft.ko (Debian 6.1 headers, found automatically) and tools
#   make demo       the replicated-disk story in VMs
#   make check      every test suite; ends with "N passed, N failed"
#   make bench      benchmarks (core, simulator, fio vs local disk and DRBD)
#   make sim        the deterministic cluster simulator
#   make coverage   branch coverage of kmod/raft by the userspace suites
#   make kunit      KUnit suites under UML against Debian's linux-source-6.1
# KERNEL=6.12 selects Debian's 6.12 kernel; KDIR=<build dir> overrides.

KERNEL ?= 6.1
KVER ?= $(shell scripts/kver.sh $(KERNEL) 2>/dev/null)
KDIR ?= /lib/modules/$(KVER)/build
export KERNEL KVER KDIR

.PHONY: all module tools sim unit coverage check demo bench kunit vmtest clean deps style

all: module tools

deps:
	@scripts/install-deps.sh

module:
	@test -d "$(KDIR)" || { echo "no kernel build dir '$(KDIR)' (run scripts/install-deps.sh, or set KDIR=)"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

tools:
	$(MAKE) -C userspace-tools

sim:
	$(MAKE) -C tests/sim

unit:
	$(MAKE) -C tests/unit

coverage:
	@scripts/coverage.sh

check:
	@scripts/check.sh

demo:
	@scripts/demo.sh

bench:
	@scripts/bench.sh

kunit:
	@scripts/kunit.sh

vmtest: all
	@tests/vm/run.sh

style:
	@scripts/style.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	-$(MAKE) -C userspace-tools clean
	-$(MAKE) -C tests/sim clean
	-$(MAKE) -C tests/unit clean
	-$(MAKE) -C tests/fuzz clean
