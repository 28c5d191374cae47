# SPDX-License-Identifier: GPL-2.0
# The Raft core's sources, named once for every build of the core: the
# top-level Kbuild (rraft.ko, and KUnit through it), tests/unit, tests/sim,
# tests/codec, tests/replay, tests/bench, tests/fuzz, tests/fuzz/knet/build.sh and
# userspace-tools (rraftctl decodes the configuration in the superblock).
#   RAFT_CORE_SRCS  the core's .c files, relative to kmod/raft/
#                   (raft_kunit.c is a test suite, not part of the core)
#   RAFT_CORE_HDRS  the headers they include, relative to kmod/raft/
#   RAFT_CORE       RAFT_CORE_SRCS with the path this file was included by
#   RAFT_CORE_DEPS  RAFT_CORE and the headers, for prerequisites
RAFT_CORE_SRCS := raft.c raft_log.c raft_progress.c raft_conf.c \
		  raft_snap.c raft_ready.c
RAFT_CORE_HDRS := raft.h raft_env.h raft_int.h
RAFT_CORE_DIR := $(dir $(lastword $(MAKEFILE_LIST)))
RAFT_CORE := $(addprefix $(RAFT_CORE_DIR),$(RAFT_CORE_SRCS))
RAFT_CORE_DEPS := $(RAFT_CORE) $(addprefix $(RAFT_CORE_DIR),$(RAFT_CORE_HDRS))
