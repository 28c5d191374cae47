# SPDX-License-Identifier: GPL-2.0
#
# The build and run rules of a single-binary userspace test suite built with
# ASan and UBSan (tests/codec, tests/wmap).  The including Makefile sets
# TOP, PROG (the binary), SRCS and HDRS, then includes this file.
#   make          build and run; the binary prints "N passed, N failed"
#   make build    build only
CC ?= gcc
SAN ?= -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CFLAGS_UNIT := -std=gnu11 -g -O1 -Wall -Wextra -Werror -I$(TOP)/kmod $(SAN) $(EXTRA_CFLAGS)

.PHONY: all run build clean

all: run

build: $(PROG)

$(PROG): $(SRCS) $(HDRS) $(TOP)/tests/lib/unit.mk
	$(CC) $(CFLAGS_UNIT) -o $@ $(SRCS) $(SAN)

run: $(PROG)
	./$(PROG)

clean:
	rm -f $(PROG)
