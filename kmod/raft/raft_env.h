/* SPDX-License-Identifier: GPL-2.0 */
/*
 * raft_env.h - the only place the Raft core touches its environment.
 *
 * The core (kmod/raft/raft*.c, the list in raft.mk) includes this header and
 * raft.h, nothing else.  The same sources build into rraft.ko, into the
 * KUnit suites and into the userspace unit tests and simulator.  Everything
 * the core needs from the outside world is here: fixed-width types, memory
 * (also large allocations), byte copies and assertions.
 */
#ifndef RRAFT_RAFT_ENV_H
#define RRAFT_RAFT_ENV_H

#ifdef __KERNEL__

#include <linux/types.h>
#include <linux/string.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/bug.h>
#include <linux/errno.h>

/*
 * The core runs under the device mutex from a workqueue that serves the
 * block I/O path: it must never recurse into the block layer for reclaim.
 */
static inline void *raft_malloc(size_t size)
{
	return kmalloc(size, GFP_NOIO);
}

static inline void *raft_calloc(size_t n, size_t size)
{
	return kcalloc(n, size, GFP_NOIO);
}

static inline void raft_free(void *p)
{
	kfree(p);
}

/*
 * Large zeroed allocations (struct raft is about 29 KB): need not be
 * physically contiguous, so no high-order page is required.
 */
static inline void *raft_env_zalloc_large(size_t size)
{
	return kvzalloc(size, GFP_NOIO);
}

static inline void raft_env_free_large(void *p)
{
	kvfree(p);
}

#define RAFT_ASSERT(cond) WARN_ON_ONCE(!(cond))

#else /* userspace: unit tests, simulator, fuzzers, benchmarks */

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <assert.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;

/*
 * Tests can make allocations fail on purpose to prove that every failure is
 * an error the caller sees (see tests/unit).
 */
extern void *(*raft_test_malloc_hook)(size_t size);

static inline void *raft_malloc(size_t size)
{
	if (raft_test_malloc_hook)
		return raft_test_malloc_hook(size);
	return malloc(size);
}

static inline void *raft_calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	p = raft_malloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

static inline void raft_free(void *p)
{
	free(p);
}

/* Large zeroed allocations: calloc/free here (failure injection applies). */
static inline void *raft_env_zalloc_large(size_t size)
{
	return raft_calloc(1, size);
}

static inline void raft_env_free_large(void *p)
{
	free(p);
}

#define RAFT_ASSERT(cond) assert(cond)

#endif /* __KERNEL__ */

#endif /* RRAFT_RAFT_ENV_H */
