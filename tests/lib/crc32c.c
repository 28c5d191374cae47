// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace crc32c (Castagnoli, reflected 0x82F63B78) matching the kernel's
 * crc32c(seed, buf, len): no pre- or post-inversion inside, the caller's
 * seed is the running value.
 */
#include "../../kmod/rraft_codec.h"

static u32 table[256];
static int table_ready;

static void crc32c_init(void)
{
	u32 i, j, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		table[i] = c;
	}
	table_ready = 1;
}

u32 rr_crc32c(u32 seed, const void *buf, size_t len)
{
	const u8 *p = buf;
	u32 c = seed;

	if (!table_ready)
		crc32c_init();
	while (len--)
		c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c;
}
