// SPDX-License-Identifier: GPL-2.0
/*
 * wire_fuzz.c - libFuzzer target for the rraft wire decoder.
 *
 *	clang -fsanitize=fuzzer,address,undefined ...   (see Makefile)
 *
 * Byte 0 of the input selects the mode, the rest is the frame:
 *   even: decode the bytes as they are (the crcs stop almost everything);
 *   odd:  first repair the header and body crc32c, so the fuzzer explores
 *         the body decoder behind the checksums.
 * Properties checked: no crash/overread/leak (sanitizers); a failed decode
 * leaves the message zeroed; a successful decode re-encodes to exactly the
 * same bytes; allocations stay within twice the frame size; the handshake
 * decoders never accept a frame of another type.
 */
#include <stdio.h>
#include "rraft_wire.h"

void *(*raft_test_malloc_hook)(size_t size);

static size_t alloc_bytes;

static void *count_malloc(size_t size)
{
	alloc_bytes += size;
	return malloc(size ? size : 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct raft_msg zero;
	struct rraft_wire_hello hello;
	struct rraft_wire_hdr h;
	struct raft_msg m;
	u8 mac[RRAFT_WIRE_MAC_SIZE];
	u32 len;
	u8 *buf;
	int err;

	if (size < 1 || size > RRAFT_WIRE_MAX_FRAME)
		return 0;
	len = (u32)size - 1;
	buf = malloc(len ? len : 1);
	memcpy(buf, data + 1, len);
	if ((data[0] & 1) && len >= RRAFT_WIRE_OVERHEAD) {
		rr_put_le32(len - RRAFT_WIRE_OVERHEAD, buf + 12);
		rr_put_le32(rraft_wire_crc(buf, 16), buf + 16);
		rr_put_le32(rraft_wire_crc(buf + RRAFT_WIRE_HDR_SIZE,
					   len - RRAFT_WIRE_OVERHEAD),
			    buf + len - RRAFT_WIRE_TRAILER_SIZE);
	}

	alloc_bytes = 0;
	raft_test_malloc_hook = count_malloc;
	err = rraft_wire_decode(buf, len, &m);
	raft_test_malloc_hook = NULL;
	if (alloc_bytes > 2 * (size_t)len + 64)
		abort();
	if (err) {
		if (memcmp(&m, &zero, sizeof(m)))
			abort();
	} else {
		u64 n = rraft_wire_msg_size(&m);
		u8 *again;

		if (n != len)
			abort();
		again = malloc(n);
		if (rraft_wire_encode(&m, again, (u32)n) != (int)n ||
		    memcmp(again, buf, n))
			abort();
		free(again);
		rraft_wire_msg_free(&m);
	}

	if (!rraft_wire_check_header(buf, len, &h) && h.body_len > len)
		(void)h;	/* header alone may claim more than we have */
	if (!rraft_wire_decode_hello(buf, len, &hello) &&
	    rr_get_le16(buf + 6) != RRAFT_WT_HELLO)
		abort();
	if (!rraft_wire_decode_auth(buf, len, mac) &&
	    rr_get_le16(buf + 6) != RRAFT_WT_AUTH)
		abort();
	if (!rraft_wire_decode_auth_ok(buf, len) &&
	    rr_get_le16(buf + 6) != RRAFT_WT_AUTH_OK)
		abort();
	free(buf);
	return 0;
}
