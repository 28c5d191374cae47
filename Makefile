# SPDX-License-Identifier: GPL-2.0
#
# rraft top-level Makefile.
#   make            build rraft.ko (Debian 6.1 headers, found automatically) and tools
#   make demo       the replicated-disk story in VMs
#   make check      every test suite; ends with "N passed, N failed"
#   make bench      benchmarks (core, simulator, fio vs local disk and DRBD)
#   make sim        the deterministic cluster simulator
#   make sim-long   100,000 simulator seeds at 2,000 steps (resumable) and the
#                   mutation catch rates (scripts/sim-long.sh)
#   make coverage   branch coverage of kmod/raft by the userspace suites
#   make kunit      KUnit suites under UML against Debian's linux-source-6.1
#   make nemesis    randomized fault campaign in VMs [SEED=N] [ROUNDS=N] [NODES=3|5]
# KERNEL=6.12 selects Debian's 6.12 kernel; KDIR=<build dir> overrides.

KERNEL ?= 6.1
export KERNEL

# The kernel version and build dir are looked up when a recipe needs them
# (a recursively expanded variable), never when make starts: `make check` and
# `make demo` install the headers first (scripts/install-deps.sh), and a value
# computed before that would be empty.  Neither is exported: each script
# below looks them up itself (scripts/kver.sh) unless KVER/KDIR are given.
# tests: scripts/check.d/01-fresh-order.sh
rr_kver = $(or $(KVER),$(shell scripts/kver.sh $(KERNEL) 2>/dev/null))
rr_kdir = $(or $(KDIR),/lib/modules/$(rr_kver)/build)
RRAFT_INSTALL_DEPS ?= scripts/install-deps.sh

.PHONY: all module tools sim sim-long unit coverage check demo bench kunit vmtest nemesis clean deps style kernel-info

all: module tools

deps:
	@$(RRAFT_INSTALL_DEPS)

module:
	@kdir='$(rr_kdir)'; \
	test -d "$$kdir" || { echo "no kernel build dir '$$kdir' for KERNEL=$(KERNEL) (run make deps, or set KDIR=)"; exit 1; }; \
	$(MAKE) -C "$$kdir" M=$(CURDIR) W=1 modules

# what the build would use now, and what the scripts inherit
kernel-info:
	@echo "kver=$(rr_kver) kdir=$(rr_kdir) env-KVER=$${KVER-unset} env-KDIR=$${KDIR-unset}"

tools:
	$(MAKE) -C userspace-tools

sim:
	$(MAKE) -C tests/sim

sim-long:
	@scripts/sim-long.sh

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

# tests/vm/nemesis.sh; not part of make check (t-nemesis-short is)
nemesis: module
	@SEED='$(or $(SEED),1)' ROUNDS='$(or $(ROUNDS),10)' NODES='$(or $(NODES),3)' tests/vm/nemesis.sh

style:
	@scripts/style.sh

clean:
	-$(MAKE) -C '$(rr_kdir)' M=$(CURDIR) clean 2>/dev/null
	-$(MAKE) -C userspace-tools clean
	-$(MAKE) -C tests/sim clean
	-$(MAKE) -C tests/unit clean
	-$(MAKE) -C tests/wmap clean
	-$(MAKE) -C tests/fuzz clean
