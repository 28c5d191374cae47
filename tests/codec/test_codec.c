// SPDX-License-Identifier: GPL-2.0
/*
 * test_codec.c - userspace tests of rraft_format.c (superblock, state
 * slots, log records, block-write commands) and rraft_parse.c (sysfs
 * strings).  Round trips, every single-byte corruption rejected, every bad
 * string of a table rejected with -EINVAL and the expected message.
 * Prints one line per failed check and ends with "N passed, N failed".
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "rraft_format.h"
#include "rraft_parse.h"
#include "../lib/check.h"

static const u8 uuid[RR_UUID_LEN] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
};

#define DEV (256ull << 20)
#define LOG (16ull << 20)

/* ---------------- superblock ---------------- */

static void make_sb(struct rr_sb *sb)
{
	memset(sb, 0, sizeof(*sb));
	if (rraft_sb_layout(sb, DEV, LOG))
		abort();
	memcpy(sb->uuid, uuid, RR_UUID_LEN);
	memcpy(sb->ident, uuid, RR_IDENT_LEN);
	sb->ident[0] = 0xa5;
	sb->cluster_id = 0x5eedull;
	sb->node_id = 2;
	sb->conf.voters[0] = 1;
	sb->conf.voters[1] = 2;
	sb->conf.voters[2] = 3;
	sb->conf.n_voters = 3;
}

static void test_sb_layout(void)
{
	struct rr_sb sb;

	CHECK(rraft_sb_layout(&sb, DEV, LOG) == 0, "layout");
	CHECK(sb.log_off == RR_LOG_OFF && sb.log_blocks == LOG / 4096, "log");
	CHECK(sb.data_off % RR_DATA_ALIGN == 0, "data aligned %llu",
	      (unsigned long long)sb.data_off);
	CHECK(sb.data_off >= sb.log_off + sb.log_blocks, "no overlap");
	CHECK(sb.data_off + sb.data_blocks == DEV / 4096, "fills device");
	CHECK(rraft_sb_layout(&sb, DEV, RR_MIN_LOG_BYTES - 4096) == -EINVAL, "small log");
	CHECK(rraft_sb_layout(&sb, DEV, LOG + 512) == -EINVAL, "unaligned log");
	CHECK(rraft_sb_layout(&sb, DEV, RR_MAX_LOG_BYTES + 4096) == -EINVAL, "huge log");
	CHECK(rraft_sb_layout(&sb, 0, RR_MIN_LOG_BYTES) == -ENOSPC, "empty dev");
	CHECK(rraft_sb_layout(&sb, 2ull << 20, RR_MIN_LOG_BYTES) == -ENOSPC, "2M dev");
	/* smallest device: 1 MiB aligned metadata + 1 MiB log + 1 MiB data */
	CHECK(rraft_sb_layout(&sb, (1ull << 20) * 2 + (1ull << 20), RR_MIN_LOG_BYTES) == 0 ||
	      rraft_sb_layout(&sb, 4ull << 20, RR_MIN_LOG_BYTES) == 0, "minimum fits");
	CHECK(rraft_sb_layout(&sb, (2ull << 20) + (1ull << 20) - 4096,
			   RR_MIN_LOG_BYTES) == -ENOSPC, "one block short");
}

static void test_sb_roundtrip(void)
{
	static u8 blk[RR_BLOCK_SIZE];
	struct rr_sb sb, out;
	const char *why;

	make_sb(&sb);
	rraft_sb_encode(&sb, blk);
	CHECK(rraft_sb_decode(&out, blk, DEV, &why) == 0, "decode: %s", why);
	CHECK(out.node_id == 2 && out.cluster_id == 0x5eed, "ids");
	CHECK(!memcmp(out.uuid, uuid, RR_UUID_LEN), "uuid");
	CHECK(!memcmp(out.ident, sb.ident, RR_IDENT_LEN) && blk[112] == 0xa5 &&
	      blk[127] == 16, "member identity at 112..127");
	CHECK(out.data_off == sb.data_off && out.data_blocks == sb.data_blocks &&
	      out.log_blocks == sb.log_blocks, "layout");
	CHECK(out.conf.n_voters == 3 && out.conf.voters[2] == 3, "conf");
	CHECK(rraft_sb_decode(&out, blk, DEV * 2, &why) == 0, "bigger device ok");
	CHECK(rraft_sb_decode(&out, blk, DEV - 4096, &why) == -EUCLEAN &&
	      strstr(why, "smaller"), "shrunk device: %s", why);
}

static void test_sb_corrupt(void)
{
	static u8 blk[RR_BLOCK_SIZE], bad[RR_BLOCK_SIZE];
	struct rr_sb sb, out;
	const char *why;
	int i, bit, ok = 1, ret;

	make_sb(&sb);
	rraft_sb_encode(&sb, blk);
	for (i = 0; i < RR_SB_SIZE; i++) {
		for (bit = 0; bit < 8; bit += 3) {
			memcpy(bad, blk, sizeof(bad));
			bad[i] ^= (u8)(1u << bit);
			ret = rraft_sb_decode(&out, bad, DEV, &why);
			if (i < 8 ? ret != -ENOENT : ret != -EUCLEAN) {
				ok = 0;
				printf("sb byte %d bit %d: ret %d\n", i, bit, ret);
			}
		}
	}
	CHECK(ok, "every corruption of the superblock is rejected");
	memset(bad, 0, sizeof(bad));
	CHECK(rraft_sb_decode(&out, bad, DEV, &why) == -ENOENT, "zeroes: foreign");
	memset(bad, 0xff, sizeof(bad));
	CHECK(rraft_sb_decode(&out, bad, DEV, &why) == -ENOENT, "ones: foreign");
}

/* A superblock with valid crc but a semantic error is still refused. */
static void test_sb_semantic(void)
{
	static u8 blk[RR_BLOCK_SIZE];
	struct rr_sb sb, out;
	const char *why;

	make_sb(&sb);
	sb.node_id = 0;
	rraft_sb_encode(&sb, blk);
	CHECK(rraft_sb_decode(&out, blk, DEV, &why) == -EUCLEAN, "node 0");
	make_sb(&sb);
	sb.cluster_id = 0;
	rraft_sb_encode(&sb, blk);
	CHECK(rraft_sb_decode(&out, blk, DEV, &why) == -EUCLEAN, "cluster 0");
	make_sb(&sb);
	sb.node_id = 70000;
	rraft_sb_encode(&sb, blk);
	CHECK(rraft_sb_decode(&out, blk, DEV, &why) == -EUCLEAN, "node > 65535");
	make_sb(&sb);
	sb.data_off = sb.log_off + 1;
	rraft_sb_encode(&sb, blk);
	CHECK(rraft_sb_decode(&out, blk, DEV, &why) == -EUCLEAN, "data overlaps log");
	make_sb(&sb);
	sb.block_size = 512;
	rraft_sb_encode(&sb, blk);
	CHECK(rraft_sb_decode(&out, blk, DEV, &why) == -EUCLEAN, "block size");
	make_sb(&sb);
	sb.flags = 4;
	rraft_sb_encode(&sb, blk);
	CHECK(rraft_sb_decode(&out, blk, DEV, &why) == -EUCLEAN, "flags");
	make_sb(&sb);
	sb.version = 3;
	rraft_sb_encode(&sb, blk);
	CHECK(rraft_sb_decode(&out, blk, DEV, &why) == -EUCLEAN &&
	      strstr(why, "version"), "version: %s", why);
	make_sb(&sb);
	sb.version = 1;
	rraft_sb_encode(&sb, blk);
	CHECK(rraft_sb_decode(&out, blk, DEV, &why) == -EUCLEAN &&
	      strstr(why, "version 1 has no member identity"),
	      "version 1: %s", why);
	make_sb(&sb);
	memset(sb.ident, 0, RR_IDENT_LEN);
	rraft_sb_encode(&sb, blk);
	CHECK(rraft_sb_decode(&out, blk, DEV, &why) == -EUCLEAN &&
	      strstr(why, "identity"), "zero identity: %s", why);
	make_sb(&sb);
	sb.data_blocks--;
	rraft_sb_encode(&sb, blk);
	CHECK(rraft_sb_decode(&out, blk, DEV, &why) == -EUCLEAN, "sizes don't add up");
	make_sb(&sb);
	sb.conf.voters[1] = 1;	/* duplicate voter */
	rraft_sb_encode(&sb, blk);
	CHECK(rraft_sb_decode(&out, blk, DEV, &why) == -EUCLEAN, "bad conf: %s",
	      why ? why : "accepted");
}

/* ---------------- state slots ---------------- */

static void make_state(struct rr_state *st, u64 seq)
{
	memset(st, 0, sizeof(*st));
	st->seq = seq;
	memcpy(st->uuid, uuid, RR_UUID_LEN);
	st->term = 7;
	st->vote = 3;
	st->commit = 100;
	st->snap_index = 90;
	st->snap_term = 6;
	st->snap_conf.voters[0] = 1;
	st->snap_conf.voters[1] = 2;
	st->snap_conf.n_voters = 2;
	st->snap_conf.learners[0] = 4;
	st->snap_conf.n_learners = 1;
	st->ring_head = 123 * 4096;
	st->ring_head_seq = 55;
}

static const u8 other_ident[RR_IDENT_LEN] = { [15] = 0x77 };

static void test_state(void)
{
	static u8 blk[RR_BLOCK_SIZE], bad[RR_BLOCK_SIZE];
	struct rr_state st, out, two[2];
	u8 other[RR_UUID_LEN];
	bool valid[2];
	const char *why;
	int i, ok = 1;

	make_state(&st, 9);
	st.flags = RR_STF_INCONSISTENT;
	st.pend_index = 200;
	st.pend_term = 7;
	st.pend_offset = 1 << 20;
	st.pend_base = 150;
	st.pend_conf.voters[0] = 5;
	st.pend_conf.n_voters = 1;
	CHECK(!rraft_idents_set(&st.idents, 3, uuid) &&
	      !rraft_idents_set(&st.idents, 1, other_ident) &&
	      st.idents.n == 2 && st.idents.e[0].id == 1, "idents sorted");
	rraft_state_encode(&st, blk);
	CHECK(rraft_state_decode(&out, blk, uuid, &why) == 0, "decode: %s", why);
	CHECK(!memcmp(&out.idents, &st.idents, sizeof(st.idents)),
	      "identities round trip");
	CHECK(out.seq == 9 && out.term == 7 && out.vote == 3 && out.commit == 100 &&
	      out.snap_index == 90 && out.snap_term == 6 &&
	      out.ring_head == 123 * 4096 && out.ring_head_seq == 55, "fields");
	CHECK(out.snap_conf.n_voters == 2 && out.snap_conf.n_learners == 1 &&
	      out.snap_conf.learners[0] == 4, "snap conf");
	CHECK(out.flags == RR_STF_INCONSISTENT && out.pend_index == 200 &&
	      out.pend_offset == 1 << 20 && out.pend_base == 150 &&
	      out.pend_conf.voters[0] == 5, "pending install");
	for (i = 0; i < RR_STATE_SIZE; i++) {
		memcpy(bad, blk, sizeof(bad));
		bad[i] ^= 0x40;
		if (rraft_state_decode(&out, bad, uuid, &why) != -EUCLEAN) {
			ok = 0;
			printf("state byte %d accepted\n", i);
		}
	}
	CHECK(ok, "every corruption of a state slot is rejected");
	memcpy(other, uuid, sizeof(other));
	other[0] ^= 1;
	CHECK(rraft_state_decode(&out, blk, other, &why) == -EUCLEAN &&
	      strstr(why, "uuid"), "other device");
	memset(bad, 0, sizeof(bad));
	CHECK(rraft_state_decode(&out, bad, uuid, &why) == -EUCLEAN, "zeroed slot");

	make_state(&st, 1);
	st.snap_term = 9;	/* > term */
	rraft_state_encode(&st, blk);
	CHECK(rraft_state_decode(&out, blk, uuid, &why) == -EUCLEAN, "snap term > term");
	make_state(&st, 1);
	st.snap_index = 0;
	rraft_state_encode(&st, blk);
	CHECK(rraft_state_decode(&out, blk, uuid, &why) == -EUCLEAN, "index 0 term 6");
	make_state(&st, 1);
	st.flags = 2;
	rraft_state_encode(&st, blk);
	CHECK(rraft_state_decode(&out, blk, uuid, &why) == -EUCLEAN, "flags");
	make_state(&st, 0);
	rraft_state_encode(&st, blk);
	CHECK(rraft_state_decode(&out, blk, uuid, &why) == -EUCLEAN, "seq 0");

	make_state(&two[0], 5);
	make_state(&two[1], 6);
	valid[0] = valid[1] = true;
	CHECK(rraft_state_pick(two, valid) == 1, "newest");
	two[0].seq = 8;
	CHECK(rraft_state_pick(two, valid) == 0, "newest A");
	valid[0] = false;
	CHECK(rraft_state_pick(two, valid) == 1, "only B");
	valid[0] = true;
	valid[1] = false;
	CHECK(rraft_state_pick(two, valid) == 0, "only A");
	valid[0] = false;
	CHECK(rraft_state_pick(two, valid) == -1, "none");
}

/* ---------------- log records ---------------- */

#define NE 5

static u8 payload[NE][300];

static void make_ents(struct raft_entry *e)
{
	int i, j;

	for (i = 0; i < NE; i++) {
		for (j = 0; j < 300; j++)
			payload[i][j] = (u8)(i * 31 + j);
		e[i].index = 41 + i;
		e[i].term = i < 3 ? 5 : 6;
		e[i].type = i == 2 ? RAFT_ENTRY_NOOP : RAFT_ENTRY_NORMAL;
		e[i].len = i == 2 ? 0 : 100 + 40 * i;
		e[i].data = i == 2 ? NULL : payload[i];
	}
}

static void test_log(void)
{
	static u8 buf[2 * RR_BLOCK_SIZE], bad[2 * RR_BLOCK_SIZE];
	struct raft_entry ents[NE], e;
	struct rr_log_hdr h;
	u64 bytes;
	u32 pos = 0;
	int i, ret, ok = 1;

	make_ents(ents);
	memset(buf, 0, sizeof(buf));
	bytes = rraft_log_encode(buf, 77, uuid, 0xabcdef01u, ents, NE);
	CHECK(bytes == rraft_log_record_bytes(ents, NE), "size %llu",
	      (unsigned long long)bytes);
	CHECK(rr_blocks_up(bytes) == 1, "one block");
	CHECK(rr_blocks_up(RR_BLOCK_SIZE + 1) == 2, "blocks_up");
	ret = rraft_log_decode_hdr(&h, buf, uuid, 77, RR_BLOCK_SIZE);
	CHECK(ret == 0, "decode hdr %d", ret);
	CHECK(h.first_index == 41 && h.n_entries == NE && h.seq == 77 &&
	      h.prev_crc == 0xabcdef01u, "hdr fields");
	CHECK(h.crc == rraft_log_crc(buf) && rraft_log_crc_ok(&h, buf), "crc");
	for (i = 0; i < NE; i++) {
		ret = rraft_log_next_entry(&h, buf, &pos, (u32)i, &e);
		CHECK(ret == 1 && e.index == ents[i].index && e.term == ents[i].term &&
		      e.type == ents[i].type && e.len == ents[i].len &&
		      (!e.len || !memcmp(e.data, ents[i].data, e.len)),
		      "entry %d", i);
	}
	CHECK(rraft_log_next_entry(&h, buf, &pos, NE, &e) == 0, "end");
	CHECK(rraft_log_decode_hdr(&h, buf, uuid, 78, RR_BLOCK_SIZE) == -ENOENT,
	      "wrong seq is not this record");
	bad[0] = 0;
	CHECK(rraft_log_decode_hdr(&h, bad, uuid, 77, RR_BLOCK_SIZE) == -ENOENT,
	      "zero block");
	CHECK(rraft_log_decode_hdr(&h, buf, uuid, 77, bytes - 1) == -EUCLEAN,
	      "payload beyond the ring");

	/* every single-byte change of header or payload is caught */
	for (i = 0; i < (int)bytes; i++) {
		memcpy(bad, buf, sizeof(bad));
		bad[i] ^= 0x10;
		ret = rraft_log_decode_hdr(&h, bad, uuid, 77, RR_BLOCK_SIZE);
		if (!ret && rraft_log_crc_ok(&h, bad)) {
			ok = 0;
			printf("log byte %d accepted\n", i);
		}
	}
	CHECK(ok, "every corruption of a record is rejected");

	/* torn: the second half of a two-block record missing */
	{
		static u8 big[300 * 20];
		struct raft_entry one = { .index = 9, .term = 1,
					  .type = RAFT_ENTRY_NORMAL,
					  .len = 5000, .data = big };

		memset(big, 0x5a, sizeof(big));
		bytes = rraft_log_encode(buf, 3, uuid, 0, &one, 1);
		CHECK(rr_blocks_up(bytes) == 2, "two blocks");
		memset(buf + RR_BLOCK_SIZE, 0, RR_BLOCK_SIZE);
		ret = rraft_log_decode_hdr(&h, buf, uuid, 3, 2 * RR_BLOCK_SIZE);
		CHECK(ret == 0 && !rraft_log_crc_ok(&h, buf), "torn record fails crc");
	}

	/* a well-formed crc over malformed entries is refused by the iterator */
	{
		struct raft_entry one = { .index = 9, .term = 1,
					  .type = RAFT_ENTRY_NORMAL,
					  .len = 10, .data = payload[0] };

		memset(buf, 0, sizeof(buf));
		rraft_log_encode(buf, 3, uuid, 0, &one, 1);
		rr_put_le32(11, buf + RR_LOG_HDR_SIZE + 12);	/* len beyond */
		CHECK(rraft_log_decode_hdr(&h, buf, uuid, 3, RR_BLOCK_SIZE) == 0, "hdr");
		pos = 0;
		CHECK(rraft_log_next_entry(&h, buf, &pos, 0, &e) == -EUCLEAN, "len");
		rraft_log_encode(buf, 3, uuid, 0, &one, 1);
		rr_put_le32(7, buf + RR_LOG_HDR_SIZE + 8);	/* bad type */
		pos = 0;
		CHECK(rraft_log_next_entry(&h, buf, &pos, 0, &e) == -EUCLEAN, "type");
		rraft_log_encode(buf, 3, uuid, 0, &one, 1);
		rr_put_le64(0, buf + RR_LOG_HDR_SIZE);		/* term 0 */
		pos = 0;
		CHECK(rraft_log_next_entry(&h, buf, &pos, 0, &e) == -EUCLEAN, "term 0");
		rraft_log_encode(buf, 3, uuid, 0, &one, 1);
		rr_put_le32(2, buf + 12);			/* n_entries 2 */
		CHECK(rraft_log_decode_hdr(&h, buf, uuid, 3, RR_BLOCK_SIZE) == -EUCLEAN,
		      "count beyond payload");
		/* count fits the header check, but the entries don't add up */
		rraft_log_encode(buf, 3, uuid, 0, &one, 1);
		CHECK(rraft_log_decode_hdr(&h, buf, uuid, 3, RR_BLOCK_SIZE) == 0, "hdr2");
		h.n_entries = 1;
		h.payload_len += 4;
		pos = 0;
		CHECK(rraft_log_next_entry(&h, buf, &pos, 0, &e) == 1 &&
		      rraft_log_next_entry(&h, buf, &pos, 1, &e) == -EUCLEAN,
		      "trailing bytes after the last entry");
		rraft_log_encode(buf, 3, uuid, 0, &one, 1);
		rr_put_le32(0, buf + 12);			/* n_entries 0 */
		CHECK(rraft_log_decode_hdr(&h, buf, uuid, 3, RR_BLOCK_SIZE) == -EUCLEAN,
		      "empty record");
		rraft_log_encode(buf, 3, uuid, 0, &one, 1);
		buf[60] = 1;					/* reserved */
		CHECK(rraft_log_decode_hdr(&h, buf, uuid, 3, RR_BLOCK_SIZE) == -EUCLEAN,
		      "reserved bytes");
	}
}

/* ---------------- commands ---------------- */

static void test_cmd(void)
{
	static u8 buf[RR_CMD_HDR_SIZE + 8192];
	struct rr_cmd c;

	memset(buf, 0xab, sizeof(buf));
	rraft_cmd_encode_hdr(buf, 1 << 20, 8192);
	CHECK(rraft_cmd_decode(&c, buf, sizeof(buf), 2 << 20) == 0, "ok");
	CHECK(c.offset == 1 << 20 && c.len == 8192 && c.data == buf + 12, "fields");
	CHECK(rraft_cmd_decode(&c, buf, sizeof(buf), (1 << 20) + 4096) == -EINVAL,
	      "beyond device");
	CHECK(rraft_cmd_decode(&c, buf, sizeof(buf) - 1, 2 << 20) == -EINVAL,
	      "length mismatch");
	CHECK(rraft_cmd_decode(&c, buf, 11, 2 << 20) == -EINVAL, "short");
	rraft_cmd_encode_hdr(buf, 512, 8192);
	CHECK(rraft_cmd_decode(&c, buf, sizeof(buf), 2 << 20) == -EINVAL, "unaligned");
	rraft_cmd_encode_hdr(buf, ~0ull - 4095, 8192);
	CHECK(rraft_cmd_decode(&c, buf, sizeof(buf), ~0ull) == -EINVAL, "wraps");
	rraft_cmd_encode_hdr(buf, 0, 0);
	CHECK(rraft_cmd_decode(&c, buf, 12, 2 << 20) == -EINVAL, "empty write");
	CHECK(!c.claim, "write is not a claim");
	rraft_cmd_encode_claim(buf, 3);
	CHECK(rraft_cmd_decode(&c, buf, 12, 2 << 20) == 0 && c.claim &&
	      c.writer == 3 && c.len == 0, "claim 3");
	rraft_cmd_encode_claim(buf, 0);
	CHECK(rraft_cmd_decode(&c, buf, 12, 2 << 20) == 0 && c.claim &&
	      c.writer == 0, "claim 0");
	CHECK(rraft_cmd_decode(&c, buf, 13, 2 << 20) == -EINVAL,
	      "claim with trailing byte");
	rraft_cmd_encode_claim(buf, RR_CMD_MAX_WRITER + 1);
	CHECK(rraft_cmd_decode(&c, buf, 12, 2 << 20) == -EINVAL, "claim id too big");
}

/* Zero ranges (discard / write-zeroes): a range, no payload. */
static void test_cmd_zero(void)
{
	u8 buf[RR_CMD_ZERO_SIZE + 1];
	const u64 dev = 8ull << 30;	/* above 4 GiB: 64-bit lengths */
	struct rr_cmd c;

	rraft_cmd_encode_zero(buf, 4096, dev - 4096, true);
	CHECK(rr_get_le64(buf) == RR_CMD_ZERO_TAG && rr_get_le32(buf + 8) == 1 &&
	      rr_get_le64(buf + 12) == 4096 && rr_get_le64(buf + 20) == dev - 4096,
	      "zero layout: tag, flags, offset, length");
	CHECK(rraft_cmd_decode(&c, buf, RR_CMD_ZERO_SIZE, dev) == 0 && c.zero &&
	      c.unmap && !c.claim && !c.ident && c.offset == 4096 &&
	      c.zero_len == dev - 4096 && c.len == 0, "zero range to the end");
	rraft_cmd_encode_zero(buf, 0, 4096, false);
	CHECK(rraft_cmd_decode(&c, buf, RR_CMD_ZERO_SIZE, dev) == 0 && c.zero &&
	      !c.unmap && c.zero_len == 4096, "write-zeroes without unmap");
	CHECK(rraft_cmd_decode(&c, buf, RR_CMD_ZERO_SIZE - 1, dev) == -EINVAL,
	      "zero: short");
	CHECK(rraft_cmd_decode(&c, buf, RR_CMD_ZERO_SIZE + 1, dev) == -EINVAL,
	      "zero: trailing byte");
	rraft_cmd_encode_zero(buf, 4096, dev, true);
	CHECK(rraft_cmd_decode(&c, buf, RR_CMD_ZERO_SIZE, dev) == -EINVAL,
	      "zero: beyond the data area");
	rraft_cmd_encode_zero(buf, dev, 4096, true);
	CHECK(rraft_cmd_decode(&c, buf, RR_CMD_ZERO_SIZE, dev) == -EINVAL,
	      "zero: starts at the end");
	rraft_cmd_encode_zero(buf, 8192, ~0ull - 4095, true);
	CHECK(rraft_cmd_decode(&c, buf, RR_CMD_ZERO_SIZE, ~0ull) == -EINVAL,
	      "zero: wraps");
	rraft_cmd_encode_zero(buf, 4096, 0, true);
	CHECK(rraft_cmd_decode(&c, buf, RR_CMD_ZERO_SIZE, dev) == -EINVAL,
	      "zero: empty");
	rraft_cmd_encode_zero(buf, 512, 4096, true);
	CHECK(rraft_cmd_decode(&c, buf, RR_CMD_ZERO_SIZE, dev) == -EINVAL,
	      "zero: unaligned offset");
	rraft_cmd_encode_zero(buf, 4096, 4096 + 512, true);
	CHECK(rraft_cmd_decode(&c, buf, RR_CMD_ZERO_SIZE, dev) == -EINVAL,
	      "zero: unaligned length");
	rraft_cmd_encode_zero(buf, 4096, 4096, true);
	rr_put_le32(2, buf + 8);
	CHECK(rraft_cmd_decode(&c, buf, RR_CMD_ZERO_SIZE, dev) == -EINVAL,
	      "zero: unknown flag");
	/* a block write decoded after a zero range carries no zero state */
	rraft_cmd_encode_hdr(buf, 0, 4096);
	CHECK(rraft_cmd_decode(&c, buf, RR_CMD_HDR_SIZE, dev) == -EINVAL &&
	      !c.zero && !c.zero_len, "zero state reset");
}

/* Identity tables: canonical (ids increasing), non-zero identities. */
static void test_idents(void)
{
	static const u8 zero[RR_IDENT_LEN];
	u8 buf[RR_CMD_IDENT_MAX_SIZE];
	struct rr_idents t = {}, out;
	struct rr_cmd c;
	u32 len, i;

	CHECK(rraft_idents_set(&t, 0, uuid) == -EINVAL &&
	      rraft_idents_set(&t, 65536, uuid) == -EINVAL &&
	      rraft_idents_set(&t, 2, zero) == -EINVAL, "bad id or zero ident");
	for (i = RR_IDENT_MAX; i >= 1; i--)
		CHECK(!rraft_idents_set(&t, i * 10, uuid), "set %u", i * 10);
	CHECK(t.n == RR_IDENT_MAX && t.e[0].id == 10, "full, sorted");
	CHECK(rraft_idents_set(&t, 5, uuid) == -ENOSPC, "table full");
	CHECK(!rraft_idents_set(&t, 20, other_ident) &&
	      rraft_idents_find(&t, 20)[15] == 0x77, "replace an entry");
	CHECK(!rraft_idents_set(&t, 10, NULL) && !rraft_idents_find(&t, 10) &&
	      t.n == RR_IDENT_MAX - 1 && t.e[0].id == 20, "drop an entry");
	CHECK(!rraft_idents_set(&t, 11, NULL) && t.n == RR_IDENT_MAX - 1,
	      "drop an absent entry");
	len = rraft_cmd_encode_idents(buf, &t);
	CHECK(len == RR_CMD_HDR_SIZE + t.n * RR_IDENT_ENT_SIZE, "cmd length");
	CHECK(rraft_cmd_decode(&c, buf, len, 2 << 20) == 0 && c.ident &&
	      !c.claim && c.len == t.n, "ident command");
	CHECK(!rraft_idents_decode(&out, c.data, c.len) &&
	      !memcmp(&out, &t, sizeof(t)), "ident command round trip");
	CHECK(rraft_cmd_decode(&c, buf, len - 1, 2 << 20) == -EINVAL,
	      "ident command short");
	buf[RR_CMD_HDR_SIZE + RR_IDENT_ENT_SIZE] = 1;	/* id 20 -> 1 */
	CHECK(rraft_cmd_decode(&c, buf, len, 2 << 20) == -EINVAL,
	      "ids not increasing");
	len = rraft_cmd_encode_idents(buf, &t);
	memset(buf + RR_CMD_HDR_SIZE + 4, 0, RR_IDENT_LEN);
	CHECK(rraft_cmd_decode(&c, buf, len, 2 << 20) == -EINVAL, "zero ident");
	t.n = 0;
	len = rraft_cmd_encode_idents(buf, &t);
	CHECK(rraft_cmd_decode(&c, buf, len, 2 << 20) == 0 && c.ident &&
	      c.len == 0, "empty table");
	rr_put_le32(RR_IDENT_MAX + 1, buf + 8);
	CHECK(rraft_cmd_decode(&c, buf, len, 2 << 20) == -EINVAL, "too many");
}

/* Received entries are checked before they are persisted. */
static void test_entries_check(void)
{
	static u8 w[RR_CMD_HDR_SIZE + 4096];
	u8 conf[RAFT_CONF_ENCODED_SIZE], claim[RR_CMD_HDR_SIZE];
	u8 zero[RR_CMD_ZERO_SIZE];
	struct raft_entry ez = { .term = 1, .index = 9, .len = sizeof(zero),
				 .type = RAFT_ENTRY_NORMAL, .data = zero };
	struct raft_conf c = { .n_voters = 1, .voters = { 1 } };
	struct raft_entry e[4] = {
		{ .term = 1, .index = 5, .type = RAFT_ENTRY_NOOP },
		{ .term = 1, .index = 6, .type = RAFT_ENTRY_NORMAL,
		  .len = sizeof(w), .data = w },
		{ .term = 1, .index = 7, .type = RAFT_ENTRY_CONF,
		  .len = sizeof(conf), .data = conf },
		{ .term = 1, .index = 8, .type = RAFT_ENTRY_NORMAL,
		  .len = sizeof(claim), .data = claim },
	};
	u64 bad = 0;

	rraft_cmd_encode_hdr(w, 8192, 4096);
	raft_conf_encode(&c, conf);
	rraft_cmd_encode_claim(claim, 1);
	CHECK(rraft_entries_check(e, 4, 1 << 20, &bad) == 0, "valid entries");
	CHECK(rraft_entries_check(e, 4, 8192, &bad) == -EINVAL && bad == 6,
	      "write past the data area: entry %llu", (unsigned long long)bad);
	rraft_cmd_encode_hdr(w, 100, 4096);
	CHECK(rraft_entries_check(e, 4, 1 << 20, &bad) == -EINVAL && bad == 6,
	      "unaligned write");
	rraft_cmd_encode_hdr(w, 8192, 4096);
	conf[0] = 10;	/* 10 voters */
	CHECK(rraft_entries_check(e, 4, 1 << 20, &bad) == -EINVAL && bad == 7,
	      "bad configuration");
	raft_conf_encode(&c, conf);
	e[3].len = 3;
	CHECK(rraft_entries_check(e, 4, 1 << 20, &bad) == -EINVAL && bad == 8,
	      "short command");
	CHECK(rraft_entries_check(e, 0, 1 << 20, &bad) == 0, "no entries");
	rraft_cmd_encode_zero(zero, 8192, 8192, true);
	CHECK(rraft_entries_check(&ez, 1, 1 << 20, &bad) == 0, "zero range");
	CHECK(rraft_entries_check(&ez, 1, 12288, &bad) == -EINVAL && bad == 9,
	      "zero range past the data area");
}

/* ---------------- parsers ---------------- */

static int pf(struct rr_format_args *a, const char *s, struct rr_perr *e)
{
	return rraft_parse_format(a, s, strlen(s), e);
}

static int pc(struct rr_create_args *a, const char *s, struct rr_perr *e)
{
	return rraft_parse_create(a, s, strlen(s), e);
}

static void test_parse_format(void)
{
	struct rr_format_args a;
	struct rr_perr e;
	static const struct {
		const char *in;
		const char *msg;	/* substring of the message */
		const char *tok;	/* expected token */
	} bad[] = {
		{ "", "missing required key", "backing" },
		{ "\n", "missing required key", "backing" },
		{ "node=1 cluster=1", "missing required key", "backing" },
		{ "backing=/dev/vdb cluster=1", "missing required key", "node" },
		{ "backing=/dev/vdb node=1", "missing required key", "cluster" },
		{ "backing=/dev/vdb node=1 cluster=1 colour=red", "unknown key", "colour" },
		{ "backing=/dev/vdb node=1 node=2 cluster=1", "duplicate key", "node" },
		{ "backing=/dev/vdb node=0 cluster=1", "out of range", "node" },
		{ "backing=/dev/vdb node=65536 cluster=1", "out of range", "node" },
		{ "backing=/dev/vdb node=-1 cluster=1", "bad number", "node" },
		{ "backing=/dev/vdb node=1x cluster=1", "bad number", "node" },
		{ "backing=/dev/vdb node= cluster=1", "empty value", "node" },
		{ "backing=/dev/vdb node=1 cluster=0", "out of range", "cluster" },
		{ "backing=/dev/vdb node=1 cluster=0x", "bad number", "cluster" },
		{ "backing=/dev/vdb node=1 cluster=0x1g", "bad number", "cluster" },
		{ "backing=/dev/vdb node=1 cluster=18446744073709551616", "overflows", "cluster" },
		{ "backing=/dev/vdb node=1 cluster=0x10000000000000000", "overflows", "cluster" },
		{ "backing=vdb node=1 cluster=1", "absolute path", "backing" },
		{ "backing=/dev/vdb node=1 cluster=1 members=1,,2", "empty list element", "members" },
		{ "backing=/dev/vdb node=1 cluster=1 members=1,2,", "empty list element", "members" },
		{ "backing=/dev/vdb node=1 cluster=1 members=1,2,1", "duplicate id", "members" },
		{ "backing=/dev/vdb node=1 cluster=1 members=0", "out of range", "members" },
		{ "backing=/dev/vdb node=1 cluster=1 members=1,2,3,4,5,6,7,8,9,10", "too many", "members" },
		{ "backing=/dev/vdb node=1 cluster=1 log=512K", "1M..16G", "log" },
		{ "backing=/dev/vdb node=1 cluster=1 log=17G", "1M..16G", "log" },
		{ "backing=/dev/vdb node=1 cluster=1 log=1048577", "multiple of 4K", "log" },
		{ "backing=/dev/vdb node=1 cluster=1 log=64T", "bad number", "log" },
		{ "backing=/dev/vdb node=1 cluster=1 log=M", "bad number", "log" },
		{ "backing=/dev/vdb node=1 cluster=1 force=2", "out of range", "force" },
		{ "backing=/dev/vdb node=1 cluster=1 force", "expected key=value", "force" },
		{ "backing=/dev/vdb node=1 cluster=1 =1", "unknown key", "" },
	};
	size_t i;
	int ret;

	ret = pf(&a, "backing=/dev/vdb node=1 cluster=0x5eed members=1,2,3 log=64M force=1\n", &e);
	CHECK(ret == 0, "all keys: %s %s", ret ? e.msg : "", ret ? e.tok : "");
	CHECK(!strcmp(a.backing, "/dev/vdb") && a.node == 1 && a.cluster == 0x5eed &&
	      a.n_members == 3 && a.members[2] == 3 && a.log_bytes == 64ull << 20 &&
	      a.force, "fields");
	ret = pf(&a, "  cluster=24301\tnode=65535 backing=/dev/disk/by-id/x  ", &e);
	CHECK(ret == 0 && a.cluster == 24301 && a.node == 65535 && !a.force &&
	      a.n_members == 0 && a.log_bytes == RR_DEFAULT_LOG_BYTES &&
	      !a.log_given,
	      "defaults, any order, spaces");
	ret = pf(&a, "backing=/b node=1 cluster=0XFFFFFFFFFFFFFFFF log=1g", &e);
	CHECK(ret == 0 && a.cluster == ~0ull && a.log_bytes == 1ull << 30 &&
	      a.log_given, "max u64, 1g");
	ret = pf(&a, "backing=/b node=1 cluster=1 log=4096k", &e);
	CHECK(ret == 0 && a.log_bytes == 4ull << 20, "k suffix");
	ret = pf(&a, "backing=/b node=1 cluster=1 members=1,2,3,4,5,6,7,8,9", &e);
	CHECK(ret == 0 && a.n_members == 9, "nine members");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		ret = pf(&a, bad[i].in, &e);
		CHECK(ret == -EINVAL && e.msg && strstr(e.msg, bad[i].msg) &&
		      !strcmp(e.tok, bad[i].tok),
		      "'%s' -> %d '%s' '%s'", bad[i].in, ret, e.msg ? e.msg : "",
		      e.tok);
	}
	{
		char nul[] = "backing=/dev/vdb node=1\0 cluster=1";

		ret = rraft_parse_format(&a, nul, sizeof(nul) - 1, &e);
		CHECK(ret == -EINVAL && strstr(e.msg, "NUL"), "embedded NUL");
	}
	{
		static char big[RR_INPUT_MAX + 2];

		memset(big, ' ', sizeof(big));
		ret = rraft_parse_format(&a, big, sizeof(big), &e);
		CHECK(ret == -EINVAL && strstr(e.msg, "too long"), "too long");
	}
	{
		static char path[RR_PATH_MAX + 20] = "backing=/";

		memset(path + 9, 'a', RR_PATH_MAX);
		ret = pf(&a, path, &e);
		CHECK(ret == -EINVAL && strstr(e.msg, "absolute path"), "path too long");
	}
}

static void test_parse_create(void)
{
	struct rr_create_args a;
	struct rr_perr e;
	static const struct {
		const char *in;
		const char *msg;
		const char *tok;
	} bad[] = {
		{ "backing=/dev/vdb", "missing required key", "minor" },
		{ "minor=0", "missing required key", "backing" },
		{ "minor=256 backing=/dev/vdb", "out of range", "minor" },
		{ "minor=0 backing=/dev/vdb listen=10.0.0.1:0", "bad port", "listen" },
		{ "minor=0 backing=/dev/vdb listen=10.0.0.1:65536", "bad port", "listen" },
		{ "minor=0 backing=/dev/vdb listen=10.0.0.256", "IPv4", "listen" },
		{ "minor=0 backing=/dev/vdb listen=10.0.0", "IPv4", "listen" },
		{ "minor=0 backing=/dev/vdb listen=10.0.0.1.5", "IPv4", "listen" },
		{ "minor=0 backing=/dev/vdb listen=host:7789", "IPv4", "listen" },
		{ "minor=0 backing=/dev/vdb listen=10.0.0.1:", "bad port", "listen" },
		{ "minor=0 backing=/dev/vdb listen=0010.0.0.1", "IPv4", "listen" },
		{ "minor=0 backing=/dev/vdb peers=2", "<id>@<address>", "peers" },
		{ "minor=0 backing=/dev/vdb peers=0@10.0.0.2", "out of range", "peers" },
		{ "minor=0 backing=/dev/vdb peers=2@10.0.0.2,2@10.0.0.3", "duplicate peer id", "peers" },
		{ "minor=0 backing=/dev/vdb peers=2@10.0.0.2,", "empty list element", "peers" },
		{ "minor=0 backing=/dev/vdb peers=@10.0.0.2", "bad number", "peers" },
		{ "minor=0 backing=/dev/vdb secret=" "0123456789012345678901234567890123456789012345678901234567890123" "4",
		  "1..64 bytes", "secret" },
		{ "minor=0 backing=/dev/vdb secret=a\x01" "b", "printable", "secret" },
		{ "minor=0 backing=/dev/vdb node=1", "unknown key", "node" },
		{ "minor=0 minor=1 backing=/dev/vdb", "duplicate key", "minor" },
		{ "minor=0 backing=/dev/vdb listen=10.0.0.1", "needs secret=", "" },
		{ "minor=0 backing=/dev/vdb peers=2@10.0.0.2", "needs secret=", "" },
		{ "minor=0 backing=/dev/vdb peers=2@10.0.0.2 insecure=0", "needs secret=", "" },
		{ "minor=0 backing=/dev/vdb insecure=2", "out of range", "insecure" },
		{ "minor=0 backing=/dev/vdb listen=10.0.0.1 secret=s insecure=1", "not both", "" },
	};
	size_t i;
	int ret;

	ret = pc(&a, "minor=3 backing=/dev/vdb listen=10.0.0.1:7790 peers=2@10.0.0.2:7789,3@10.0.0.3 secret=s3cr3t\n", &e);
	CHECK(ret == 0, "all keys: %s %s", ret ? e.msg : "", ret ? e.tok : "");
	CHECK(a.minor == 3 && a.has_listen && a.listen.ip[0] == 10 &&
	      a.listen.ip[3] == 1 && a.listen.port == 7790, "listen");
	CHECK(a.n_peers == 2 && a.peers[0].id == 2 && a.peers[0].addr.port == 7789 &&
	      a.peers[1].id == 3 && a.peers[1].addr.ip[3] == 3 &&
	      a.peers[1].addr.port == RR_DEFAULT_PORT, "peers");
	CHECK(a.secret_len == 6 && !memcmp(a.secret, "s3cr3t", 6), "secret");
	ret = pc(&a, "minor=0 backing=/dev/vdb", &e);
	CHECK(ret == 0 && !a.has_listen && !a.n_peers && !a.secret_len, "minimal");
	ret = pc(&a, "minor=255 backing=/x listen=255.255.255.255:65535 insecure=1", &e);
	CHECK(ret == 0 && a.minor == 255 && a.listen.ip[2] == 255 &&
	      a.listen.port == 65535 && a.insecure && !a.secret_len, "limits");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		ret = pc(&a, bad[i].in, &e);
		CHECK(ret == -EINVAL && e.msg && strstr(e.msg, bad[i].msg) &&
		      !strcmp(e.tok, bad[i].tok),
		      "'%s' -> %d '%s' '%s'", bad[i].in, ret, e.msg ? e.msg : "",
		      e.tok);
	}
}

static void test_parse_values(void)
{
	struct rr_peer_arg p;
	struct rr_addr ad;
	struct rr_perr e;
	u8 sec[RR_SECRET_MAX];
	u32 len, old;
	u64 v;
	static const char *const bad_u64[] = {
		"", "\n", "abc", "1 2", "3601", "0", "-1", "1\n\n", " 1", "0x",
		"99999999999999999999",
	};
	static const char *const bad_peer[] = {
		"4", "4@", "@1.2.3.4", "4@1.2.3", "4@1.2.3.4:", "4@1.2.3.4:99999",
		"70000@1.2.3.4", "4@1.2.3.4 ", "4@1.2.3.4:7789:1", "x@1.2.3.4",
	};
	static const char *const bad_replace[] = {
		"2", "2:", ":3@1.2.3.4", "2:3", "2@1.2.3.4", "2:2@1.2.3.4",
		"0:3@1.2.3.4", "2:3@1.2.3.4:0",
	};
	static const char *const bad_secret[] = {
		"", "\n", "a b",
		"01234567890123456789012345678901234567890123456789012345678901234",
	};
	size_t i;

	CHECK(rraft_parse_u64("30\n", 3, 1, 3600, &v, &e) == 0 && v == 30, "30");
	CHECK(rraft_parse_u64("3600", 4, 1, 3600, &v, &e) == 0 && v == 3600, "3600");
	CHECK(rraft_parse_u64("0x10", 4, 1, 3600, &v, &e) == 0 && v == 16, "hex");
	for (i = 0; i < sizeof(bad_u64) / sizeof(bad_u64[0]); i++)
		CHECK(rraft_parse_u64(bad_u64[i], strlen(bad_u64[i]), 1, 3600, &v, &e) ==
		      -EINVAL && e.msg, "u64 '%s'", bad_u64[i]);

	CHECK(rraft_parse_addr("1.2.3.4:5\n", 10, &ad, &e) == 0 && ad.ip[0] == 1 &&
	      ad.ip[3] == 4 && ad.port == 5, "addr");
	CHECK(rraft_parse_peer("4@10.0.0.4:7789\n", 16, &p, &e) == 0 && p.id == 4 &&
	      p.addr.ip[3] == 4 && p.addr.port == 7789, "peer");
	for (i = 0; i < sizeof(bad_peer) / sizeof(bad_peer[0]); i++)
		CHECK(rraft_parse_peer(bad_peer[i], strlen(bad_peer[i]), &p, &e) ==
		      -EINVAL && e.msg, "peer '%s'", bad_peer[i]);

	CHECK(rraft_parse_replace("2:4@10.0.0.4", 12, &old, &p, &e) == 0 && old == 2 &&
	      p.id == 4 && p.addr.port == RR_DEFAULT_PORT, "replace");
	for (i = 0; i < sizeof(bad_replace) / sizeof(bad_replace[0]); i++)
		CHECK(rraft_parse_replace(bad_replace[i], strlen(bad_replace[i]), &old,
				       &p, &e) == -EINVAL && e.msg,
		      "replace '%s'", bad_replace[i]);

	CHECK(rraft_parse_secret("hunter2\n", 8, sec, &len, &e) == 0 && len == 7 &&
	      !memcmp(sec, "hunter2", 7), "secret");
	for (i = 0; i < sizeof(bad_secret) / sizeof(bad_secret[0]); i++)
		CHECK(rraft_parse_secret(bad_secret[i], strlen(bad_secret[i]), sec, &len,
				      &e) == -EINVAL && e.msg,
		      "secret '%s'", bad_secret[i]);
}

int main(void)
{
	test_sb_layout();
	test_sb_roundtrip();
	test_sb_corrupt();
	test_sb_semantic();
	test_state();
	test_log();
	test_cmd();
	test_cmd_zero();
	test_idents();
	test_entries_check();
	test_parse_format();
	test_parse_create();
	test_parse_values();
	printf("codec: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
