/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rraft_codec.h - what the wire, on-disk and parser code needs from its
 * environment: little-endian accessors and crc32c.  That code builds into
 * rraft.ko and into userspace (unit tests, fuzzers, rraftctl); in userspace
 * crc32c comes from tests/lib/crc32c.c (same polynomial and seed handling
 * as the kernel's crc32c(): the caller passes the seed, ~0 by convention).
 */
#ifndef RRAFT_CODEC_H
#define RRAFT_CODEC_H

#include "raft/raft_env.h"

#ifdef __KERNEL__
#include <linux/crc32c.h>
#include <linux/version.h>
/* 6.12 moved the unaligned accessors from asm/ to linux/ */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

static inline u32 rr_crc32c(u32 seed, const void *buf, size_t len)
{
	return crc32c(seed, buf, len);
}

static inline u16 rr_get_le16(const void *p) { return get_unaligned_le16(p); }
static inline u32 rr_get_le32(const void *p) { return get_unaligned_le32(p); }
static inline u64 rr_get_le64(const void *p) { return get_unaligned_le64(p); }
static inline void rr_put_le16(u16 v, void *p) { put_unaligned_le16(v, p); }
static inline void rr_put_le32(u32 v, void *p) { put_unaligned_le32(v, p); }
static inline void rr_put_le64(u64 v, void *p) { put_unaligned_le64(v, p); }

#else

u32 rr_crc32c(u32 seed, const void *buf, size_t len);

static inline u16 rr_get_le16(const void *p)
{
	const u8 *b = p;

	return (u16)(b[0] | b[1] << 8);
}

static inline u32 rr_get_le32(const void *p)
{
	const u8 *b = p;

	return (u32)b[0] | (u32)b[1] << 8 | (u32)b[2] << 16 | (u32)b[3] << 24;
}

static inline u64 rr_get_le64(const void *p)
{
	const u8 *b = p;

	return (u64)rr_get_le32(b) | (u64)rr_get_le32(b + 4) << 32;
}

static inline void rr_put_le16(u16 v, void *p)
{
	u8 *b = p;

	b[0] = (u8)v;
	b[1] = (u8)(v >> 8);
}

static inline void rr_put_le32(u32 v, void *p)
{
	u8 *b = p;

	b[0] = (u8)v;
	b[1] = (u8)(v >> 8);
	b[2] = (u8)(v >> 16);
	b[3] = (u8)(v >> 24);
}

static inline void rr_put_le64(u64 v, void *p)
{
	rr_put_le32((u32)v, p);
	rr_put_le32((u32)(v >> 32), (u8 *)p + 4);
}

#endif /* __KERNEL__ */

#endif /* RRAFT_CODEC_H */
