// SPDX-License-Identifier: GPL-2.0
/*
 * rraft_codec_kunit.c - KUnit suites for rraft's environment-neutral codecs:
 * the on-disk format (rraft_format.c), the wire format (rraft_wire.c) and
 * the sysfs parsers (rraft_parse.c).  Every decoder is fed what its encoder
 * wrote (round trip, field by field) and then damaged input: every single
 * byte flipped, truncated, or re-sealed with a valid checksum around a
 * semantically bad value.  Damaged input must be refused with an error.
 */
#include <kunit/test.h>
#include <linux/slab.h>
#include "rraft_format.h"
#include "rraft_wire.h"
#include "rraft_parse.h"

static const u8 test_uuid[RR_UUID_LEN] = {
	0x52, 0x52, 0x41, 0x46, 0x54, 0x2d, 0x6b, 0x75,
	0x6e, 0x69, 0x74, 0x2d, 0x75, 0x75, 0x69, 0x64,
};

static void fill_conf(struct raft_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->voters[0] = 1;
	c->voters[1] = 2;
	c->voters[2] = 3;
	c->n_voters = 3;
	c->voters_old[0] = 1;
	c->voters_old[1] = 2;
	c->n_voters_old = 2;
	c->learners[0] = 4;
	c->n_learners = 1;
}

static void expect_conf_eq(struct kunit *test, const struct raft_conf *a,
			   const struct raft_conf *b)
{
	u32 i;

	KUNIT_EXPECT_EQ(test, a->n_voters, b->n_voters);
	KUNIT_EXPECT_EQ(test, a->n_voters_old, b->n_voters_old);
	KUNIT_EXPECT_EQ(test, a->n_learners, b->n_learners);
	for (i = 0; i < a->n_voters && i < RAFT_MAX_MEMBERS; i++)
		KUNIT_EXPECT_EQ(test, a->voters[i], b->voters[i]);
	for (i = 0; i < a->n_voters_old && i < RAFT_MAX_MEMBERS; i++)
		KUNIT_EXPECT_EQ(test, a->voters_old[i], b->voters_old[i]);
	for (i = 0; i < a->n_learners && i < RAFT_MAX_MEMBERS; i++)
		KUNIT_EXPECT_EQ(test, a->learners[i], b->learners[i]);
}

/* ------------------------------------------------------------------ */
/* on-disk format                                                      */
/* ------------------------------------------------------------------ */

#define DEV_BYTES	(64ull << 20)
#define LOG_BYTES	(4ull << 20)

static void make_sb(struct kunit *test, struct rr_sb *sb)
{
	memset(sb, 0, sizeof(*sb));
	KUNIT_ASSERT_EQ(test, 0, rraft_sb_layout(sb, DEV_BYTES, LOG_BYTES));
	memcpy(sb->uuid, test_uuid, RR_UUID_LEN);
	memcpy(sb->ident, test_uuid, RR_IDENT_LEN);
	sb->ident[0] ^= 0xff;
	sb->cluster_id = 0x5eed;
	sb->node_id = 2;
	fill_conf(&sb->conf);
}

static void rraft_format_sb_layout_test(struct kunit *test)
{
	struct rr_sb sb;

	memset(&sb, 0, sizeof(sb));
	KUNIT_ASSERT_EQ(test, 0, rraft_sb_layout(&sb, DEV_BYTES, LOG_BYTES));
	KUNIT_EXPECT_EQ(test, sb.block_size, RR_BLOCK_SIZE);
	KUNIT_EXPECT_EQ(test, sb.dev_blocks, DEV_BYTES >> RR_BLOCK_SHIFT);
	KUNIT_EXPECT_EQ(test, sb.log_blocks, LOG_BYTES >> RR_BLOCK_SHIFT);
	/* regions in order, no overlap, data area aligned and up to the end */
	KUNIT_EXPECT_GE(test, sb.state_off, 1ull);
	KUNIT_EXPECT_GE(test, sb.log_off, sb.state_off + sb.state_blocks);
	KUNIT_EXPECT_GE(test, sb.data_off, sb.log_off + sb.log_blocks);
	KUNIT_EXPECT_EQ(test, sb.data_off % RR_DATA_ALIGN, 0ull);
	KUNIT_EXPECT_EQ(test, sb.data_off + sb.data_blocks, sb.dev_blocks);

	/* bad log sizes and devices too small are refused */
	KUNIT_EXPECT_EQ(test, -EINVAL,
			rraft_sb_layout(&sb, DEV_BYTES, RR_MIN_LOG_BYTES - 4096));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			rraft_sb_layout(&sb, DEV_BYTES, LOG_BYTES + 1));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			rraft_sb_layout(&sb, DEV_BYTES, RR_MAX_LOG_BYTES + 4096));
	KUNIT_EXPECT_EQ(test, -ENOSPC, rraft_sb_layout(&sb, 2ull << 20, LOG_BYTES));
	KUNIT_EXPECT_EQ(test, -ENOSPC, rraft_sb_layout(&sb, 0, RR_MIN_LOG_BYTES));
}

static void rraft_format_sb_roundtrip_test(struct kunit *test)
{
	u8 *blk = kunit_kzalloc(test, RR_BLOCK_SIZE, GFP_KERNEL);
	struct rr_sb sb, out;
	const char *why = NULL;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, blk);
	make_sb(test, &sb);
	rraft_sb_encode(&sb, blk);
	memset(&out, 0xa5, sizeof(out));
	KUNIT_ASSERT_EQ(test, 0, rraft_sb_decode(&out, blk, DEV_BYTES, &why));
	KUNIT_EXPECT_EQ(test, out.version, RR_FORMAT_VERSION);
	KUNIT_EXPECT_EQ(test, out.flags, 0u);
	KUNIT_EXPECT_EQ(test, 0, memcmp(out.uuid, test_uuid, RR_UUID_LEN));
	KUNIT_EXPECT_EQ(test, 0, memcmp(out.ident, sb.ident, RR_IDENT_LEN));
	KUNIT_EXPECT_EQ(test, out.cluster_id, 0x5eedull);
	KUNIT_EXPECT_EQ(test, out.node_id, 2u);
	KUNIT_EXPECT_EQ(test, out.block_size, sb.block_size);
	KUNIT_EXPECT_EQ(test, out.dev_blocks, sb.dev_blocks);
	KUNIT_EXPECT_EQ(test, out.state_off, sb.state_off);
	KUNIT_EXPECT_EQ(test, out.state_blocks, sb.state_blocks);
	KUNIT_EXPECT_EQ(test, out.log_off, sb.log_off);
	KUNIT_EXPECT_EQ(test, out.log_blocks, sb.log_blocks);
	KUNIT_EXPECT_EQ(test, out.data_off, sb.data_off);
	KUNIT_EXPECT_EQ(test, out.data_blocks, sb.data_blocks);
	expect_conf_eq(test, &sb.conf, &out.conf);

	/* a bigger device than formatted is fine, a smaller one is not */
	KUNIT_EXPECT_EQ(test, 0, rraft_sb_decode(&out, blk, 2 * DEV_BYTES, &why));
	KUNIT_EXPECT_EQ(test, -EUCLEAN,
			rraft_sb_decode(&out, blk, DEV_BYTES - 4096, &why));
	KUNIT_EXPECT_NOT_ERR_OR_NULL(test, why);
}

static void rraft_format_sb_corrupt_test(struct kunit *test)
{
	u8 *blk = kunit_kzalloc(test, RR_BLOCK_SIZE, GFP_KERNEL);
	struct rr_sb sb, out;
	const char *why;
	u32 i, refused = 0;
	int ret;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, blk);
	make_sb(test, &sb);
	rraft_sb_encode(&sb, blk);
	for (i = 0; i < RR_SB_SIZE; i++) {
		blk[i] ^= 0x40;
		why = NULL;
		ret = rraft_sb_decode(&out, blk, DEV_BYTES, &why);
		if (i < 8)
			KUNIT_EXPECT_EQ_MSG(test, ret, -ENOENT, "byte %u", i);
		else
			KUNIT_EXPECT_EQ_MSG(test, ret, -EUCLEAN, "byte %u", i);
		KUNIT_EXPECT_NOT_ERR_OR_NULL_MSG(test, why, "byte %u", i);
		if (ret)
			refused++;
		blk[i] ^= 0x40;
	}
	KUNIT_EXPECT_EQ(test, refused, (u32)RR_SB_SIZE);
	KUNIT_EXPECT_EQ(test, 0, rraft_sb_decode(&out, blk, DEV_BYTES, &why));

	/* an all-zero block is not an rraft device */
	memset(blk, 0, RR_BLOCK_SIZE);
	KUNIT_EXPECT_EQ(test, -ENOENT, rraft_sb_decode(&out, blk, DEV_BYTES, &why));
}

static void make_state(struct rr_state *st, u64 seq)
{
	memset(st, 0, sizeof(*st));
	st->seq = seq;
	memcpy(st->uuid, test_uuid, RR_UUID_LEN);
	st->term = 7;
	st->vote = 3;
	st->flags = RR_STF_INCONSISTENT;
	st->commit = 1234;
	st->snap_index = 1000;
	st->snap_term = 6;
	fill_conf(&st->snap_conf);
	st->ring_head = 0x123456;
	st->ring_head_seq = 99;
	st->pend_index = 1200;
	st->pend_term = 7;
	st->pend_conf.voters[0] = 5;
	st->pend_conf.n_voters = 1;
	st->pend_offset = 1 << 20;
	st->pend_base = 900;
}

static void rraft_format_state_roundtrip_test(struct kunit *test)
{
	u8 *blk = kunit_kzalloc(test, RR_BLOCK_SIZE, GFP_KERNEL);
	u8 other[RR_UUID_LEN];
	struct rr_state st, out;
	const char *why;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, blk);
	make_state(&st, 42);
	rraft_state_encode(&st, blk);
	memset(&out, 0x5a, sizeof(out));
	KUNIT_ASSERT_EQ(test, 0, rraft_state_decode(&out, blk, test_uuid, &why));
	KUNIT_EXPECT_EQ(test, out.seq, 42ull);
	KUNIT_EXPECT_EQ(test, 0, memcmp(out.uuid, test_uuid, RR_UUID_LEN));
	KUNIT_EXPECT_EQ(test, out.term, st.term);
	KUNIT_EXPECT_EQ(test, out.vote, st.vote);
	KUNIT_EXPECT_EQ(test, out.flags, st.flags);
	KUNIT_EXPECT_EQ(test, out.commit, st.commit);
	KUNIT_EXPECT_EQ(test, out.snap_index, st.snap_index);
	KUNIT_EXPECT_EQ(test, out.snap_term, st.snap_term);
	expect_conf_eq(test, &st.snap_conf, &out.snap_conf);
	KUNIT_EXPECT_EQ(test, out.ring_head, st.ring_head);
	KUNIT_EXPECT_EQ(test, out.ring_head_seq, st.ring_head_seq);
	KUNIT_EXPECT_EQ(test, out.pend_index, st.pend_index);
	KUNIT_EXPECT_EQ(test, out.pend_term, st.pend_term);
	expect_conf_eq(test, &st.pend_conf, &out.pend_conf);
	KUNIT_EXPECT_EQ(test, out.pend_offset, st.pend_offset);
	KUNIT_EXPECT_EQ(test, out.pend_base, st.pend_base);

	/* a slot of another device is refused */
	memcpy(other, test_uuid, RR_UUID_LEN);
	other[15] ^= 1;
	KUNIT_EXPECT_EQ(test, -EUCLEAN, rraft_state_decode(&out, blk, other, &why));
}

static void rraft_format_state_corrupt_test(struct kunit *test)
{
	u8 *blk = kunit_kzalloc(test, RR_BLOCK_SIZE, GFP_KERNEL);
	struct rr_state st, out;
	const char *why;
	u32 i;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, blk);
	make_state(&st, 5);
	rraft_state_encode(&st, blk);
	for (i = 0; i < RR_STATE_SIZE; i++) {
		blk[i] ^= 0x01;
		why = NULL;
		KUNIT_EXPECT_EQ_MSG(test, -EUCLEAN,
				    rraft_state_decode(&out, blk, test_uuid, &why),
				    "byte %u", i);
		KUNIT_EXPECT_NOT_ERR_OR_NULL_MSG(test, why, "byte %u", i);
		blk[i] ^= 0x01;
	}
	KUNIT_EXPECT_EQ(test, 0, rraft_state_decode(&out, blk, test_uuid, &why));

	/* well-sealed but inconsistent: a checkpoint term beyond the term */
	st.snap_term = st.term + 1;
	rraft_state_encode(&st, blk);
	KUNIT_EXPECT_EQ(test, -EUCLEAN, rraft_state_decode(&out, blk, test_uuid, &why));
	/* and a zero sequence number */
	make_state(&st, 0);
	rraft_state_encode(&st, blk);
	KUNIT_EXPECT_EQ(test, -EUCLEAN, rraft_state_decode(&out, blk, test_uuid, &why));
}

static void rraft_format_state_pick_test(struct kunit *test)
{
	struct rr_state st[2];
	bool valid[2];

	make_state(&st[0], 10);
	make_state(&st[1], 11);
	valid[0] = true;
	valid[1] = true;
	KUNIT_EXPECT_EQ(test, 1, rraft_state_pick(st, valid));
	st[0].seq = 12;
	KUNIT_EXPECT_EQ(test, 0, rraft_state_pick(st, valid));
	valid[0] = false;
	KUNIT_EXPECT_EQ(test, 1, rraft_state_pick(st, valid));
	valid[0] = true;
	valid[1] = false;
	KUNIT_EXPECT_EQ(test, 0, rraft_state_pick(st, valid));
	valid[0] = false;
	KUNIT_EXPECT_EQ(test, -1, rraft_state_pick(st, valid));
}

#define LOG_N	4

static u64 make_log_record(u8 *buf, struct raft_entry *ents, u8 *data)
{
	u32 i, j;

	for (i = 0; i < LOG_N; i++) {
		ents[i].term = 3 + i / 2;
		ents[i].index = 100 + i;
		ents[i].type = i == 0 ? RAFT_ENTRY_NOOP :
			       i == 3 ? RAFT_ENTRY_CONF : RAFT_ENTRY_NORMAL;
		ents[i].len = i == 0 ? 0 : 10 * i + 1;
		ents[i].data = data + 64 * i;
		for (j = 0; j < ents[i].len; j++)
			ents[i].data[j] = (u8)(i * 31 + j);
	}
	return rraft_log_encode(buf, 77, test_uuid, 0xfeedf00d, ents, LOG_N);
}

static void rraft_format_log_roundtrip_test(struct kunit *test)
{
	u8 *buf = kunit_kzalloc(test, RR_BLOCK_SIZE, GFP_KERNEL);
	u8 *data = kunit_kzalloc(test, 64 * LOG_N, GFP_KERNEL);
	struct raft_entry ents[LOG_N], e;
	struct rr_log_hdr h;
	u64 bytes;
	u32 pos = 0, i;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, data);
	bytes = make_log_record(buf, ents, data);
	KUNIT_EXPECT_EQ(test, bytes, rraft_log_record_bytes(ents, LOG_N));
	KUNIT_EXPECT_EQ(test, 1ull, rr_blocks_up(bytes));
	KUNIT_EXPECT_EQ(test, 2ull, rr_blocks_up(RR_BLOCK_SIZE + 1));

	KUNIT_ASSERT_EQ(test, 0, rraft_log_decode_hdr(&h, buf, test_uuid, 77,
						      RR_BLOCK_SIZE));
	KUNIT_EXPECT_EQ(test, h.seq, 77ull);
	KUNIT_EXPECT_EQ(test, h.first_index, 100ull);
	KUNIT_EXPECT_EQ(test, h.n_entries, (u32)LOG_N);
	KUNIT_EXPECT_EQ(test, (u64)h.payload_len, bytes - RR_LOG_HDR_SIZE);
	KUNIT_EXPECT_EQ(test, h.prev_crc, 0xfeedf00du);
	KUNIT_EXPECT_EQ(test, h.crc, rraft_log_crc(buf));
	KUNIT_EXPECT_TRUE(test, rraft_log_crc_ok(&h, buf));
	for (i = 0; i < LOG_N; i++) {
		KUNIT_ASSERT_EQ(test, 1, rraft_log_next_entry(&h, buf, &pos, i, &e));
		KUNIT_EXPECT_EQ(test, e.index, ents[i].index);
		KUNIT_EXPECT_EQ(test, e.term, ents[i].term);
		KUNIT_EXPECT_EQ(test, e.type, ents[i].type);
		KUNIT_ASSERT_EQ(test, e.len, ents[i].len);
		KUNIT_EXPECT_EQ(test, 0, memcmp(e.data, ents[i].data, e.len));
	}
	KUNIT_EXPECT_EQ(test, 0, rraft_log_next_entry(&h, buf, &pos, LOG_N, &e));

	/* another record sequence number or device: not this record */
	KUNIT_EXPECT_EQ(test, -ENOENT,
			rraft_log_decode_hdr(&h, buf, test_uuid, 78, RR_BLOCK_SIZE));
	KUNIT_EXPECT_EQ(test, -EUCLEAN,
			rraft_log_decode_hdr(&h, buf, test_uuid, 77, bytes - 1));
}

static void rraft_format_log_corrupt_test(struct kunit *test)
{
	u8 *buf = kunit_kzalloc(test, RR_BLOCK_SIZE, GFP_KERNEL);
	u8 *data = kunit_kzalloc(test, 64 * LOG_N, GFP_KERNEL);
	struct raft_entry ents[LOG_N];
	struct rr_log_hdr h;
	u64 bytes;
	u32 i;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, data);
	bytes = make_log_record(buf, ents, data);
	for (i = 0; i < bytes; i++) {
		int ret;

		buf[i] ^= 0x10;
		ret = rraft_log_decode_hdr(&h, buf, test_uuid, 77, RR_BLOCK_SIZE);
		/* refused by the header checks, or by the crc */
		KUNIT_EXPECT_TRUE_MSG(test, ret || !rraft_log_crc_ok(&h, buf),
				      "byte %u flipped but accepted", i);
		buf[i] ^= 0x10;
	}
	KUNIT_ASSERT_EQ(test, 0, rraft_log_decode_hdr(&h, buf, test_uuid, 77,
						      RR_BLOCK_SIZE));
	KUNIT_EXPECT_TRUE(test, rraft_log_crc_ok(&h, buf));
}

static void rraft_format_cmd_test(struct kunit *test)
{
	u8 buf[RR_CMD_ZERO_SIZE];
	struct rr_cmd c;

	rraft_cmd_encode_hdr(buf, 8192, 4096);
	KUNIT_EXPECT_EQ(test, 0, rraft_cmd_decode(&c, buf, RR_CMD_HDR_SIZE + 4096,
						  DEV_BYTES));
	KUNIT_EXPECT_EQ(test, c.offset, 8192ull);
	KUNIT_EXPECT_EQ(test, c.len, 4096u);
	KUNIT_EXPECT_PTR_EQ(test, c.data, (const u8 *)buf + RR_CMD_HDR_SIZE);

	/* length mismatch, short, unaligned, empty, past the end */
	KUNIT_EXPECT_EQ(test, -EINVAL,
			rraft_cmd_decode(&c, buf, RR_CMD_HDR_SIZE + 4095, DEV_BYTES));
	KUNIT_EXPECT_EQ(test, -EINVAL, rraft_cmd_decode(&c, buf, 11, DEV_BYTES));
	rraft_cmd_encode_hdr(buf, 512, 4096);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			rraft_cmd_decode(&c, buf, RR_CMD_HDR_SIZE + 4096, DEV_BYTES));
	rraft_cmd_encode_hdr(buf, 0, 0);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			rraft_cmd_decode(&c, buf, RR_CMD_HDR_SIZE, DEV_BYTES));
	rraft_cmd_encode_hdr(buf, DEV_BYTES, 4096);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			rraft_cmd_decode(&c, buf, RR_CMD_HDR_SIZE + 4096, DEV_BYTES));
	rraft_cmd_encode_hdr(buf, DEV_BYTES - 4096, 4096);
	KUNIT_EXPECT_EQ(test, 0,
			rraft_cmd_decode(&c, buf, RR_CMD_HDR_SIZE + 4096, DEV_BYTES));
	rraft_cmd_encode_hdr(buf, ~0ull & ~4095ull, 4096);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			rraft_cmd_decode(&c, buf, RR_CMD_HDR_SIZE + 4096, DEV_BYTES));

	/* writer claims: exactly a header, node id <= RR_CMD_MAX_WRITER */
	rraft_cmd_encode_claim(buf, 2);
	KUNIT_EXPECT_EQ(test, 0, rraft_cmd_decode(&c, buf, RR_CMD_HDR_SIZE,
						  DEV_BYTES));
	KUNIT_EXPECT_TRUE(test, c.claim);
	KUNIT_EXPECT_EQ(test, c.writer, 2u);
	rraft_cmd_encode_claim(buf, 0);
	KUNIT_EXPECT_EQ(test, 0, rraft_cmd_decode(&c, buf, RR_CMD_HDR_SIZE,
						  DEV_BYTES));
	KUNIT_EXPECT_TRUE(test, c.claim);
	KUNIT_EXPECT_EQ(test, c.writer, 0u);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			rraft_cmd_decode(&c, buf, RR_CMD_HDR_SIZE + 4096, DEV_BYTES));
	rraft_cmd_encode_claim(buf, RR_CMD_MAX_WRITER + 1);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			rraft_cmd_decode(&c, buf, RR_CMD_HDR_SIZE, DEV_BYTES));
	rraft_cmd_encode_zero(buf, 4096, DEV_BYTES - 4096, true);
	KUNIT_EXPECT_EQ(test, 0, rraft_cmd_decode(&c, buf, RR_CMD_ZERO_SIZE, DEV_BYTES));
	KUNIT_EXPECT_TRUE(test, c.zero && c.unmap && c.zero_len == DEV_BYTES - 4096);
	rraft_cmd_encode_zero(buf, 4096, DEV_BYTES, false);
	KUNIT_EXPECT_EQ(test, -EINVAL, rraft_cmd_decode(&c, buf, RR_CMD_ZERO_SIZE, DEV_BYTES));
}

static void rraft_format_conf_test(struct kunit *test)
{
	u8 enc[RAFT_CONF_ENCODED_SIZE], enc2[RAFT_CONF_ENCODED_SIZE];
	struct raft_conf c, out;
	u32 k;

	fill_conf(&c);
	raft_conf_encode(&c, enc);
	memset(&out, 0xff, sizeof(out));
	KUNIT_ASSERT_EQ(test, 0, raft_conf_decode(&out, enc, sizeof(enc)));
	expect_conf_eq(test, &c, &out);
	KUNIT_EXPECT_TRUE(test, raft_conf_is_voter(&out, 3));
	KUNIT_EXPECT_FALSE(test, raft_conf_is_voter(&out, 4));
	KUNIT_EXPECT_TRUE(test, raft_conf_is_member(&out, 4));
	KUNIT_EXPECT_FALSE(test, raft_conf_is_member(&out, 5));
	/* short input is refused */
	KUNIT_EXPECT_NE(test, 0, raft_conf_decode(&out, enc, sizeof(enc) - 1));

	/*
	 * An impossible voter count is refused: find the count's byte by
	 * encoding the same configuration with one voter less.
	 */
	c.n_voters = 2;
	raft_conf_encode(&c, enc2);
	for (k = 0; k < sizeof(enc); k++)
		if (enc[k] == 3 && enc2[k] == 2)
			break;
	KUNIT_ASSERT_LT(test, k, (u32)sizeof(enc));
	enc[k] = RAFT_MAX_MEMBERS + 1;
	KUNIT_EXPECT_NE(test, 0, raft_conf_decode(&out, enc, sizeof(enc)));
}

static struct kunit_case rraft_format_cases[] = {
	KUNIT_CASE(rraft_format_sb_layout_test),
	KUNIT_CASE(rraft_format_sb_roundtrip_test),
	KUNIT_CASE(rraft_format_sb_corrupt_test),
	KUNIT_CASE(rraft_format_state_roundtrip_test),
	KUNIT_CASE(rraft_format_state_corrupt_test),
	KUNIT_CASE(rraft_format_state_pick_test),
	KUNIT_CASE(rraft_format_log_roundtrip_test),
	KUNIT_CASE(rraft_format_log_corrupt_test),
	KUNIT_CASE(rraft_format_cmd_test),
	KUNIT_CASE(rraft_format_conf_test),
	{}
};

static struct kunit_suite rraft_format_suite = {
	.name = "rraft_format",
	.test_cases = rraft_format_cases,
};

/* ------------------------------------------------------------------ */
/* wire format                                                         */
/* ------------------------------------------------------------------ */

static u32 wire_crc(const u8 *p, u32 len)
{
	return rr_crc32c(~0u, p, len) ^ ~0u;
}

/* Recompute the body crc after a test changed the body on purpose. */
static void wire_reseal(u8 *frame, u32 len)
{
	u32 body = len - RRAFT_WIRE_OVERHEAD;

	rr_put_le32(wire_crc(frame + RRAFT_WIRE_HDR_SIZE, body),
		    frame + RRAFT_WIRE_HDR_SIZE + body);
}

struct wire_fixture {
	struct raft_entry ents[3];
	u8 payload[3][40];
	u8 snapdata[100];
};

static void msg_head(struct raft_msg *m, u32 type, u32 from, u32 to, u64 term)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->from = from;
	m->to = to;
	m->term = term;
}

static void make_append(struct wire_fixture *f, struct raft_msg *m)
{
	u32 i, j;

	msg_head(m, RAFT_MSG_APPEND, 1, 3, 9);
	m->index = 41;
	m->log_term = 8;
	m->commit = 40;
	m->ctx = 0x1122334455667788ull;
	for (i = 0; i < 3; i++) {
		f->ents[i].term = i ? 9 : 8;
		f->ents[i].index = 42 + i;
		f->ents[i].type = i == 1 ? RAFT_ENTRY_NOOP : RAFT_ENTRY_NORMAL;
		f->ents[i].len = i == 1 ? 0 : 17 + i;
		f->ents[i].data = f->payload[i];
		for (j = 0; j < f->ents[i].len; j++)
			f->payload[i][j] = (u8)(j * 7 + i);
	}
	m->entries = f->ents;
	m->n_entries = 3;
}

static void make_snapshot(struct wire_fixture *f, struct raft_msg *m)
{
	u32 i;

	msg_head(m, RAFT_MSG_SNAPSHOT, 2, 5, 12);
	m->flags = RAFT_MSGF_LAST;
	m->snap.index = 500;
	m->snap.term = 11;
	fill_conf(&m->snap.conf);
	m->offset = 1 << 20;
	m->ctx = (1 << 20) + sizeof(f->snapdata);
	m->applied = 300;
	for (i = 0; i < sizeof(f->snapdata); i++)
		f->snapdata[i] = (u8)(255 - i);
	m->data = f->snapdata;
	m->len = sizeof(f->snapdata);
}

static void expect_msg_eq(struct kunit *test, const struct raft_msg *a,
			  const struct raft_msg *b)
{
	u32 i;

	KUNIT_EXPECT_EQ(test, a->type, b->type);
	KUNIT_EXPECT_EQ(test, a->from, b->from);
	KUNIT_EXPECT_EQ(test, a->to, b->to);
	KUNIT_EXPECT_EQ(test, a->flags, b->flags);
	KUNIT_EXPECT_EQ(test, a->term, b->term);
	KUNIT_EXPECT_EQ(test, a->index, b->index);
	KUNIT_EXPECT_EQ(test, a->log_term, b->log_term);
	KUNIT_EXPECT_EQ(test, a->commit, b->commit);
	KUNIT_EXPECT_EQ(test, a->ctx, b->ctx);
	KUNIT_EXPECT_EQ(test, a->applied, b->applied);
	KUNIT_EXPECT_EQ(test, a->hint_term, b->hint_term);
	KUNIT_EXPECT_EQ(test, a->hint_index, b->hint_index);
	KUNIT_EXPECT_EQ(test, a->hint_len, b->hint_len);
	KUNIT_EXPECT_EQ(test, a->offset, b->offset);
	KUNIT_EXPECT_EQ(test, a->snap.index, b->snap.index);
	KUNIT_EXPECT_EQ(test, a->snap.term, b->snap.term);
	expect_conf_eq(test, &a->snap.conf, &b->snap.conf);
	KUNIT_ASSERT_EQ(test, a->n_entries, b->n_entries);
	for (i = 0; i < a->n_entries; i++) {
		KUNIT_EXPECT_EQ(test, a->entries[i].term, b->entries[i].term);
		KUNIT_EXPECT_EQ(test, a->entries[i].index, b->entries[i].index);
		KUNIT_EXPECT_EQ(test, a->entries[i].type, b->entries[i].type);
		KUNIT_ASSERT_EQ(test, a->entries[i].len, b->entries[i].len);
		if (a->entries[i].len)
			KUNIT_EXPECT_EQ(test, 0, memcmp(a->entries[i].data,
							b->entries[i].data,
							a->entries[i].len));
	}
	KUNIT_ASSERT_EQ(test, a->len, b->len);
	if (a->len)
		KUNIT_EXPECT_EQ(test, 0, memcmp(a->data, b->data, a->len));
}

/* Encode m, check the size, decode, compare; returns the frame (kunit-owned). */
static u8 *wire_roundtrip(struct kunit *test, const struct raft_msg *m,
			  u32 *flen)
{
	u64 size = rraft_wire_msg_size(m);
	struct raft_msg out;
	u8 *buf;
	int n;

	KUNIT_EXPECT_GE(test, size, (u64)RRAFT_WIRE_OVERHEAD + RRAFT_WIRE_MSG_FIXED);
	buf = kunit_kzalloc(test, size + 16, GFP_KERNEL);
	if (!buf)
		return NULL;
	n = rraft_wire_encode(m, buf, (u32)size + 16);
	KUNIT_EXPECT_EQ(test, (u64)n, size);
	if (n <= 0)
		return NULL;
	KUNIT_EXPECT_EQ(test, -ENOSPC, rraft_wire_encode(m, buf, n - 1));
	n = rraft_wire_encode(m, buf, (u32)size);
	KUNIT_EXPECT_EQ(test, 0, rraft_wire_decode(buf, n, &out));
	expect_msg_eq(test, m, &out);
	rraft_wire_msg_free(&out);
	*flen = n;
	return buf;
}

static void rraft_wire_roundtrip_test(struct kunit *test)
{
	struct wire_fixture *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	struct raft_msg m;
	u32 len, t;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f);
	make_append(f, &m);
	KUNIT_EXPECT_NOT_ERR_OR_NULL(test, wire_roundtrip(test, &m, &len));
	make_snapshot(f, &m);
	KUNIT_EXPECT_NOT_ERR_OR_NULL(test, wire_roundtrip(test, &m, &len));

	/* every other type, with every scalar field set */
	for (t = 1; t <= RAFT_MSG_TYPE_MAX; t++) {
		if (t == RAFT_MSG_APPEND || t == RAFT_MSG_SNAPSHOT)
			continue;
		msg_head(&m, t, 3, 1, 100 + t);
		m.flags = RAFT_MSGF_REJECT | RAFT_MSGF_TRANSFER;
		m.index = 200 + t;
		m.log_term = 99;
		m.commit = 150;
		m.ctx = ~0ull - t;
		m.applied = 140;
		m.hint_term = 7;
		m.hint_index = 120;
		m.hint_len = 190;
		m.offset = 5;
		KUNIT_EXPECT_NOT_ERR_OR_NULL_MSG(test, wire_roundtrip(test, &m, &len),
						 "type %u", t);
	}
}

static void rraft_wire_encode_refuses_test(struct kunit *test)
{
	struct wire_fixture *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	u8 buf[256];
	struct raft_msg m;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f);
	make_append(f, &m);
	m.type = RAFT_MSG_VOTE;		/* entries on a vote */
	KUNIT_EXPECT_EQ(test, -EINVAL, rraft_wire_encode(&m, buf, sizeof(buf)));
	m.type = 0;
	KUNIT_EXPECT_EQ(test, -EINVAL, rraft_wire_encode(&m, buf, sizeof(buf)));
	m.type = RAFT_MSG_TYPE_MAX + 1;
	KUNIT_EXPECT_EQ(test, -EINVAL, rraft_wire_encode(&m, buf, sizeof(buf)));
	make_snapshot(f, &m);
	m.type = RAFT_MSG_HEARTBEAT;	/* data on a heartbeat */
	KUNIT_EXPECT_EQ(test, -EINVAL, rraft_wire_encode(&m, buf, sizeof(buf)));
	make_append(f, &m);
	KUNIT_EXPECT_EQ(test, -ENOSPC, rraft_wire_encode(&m, buf, 64));
}

/* The sealed frame of make_append's message (kunit-owned), or NULL. */
static u8 *append_frame(struct kunit *test, u32 *len)
{
	struct wire_fixture *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	struct raft_msg m;

	if (!f)
		return NULL;
	make_append(f, &m);
	return wire_roundtrip(test, &m, len);
}

static void rraft_wire_corrupt_test(struct kunit *test)
{
	struct raft_msg out;
	u8 *frame;
	u32 len, i;

	frame = append_frame(test, &len);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, frame);

	/* every single flipped byte is refused, and leaves nothing allocated */
	for (i = 0; i < len; i++) {
		frame[i] ^= 0x02;
		KUNIT_EXPECT_LT_MSG(test, rraft_wire_decode(frame, len, &out), 0,
				    "byte %u flipped but accepted", i);
		KUNIT_EXPECT_PTR_EQ(test, out.entries, NULL);
		KUNIT_EXPECT_PTR_EQ(test, out.data, NULL);
		frame[i] ^= 0x02;
	}
	/* every truncation is refused, and so is a trailing extra byte */
	for (i = 0; i < len; i++)
		KUNIT_EXPECT_LT_MSG(test, rraft_wire_decode(frame, i, &out), 0,
				    "truncated to %u but accepted", i);
	KUNIT_EXPECT_LT(test, rraft_wire_decode(frame, len + 1, &out), 0);
	KUNIT_EXPECT_EQ(test, 0, rraft_wire_decode(frame, len, &out));
	rraft_wire_msg_free(&out);

	/* other magic / version: not ours */
	frame[0] ^= 0xff;
	KUNIT_EXPECT_EQ(test, -EPROTO, rraft_wire_decode(frame, len, &out));
	frame[0] ^= 0xff;
}

#define WIRE_MSG0	RRAFT_WIRE_HDR_SIZE
#define WIRE_ENT0	(RRAFT_WIRE_HDR_SIZE + RRAFT_WIRE_MSG_FIXED)

/*
 * One little-endian field of make_append's frame set to an impossible
 * value, re-sealed: refused with -EBADMSG; set back, accepted again.
 */
static const struct wire_bad_field {
	const char *what;
	u32 off;
	u32 width;		/* 4 or 8 bytes */
	u64 bad, good;
} wire_bad_fields[] = {
	{ "entry index out of sequence", WIRE_ENT0 + 8, 8, 43, 42 },
	{ "entry term above the leader's", WIRE_ENT0, 8, 10, 8 },
	{ "entry length past the frame", WIRE_ENT0 + 20, 4, 0x7fffffff, 17 },
	{ "entry count the frame cannot hold", WIRE_MSG0 + 12, 4, 1000, 3 },
	{ "sender id 0", WIRE_MSG0, 4, 0, 1 },
	{ "unknown message flags", WIRE_MSG0 + 8, 4, 0x80000000u, 0 },
};

static void wire_put_field(u8 *frame, u32 len, const struct wire_bad_field *b,
			   u64 v)
{
	if (b->width == 8)
		rr_put_le64(v, frame + b->off);
	else
		rr_put_le32((u32)v, frame + b->off);
	wire_reseal(frame, len);
}

/* Well-checksummed frames that carry semantically impossible messages. */
static void rraft_wire_semantic_test(struct kunit *test)
{
	const struct wire_bad_field *b;
	struct raft_msg out;
	u8 *frame;
	u32 len;

	frame = append_frame(test, &len);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, frame);
	for (b = wire_bad_fields; b < wire_bad_fields + ARRAY_SIZE(wire_bad_fields); b++) {
		wire_put_field(frame, len, b, b->bad);
		KUNIT_EXPECT_EQ_MSG(test, -EBADMSG,
				    rraft_wire_decode(frame, len, &out), "%s", b->what);
		wire_put_field(frame, len, b, b->good);
		KUNIT_ASSERT_EQ_MSG(test, 0, rraft_wire_decode(frame, len, &out),
				    "%s set back", b->what);
		rraft_wire_msg_free(&out);
	}

	/* a body length over the limit in an otherwise valid header */
	rraft_wire_put_header(frame, RAFT_MSG_APPEND, 0, RRAFT_WIRE_MAX_BODY + 1);
	KUNIT_EXPECT_EQ(test, -EMSGSIZE, rraft_wire_decode(frame, len, &out));
	/* an unknown frame type and an unknown header flag */
	rraft_wire_put_header(frame, 31, 0, len - RRAFT_WIRE_OVERHEAD);
	KUNIT_EXPECT_EQ(test, -EPROTO, rraft_wire_decode(frame, len, &out));
	rraft_wire_put_header(frame, RAFT_MSG_APPEND, 0x80,
			      len - RRAFT_WIRE_OVERHEAD);
	KUNIT_EXPECT_EQ(test, -EPROTO, rraft_wire_decode(frame, len, &out));
}

static void rraft_wire_handshake_test(struct kunit *test)
{
	u8 hello[RRAFT_WIRE_HELLO_FRAME], auth[RRAFT_WIRE_AUTH_FRAME];
	u8 ok[RRAFT_WIRE_AUTH_OK_FRAME], mac[RRAFT_WIRE_MAC_SIZE];
	u8 in1[RRAFT_WIRE_AUTH_INPUT_SIZE], in2[RRAFT_WIRE_AUTH_INPUT_SIZE];
	struct rraft_wire_hello h, out;
	u32 i;

	memset(&h, 0, sizeof(h));
	h.proto = RRAFT_WIRE_VERSION;
	h.flags = RRAFT_WIRE_HELLO_AUTH;
	h.cluster_id = 0xc1c1c1c1c1ull;
	h.from = 2;
	h.to = 1;
	h.data_bytes = 0x123456789a00ull;
	for (i = 0; i < RRAFT_WIRE_NONCE_SIZE; i++)
		h.nonce[i] = (u8)(i * 3 + 1);
	for (i = 0; i < RRAFT_WIRE_IDENT_SIZE; i++)
		h.ident[i] = (u8)(0xe0 + i);
	rraft_wire_encode_hello(&h, hello);
	KUNIT_EXPECT_EQ(test, RRAFT_WIRE_HELLO_SIZE, 80);
	/* body: data_bytes LE at +24, nonce at +32 */
	KUNIT_EXPECT_EQ(test, rr_get_le64(hello + RRAFT_WIRE_HDR_SIZE + 24),
			0x123456789a00ull);
	KUNIT_EXPECT_EQ(test, hello[RRAFT_WIRE_HDR_SIZE + 24], 0x00);
	KUNIT_EXPECT_EQ(test, hello[RRAFT_WIRE_HDR_SIZE + 29], 0x12);
	KUNIT_EXPECT_EQ(test, hello[RRAFT_WIRE_HDR_SIZE + 32], 1);
	KUNIT_ASSERT_EQ(test, 0, rraft_wire_decode_hello(hello, sizeof(hello), &out));
	KUNIT_EXPECT_EQ(test, out.data_bytes, h.data_bytes);
	KUNIT_EXPECT_EQ(test, out.proto, h.proto);
	KUNIT_EXPECT_EQ(test, out.flags, h.flags);
	KUNIT_EXPECT_EQ(test, out.cluster_id, h.cluster_id);
	KUNIT_EXPECT_EQ(test, out.from, h.from);
	KUNIT_EXPECT_EQ(test, out.to, h.to);
	KUNIT_EXPECT_EQ(test, 0, memcmp(out.nonce, h.nonce, sizeof(h.nonce)));
	/* the member identity at +64 */
	KUNIT_EXPECT_EQ(test, hello[RRAFT_WIRE_HDR_SIZE + 64], 0xe0);
	KUNIT_EXPECT_EQ(test, 0, memcmp(out.ident, h.ident, sizeof(h.ident)));
	for (i = 0; i < sizeof(hello); i++) {
		hello[i] ^= 0x08;
		KUNIT_EXPECT_LT_MSG(test, rraft_wire_decode_hello(hello, sizeof(hello),
								  &out), 0,
				    "hello byte %u", i);
		hello[i] ^= 0x08;
	}
	KUNIT_EXPECT_LT(test, rraft_wire_decode_hello(hello, sizeof(hello) - 1,
						      &out), 0);
	/* a data size that is not whole sectors is malformed; 0 is "unset" */
	h.data_bytes = 0x123456789a00ull + 8;
	rraft_wire_encode_hello(&h, hello);
	KUNIT_EXPECT_EQ(test, -EBADMSG,
			rraft_wire_decode_hello(hello, sizeof(hello), &out));
	h.data_bytes = 0;
	rraft_wire_encode_hello(&h, hello);
	KUNIT_EXPECT_EQ(test, 0, rraft_wire_decode_hello(hello, sizeof(hello), &out));
	KUNIT_EXPECT_EQ(test, out.data_bytes, 0ull);
	/* a hello is not an auth frame and the other way round */
	KUNIT_EXPECT_LT(test, rraft_wire_decode_auth(hello, sizeof(hello), mac), 0);

	for (i = 0; i < RRAFT_WIRE_MAC_SIZE; i++)
		mac[i] = (u8)(0xa0 ^ i);
	rraft_wire_encode_auth(mac, auth);
	memset(mac, 0, sizeof(mac));
	KUNIT_ASSERT_EQ(test, 0, rraft_wire_decode_auth(auth, sizeof(auth), mac));
	for (i = 0; i < RRAFT_WIRE_MAC_SIZE; i++)
		KUNIT_EXPECT_EQ(test, mac[i], (u8)(0xa0 ^ i));
	KUNIT_EXPECT_LT(test, rraft_wire_decode_hello(auth, sizeof(auth), &out), 0);
	auth[RRAFT_WIRE_HDR_SIZE] ^= 1;
	KUNIT_EXPECT_EQ(test, -EBADMSG, rraft_wire_decode_auth(auth, sizeof(auth), mac));

	rraft_wire_encode_auth_ok(ok);
	KUNIT_EXPECT_EQ(test, 0, rraft_wire_decode_auth_ok(ok, sizeof(ok)));
	ok[3] ^= 1;
	KUNIT_EXPECT_LT(test, rraft_wire_decode_auth_ok(ok, sizeof(ok)), 0);

	/* the MAC input binds both ids and both nonces, in order */
	rraft_wire_auth_input(in1, 7, 1, 2, h.nonce, out.nonce);
	rraft_wire_auth_input(in2, 7, 2, 1, h.nonce, out.nonce);
	KUNIT_EXPECT_NE(test, 0, memcmp(in1, in2, sizeof(in1)));
	out.nonce[0] ^= 1;
	rraft_wire_auth_input(in2, 7, 1, 2, h.nonce, out.nonce);
	KUNIT_EXPECT_NE(test, 0, memcmp(in1, in2, sizeof(in1)));
	rraft_wire_auth_input(in2, 8, 1, 2, h.nonce, h.nonce);
	KUNIT_EXPECT_NE(test, 0, memcmp(in1, in2, sizeof(in1)));
}

static void rraft_wire_classes_test(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, rraft_wire_msg_is_bulk(RAFT_MSG_APPEND));
	KUNIT_EXPECT_TRUE(test, rraft_wire_msg_is_bulk(RAFT_MSG_SNAPSHOT));
	KUNIT_EXPECT_FALSE(test, rraft_wire_msg_is_bulk(RAFT_MSG_HEARTBEAT));
	KUNIT_EXPECT_FALSE(test, rraft_wire_msg_is_bulk(RAFT_MSG_VOTE));
	KUNIT_EXPECT_FALSE(test, rraft_wire_msg_is_bulk(RAFT_MSG_APPEND_RESP));
	KUNIT_EXPECT_FALSE(test, rraft_wire_type_is_msg(0));
	KUNIT_EXPECT_TRUE(test, rraft_wire_type_is_msg(1));
	KUNIT_EXPECT_TRUE(test, rraft_wire_type_is_msg(RAFT_MSG_TYPE_MAX));
	KUNIT_EXPECT_FALSE(test, rraft_wire_type_is_msg(RAFT_MSG_TYPE_MAX + 1));
	KUNIT_EXPECT_FALSE(test, rraft_wire_type_is_msg(RRAFT_WT_HELLO));
}

static struct kunit_case rraft_wire_cases[] = {
	KUNIT_CASE(rraft_wire_roundtrip_test),
	KUNIT_CASE(rraft_wire_encode_refuses_test),
	KUNIT_CASE(rraft_wire_corrupt_test),
	KUNIT_CASE(rraft_wire_semantic_test),
	KUNIT_CASE(rraft_wire_handshake_test),
	KUNIT_CASE(rraft_wire_classes_test),
	{}
};

static struct kunit_suite rraft_wire_suite = {
	.name = "rraft_wire",
	.test_cases = rraft_wire_cases,
};

/* ------------------------------------------------------------------ */
/* sysfs parsers                                                       */
/* ------------------------------------------------------------------ */

static int parse_str(int (*fn)(void *, const char *, size_t, struct rr_perr *),
		     void *out, const char *s, struct rr_perr *err)
{
	return fn(out, s, strlen(s), err);
}

static int do_format(void *a, const char *b, size_t n, struct rr_perr *e)
{
	return rraft_parse_format(a, b, n, e);
}

static int do_create(void *a, const char *b, size_t n, struct rr_perr *e)
{
	return rraft_parse_create(a, b, n, e);
}

static void rraft_parse_format_good_test(struct kunit *test)
{
	struct rr_format_args *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	struct rr_perr err = {};
	const char *in;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a);
	in = "backing=/dev/vdb node=1 cluster=0x5eed members=1,2,3 log=64M force=1\n";
	KUNIT_ASSERT_EQ(test, 0, parse_str(do_format, a, in, &err));
	KUNIT_EXPECT_STREQ(test, a->backing, "/dev/vdb");
	KUNIT_EXPECT_EQ(test, a->node, 1u);
	KUNIT_EXPECT_EQ(test, a->cluster, 0x5eedull);
	KUNIT_ASSERT_EQ(test, a->n_members, 3u);
	KUNIT_EXPECT_EQ(test, a->members[0], 1u);
	KUNIT_EXPECT_EQ(test, a->members[1], 2u);
	KUNIT_EXPECT_EQ(test, a->members[2], 3u);
	KUNIT_EXPECT_EQ(test, a->log_bytes, 64ull << 20);
	KUNIT_EXPECT_TRUE(test, a->log_given);
	KUNIT_EXPECT_TRUE(test, a->force);

	/* optional keys default; any order; tabs and newlines separate */
	in = "cluster=99\tnode=65535 backing=/dev/disk/by-id/x";
	KUNIT_ASSERT_EQ(test, 0, parse_str(do_format, a, in, &err));
	KUNIT_EXPECT_EQ(test, a->node, 65535u);
	KUNIT_EXPECT_EQ(test, a->cluster, 99ull);
	KUNIT_EXPECT_EQ(test, a->n_members, 0u);
	KUNIT_EXPECT_EQ(test, a->log_bytes, 64ull << 20);
	KUNIT_EXPECT_FALSE(test, a->log_given);
	KUNIT_EXPECT_FALSE(test, a->force);
	in = "backing=/b node=2 cluster=1 log=1G";
	KUNIT_ASSERT_EQ(test, 0, parse_str(do_format, a, in, &err));
	KUNIT_EXPECT_EQ(test, a->log_bytes, 1ull << 30);
	in = "backing=/b node=2 cluster=1 log=2048k";
	KUNIT_ASSERT_EQ(test, 0, parse_str(do_format, a, in, &err));
	KUNIT_EXPECT_EQ(test, a->log_bytes, 2ull << 20);
}

static const char * const format_bad[] = {
	"",
	"\n",
	"node=1 cluster=1",				/* backing missing */
	"backing=/dev/vdb cluster=1",			/* node missing */
	"backing=/dev/vdb node=1",			/* cluster missing */
	"backing=dev/vdb node=1 cluster=1",		/* relative path */
	"backing=/dev/vdb node=0 cluster=1",
	"backing=/dev/vdb node=65536 cluster=1",
	"backing=/dev/vdb node=-1 cluster=1",
	"backing=/dev/vdb node=1x cluster=1",
	"backing=/dev/vdb node=1 cluster=0",
	"backing=/dev/vdb node=1 cluster=0x",
	"backing=/dev/vdb node=1 cluster=18446744073709551616",
	"backing=/dev/vdb node=1 node=2 cluster=1",	/* duplicate key */
	"backing=/dev/vdb node=1 cluster=1 colour=red",	/* unknown key */
	"backing=/dev/vdb node=1 cluster=1 members",	/* no '=' */
	"backing=/dev/vdb node=1 cluster=1 members=",	/* empty value */
	"backing=/dev/vdb node=1 cluster=1 members=1,,2",
	"backing=/dev/vdb node=1 cluster=1 members=1,2,",
	"backing=/dev/vdb node=1 cluster=1 members=1,2,1",
	"backing=/dev/vdb node=1 cluster=1 members=1,2,3,4,5,6,7,8,9,10",
	"backing=/dev/vdb node=1 cluster=1 log=1000",	/* < 1M */
	"backing=/dev/vdb node=1 cluster=1 log=17G",
	"backing=/dev/vdb node=1 cluster=1 log=1048577",	/* not 4K */
	"backing=/dev/vdb node=1 cluster=1 log=M",
	"backing=/dev/vdb node=1 cluster=1 force=2",
	"backing=/dev/vdb node=1 cluster=1 force=yes",
	"Backing=/dev/vdb node=1 cluster=1",		/* keys are exact */
};

static void rraft_parse_format_bad_test(struct kunit *test)
{
	static const char nul_input[] = "backing=/a\0 node=1 cluster=1";
	struct rr_format_args *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	struct rr_perr err;
	const char *in;
	u32 i;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a);
	for (i = 0; i < ARRAY_SIZE(format_bad); i++) {
		memset(&err, 0, sizeof(err));
		KUNIT_EXPECT_EQ_MSG(test, -EINVAL,
				    parse_str(do_format, a, format_bad[i], &err),
				    "accepted \"%s\"", format_bad[i]);
		KUNIT_EXPECT_NOT_ERR_OR_NULL_MSG(test, err.msg, "no message for \"%s\"",
						 format_bad[i]);
	}
	/* an embedded NUL byte */
	KUNIT_EXPECT_EQ(test, -EINVAL,
			rraft_parse_format(a, nul_input, sizeof(nul_input) - 1, &err));
	/* the error names the offending key */
	in = "backing=/dev/vdb node=1 cluster=1 colour=red";
	KUNIT_EXPECT_EQ(test, -EINVAL, parse_str(do_format, a, in, &err));
	KUNIT_EXPECT_STREQ(test, err.tok, "colour");
}

static void rraft_parse_create_test(struct kunit *test)
{
	static const char * const bad[] = {
		"backing=/dev/vdb",				/* minor missing */
		"minor=0",					/* backing missing */
		"minor=256 backing=/dev/vdb",
		"minor=0 backing=/dev/vdb listen=10.0.0",
		"minor=0 backing=/dev/vdb listen=10.0.0.256",
		"minor=0 backing=/dev/vdb listen=10.0.0.1:0",
		"minor=0 backing=/dev/vdb listen=10.0.0.1:65536",
		"minor=0 backing=/dev/vdb listen=10.0.0.1:",
		"minor=0 backing=/dev/vdb listen=10.0.0.1.5",
		"minor=0 backing=/dev/vdb listen=::1",
		"minor=0 backing=/dev/vdb peers=10.0.0.2",	/* no id@ */
		"minor=0 backing=/dev/vdb peers=0@10.0.0.2",
		"minor=0 backing=/dev/vdb peers=2@10.0.0.2,2@10.0.0.3",
		"minor=0 backing=/dev/vdb peers=2@10.0.0.2,",
		"minor=0 backing=/dev/vdb secret=0123456789012345678901234567890123456789012345678901234567890123X",
		"minor=0 backing=/dev/vdb secret=\x01zz",
		"minor=0 backing=/dev/vdb listen=10.0.0.1",	/* no secret */
		"minor=0 backing=/dev/vdb peers=2@10.0.0.2",	/* no secret */
		"minor=0 backing=/dev/vdb listen=10.0.0.1 insecure=0",
		"minor=0 backing=/dev/vdb listen=10.0.0.1 insecure=2",
		"minor=0 backing=/dev/vdb listen=10.0.0.1 insecure=1 secret=s",
	};
	struct rr_create_args *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	struct rr_perr err = {};
	const char *in;
	u32 i;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a);
	in = "minor=3 backing=/b listen=9.0.0.1:7000 peers=2@9.0.0.2,3@9.0.0.3:7790 secret=s3c!\n";
	KUNIT_ASSERT_EQ(test, 0, parse_str(do_create, a, in, &err));
	KUNIT_EXPECT_EQ(test, a->minor, 3u);
	KUNIT_EXPECT_STREQ(test, a->backing, "/b");
	KUNIT_EXPECT_TRUE(test, a->has_listen);
	KUNIT_EXPECT_EQ(test, a->listen.ip[0], 9);
	KUNIT_EXPECT_EQ(test, a->listen.ip[3], 1);
	KUNIT_EXPECT_EQ(test, a->listen.port, 7000);
	KUNIT_ASSERT_EQ(test, a->n_peers, 2u);
	KUNIT_EXPECT_EQ(test, a->peers[0].id, 2u);
	KUNIT_EXPECT_EQ(test, a->peers[0].addr.ip[3], 2);
	KUNIT_EXPECT_EQ(test, a->peers[0].addr.port, RR_DEFAULT_PORT);
	KUNIT_EXPECT_EQ(test, a->peers[1].id, 3u);
	KUNIT_EXPECT_EQ(test, a->peers[1].addr.port, 7790);
	KUNIT_ASSERT_EQ(test, a->secret_len, 4u);
	KUNIT_EXPECT_EQ(test, 0, memcmp(a->secret, "s3c!", 4));

	in = "minor=255 backing=/dev/vdc";
	KUNIT_ASSERT_EQ(test, 0, parse_str(do_create, a, in, &err));
	KUNIT_EXPECT_FALSE(test, a->has_listen);
	KUNIT_EXPECT_EQ(test, a->n_peers, 0u);
	KUNIT_EXPECT_EQ(test, a->secret_len, 0u);
	KUNIT_EXPECT_FALSE(test, a->insecure);

	in = "minor=1 backing=/dev/vdc peers=2@9.0.0.2 insecure=1";
	KUNIT_ASSERT_EQ(test, 0, parse_str(do_create, a, in, &err));
	KUNIT_EXPECT_TRUE(test, a->insecure);
	KUNIT_EXPECT_EQ(test, a->secret_len, 0u);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&err, 0, sizeof(err));
		KUNIT_EXPECT_EQ_MSG(test, -EINVAL, parse_str(do_create, a, bad[i], &err),
				    "accepted \"%s\"", bad[i]);
		KUNIT_EXPECT_NOT_ERR_OR_NULL_MSG(test, err.msg, "no message for \"%s\"",
						 bad[i]);
	}
}

struct u64_case {
	const char *in;
	u64 min, max;
	int ret;
	u64 val;
};

static void rraft_parse_u64_test(struct kunit *test)
{
	static const struct u64_case cases[] = {
		{ "42", 0, 100, 0, 42 },
		{ "42\n", 0, 100, 0, 42 },
		{ "0x2A", 0, 100, 0, 42 },
		{ "0", 0, 100, 0, 0 },
		{ "18446744073709551615", 0, ~0ull, 0, ~0ull },
		{ "18446744073709551616", 0, ~0ull, -EINVAL, 0 },
		{ "0x10000000000000000", 0, ~0ull, -EINVAL, 0 },
		{ "101", 0, 100, -EINVAL, 0 },
		{ "4", 5, 100, -EINVAL, 0 },
		{ "", 0, 100, -EINVAL, 0 },
		{ "\n", 0, 100, -EINVAL, 0 },
		{ "-1", 0, 100, -EINVAL, 0 },
		{ "+1", 0, 100, -EINVAL, 0 },
		{ " 1", 0, 100, -EINVAL, 0 },
		{ "1 ", 0, 100, -EINVAL, 0 },
		{ "1\n\n", 0, 100, -EINVAL, 0 },
		{ "0x", 0, 100, -EINVAL, 0 },
		{ "12a", 0, 100, -EINVAL, 0 },
	};
	struct rr_perr err;
	u32 i;
	u64 v;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct u64_case *c = &cases[i];

		v = 0xdeadbeef;
		memset(&err, 0, sizeof(err));
		KUNIT_EXPECT_EQ_MSG(test, c->ret,
				    rraft_parse_u64(c->in, strlen(c->in), c->min,
						    c->max, &v, &err),
				    "input \"%s\"", c->in);
		if (!c->ret)
			KUNIT_EXPECT_EQ_MSG(test, v, c->val, "input \"%s\"", c->in);
		else
			KUNIT_EXPECT_NOT_ERR_OR_NULL_MSG(test, err.msg,
							 "input \"%s\"", c->in);
	}
}

static void rraft_parse_addr_peer_test(struct kunit *test)
{
	static const char * const bad_addr[] = {
		"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4:", "1.2.3.4:0",
		"1.2.3.4:70000", "a.b.c.d", "1.2.3.4 ", "1..3.4", "0001.2.3.4",
		"1.2.3.4:80x",
	};
	static const char * const bad_peer[] = {
		"1.2.3.4", "@1.2.3.4", "0@1.2.3.4", "65536@1.2.3.4", "x@1.2.3.4",
		"2@", "2@1.2.3",
	};
	static const char * const bad_replace[] = {
		"2@1.2.3.4", "1:1@1.2.3.4", ":2@1.2.3.4", "1:@1.2.3.4",
		"1:2", "0:2@1.2.3.4", "1:2@1.2.3.4:0",
	};
	struct rr_peer_arg p;
	struct rr_perr err;
	struct rr_addr a;
	u32 i, old;

	KUNIT_ASSERT_EQ(test, 0, rraft_parse_addr("192.168.1.20:8000\n", 18, &a, &err));
	KUNIT_EXPECT_EQ(test, a.ip[0], 192);
	KUNIT_EXPECT_EQ(test, a.ip[1], 168);
	KUNIT_EXPECT_EQ(test, a.ip[2], 1);
	KUNIT_EXPECT_EQ(test, a.ip[3], 20);
	KUNIT_EXPECT_EQ(test, a.port, 8000);
	KUNIT_ASSERT_EQ(test, 0, rraft_parse_addr("127.0.0.1", 9, &a, &err));
	KUNIT_EXPECT_EQ(test, a.port, RR_DEFAULT_PORT);
	for (i = 0; i < ARRAY_SIZE(bad_addr); i++)
		KUNIT_EXPECT_EQ_MSG(test, -EINVAL,
				    rraft_parse_addr(bad_addr[i], strlen(bad_addr[i]),
						     &a, &err),
				    "address \"%s\"", bad_addr[i]);

	KUNIT_ASSERT_EQ(test, 0, rraft_parse_peer("4@10.1.2.3:9", 12, &p, &err));
	KUNIT_EXPECT_EQ(test, p.id, 4u);
	KUNIT_EXPECT_EQ(test, p.addr.ip[1], 1);
	KUNIT_EXPECT_EQ(test, p.addr.port, 9);
	for (i = 0; i < ARRAY_SIZE(bad_peer); i++)
		KUNIT_EXPECT_EQ_MSG(test, -EINVAL,
				    rraft_parse_peer(bad_peer[i], strlen(bad_peer[i]),
						     &p, &err),
				    "peer \"%s\"", bad_peer[i]);

	KUNIT_ASSERT_EQ(test, 0, rraft_parse_replace("3:5@10.0.0.5\n", 13, &old, &p,
						     &err));
	KUNIT_EXPECT_EQ(test, old, 3u);
	KUNIT_EXPECT_EQ(test, p.id, 5u);
	KUNIT_EXPECT_EQ(test, p.addr.ip[3], 5);
	for (i = 0; i < ARRAY_SIZE(bad_replace); i++)
		KUNIT_EXPECT_EQ_MSG(test, -EINVAL,
				    rraft_parse_replace(bad_replace[i],
							strlen(bad_replace[i]),
						     &old, &p, &err),
				    "replace \"%s\"", bad_replace[i]);
}

static void rraft_parse_secret_test(struct kunit *test)
{
	char long_secret[RR_SECRET_MAX + 2];
	u8 out[RR_SECRET_MAX];
	struct rr_perr err;
	u32 len = 0;

	KUNIT_ASSERT_EQ(test, 0, rraft_parse_secret("hunter2\n", 8, out, &len, &err));
	KUNIT_EXPECT_EQ(test, len, 7u);
	KUNIT_EXPECT_EQ(test, 0, memcmp(out, "hunter2", 7));

	memset(long_secret, 'k', sizeof(long_secret));
	KUNIT_EXPECT_EQ(test, 0, rraft_parse_secret(long_secret, RR_SECRET_MAX, out,
						    &len, &err));
	KUNIT_EXPECT_EQ(test, len, (u32)RR_SECRET_MAX);
	KUNIT_EXPECT_EQ(test, -EINVAL, rraft_parse_secret(long_secret,
							  RR_SECRET_MAX + 1, out,
						       &len, &err));
	KUNIT_EXPECT_EQ(test, -EINVAL, rraft_parse_secret("", 0, out, &len, &err));
	KUNIT_EXPECT_EQ(test, -EINVAL, rraft_parse_secret("\n", 1, out, &len, &err));
	KUNIT_EXPECT_EQ(test, -EINVAL, rraft_parse_secret("a b", 3, out, &len, &err));
	KUNIT_EXPECT_EQ(test, -EINVAL, rraft_parse_secret("a\tb", 3, out, &len, &err));
	KUNIT_EXPECT_EQ(test, -EINVAL, rraft_parse_secret("a\x7f", 2, out, &len, &err));
	KUNIT_EXPECT_EQ(test, -EINVAL, rraft_parse_secret("ab\0c", 4, out, &len, &err));
}

static struct kunit_case rraft_parse_cases[] = {
	KUNIT_CASE(rraft_parse_format_good_test),
	KUNIT_CASE(rraft_parse_format_bad_test),
	KUNIT_CASE(rraft_parse_create_test),
	KUNIT_CASE(rraft_parse_u64_test),
	KUNIT_CASE(rraft_parse_addr_peer_test),
	KUNIT_CASE(rraft_parse_secret_test),
	{}
};

static struct kunit_suite rraft_parse_suite = {
	.name = "rraft_parse",
	.test_cases = rraft_parse_cases,
};

kunit_test_suites(&rraft_format_suite, &rraft_wire_suite, &rraft_parse_suite);
