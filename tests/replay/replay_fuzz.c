// SPDX-License-Identifier: GPL-2.0
/*
 * replay_fuzz.c - libFuzzer target: the input drives a ring campaign (the
 * workload, the ring size, which blocks of the writes in flight land), so
 * the fuzzer searches for torn, dropped and reordered writes that lose an
 * acknowledged record or make replay use something after a gap.  Past the
 * end of the input a generator seeded by the input takes over, so every
 * input is a whole campaign.
 */
#include "model.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t len);

int LLVMFuzzerTestOneInput(const u8 *data, size_t len)
{
	struct rng g;
	u64 ring;

	if (len < 2)
		return 0;
	ring = (16 + data[0] % 17) * (u64)RR_BLOCK_SIZE;	/* wraps often */
	rng_bytes(&g, data + 1, len - 1);
	if (model_campaign(&g, ring, 30, stderr))
		__builtin_trap();
	return 0;
}
