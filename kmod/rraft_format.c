// SPDX-License-Identifier: GPL-2.0
/*
 * rraft_format.c - on-disk format codec (environment-neutral).
 *
 * Every decoder treats its input as hostile: magic, version, crc, sizes and
 * ranges are checked before anything is trusted.
 */
#include "rraft_format.h"

static u32 rr_crc_zeroed(const u8 *buf, u32 len, u32 crc_off)
{
	static const u8 zero[4];
	u32 c;

	c = rr_crc32c(~0u, buf, crc_off);
	c = rr_crc32c(c, zero, 4);
	return rr_crc32c(c, buf + crc_off + 4, len - crc_off - 4);
}

/* ---- superblock ----
 *
 *   0 magic u64        8 version u32      12 size u32
 *  16 crc u32         20 flags u32        24 uuid[16]
 *  40 cluster_id u64  48 node_id u32      52 block_size u32
 *  56 dev_blocks u64  64 state_off u64    72 state_blocks u64
 *  80 log_off u64     88 log_blocks u64   96 data_off u64
 * 104 data_blocks u64 112 ident[16]      128 conf[RAFT_CONF_ENCODED_SIZE]
 */
#define SB_CRC_OFF	16

int rraft_sb_layout(struct rr_sb *sb, u64 dev_bytes, u64 log_bytes)
{
	u64 dev_blocks = dev_bytes >> RR_BLOCK_SHIFT;
	u64 log_blocks, data_off;

	if (log_bytes < RR_MIN_LOG_BYTES || log_bytes > RR_MAX_LOG_BYTES ||
	    log_bytes % RR_BLOCK_SIZE)
		return -EINVAL;
	log_blocks = log_bytes >> RR_BLOCK_SHIFT;
	data_off = RR_LOG_OFF + log_blocks;
	data_off = (data_off + RR_DATA_ALIGN - 1) / RR_DATA_ALIGN * RR_DATA_ALIGN;
	if (dev_blocks < data_off ||
	    dev_blocks - data_off < (RR_MIN_DATA_BYTES >> RR_BLOCK_SHIFT))
		return -ENOSPC;
	sb->version = RR_FORMAT_VERSION;
	sb->flags = 0;
	sb->block_size = RR_BLOCK_SIZE;
	sb->dev_blocks = dev_blocks;
	sb->state_off = RR_STATE_SLOT0;
	sb->state_blocks = RR_STATE_SLOTS;
	sb->log_off = RR_LOG_OFF;
	sb->log_blocks = log_blocks;
	sb->data_off = data_off;
	sb->data_blocks = dev_blocks - data_off;
	return 0;
}

void rraft_sb_encode(const struct rr_sb *sb, u8 *blk)
{
	memset(blk, 0, RR_BLOCK_SIZE);
	rr_put_le64(RR_SB_MAGIC, blk);
	rr_put_le32(sb->version, blk + 8);
	rr_put_le32(RR_SB_SIZE, blk + 12);
	rr_put_le32(sb->flags, blk + 20);
	memcpy(blk + 24, sb->uuid, RR_UUID_LEN);
	rr_put_le64(sb->cluster_id, blk + 40);
	rr_put_le32(sb->node_id, blk + 48);
	rr_put_le32(sb->block_size, blk + 52);
	rr_put_le64(sb->dev_blocks, blk + 56);
	rr_put_le64(sb->state_off, blk + 64);
	rr_put_le64(sb->state_blocks, blk + 72);
	rr_put_le64(sb->log_off, blk + 80);
	rr_put_le64(sb->log_blocks, blk + 88);
	rr_put_le64(sb->data_off, blk + 96);
	rr_put_le64(sb->data_blocks, blk + 104);
	memcpy(blk + 112, sb->ident, RR_IDENT_LEN);
	raft_conf_encode(&sb->conf, blk + 128);
	rr_put_le32(rr_crc_zeroed(blk, RR_SB_SIZE, SB_CRC_OFF), blk + SB_CRC_OFF);
}

int rraft_sb_decode(struct rr_sb *sb, const u8 *blk, u64 dev_bytes,
		    const char **why)
{
	u64 dev_blocks = dev_bytes >> RR_BLOCK_SHIFT;
	u64 end;

	*why = "no rraft superblock magic";
	if (rr_get_le64(blk) != RR_SB_MAGIC)
		return -ENOENT;
	*why = "superblock: format version 1 has no member identity, format the device again";
	sb->version = rr_get_le32(blk + 8);
	if (sb->version == 1)
		return -EUCLEAN;
	*why = "superblock: unsupported format version";
	if (sb->version != RR_FORMAT_VERSION)
		return -EUCLEAN;
	*why = "superblock: bad size field";
	if (rr_get_le32(blk + 12) != RR_SB_SIZE)
		return -EUCLEAN;
	*why = "superblock: crc mismatch";
	if (rr_get_le32(blk + SB_CRC_OFF) !=
	    rr_crc_zeroed(blk, RR_SB_SIZE, SB_CRC_OFF))
		return -EUCLEAN;
	sb->flags = rr_get_le32(blk + 20);
	memcpy(sb->uuid, blk + 24, RR_UUID_LEN);
	sb->cluster_id = rr_get_le64(blk + 40);
	sb->node_id = rr_get_le32(blk + 48);
	sb->block_size = rr_get_le32(blk + 52);
	sb->dev_blocks = rr_get_le64(blk + 56);
	sb->state_off = rr_get_le64(blk + 64);
	sb->state_blocks = rr_get_le64(blk + 72);
	sb->log_off = rr_get_le64(blk + 80);
	sb->log_blocks = rr_get_le64(blk + 88);
	sb->data_off = rr_get_le64(blk + 96);
	sb->data_blocks = rr_get_le64(blk + 104);
	memcpy(sb->ident, blk + 112, RR_IDENT_LEN);
	*why = "superblock: unknown flags";
	if (sb->flags)
		return -EUCLEAN;
	*why = "superblock: zero member identity";
	if (rraft_ident_is_zero(sb->ident))
		return -EUCLEAN;
	*why = "superblock: bad node or cluster id";
	if (!sb->cluster_id || !sb->node_id || sb->node_id > 65535)
		return -EUCLEAN;
	*why = "superblock: unsupported block size";
	if (sb->block_size != RR_BLOCK_SIZE)
		return -EUCLEAN;
	*why = "superblock: bad region layout";
	if (sb->state_off != RR_STATE_SLOT0 || sb->state_blocks != RR_STATE_SLOTS ||
	    sb->log_off < sb->state_off + sb->state_blocks ||
	    sb->log_blocks < (RR_MIN_LOG_BYTES >> RR_BLOCK_SHIFT) ||
	    sb->log_blocks > (RR_MAX_LOG_BYTES >> RR_BLOCK_SHIFT) ||
	    sb->data_off < sb->log_off + sb->log_blocks ||
	    sb->data_blocks < (RR_MIN_DATA_BYTES >> RR_BLOCK_SHIFT) ||
	    sb->data_blocks > (1ull << 40))
		return -EUCLEAN;
	end = sb->data_off + sb->data_blocks;
	if (end != sb->dev_blocks)
		return -EUCLEAN;
	*why = "superblock: backing device smaller than formatted";
	if (dev_blocks < end)
		return -EUCLEAN;
	*why = "superblock: bad initial configuration";
	if (raft_conf_decode(&sb->conf, blk + 128, RAFT_CONF_ENCODED_SIZE))
		return -EUCLEAN;
	*why = NULL;
	return 0;
}

/* ---- state record ----
 *
 *   0 magic u32   4 version u32   8 size u32   12 crc u32
 *  16 seq u64    24 uuid[16]     40 term u64  48 vote u32  52 flags u32
 *  56 commit u64 64 snap_index   72 snap_term 80 ring_head 88 ring_head_seq
 *  96 pend_index 104 pend_term  112 pend_offset 120 pend_base
 * 128 snap_conf[RAFT_CONF_ENCODED_SIZE], then pend_conf[...]
 * 352 idents.n u32, RR_IDENT_MAX x {id u32, ident[16]} (unused: zero)
 */
#define ST_CRC_OFF	12

static int rr_state_decode_idents(struct rr_state *st, const u8 *blk)
{
	u32 n = rr_get_le32(blk + RR_STATE_IDENTS_OFF);
	u32 i, used;

	if (n > RR_IDENT_MAX)
		return -EINVAL;
	used = RR_STATE_IDENTS_OFF + 4 + n * RR_IDENT_ENT_SIZE;
	for (i = used; i < RR_STATE_SIZE; i++)
		if (blk[i])
			return -EINVAL;
	return rraft_idents_decode(&st->idents, blk + RR_STATE_IDENTS_OFF + 4, n);
}

void rraft_state_encode(const struct rr_state *st, u8 *blk)
{
	memset(blk, 0, RR_BLOCK_SIZE);
	rr_put_le32(RR_STATE_MAGIC, blk);
	rr_put_le32(RR_FORMAT_VERSION, blk + 4);
	rr_put_le32(RR_STATE_SIZE, blk + 8);
	rr_put_le64(st->seq, blk + 16);
	memcpy(blk + 24, st->uuid, RR_UUID_LEN);
	rr_put_le64(st->term, blk + 40);
	rr_put_le32(st->vote, blk + 48);
	rr_put_le32(st->flags, blk + 52);
	rr_put_le64(st->commit, blk + 56);
	rr_put_le64(st->snap_index, blk + 64);
	rr_put_le64(st->snap_term, blk + 72);
	rr_put_le64(st->ring_head, blk + 80);
	rr_put_le64(st->ring_head_seq, blk + 88);
	rr_put_le64(st->pend_index, blk + 96);
	rr_put_le64(st->pend_term, blk + 104);
	rr_put_le64(st->pend_offset, blk + 112);
	rr_put_le64(st->pend_base, blk + 120);
	raft_conf_encode(&st->snap_conf, blk + 128);
	raft_conf_encode(&st->pend_conf, blk + 128 + RAFT_CONF_ENCODED_SIZE);
	rr_put_le32(st->idents.n, blk + RR_STATE_IDENTS_OFF);
	rraft_idents_encode(&st->idents, blk + RR_STATE_IDENTS_OFF + 4);
	rr_put_le32(rr_crc_zeroed(blk, RR_STATE_SIZE, ST_CRC_OFF),
		    blk + ST_CRC_OFF);
}

int rraft_state_decode(struct rr_state *st, const u8 *blk,
		       const u8 uuid[RR_UUID_LEN], const char **why)
{
	*why = "state slot: bad magic";
	if (rr_get_le32(blk) != RR_STATE_MAGIC)
		return -EUCLEAN;
	*why = "state slot: unsupported version";
	if (rr_get_le32(blk + 4) != RR_FORMAT_VERSION)
		return -EUCLEAN;
	*why = "state slot: bad size field";
	if (rr_get_le32(blk + 8) != RR_STATE_SIZE)
		return -EUCLEAN;
	*why = "state slot: crc mismatch";
	if (rr_get_le32(blk + ST_CRC_OFF) !=
	    rr_crc_zeroed(blk, RR_STATE_SIZE, ST_CRC_OFF))
		return -EUCLEAN;
	*why = "state slot: belongs to another device (uuid)";
	if (memcmp(blk + 24, uuid, RR_UUID_LEN))
		return -EUCLEAN;
	st->seq = rr_get_le64(blk + 16);
	memcpy(st->uuid, blk + 24, RR_UUID_LEN);
	st->term = rr_get_le64(blk + 40);
	st->vote = rr_get_le32(blk + 48);
	st->flags = rr_get_le32(blk + 52);
	st->commit = rr_get_le64(blk + 56);
	st->snap_index = rr_get_le64(blk + 64);
	st->snap_term = rr_get_le64(blk + 72);
	st->ring_head = rr_get_le64(blk + 80);
	st->ring_head_seq = rr_get_le64(blk + 88);
	st->pend_index = rr_get_le64(blk + 96);
	st->pend_term = rr_get_le64(blk + 104);
	st->pend_offset = rr_get_le64(blk + 112);
	st->pend_base = rr_get_le64(blk + 120);
	*why = "state slot: unknown flags";
	if (st->flags & ~RR_STF_INCONSISTENT)
		return -EUCLEAN;
	*why = "state slot: zero sequence number";
	if (!st->seq || !st->ring_head_seq)
		return -EUCLEAN;
	*why = "state slot: checkpoint term/index inconsistent";
	if (!st->snap_index != !st->snap_term ||
	    st->snap_term > st->term)
		return -EUCLEAN;
	*why = "state slot: bad checkpoint configuration";
	if (raft_conf_decode(&st->snap_conf, blk + 128, RAFT_CONF_ENCODED_SIZE))
		return -EUCLEAN;
	*why = "state slot: bad pending configuration";
	if (raft_conf_decode(&st->pend_conf, blk + 128 + RAFT_CONF_ENCODED_SIZE,
			     RAFT_CONF_ENCODED_SIZE))
		return -EUCLEAN;
	*why = "state slot: bad member identities";
	if (rr_state_decode_idents(st, blk))
		return -EUCLEAN;
	*why = NULL;
	return 0;
}

int rraft_state_pick(const struct rr_state st[2], const bool valid[2])
{
	if (valid[0] && valid[1])
		return st[1].seq > st[0].seq ? 1 : 0;
	if (valid[0])
		return 0;
	if (valid[1])
		return 1;
	return -1;
}

/* ---- log records ----
 *
 *  0 magic u32  4 version u16  6 hdr size u16  8 crc u32  12 n_entries u32
 * 16 seq u64   24 uuid[16]    40 first_index u64  48 payload_len u32
 * 52 prev_crc u32  56..63 reserved (zero)
 * entries: term u64, type u32, len u32, data[len]
 */
#define LOG_CRC_OFF	8

u64 rraft_log_record_bytes(const struct raft_entry *ents, u32 n)
{
	u64 b = RR_LOG_HDR_SIZE;
	u32 i;

	for (i = 0; i < n; i++)
		b += RR_LOG_ENT_HDR_SIZE + ents[i].len;
	return b;
}

u32 rraft_log_crc(const u8 *buf)
{
	return rr_get_le32(buf + LOG_CRC_OFF);
}

u64 rraft_log_encode(u8 *buf, u64 seq, const u8 uuid[RR_UUID_LEN], u32 prev_crc,
		     const struct raft_entry *ents, u32 n)
{
	u64 pos = RR_LOG_HDR_SIZE;
	u32 i, c;

	memset(buf, 0, RR_LOG_HDR_SIZE);
	for (i = 0; i < n; i++) {
		rr_put_le64(ents[i].term, buf + pos);
		rr_put_le32(ents[i].type, buf + pos + 8);
		rr_put_le32(ents[i].len, buf + pos + 12);
		pos += RR_LOG_ENT_HDR_SIZE;
		if (ents[i].len)
			memcpy(buf + pos, ents[i].data, ents[i].len);
		pos += ents[i].len;
	}
	rr_put_le32(RR_LOG_MAGIC, buf);
	rr_put_le16(RR_LOG_VERSION, buf + 4);
	rr_put_le16(RR_LOG_HDR_SIZE, buf + 6);
	rr_put_le32(n, buf + 12);
	rr_put_le64(seq, buf + 16);
	memcpy(buf + 24, uuid, RR_UUID_LEN);
	rr_put_le64(n ? ents[0].index : 0, buf + 40);
	rr_put_le32((u32)(pos - RR_LOG_HDR_SIZE), buf + 48);
	rr_put_le32(prev_crc, buf + 52);
	c = rr_crc_zeroed(buf, (u32)pos, LOG_CRC_OFF);
	rr_put_le32(c, buf + LOG_CRC_OFF);
	return pos;
}

int rraft_log_decode_hdr(struct rr_log_hdr *h, const u8 *buf,
			 const u8 uuid[RR_UUID_LEN], u64 seq, u64 max_bytes)
{
	u32 i;

	if (rr_get_le32(buf) != RR_LOG_MAGIC ||
	    memcmp(buf + 24, uuid, RR_UUID_LEN) ||
	    rr_get_le64(buf + 16) != seq)
		return -ENOENT;
	if (rr_get_le16(buf + 4) != RR_LOG_VERSION ||
	    rr_get_le16(buf + 6) != RR_LOG_HDR_SIZE)
		return -EUCLEAN;
	for (i = 56; i < RR_LOG_HDR_SIZE; i++)
		if (buf[i])
			return -EUCLEAN;
	h->seq = seq;
	memcpy(h->uuid, uuid, RR_UUID_LEN);
	h->crc = rr_get_le32(buf + LOG_CRC_OFF);
	h->n_entries = rr_get_le32(buf + 12);
	h->first_index = rr_get_le64(buf + 40);
	h->payload_len = rr_get_le32(buf + 48);
	h->prev_crc = rr_get_le32(buf + 52);
	if (!h->n_entries || !h->first_index ||
	    h->first_index + h->n_entries < h->first_index)
		return -EUCLEAN;
	if ((u64)h->payload_len + RR_LOG_HDR_SIZE > max_bytes ||
	    (u64)h->n_entries * RR_LOG_ENT_HDR_SIZE > h->payload_len)
		return -EUCLEAN;
	return 0;
}

bool rraft_log_crc_ok(const struct rr_log_hdr *h, const u8 *buf)
{
	return rr_crc_zeroed(buf, RR_LOG_HDR_SIZE + h->payload_len,
			     LOG_CRC_OFF) == h->crc;
}

int rraft_log_next_entry(const struct rr_log_hdr *h, const u8 *buf, u32 *pos,
			 u32 i, struct raft_entry *e)
{
	const u8 *p = buf + RR_LOG_HDR_SIZE;
	u32 left;

	if (i >= h->n_entries)
		return *pos == h->payload_len ? 0 : -EUCLEAN;
	if (*pos > h->payload_len)
		return -EUCLEAN;
	left = h->payload_len - *pos;
	if (left < RR_LOG_ENT_HDR_SIZE)
		return -EUCLEAN;
	e->term = rr_get_le64(p + *pos);
	e->type = rr_get_le32(p + *pos + 8);
	e->len = rr_get_le32(p + *pos + 12);
	e->index = h->first_index + i;
	if (!e->term || e->type > RAFT_ENTRY_CONF ||
	    e->len > left - RR_LOG_ENT_HDR_SIZE)
		return -EUCLEAN;
	e->data = (u8 *)(p + *pos + RR_LOG_ENT_HDR_SIZE);
	*pos += RR_LOG_ENT_HDR_SIZE + e->len;
	return 1;
}

/* ---- member identities ---- */

bool rraft_ident_is_zero(const u8 ident[RR_IDENT_LEN])
{
	u8 acc = 0;
	u32 i;

	for (i = 0; i < RR_IDENT_LEN; i++)
		acc |= ident[i];
	return !acc;
}

void rraft_idents_encode(const struct rr_idents *t, u8 *buf)
{
	u32 i;

	for (i = 0; i < t->n; i++) {
		rr_put_le32(t->e[i].id, buf + i * RR_IDENT_ENT_SIZE);
		memcpy(buf + i * RR_IDENT_ENT_SIZE + 4, t->e[i].ident,
		       RR_IDENT_LEN);
	}
}

int rraft_idents_decode(struct rr_idents *t, const u8 *buf, u32 n)
{
	u32 i, prev = 0;

	memset(t, 0, sizeof(*t));
	if (n > RR_IDENT_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		struct rr_ident *e = &t->e[i];

		e->id = rr_get_le32(buf + i * RR_IDENT_ENT_SIZE);
		memcpy(e->ident, buf + i * RR_IDENT_ENT_SIZE + 4, RR_IDENT_LEN);
		if (e->id <= prev || e->id > RR_CMD_MAX_WRITER ||
		    rraft_ident_is_zero(e->ident)) {
			memset(t, 0, sizeof(*t));
			return -EINVAL;
		}
		prev = e->id;
	}
	t->n = n;
	return 0;
}

const u8 *rraft_idents_find(const struct rr_idents *t, u32 id)
{
	u32 i;

	for (i = 0; i < t->n; i++)
		if (t->e[i].id == id)
			return t->e[i].ident;
	return NULL;
}

int rraft_idents_set(struct rr_idents *t, u32 id, const u8 *ident)
{
	u32 i, j;

	if (!id || id > RR_CMD_MAX_WRITER ||
	    (ident && rraft_ident_is_zero(ident)))
		return -EINVAL;
	for (i = 0; i < t->n && t->e[i].id < id; i++)
		;
	if (i < t->n && t->e[i].id == id) {
		if (ident) {
			memcpy(t->e[i].ident, ident, RR_IDENT_LEN);
		} else {
			for (j = i; j + 1 < t->n; j++)
				t->e[j] = t->e[j + 1];
			memset(&t->e[--t->n], 0, sizeof(t->e[0]));
		}
		return 0;
	}
	if (!ident)
		return 0;
	if (t->n == RR_IDENT_MAX)
		return -ENOSPC;
	for (j = t->n; j > i; j--)
		t->e[j] = t->e[j - 1];
	t->e[i].id = id;
	memcpy(t->e[i].ident, ident, RR_IDENT_LEN);
	t->n++;
	return 0;
}

/* ---- command ---- */

void rraft_cmd_encode_hdr(u8 *buf, u64 offset, u32 len)
{
	rr_put_le64(offset, buf);
	rr_put_le32(len, buf + 8);
}

void rraft_cmd_encode_claim(u8 *buf, u32 writer)
{
	rr_put_le64(RR_CMD_CLAIM_TAG, buf);
	rr_put_le32(writer, buf + 8);
}

u32 rraft_cmd_encode_idents(u8 *buf, const struct rr_idents *t)
{
	rr_put_le64(RR_CMD_IDENT_TAG, buf);
	rr_put_le32(t->n, buf + 8);
	rraft_idents_encode(t, buf + RR_CMD_HDR_SIZE);
	return RR_CMD_HDR_SIZE + t->n * RR_IDENT_ENT_SIZE;
}

void rraft_cmd_encode_zero(u8 *buf, u64 offset, u64 len, bool unmap)
{
	rr_put_le64(RR_CMD_ZERO_TAG, buf);
	rr_put_le32(unmap ? RR_CMD_ZERO_UNMAP : 0, buf + 8);
	rr_put_le64(offset, buf + RR_CMD_HDR_SIZE);
	rr_put_le64(len, buf + RR_CMD_HDR_SIZE + 8);
}

/* A block range: 4K-aligned, not empty, inside the data area. */
static bool rr_range_ok(u64 offset, u64 len, u64 dev_bytes)
{
	return len && !((offset | len) % RR_BLOCK_SIZE) &&
	       offset <= dev_bytes && len <= dev_bytes - offset;
}

static int rr_cmd_decode_zero(struct rr_cmd *c, const u8 *buf, u32 len,
			      u64 dev_bytes)
{
	u32 flags = c->len;

	if (len != RR_CMD_ZERO_SIZE || flags & ~RR_CMD_ZERO_UNMAP)
		return -EINVAL;
	c->offset = rr_get_le64(buf + RR_CMD_HDR_SIZE);
	c->zero_len = rr_get_le64(buf + RR_CMD_HDR_SIZE + 8);
	c->len = 0;
	if (!rr_range_ok(c->offset, c->zero_len, dev_bytes))
		return -EINVAL;
	c->zero = true;
	c->unmap = flags & RR_CMD_ZERO_UNMAP;
	return 0;
}

int rraft_cmd_decode(struct rr_cmd *c, const u8 *buf, u32 len, u64 dev_bytes)
{
	struct rr_idents t;

	if (len < RR_CMD_HDR_SIZE)
		return -EINVAL;
	c->claim = false;
	c->ident = false;
	c->zero = false;
	c->unmap = false;
	c->zero_len = 0;
	c->writer = 0;
	c->offset = rr_get_le64(buf);
	c->len = rr_get_le32(buf + 8);
	c->data = buf + RR_CMD_HDR_SIZE;
	if (c->offset == RR_CMD_CLAIM_TAG) {
		if (len != RR_CMD_HDR_SIZE || c->len > RR_CMD_MAX_WRITER)
			return -EINVAL;
		c->claim = true;
		c->writer = c->len;
		c->len = 0;
		return 0;
	}
	if (c->offset == RR_CMD_IDENT_TAG) {
		if (c->len > RR_IDENT_MAX ||
		    len - RR_CMD_HDR_SIZE != c->len * RR_IDENT_ENT_SIZE ||
		    rraft_idents_decode(&t, c->data, c->len))
			return -EINVAL;
		c->ident = true;
		return 0;
	}
	if (c->offset == RR_CMD_ZERO_TAG)
		return rr_cmd_decode_zero(c, buf, len, dev_bytes);
	if (c->len != len - RR_CMD_HDR_SIZE || c->len > RR_CMD_MAX_DATA ||
	    !rr_range_ok(c->offset, c->len, dev_bytes))
		return -EINVAL;
	return 0;
}

int rraft_entries_check(const struct raft_entry *ents, u32 n, u64 dev_bytes,
			u64 *bad)
{
	struct raft_conf conf;
	struct rr_cmd c;
	u32 i;
	int err;

	for (i = 0; i < n; i++) {
		const struct raft_entry *e = &ents[i];

		if (e->type == RAFT_ENTRY_NORMAL)
			err = rraft_cmd_decode(&c, e->data, e->len, dev_bytes);
		else if (e->type == RAFT_ENTRY_CONF)
			err = raft_conf_decode(&conf, e->data, e->len);
		else
			err = 0;
		if (err) {
			*bad = e->index;
			return -EINVAL;
		}
	}
	return 0;
}
